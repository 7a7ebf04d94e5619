"""The authorize endpoint (v1 and v2): validate the request, then hand it to the sign-in pages.

With a valid session and nothing to ask, the endpoint answers at once with a redirect and no
page at all: this is what automatic login rests on. Otherwise the sign-in experience
(:mod:`mock_idp.endpoints.signin`) takes over.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..faults.registry import held
from ..protocol.authorization import (
    AuthRequest,
    ConsumersPageError,
    PageError,
    RedirectError,
    parse,
)
from .common import consumers_error_page, error_page, idp
from .faults_hook import response_fault
from .forms import protocol_params
from .issue import error_response
from .signin import begin_authorize


async def _params(request: Request) -> dict[str, str] | Response:
    try:
        return await protocol_params(request)
    except EntraError as err:  # not a form, or a parameter given twice: Entra's page
        return error_page(request, err)


async def authorize(request: Request, *, version: str) -> Response:
    params = await _params(request)
    if isinstance(params, Response):
        return params
    req = _parsed(request, version, params)
    if isinstance(req, Response):
        return req
    fault = await response_fault(request, "authorize", tenant=req.app_tenant_id,
                                 app=req.client_id, user=None)
    if isinstance(fault, EntraError):
        return error_response(request, req, fault)
    if fault is not None:
        return fault
    if held(request):
        # Checked again: while a latency or hang fault held the request, its tenant or app
        # may have been deleted, changed or made again.
        req = _parsed(request, version, params)
        if isinstance(req, Response):
            return req
    return await begin_authorize(request, req)


def _parsed(request: Request, version: str, params: dict[str, str]) -> AuthRequest | Response:
    """The validated request, or the page or redirect that refuses it."""
    try:
        return parse(idp(request).store, request.path_params["tenant"], version, params)
    except ConsumersPageError as err:
        return consumers_error_page(request, err)
    except PageError as err:
        return error_page(request, err)
    except EntraError as err:
        return error_page(request, err)
    except RedirectError as err:
        return error_response(request, err.request, err.error)


async def authorize_v2(request: Request) -> Response:
    return await authorize(request, version="2.0")


async def authorize_v1(request: Request) -> Response:
    return await authorize(request, version="1.0")


routes: list[BaseRoute] = [
    Route("/{tenant}/oauth2/v2.0/authorize", authorize_v2, methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/authorize", authorize_v1, methods=["GET", "POST"]),
]
