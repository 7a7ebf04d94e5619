"""The platform's user link: ``GET {root}/users/{user_id}``, where ``user.logout`` points.

Talkdesk's ``user.logout`` links the user who signed out as ``{root}/users/{user_id}`` on the
API root (docs.talkdesk.com/reference/userlogout, ``_links.user``). The mock answers there for
the partner app, as its Apps API does (:mod:`.apps_api`): with an app-only token from the
client-credentials grant of an installation's credentials, for a user of that installation's
tenant named by object id (the ``user_id`` events carry). The answer is the mock's own short
shape (Talkdesk documents no such payload for partner apps): ``id``, ``email``, ``name``,
``active`` and ``_links.self``. Refusals are the Apps API's ``{"code", "message", "fields"}``:
401 for a missing or bad token, 403 for a user's token or one whose app has no active
installation in its tenant, 404 naming ``user_id`` for anyone else.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .apps_api import Refused, app_only_token, error
from .common import idp
from .mock_api import route
from .platform import request_base_url

USER_PATH = "/users/{user_id}"


async def platform_user(request: Request) -> Response:
    state = idp(request)
    tenant_id, client_id = app_only_token(request)
    if state.platform.registry.find(tenant_id=tenant_id, client_id=client_id) is None:
        raise Refused(403, "the token's app has no active installation in its tenant",
                      "Authorization")
    user_id = request.path_params["user_id"]
    tenant = state.store.tenants.get(tenant_id)
    user = None if tenant is None else tenant.users.get(user_id.lower())
    if user is None or user.id.lower() != user_id.lower():
        raise Refused(404, "user not found", "user_id")
    url = f"{request_base_url(request)}/users/{quote(user.id, safe='')}"
    return JSONResponse({"id": user.id, "email": user.email or user.upn, "name": user.name,
                         "active": user.enabled, "_links": {"self": {"href": url}}},
                        headers={"Cache-Control": "no-store"})


routes: list[BaseRoute] = [route(USER_PATH, {"GET": platform_user}, error)]

__all__ = ["routes"]
