"""A user's profile photo, as apps read it with the user's token: ``/me/photo``,
``/me/photo/$value``, ``/me/photos/{size}`` and ``/me/photos/{size}/$value`` (and each under
``/users/{user}``).

The mock's users have no photo, so each answers what Graph answers for a user without one:
404 with the code ``ImageNotFound`` ("If no photo exists, the operation returns 404 Not
Found", https://learn.microsoft.com/graph/api/profilephoto-get; the code and message as
reported in microsoftgraph/msgraph-sdk-dotnet-core#851 and
Azure-Samples/ms-identity-dotnetcore-b2c-account-management#23), not the 400 of an unknown
segment. Auth.js's Microsoft Entra ID provider reads ``/me/photos/48x48/$value`` at every
sign-in. The caller is checked as for ``/me`` (:data:`.graph_permission_tables.USER_READ`:
``User.Read`` for one's own photo), the user looked up first (an unknown one is Graph's 404
for the user).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..store import Tenant
from . import graph_permission_tables as tables
from .graph_access import requires, subject
from .graph_http import PREFIX, GraphError, route

NO_PHOTO = ("Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' "
            "was thrown.")
"""Graph's message for a user without a photo (code ``ImageNotFound``)."""
_PATHS = ("/photo", "/photo/$value", "/photos/{size}", "/photos/{size}/$value")


@requires(tables.USER_READ)
async def photo(request: Request, tenant: Tenant) -> Response:
    subject(request, tenant)
    raise GraphError(NO_PHOTO, code="ImageNotFound", status=404, field="photo")


routes: list[BaseRoute] = [route(f"{PREFIX}{who}{path}", {"GET": photo})
                           for who in ("/me", "/users/{user}") for path in _PATHS]
