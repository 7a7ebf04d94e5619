"""The admin consent endpoints, v1 ``/{tenant}/adminconsent`` and v2
``/{tenant}/v2.0/adminconsent``: validate the request (:mod:`mock_idp.protocol.admin_consent`),
then sign the administrator in with the sign-in pages; :mod:`.consent_pages` asks for their
consent and answers the app."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..protocol import admin_consent
from ..protocol.authorization import RedirectError
from ..signin import flow
from ..signin.flow import Transaction
from .common import error_page, idp
from .forms import protocol_params
from .issue import error_response
from .signin import begin, entry_for


async def _admin_consent(request: Request, *, version: str) -> Response:
    state = idp(request)
    try:
        req = admin_consent.parse(state.store, request.path_params["tenant"], version,
                                  await protocol_params(request))
    except EntraError as err:  # a PageError too: Entra's own page, no redirect
        return error_page(request, err)
    except RedirectError as err:
        return error_response(request, err.request, err.error)
    tenant_id = req.tenant.id if req.tenant is not None else req.app_tenant_id
    txn = Transaction(kind="adminconsent", tenant_id=tenant_id, created=state.clock.now(),
                      request=req)
    return await begin(request, txn, flow.start(entry_for(request, txn)))


async def admin_consent_v2(request: Request) -> Response:
    return await _admin_consent(request, version="2.0")


async def admin_consent_v1(request: Request) -> Response:
    return await _admin_consent(request, version="1.0")


routes: list[BaseRoute] = [
    Route("/{tenant}/v2.0/adminconsent", admin_consent_v2, methods=["GET"]),
    Route("/{tenant}/adminconsent", admin_consent_v1, methods=["GET"]),
]
