"""The sign-in pages and the forms they post.

Pages (Entra's structure, the mock's own markup; ids in :mod:`mock_idp.signin.ids`): username,
password, "Stay signed in?", "Pick an account", "Permissions requested", and for a device-code
sign-in "Are you trying to sign in?" and the page that says the window may be closed. Which page
comes next is :mod:`mock_idp.signin.flow`; these handlers read the forms, keep the transaction a
page's ``ctx`` names (:mod:`.pages`), set the session cookies and render; once the user is
known, :mod:`.consent_pages` takes over.

Form posts: ``/{tenant}/login`` (username, password or an account tile),
``/common/SAS/ProcessAuth`` ("Enter code", an authenticator app's code after the password, or
after the code proven by script through :mod:`.sas`),
``/common/ChangePassword`` ("Update your password", :mod:`mock_idp.signin.password_change`) and
``/kmsi`` ("Stay signed in?"). The username page's
**Next** asks ``/common/GetCredentialType`` (:mod:`.credential_type`) and shows the password in
the same document.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..guest_home import (
    account_of,
    guest_for,
    home_elsewhere,
    home_tenant,
    may_sign_in,
    sign_in_name,
)
from ..protocol import auth_contexts, tenants
from ..protocol.authorization import AuthRequest
from ..protocol.optional_claims import login_hint as login_hint_claim
from ..signin import flow, ids, password_change, server_data, session_window
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Session, Tenant, User, new_guid
from . import browser_sessions as cookies
from . import sas
from .common import WRONG_METHODS, base_url, error_page, idp, note_error, tell_apps
from .consent_pages import proceed
from .pages import app_of, client_id_of, keep, posted, refuse, render, render_step, show

KMSI_MEMORY = timedelta(days=90)
PROCESS_AUTH = "/common/SAS/ProcessAuth"
"""Where "Enter code" posts, as Entra's does."""
CHANGE_PASSWORD = "/common/ChangePassword"
"""Where "Update your password" posts: the mock's own (Entra's page sends the new password by
script through its password-reset service, then posts to the sign-in)."""


# -- starting a sign-in ---------------------------------------------------------------------------


def _hinted_user(state: IdpState, tenant_id: str, hint: str | None, sid: str | None,
                 accounts: tuple[flow.Account, ...], *, at_home: bool = False) -> User | None:
    """Who the request names: the user of the session ``sid`` names (among this browser's), or
    the user ``login_hint`` names by UPN, object id or the value of the ``login_hint`` claim
    (what MSAL sends back for silent SSO: "Single sign-on with MSAL.js"; msal-node sends
    ``sid`` or that claim). A user of another tenant with a guest object in this one names the
    guest (its home UPN is the guest's ``preferred_username``, MSAL's account ``username``),
    unless the sign-in may be at the user's own tenant (``at_home``)."""
    by_sid = next((a.user for a in accounts if a.session.id == sid), None) if sid else None
    if by_sid is not None or not hint:
        return by_sid
    first = state.store.tenants.get(tenant_id)
    found = next((user for tenant in [first, *state.store.tenants.values()]
                  if tenant is not None and (user := tenant.find_user(hint)) is not None), None)
    if found is None:
        found = next((user for tenant in state.store.tenants.values()
                      for user in tenant.users.values()
                      if login_hint_claim(user, tenant) == hint), None)
    if found is None or first is None or at_home or first.users.get(found.id) is found:
        return found
    return guest_for(first, found) or found


def entry_for(request: Request, txn: Transaction, *, prompt: str | None = None,
              sid: str | None = None) -> flow.Entry:
    state = idp(request)
    req = txn.request
    hint = req.login_hint if req is not None else None
    # Through /common, a multi-tenant app's sign-in may use a session of any tenant; through
    # /consumers none: no session is a personal account's.
    at_home = flow.signs_in_at_home(txn, app_of(state, txn))
    accounts = () if txn.consumers else cookies.accounts(
        request, state, None if at_home else txn.tenant_id)
    return flow.Entry(
        prompt=req.prompt if req is not None else prompt, login_hint=hint,
        hinted=None if txn.consumers else _hinted_user(state, txn.tenant_id, hint, sid,
                                                       accounts, at_home=at_home),
        max_age=req.max_age if req is not None else None, accounts=accounts,
        now=state.clock.now(), sid=sid or None)


async def begin(request: Request, txn: Transaction, outcome: flow.Start) -> Response:
    if isinstance(outcome, flow.Refuse):
        return refuse(request, txn, outcome.error)
    if isinstance(outcome, flow.Silent):
        session, user = outcome.account.session, outcome.account.user
        txn = replace(txn, tenant_id=session.tenant_id)
        checked = flow.step_up(outcome.account, txn.prompt, client_id_of(idp(request), txn),
                               **_mfa_asked(idp(request).store.tenants.get(txn.tenant_id), txn))
        if isinstance(checked, flow.Refuse):
            return refuse(request, txn, checked.error)
        if isinstance(checked, flow.AskCode):
            return _ask_code(request, replace(txn, pending_user=user.id, awaiting="code",
                                              step_up_session=session.id), checked)
        return await proceed(request, replace(txn, session_id=session.id))
    return show(request, txn, outcome)


async def begin_authorize(request: Request, req: AuthRequest) -> Response:
    """The first page of a sign-in for an authorization request (or none at all)."""
    tenant_id = req.tenant.id if req.tenant is not None else req.app_tenant_id
    txn = Transaction(kind="authorize", tenant_id=tenant_id, created=idp(request).clock.now(),
                      request=req, consumers=req.segment.lower() == tenants.CONSUMERS)
    entry = entry_for(request, txn, sid=req.sid)
    return await begin(request, txn, flow.start(entry))


def _mfa_asked(tenant: Tenant | None, txn: Transaction) -> dict[str, Any]:
    """When the sign-in asks an authenticator app's code: at every sign-in (``always``), or
    for the authentication contexts the request asks for that need MFA (``contexts``)."""
    if tenant is None:
        return {}
    asked = txn.request.claims.acrs if txn.request is not None else auth_contexts.NONE_ASKED
    return {"always": tenant.mfa_at_sign_in,
            "contexts": auth_contexts.unmet(tenant.auth_contexts, asked, mfa=False)}


def start_session(state: IdpState, tenant: Tenant, user: User, *, mfa: bool = False
                  ) -> Session:
    """A new IdP session for ``user``, for the browser-session window from now (the answer
    "Yes" to "Stay signed in?" makes it longer: :mod:`mock_idp.signin.session_window`);
    ``mfa``: the sign-in took an authenticator app's code too."""
    now = state.clock.now()
    session = Session(id=new_guid(), tenant_id=tenant.id, user_id=user.id, auth_time=now,
                      expires_at=now + session_window.window(state.config, False), mfa=mfa)
    state.store.add_session(session)
    return session


# -- the forms --------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    """The username page ("Next"), the password page ("Sign in") or a tile of "Pick an
    account"; an HTTP client may post ``loginfmt`` and ``passwd`` at once."""
    state = idp(request)
    post = await posted(request)
    if isinstance(post, Response):
        return post
    form, txn, tenant = post.form, post.txn, post.tenant
    if txn is None or tenant is None or txn.kind == "logout" or txn.awaiting is not None:
        # (a page after the password posts elsewhere: its context is not a sign-in's start)
        return error_page(request, EntraError(9002313))
    if "account" in form:
        entry = entry_for(request, txn, prompt="select_account")
        return await begin(request, txn, flow.pick(entry.accounts, form["account"], entry))
    username = form.get("loginfmt") or form.get("login", "")  # scripts may post only login
    if txn.consumers:
        return show(request, txn, flow.personal_account_step(username))
    home = home_elsewhere(state.store, username, tenant)
    if "passwd" not in form:
        return show(request, txn, flow.username_step(tenant, username, home))
    app = app_of(state, txn)
    if home is not None and flow.signs_in_at_home(txn, app):  # the tokens come from there
        txn = replace(txn, tenant_id=home.id)
        tenant, home = home, None
    outcome = flow.password_step(tenant, username, form["passwd"], now=state.clock.now(),
                                 home=home,
                                 app_id=app.client_id if app else "",
                                 app_name=app.name if app else "")
    if isinstance(outcome, flow.Refuse):
        return refuse(request, txn, outcome.error)
    if not isinstance(outcome, flow.SignedIn):
        return show(request, txn, outcome)
    return await _after_password(request, txn, tenant, outcome.user, mfa=False)


async def _after_password(request: Request, txn: Transaction, tenant: Tenant, user: User, *,
                          mfa: bool) -> Response:
    """What follows the right password (``mfa``: and the authenticator app's code): the code,
    a new password, or the session. A linked guest's code and password are its home
    account's (:func:`~mock_idp.guest_home.account_of`)."""
    account = account_of(user)  # a guest's home account: its app, its password
    ask = None if mfa else flow.second_factor(account, app_id=client_id_of(idp(request), txn),
                                              **_mfa_asked(tenant, txn))
    if isinstance(ask, flow.Refuse):
        return refuse(request, txn, ask.error)
    if ask is not None:
        return _ask_code(request, replace(txn, pending_user=user.id, awaiting="code"), ask)
    if account.force_change_password:
        return _ask_new_password(request, replace(
            txn, pending_user=user.id, awaiting="new_password", code_given=mfa),
            password_change.AskNewPassword(account))
    return await _signed_in(request, txn, tenant, user, mfa=mfa)


def _ask_code(request: Request, txn: Transaction, ask: flow.AskCode) -> Response:
    return render_step(
        request, "totp", page_id=ids.PAGE_CODE,
        # absolute, as Entra's: scripts post "Enter code"'s urlPost as it is (saml2aws)
        ctx=keep(idp(request), txn), action=base_url(request) + PROCESS_AUTH,
        username=ask.user.upn,
        error_text=ids.CODE_WRONG if ask.wrong else "",
        extra=server_data.code_extra(base_url(request), sas.BEGIN_AUTH, sas.END_AUTH),
        upn=ask.user.upn, wrong=ask.wrong)


def _ask_new_password(request: Request, txn: Transaction,
                      ask: password_change.AskNewPassword) -> Response:
    if ask.cause is not None:
        note_error(request, ask.cause)
    return render_step(request, "change_password",
                       page_id=ids.PAGE_CHANGE_PASSWORD, ctx=keep(idp(request), txn),
                       action=CHANGE_PASSWORD, username=ask.user.upn,
                       error_text=ask.error or "", upn=ask.user.upn, error=ask.error,
                       field=ask.field)


async def _signed_in(request: Request, txn: Transaction, tenant: Tenant, user: User, *,
                     mfa: bool, session: Session | None = None) -> Response:
    """A new session for ``user`` (or ``session``, started already), then "Stay signed in?"
    (unless the tenant or the browser has settled it, or the sign-in is a device code's) and
    the rest of the sign-in."""
    state = idp(request)
    session = session or start_session(state, tenant, user, mfa=mfa)
    txn = replace(txn, session_id=session.id, new_session=True, pending_user=None,
                  awaiting=None, code_given=False)
    decision = flow.after_password(show_kmsi=tenant.show_keep_me_signed_in,
                                   remembered=cookies.remembered_kmsi(request),
                                   device_code=txn.kind == "device")
    if isinstance(decision, flow.Remember):
        return await proceed(request, replace(txn, persistent=decision.persistent))
    return render_step(request, "kmsi", page_id=ids.PAGE_KMSI, ctx=keep(state, txn),
                       action="/kmsi", username=user.upn, upn=user.upn)


async def _pending(request: Request, awaiting: str
                   ) -> tuple[dict[str, str], Transaction, Tenant, User] | Response:
    """The post of a page that follows the password: its fields, transaction, tenant and the
    user who gave the password, or the error page when its ``ctx`` is not one that page
    showed (unknown, used, or of another step)."""
    post = await posted(request)
    if isinstance(post, Response):
        return post
    txn, tenant = post.txn, post.tenant
    user = (tenant.users.get(txn.pending_user) if tenant is not None and txn is not None
            and txn.pending_user is not None and txn.awaiting == awaiting else None)
    if txn is None or tenant is None or user is None:
        return error_page(request, EntraError(9002313))
    if not may_sign_in(idp(request).store.tenants, user):  # disabled while the page was open
        return refuse(request, txn, EntraError(50057))
    return post.form, txn, tenant, user


async def process_auth(request: Request) -> Response:
    """"Verify" on "Enter code": the authenticator app's code after the password."""
    pending = await _pending(request, "code")
    if isinstance(pending, Response):
        return pending
    form, txn, tenant, user = pending
    account = account_of(user)
    mfa = account.totp_secret is not None  # (removed while the page was open: none is owed)
    if mfa and not txn.code_proven:
        outcome = flow.code_step(account, form.get("otc", ""), idp(request).clock.now())
        if isinstance(outcome, flow.AskCode):
            txn = replace(txn, wrong_codes=txn.wrong_codes + 1)
            if txn.wrong_codes >= flow.MAX_WRONG_CODES:
                return error_page(request, EntraError(500121))
            return _ask_code(request, txn, outcome)
    if txn.step_up_session is not None:  # a session that took no code: it has now
        state = idp(request)
        session = state.store.sessions.get(txn.step_up_session)
        txn = replace(txn, pending_user=None, awaiting=None, step_up_session=None)
        if session is None or session.user_id != user.id or not cookies.session_is_valid(
                state, session):
            # It ended while the code was typed: a code alone signs no one in, and the
            # sign-in starts over with this user's password (no other account's session).
            return show(request, txn, flow.ShowUsername(sign_in_name(user)))
        session.mfa = session.mfa or mfa
        return await proceed(request, replace(txn, session_id=session.id))
    return await _after_password(request, txn, tenant, user, mfa=mfa)


async def change_password(request: Request) -> Response:
    """"Sign in" on "Update your password": the current password and a new one twice."""
    pending = await _pending(request, "new_password")
    if isinstance(pending, Response):
        return pending
    form, txn, tenant, user = pending
    state = idp(request)
    now = state.clock.now()
    new = form.get(ids.NEW_PASSWORD_NAME, "")
    # A guest's password is its home account's, checked by its home tenant (its lockout).
    account, owner = account_of(user), home_tenant(state.store.tenants, user) or tenant
    outcome = password_change.change_step(
        owner, account, form.get(ids.CURRENT_PASSWORD_NAME, ""), new,
        form.get(ids.CONFIRM_PASSWORD_NAME, ""), now)
    if isinstance(outcome, password_change.AskNewPassword):
        return _ask_new_password(request, txn, outcome)
    ended = password_change.apply(state.store, account, new, now)
    # The new session starts before the apps are told (an await), so that a reset or the
    # user's deletion made meanwhile finds it and ends it with the rest: started after, it
    # would outlive them, a session of a directory no longer there.
    session = start_session(state, tenant, user, mfa=txn.code_given)
    await tell_apps(request, ended, "passwordChanged")
    ended_meanwhile = cookies.signed_out(state, state.store.sessions.get(session.id))
    if ended_meanwhile is not None:
        return error_page(request, ended_meanwhile)
    return await _signed_in(request, txn, tenant, user, mfa=txn.code_given, session=session)


async def kmsi(request: Request) -> Response:
    """"Stay signed in?": Yes (a persistent session cookie) or No (a browser-session one)."""
    post = await posted(request)
    if isinstance(post, Response):
        return post
    form, txn = post.form, post.txn
    if txn is None or txn.session_id is None:
        return error_page(request, EntraError(9002313))
    # The page's buttons post ``answer``; scripts post Entra's ``LoginOptions`` (1 or 3).
    answer = form.get("answer") or server_data.KMSI_OPTIONS.get(
        form.get(server_data.KMSI_OPTIONS_NAME, ""))
    if answer not in ("Yes", "No"):
        named = "answer" if "answer" in form or server_data.KMSI_OPTIONS_NAME not in form \
            else server_data.KMSI_OPTIONS_NAME
        return error_page(request, EntraError(900144, {"name": named}))
    response = await proceed(request, replace(txn, persistent=answer == "Yes"))
    if "DontShowAgain" in form:
        cookies.remember_kmsi(response, request, answer == "Yes",
                              int(KMSI_MEMORY.total_seconds()))
    return response


async def password_reset(request: Request) -> Response:
    """Where "Forgot my password" leads: the mock resets passwords through its management API.

    The tenant is read as every tenant-scoped page of login.microsoftonline.com reads it: one
    that does not exist is Entra's error page, AADSTS90002 (``InvalidTenantName``, "the tenant
    name wasn't found", in the error code table of
    https://learn.microsoft.com/entra/identity-platform/reference-error-codes), and a segment
    that is no GUID or domain AADSTS900023; ``common`` and ``organizations`` name no tenant."""
    segment = request.path_params["tenant"]
    try:
        tenants.resolve(idp(request).store, segment)
    except EntraError as err:
        return error_page(request, err)
    return render(request, "password_reset", tenant=segment[:100])


async def post_only(request: Request) -> Response:
    """A form's address opened but not posted: a reload of the page its post answered, or
    Back then Forward onto it (the page's script made that history entry a GET), or a link.
    Entra's error page, AADSTS900561 (as Entra's ``/common/login`` shows it)."""
    return error_page(request, EntraError(900561, {"method": "POST",
                                                   "received": request.method}))


_FORMS = (("/{tenant}/login", login), ("/kmsi", kmsi), (PROCESS_AUTH, process_auth),
          (CHANGE_PASSWORD, change_password))

routes: list[BaseRoute] = [
    *(Route(path, handler, methods=["POST"]) for path, handler in _FORMS),
    *(Route(path, post_only, methods=WRONG_METHODS) for path, _ in _FORMS),
    Route("/{tenant}/passwordreset", password_reset, methods=["GET"]),
]
