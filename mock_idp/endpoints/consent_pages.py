"""What follows once the user is known: the device-code confirmation, "Permissions requested",
then the answer to the app (:mod:`.issue`) or the device code's approval. The consent page posts
to ``/{tenant}/Consent/Set``."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory import is_assigned, needs_assignment
from ..errors import EntraError
from ..protocol import incremental_consent, resources
from ..protocol.claims import GRAPH_RESOURCE_ID
from ..signin import flow
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Application, Session, User
from . import browser_sessions as cookies
from .common import error_page, idp
from .issue import complete, error_response
from .pages import app_of, client_id_of, keep, read_form, refuse, render, segment_of, take


async def proceed(request: Request, txn: Transaction) -> Response:
    """The user of ``txn.session_id`` is signed in: confirm (device code), consent, then
    answer; the session cookie is set on whatever page comes next when the session is new."""
    response = await _next_page(request, txn)
    if txn.new_session and txn.session_id:
        state = idp(request)
        session = state.store.sessions.get(txn.session_id)
        if session is not None:
            cookies.add_session(response, request, state, session, persistent=txn.persistent)
    return response


async def _next_page(request: Request, txn: Transaction) -> Response:
    state = idp(request)
    session = state.store.sessions.get(txn.session_id or "")
    tenant = state.store.tenants.get(txn.tenant_id)
    app = app_of(state, txn)
    if session is None or tenant is None or app is None:
        return error_page(request, EntraError(9002313))
    user = tenant.users[session.user_id]
    if txn.kind == "device" and not txn.confirmed:
        return render(request, "consent", purpose="device", ctx=keep(state, _later(txn)),
                      app_name=app.name, upn=user.upn, scopes=[],
                      action=f"/{segment_of(txn)}/Consent/Set")
    scopes = _asked_scopes(state, txn)
    decision = flow.before_issue(
        consented=incremental_consent.covered(tenant, app.client_id, session.user_id, scopes),
        prompt=txn.prompt, consent_shown=txn.consent_shown, app_id=app.client_id,
        app_name=app.name)
    if isinstance(decision, flow.Refuse):
        return refuse(request, txn, decision.error)
    if isinstance(decision, flow.AskConsent):
        return render(request, "consent", purpose="consent", ctx=keep(state, _later(txn)),
                      app_name=app.name,
                      upn=user.upn, scopes=flow.consent_lines(scopes),
                      action=f"/{segment_of(txn)}/Consent/Set")
    if txn.request is not None:
        return await complete(request, txn.request, session)
    return _approve_device(request, txn, session, user, app)


def _asked_scopes(state: IdpState, txn: Transaction) -> tuple[str, ...]:
    """The scopes the sign-in (or the device code's authorization) asked for."""
    if txn.request is not None:
        return txn.request.scopes
    record = state.store.device_codes.get(txn.device_code or "")
    return record.scopes if record is not None else ()


def _later(txn: Transaction) -> Transaction:
    """The transaction a page after this one continues: its session no longer new."""
    return replace(txn, new_session=False)


def _approve_device(request: Request, txn: Transaction, session: Session, user: User,
                    app: Application) -> Response:
    """The end of a device-code sign-in: the polling client gets its tokens next time."""
    state = idp(request)
    now = state.clock.now()
    record = state.store.device_codes.get(txn.device_code or "")
    if record is None or record.status != "pending" or now >= record.expires_at:
        return error_page(request, EntraError(70019))
    tenant = state.store.tenants[session.tenant_id]
    if needs_assignment(tenant, app) and not is_assigned(tenant, app, user):
        return error_page(request, EntraError(
            50105, {"upn": user.upn, "app_id": app.client_id, "app_name": app.name}))
    record.status = "approved"
    record.user_id, record.session_id, record.auth_time = user.id, session.id, session.auth_time
    session.apps.setdefault(app.client_id, now)
    return render(request, "device_done", app_name=app.name, declined=False)


def _decline_device(request: Request, txn: Transaction) -> Response:
    """Cancel on a device-code sign-in: the polling client gets ``authorization_declined``."""
    state = idp(request)
    record = state.store.device_codes.get(txn.device_code or "")
    app = app_of(state, txn)
    if record is not None and record.status == "pending":
        record.status = "declined"
    return render(request, "device_done", app_name=app.name if app else "", declined=True)


async def consent(request: Request) -> Response:
    """"Permissions requested" (Accept / Cancel), or for a device-code sign-in "Are you trying
    to sign in?" (Continue / Cancel)."""
    state = idp(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    txn = take(state, form)
    session = state.store.sessions.get(txn.session_id or "") if txn is not None else None
    tenant = state.store.tenants.get(txn.tenant_id) if txn is not None else None
    if txn is None or session is None or tenant is None:
        return error_page(request, EntraError(9002313))
    answer = form.get("answer")
    if answer not in ("Accept", "Continue", "Cancel"):
        return error_page(request, EntraError(900144, {"name": "answer"}))
    if answer == "Cancel":
        if txn.request is None:
            return _decline_device(request, txn)
        return error_response(request, txn.request, EntraError(65004))
    if txn.kind == "device" and not txn.confirmed:
        return await proceed(request, replace(txn, confirmed=True))
    client_id = client_id_of(state, txn)
    scopes = _asked_scopes(state, txn)
    if not incremental_consent.covered(tenant, client_id, session.user_id, scopes):
        # The user's grant on each resource asked, widened by what is new (Graph's defaults
        # when nothing was asked).
        asked = resources.by_resource(tenant, scopes)
        for resource_id, names in (asked or {GRAPH_RESOURCE_ID: ()}).items():
            tenant.grant_consent(client_id, session.user_id, " ".join(names), resource_id)
    return await proceed(request, replace(txn, consent_shown=True))


routes: list[BaseRoute] = [
    Route("/{tenant}/Consent/Set", consent, methods=["POST"]),
]
