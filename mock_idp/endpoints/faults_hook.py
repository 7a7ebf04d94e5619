"""The seam through which armed faults reach the endpoints.

Endpoints ask :func:`response_fault` before doing their work; when the fault subsystem is not
installed (``state.extensions["faults"]`` absent) nothing happens.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from ..errors import EntraError
from .common import error_json, idp


class FaultSource(Protocol):
    async def response_fault(
        self, request: Request, endpoint: str, scope: dict[str, str | None]
    ) -> Response | EntraError | None: ...

    def token_fault(self, endpoint: str, scope: dict[str, str | None]) -> Any | None: ...


def _source(request: Request) -> FaultSource | None:
    source: FaultSource | None = idp(request).extensions.get("faults")
    return source


async def response_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                         app: str | None = None, user: str | None = None
                         ) -> Response | EntraError | None:
    """An armed fault's answer: a ready response, an AADSTS error to render the endpoint's own
    way (JSON, or a redirect at authorize), or ``None`` to carry on."""
    source = _source(request)
    if source is None:
        return None
    return await source.response_fault(
        request, endpoint, {"tenant": tenant, "app": app, "user": user}
    )


async def json_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                     app: str | None = None, user: str | None = None) -> Response | None:
    """:func:`response_fault` for endpoints that answer errors in Entra's JSON."""
    fault = await response_fault(request, endpoint, tenant=tenant, app=app, user=user)
    if isinstance(fault, EntraError):
        return error_json(request, fault)
    return fault


def token_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                app: str | None = None, user: str | None = None) -> Any | None:
    source = _source(request)
    if source is None:
        return None
    return source.token_fault(endpoint, {"tenant": tenant, "app": app, "user": user})
