"""The sign-in pages and the forms they post.

Pages (Entra's structure, the mock's own markup; ids in :mod:`mock_idp.signin.ids`): username,
password, "Stay signed in?", "Pick an account", "Permissions requested", and for a device-code
sign-in "Are you trying to sign in?" and the page that says the window may be closed. Which page
comes next is :mod:`mock_idp.signin.flow`; these handlers read the forms, keep the transaction a
page's ``ctx`` names, set the session cookies and render.

Form posts: ``/{tenant}/login`` (username, password or an account tile), ``/kmsi`` ("Stay signed
in?"), ``/{tenant}/Consent/Set`` (consent, or the device-code confirmation). The username page's
**Next** asks ``/common/GetCredentialType`` (:mod:`.credential_type`) and shows the password in
the same document.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ..directory import is_assigned, needs_assignment
from ..errors import EntraError
from ..protocol import incremental_consent, resources, tenants
from ..protocol.authorization import AuthRequest
from ..protocol.claims import GRAPH_RESOURCE_ID
from ..signin import credential_type, flow
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Application, Session, Tenant, User, new_guid
from . import browser_sessions as cookies
from .common import entra_headers, error_page, idp, note_error, templates
from .forms import form_params
from .issue import complete, error_response

PENDING_LIFETIME = timedelta(hours=1)
MAX_PENDING = 5000
MAX_FIELD = 256
KMSI_MEMORY = timedelta(days=90)
FORM_FIELDS = frozenset({"ctx", "loginfmt", "passwd", "account", "answer", "DontShowAgain",
                         "otc"})


# -- transactions --------------------------------------------------------------------------------


def keep(state: IdpState, txn: Transaction) -> str:
    """Store ``txn`` under a new single-use ``ctx`` for the page about to be rendered."""
    if len(state.store.pending) >= MAX_PENDING:
        cutoff = state.clock.now() - PENDING_LIFETIME
        for key in [k for k, t in state.store.pending.items() if t.created < cutoff]:
            state.store.pending.pop(key, None)
        for key in list(state.store.pending)[: max(0, len(state.store.pending) - MAX_PENDING + 1)]:
            state.store.pending.pop(key, None)
    ctx = secrets.token_urlsafe(24)
    state.store.pending[ctx] = txn
    return ctx


def take(state: IdpState, form: FormData | dict[str, str]) -> Transaction | None:
    """The transaction a posted ``ctx`` names (used once), unless it is unknown or too old."""
    ctx = form.get("ctx")
    txn = state.store.pending.pop(ctx, None) if isinstance(ctx, str) else None
    return txn if txn is not None and _current(state, txn) else None


def peek(state: IdpState, ctx: str | None) -> Transaction | None:
    """The transaction ``ctx`` names, left in place for the page's own post."""
    txn = state.store.pending.get(ctx) if ctx is not None else None
    return txn if txn is not None and _current(state, txn) else None


def _current(state: IdpState, txn: Transaction) -> bool:
    return state.clock.now() - txn.created <= PENDING_LIFETIME


async def read_form(request: Request) -> dict[str, str] | Response:
    """The posted fields a sign-in page sends (each cut to ``MAX_FIELD`` characters), or the
    error page for a body that is not a form."""
    try:
        form = await form_params(request)
    except EntraError as err:  # not a form, a file, or text that is not Unicode
        return error_page(request, err)
    return {k: v[:MAX_FIELD] for k, v in form.items() if k in FORM_FIELDS}


# -- rendering -------------------------------------------------------------------------------


def render(request: Request, template: str, *, status: int = 200, **context: Any
           ) -> HTMLResponse:
    html = templates.get_template(f"signin/{template}.html").render(**context)
    return HTMLResponse(html, status_code=status, headers={
        **entra_headers(request), "Cache-Control": "no-store"})


def _segment(txn: Transaction) -> str:
    return txn.request.segment if txn.request is not None else txn.tenant_id


def _client_id(state: IdpState, txn: Transaction) -> str:
    if txn.request is not None:
        return txn.request.client_id
    record = state.store.device_codes.get(txn.device_code or "")
    return record.client_id if record is not None else ""


def _app(state: IdpState, txn: Transaction) -> Application | None:
    tenant = state.store.tenants.get(txn.tenant_id)
    if tenant is None:
        return None
    return tenants.app_in(state.store, tenant, _client_id(state, txn))


def _account_tiles(accounts: tuple[flow.Account, ...]) -> list[dict[str, str]]:
    return [{"id": a.user.id, "upn": a.user.upn, "name": a.user.name} for a in accounts]


def show(request: Request, txn: Transaction,
         page: flow.ShowPicker | flow.ShowUsername | flow.ShowPassword) -> Response:
    """Render the username page, the password page or "Pick an account" for ``txn``."""
    state = idp(request)
    app = _app(state, txn)
    if app is None:
        return error_page(request, EntraError(700016, {"app_id": _client_id(state, txn),
                                                       "tenant": txn.tenant_id}))
    ctx = keep(state, txn)
    common: dict[str, Any] = {"ctx": ctx, "app_name": app.name,
                              "action": f"/{_segment(txn)}/login"}
    if isinstance(page, flow.ShowPicker):
        return render(request, "pick_account", purpose="signin",
                      accounts=_account_tiles(page.accounts), **common)
    error = page.error
    if error is not None:
        note_error(request, error)
    status = 400 if error is not None else 200
    view, username = (("username", page.prefill) if isinstance(page, flow.ShowUsername)
                      else ("password", page.username))
    return render(request, "credentials", status=status, view=view, username=username,
                  error=error, forgot=f"/{_segment(txn)}/passwordreset",
                  lookup=credential_type.PATH, not_found_result=credential_type.DOES_NOT_EXIST,
                  **common)


def refuse(request: Request, txn: Transaction, err: EntraError) -> Response:
    """End the sign-in: back to the app with ``err`` when the app can be told (authorize), on
    the error page otherwise (a device-code sign-in, a disabled account)."""
    if txn.request is not None and err.code not in (50057, 50020):
        return error_response(request, txn.request, err)
    return error_page(request, err)


# -- starting a sign-in ---------------------------------------------------------------------------


def _hinted_user(state: IdpState, tenant_id: str, hint: str | None) -> User | None:
    if not hint:
        return None
    first = state.store.tenants.get(tenant_id)
    for tenant in [first, *state.store.tenants.values()]:
        if tenant is not None and (user := tenant.find_user(hint)) is not None:
            return user
    return None


def entry_for(request: Request, txn: Transaction, *, prompt: str | None = None) -> flow.Entry:
    state = idp(request)
    req = txn.request
    hint = req.login_hint if req is not None else None
    return flow.Entry(
        prompt=req.prompt if req is not None else prompt, login_hint=hint,
        hinted=_hinted_user(state, txn.tenant_id, hint),
        max_age=req.max_age if req is not None else None,
        # Through /common, a multi-tenant app's sign-in may use a session of any tenant.
        accounts=cookies.accounts(request, state, None if flow.signs_in_at_home(
            txn, _app(state, txn)) else txn.tenant_id),
        now=state.clock.now())


async def begin(request: Request, txn: Transaction, outcome: flow.Start) -> Response:
    if isinstance(outcome, flow.Refuse):
        return refuse(request, txn, outcome.error)
    if isinstance(outcome, flow.Silent):
        session = outcome.account.session
        return await proceed(request, replace(txn, session_id=session.id,
                                              tenant_id=session.tenant_id))
    return show(request, txn, outcome)


async def begin_authorize(request: Request, req: AuthRequest) -> Response:
    """The first page of a sign-in for an authorization request (or none at all)."""
    tenant_id = req.tenant.id if req.tenant is not None else req.app_tenant_id
    txn = Transaction(kind="authorize", tenant_id=tenant_id, created=idp(request).clock.now(),
                      request=req)
    return await begin(request, txn, flow.start(entry_for(request, txn)))


# -- after the user is known ----------------------------------------------------------------


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
    app = _app(state, txn)
    if session is None or tenant is None or app is None:
        return error_page(request, EntraError(9002313))
    user = tenant.users[session.user_id]
    if txn.kind == "device" and not txn.confirmed:
        return render(request, "consent", purpose="device", ctx=keep(state, _later(txn)),
                      app_name=app.name, upn=user.upn, scopes=[],
                      action=f"/{_segment(txn)}/Consent/Set")
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
                      action=f"/{_segment(txn)}/Consent/Set")
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
    app = _app(state, txn)
    if record is not None and record.status == "pending":
        record.status = "declined"
    return render(request, "device_done", app_name=app.name if app else "", declined=True)


def start_session(state: IdpState, tenant: Tenant, user: User) -> Session:
    """A new IdP session for ``user``, from now for the configured session lifetime."""
    now = state.clock.now()
    session = Session(id=new_guid(), tenant_id=tenant.id, user_id=user.id, auth_time=now,
                      expires_at=now + state.config.session_lifetime)
    state.store.sessions[session.id] = session
    return session


# -- the forms --------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    """The username page ("Next"), the password page ("Sign in") or a tile of "Pick an
    account"; an HTTP client may post ``loginfmt`` and ``passwd`` at once."""
    state = idp(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    txn = take(state, form)
    tenant = state.store.tenants.get(txn.tenant_id) if txn is not None else None
    if txn is None or tenant is None or txn.kind == "logout":
        return error_page(request, EntraError(9002313))
    if "account" in form:
        entry = entry_for(request, txn, prompt="select_account")
        return await begin(request, txn, flow.pick(entry.accounts, form["account"], entry))
    username = form.get("loginfmt", "")
    home = state.store.home_elsewhere(username, tenant)
    if "passwd" not in form:
        return show(request, txn, flow.username_step(tenant, username, home))
    app = _app(state, txn)
    if home is not None and flow.signs_in_at_home(txn, app):  # the tokens come from there
        txn = replace(txn, tenant_id=home.id)
        tenant, home = home, None
    outcome = flow.password_step(tenant, username, form["passwd"], home=home,
                                 app_id=app.client_id if app else "",
                                 app_name=app.name if app else "")
    if isinstance(outcome, flow.Refuse):
        return refuse(request, txn, outcome.error)
    if not isinstance(outcome, flow.SignedIn):
        return show(request, txn, outcome)
    session = start_session(state, tenant, outcome.user)
    txn = replace(txn, session_id=session.id, new_session=True)
    decision = flow.after_password(show_kmsi=tenant.show_keep_me_signed_in,
                                   remembered=cookies.remembered_kmsi(request))
    if isinstance(decision, flow.Remember):
        return await proceed(request, replace(txn, persistent=decision.persistent))
    return render(request, "kmsi", ctx=keep(state, txn), action="/kmsi",
                  upn=outcome.user.upn)


async def kmsi(request: Request) -> Response:
    """"Stay signed in?": Yes (a persistent session cookie) or No (a browser-session one)."""
    state = idp(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    txn = take(state, form)
    if txn is None or txn.session_id is None:
        return error_page(request, EntraError(9002313))
    answer = form.get("answer")
    if answer not in ("Yes", "No"):
        return error_page(request, EntraError(900144, {"name": "answer"}))
    response = await proceed(request, replace(txn, persistent=answer == "Yes"))
    if "DontShowAgain" in form:
        cookies.remember_kmsi(response, request, answer == "Yes",
                              int(KMSI_MEMORY.total_seconds()))
    return response


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
    client_id = _client_id(state, txn)
    scopes = _asked_scopes(state, txn)
    if not incremental_consent.covered(tenant, client_id, session.user_id, scopes):
        # The user's grant on each resource asked, widened by what is new (Graph's defaults
        # when nothing was asked).
        asked = resources.by_resource(tenant, scopes)
        for resource_id, names in (asked or {GRAPH_RESOURCE_ID: ()}).items():
            tenant.grant_consent(client_id, session.user_id, " ".join(names), resource_id)
    return await proceed(request, replace(txn, consent_shown=True))


async def password_reset(request: Request) -> Response:
    """Where "Forgot my password" leads: the mock resets passwords through its management API."""
    return render(request, "password_reset", tenant=request.path_params["tenant"][:100])


routes: list[BaseRoute] = [
    Route("/{tenant}/login", login, methods=["POST"]),
    Route("/kmsi", kmsi, methods=["POST"]),
    Route("/{tenant}/Consent/Set", consent, methods=["POST"]),
    Route("/{tenant}/passwordreset", password_reset, methods=["GET"]),
]
