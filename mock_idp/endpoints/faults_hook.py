"""The seam through which armed faults reach the endpoints.

Endpoints ask :func:`response_fault` before doing their work, and :func:`token_fault` for the
tampering (if any) of what they issue; both read the provider's fault registry.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import EntraError
from ..faults.registry import TokenTampers
from ..request_log import annotate
from .common import error_json, idp


async def response_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                         app: str | None = None, user: str | None = None
                         ) -> Response | EntraError | None:
    """An armed fault's answer: a ready response, an AADSTS error to render the endpoint's own
    way (JSON, or a redirect at authorize), or ``None`` to carry on."""
    return await idp(request).faults.response_fault(
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
    """What an armed token fault does to the endpoint's output: an ID-token tamper
    (``authorize``, ``token``), a body transform (``userinfo``, ``jwks``), or ``None``; what it
    changed goes into the request's log entry."""
    faults = idp(request).faults
    scope = {"tenant": tenant, "app": app, "user": user}

    def observe(note: dict[str, Any]) -> None:
        annotate(request.scope, note)

    if endpoint == "userinfo":
        return faults.userinfo_transform(scope, observe=observe)
    if endpoint == "jwks":
        return faults.jwks_transform(tenant, observe=observe)
    return faults.id_token_tamper(endpoint, scope, observe=observe)


def token_tampers(request: Request, *, tenant: str, app: str, user: str,
                  id_token: bool = True) -> TokenTampers:
    """What an armed token fault does to the token endpoint's ID token and to the access token
    beside it, should that be the app's own (:class:`~mock_idp.faults.registry.TokenTampers`);
    ``id_token`` false: the answer carries none. What each changed goes into the request's log
    entry."""
    def observe(note: dict[str, Any]) -> None:
        annotate(request.scope, note)

    return idp(request).faults.token_tampers(
        "token", {"tenant": tenant, "app": app, "user": user}, observe=observe,
        id_token=id_token)
