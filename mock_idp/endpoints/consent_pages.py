"""What follows once the user is known: the device-code confirmation, "Permissions requested",
then the answer to the app (:mod:`.issue`) or the device code's approval. The consent page posts
to ``/{tenant}/Consent/Set``."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..consent import grant_app_roles
from ..directory import is_assigned, needs_assignment
from ..directory_roles import consents_for_organization
from ..errors import EntraError
from ..protocol import admin_consent, exposed_scopes, incremental_consent, resources
from ..protocol.claims import GRAPH_RESOURCE_ID
from ..signin import flow, ids, session_window
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Application, Session, Tenant, User
from . import browser_sessions as cookies
from .common import error_page, idp, note_error
from .issue import admin_consent_declined, admin_consent_granted, complete, error_response
from .pages import app_of, keep, posted, refuse, render, segment_of, show


async def proceed(request: Request, txn: Transaction) -> Response:
    """The user of ``txn.session_id`` is signed in: confirm (device code), consent, then
    answer; the session cookie is set on whatever page comes next when the session is new."""
    response = await _next_page(request, txn)
    if txn.new_session and txn.session_id:
        state = idp(request)
        session = state.store.sessions.get(txn.session_id)
        if session is not None and cookies.signed_out(state, session) is None:
            cookies.add_session(response, request, state, session, persistent=txn.persistent)
    return response


async def _next_page(request: Request, txn: Transaction) -> Response:
    state = idp(request)
    session = state.store.sessions.get(txn.session_id or "")
    tenant = state.store.tenants.get(txn.tenant_id)
    app = app_of(state, txn)
    ended = cookies.signed_out(state, session)
    if ended is not None or session is None or tenant is None or app is None:
        return error_page(request, ended or EntraError(9002313))
    user = tenant.users[session.user_id]
    if txn.kind == "device" and not txn.confirmed:
        return render(request, "consent", purpose="device", ctx=keep(state, _later(txn)),
                      app_name=app.name, upn=user.upn, scopes=[],
                      action=f"/{segment_of(txn)}/Consent/Set")
    admin = consents_for_organization(user.directory_roles)
    if txn.kind == "adminconsent" and txn.request is not None:
        if not _may_admin_consent(user, app, txn):
            return _need_admin(request, txn, app)
        if txn.consent_shown:  # accepted
            return admin_consent_granted(request, txn.request, tenant.id)
        return render(request, "consent", purpose="admin", ctx=keep(state, _later(txn)),
                      app_name=app.name, upn=user.upn, action=f"/{segment_of(txn)}/Consent/Set",
                      scopes=flow.consent_lines(admin_consent.lines(tenant, app,
                                                                    txn.request.scopes)))
    scopes = _asked_scopes(state, txn)
    if txn.prompt == "admin_consent" and txn.request is not None:  # v1's forced admin consent
        if not admin:
            return _need_admin(request, txn, app)
        if txn.consent_shown:  # accepted: the organization's grant is recorded
            return await complete(request, txn.request, session, for_organization=True)
        return render(request, "consent", purpose="admin", ctx=keep(state, _later(txn)),
                      app_name=app.name, upn=user.upn, action=f"/{segment_of(txn)}/Consent/Set",
                      scopes=flow.consent_lines(scopes))
    try:
        resources.check_default_listed(tenant, app, session.user_id, scopes,
                                       _asked_resource(state, txn))
        exposed_scopes.check_exposed(tenant, app, scopes)
    except EntraError as err:
        return refuse(request, txn, err)
    decision = flow.before_issue(
        consented=incremental_consent.covered(tenant, app.client_id, session.user_id,
                                              _consent_scopes(state, txn), app.api_permissions),
        prompt=txn.prompt, consent_shown=txn.consent_shown, app_id=app.client_id,
        app_name=app.name, may_consent=_users_may_consent(tenant, app), admin=admin)
    if isinstance(decision, flow.Refuse):
        return refuse(request, txn, decision.error)
    if isinstance(decision, flow.NeedAdmin):
        return _need_admin(request, txn, app)
    if isinstance(decision, flow.AskConsent):
        return render(request, "consent", purpose="consent", ctx=keep(state, _later(txn)),
                      app_name=app.name, for_organization=decision.for_organization,
                      upn=user.upn, scopes=flow.consent_lines(scopes),
                      action=f"/{segment_of(txn)}/Consent/Set")
    if txn.request is not None:
        return await complete(request, txn.request, session)
    return _approve_device(request, txn, session, user, app)


def _users_may_consent(tenant: Tenant, app: Application) -> bool:
    """Whether users of ``tenant`` may consent to ``app`` for themselves: the tenant's user
    consent setting allows it, and the app does not require assignment there (an app that
    does needs an administrator's consent whatever the setting: Entra's "Configure how users
    consent to applications")."""
    return tenant.allow_user_consent and not needs_assignment(tenant, app)


def _may_admin_consent(user: User, app: Application, txn: Transaction) -> bool:
    """Whether ``user`` may complete the admin consent ``txn`` asks for ``app``."""
    scopes = txn.request.scopes if txn.request is not None else ()
    return consents_for_organization(user.directory_roles, graph_app_roles=(
        admin_consent.needs_graph_app_roles(app, scopes)))


def _need_admin(request: Request, txn: Transaction, app: Application) -> Response:
    """"Need admin approval" (AADSTS90094), whose two ways out post back to the consent form."""
    err = EntraError(90094, {"app_name": app.name})
    note_error(request, err)
    return render(request, "need_admin", ctx=keep(idp(request), _later(txn)), app_name=app.name,
                  code=err.code, message=err.message, action=f"/{segment_of(txn)}/Consent/Set")


def _asked_scopes(state: IdpState, txn: Transaction) -> tuple[str, ...]:
    """The scopes the sign-in (or the device code's authorization) asked for."""
    if txn.request is not None:
        return txn.request.scopes
    record = state.store.device_codes.get(txn.device_code or "")
    return record.scopes if record is not None else ()


def _asked_resource(state: IdpState, txn: Transaction) -> str | None:
    """A v1 sign-in's (or device code's) ``resource``; ``None`` for v2, named by its scopes."""
    if txn.request is not None:
        return txn.request.resource
    record = state.store.device_codes.get(txn.device_code or "")
    return record.resource if record is not None else None


def _consent_scopes(state: IdpState, txn: Transaction) -> tuple[str, ...]:
    """What the consent is for: the scopes asked, and a v1 request's ``resource`` as the
    ``<resource>/.default`` it stands for (the app's configured permissions on it)."""
    scopes = _asked_scopes(state, txn)
    resource = _asked_resource(state, txn)
    return (*scopes, f"{resource.rstrip('/')}/.default") if resource else scopes


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
            50105, {"app_id": app.client_id, "app_name": app.name}))
    record.status = "approved"
    record.user_id, record.session_id, record.auth_time = user.id, session.id, session.auth_time
    record.tenant_id = tenant.id  # the user's own, signed in there through an alias
    session.apps.setdefault(app.client_id, now)
    session.versions[app.client_id] = record.version
    session_window.use(state.config, session, now)
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
    post = await posted(request)
    if isinstance(post, Response):
        return post
    form, txn, tenant = post.form, post.txn, post.tenant
    session = state.store.sessions.get(txn.session_id or "") if txn is not None else None
    ended = cookies.signed_out(state, session)
    if txn is None or ended is not None or session is None or tenant is None:
        return error_page(request, ended or EntraError(9002313))
    # The device-code confirmation's Continue posts under its own name (ids.py).
    answer = form.get("answer", form.get(ids.REMOTE_CONNECT_SUBMIT_NAME))
    if answer not in ANSWERS:
        return error_page(request, EntraError(900144, {"name": "answer"}))
    if answer == ids.SWITCH_ACCOUNT_ANSWER:  # "Sign in with that account": an administrator's
        req = txn.request
        return show(request, replace(
            txn, session_id=None, new_session=False, consent_shown=False, tenant_id=(
                txn.tenant_id if req is None else req.tenant.id if req.tenant is not None
                else req.app_tenant_id)), flow.ShowUsername())
    if answer in ("Cancel", ids.RETURN_ANSWER):
        if txn.request is None:
            return _decline_device(request, txn)
        if txn.kind == "adminconsent":
            return admin_consent_declined(request, txn.request)
        return error_response(request, txn.request, flow.cancelled())
    if txn.kind == "device" and not txn.confirmed:
        return await proceed(request, replace(txn, confirmed=True))
    app = app_of(state, txn)
    user = tenant.users[session.user_id]
    admin = consents_for_organization(user.directory_roles)
    if app is None or (not admin and not _users_may_consent(tenant, app)) or (
            txn.kind == "adminconsent" and not _may_admin_consent(user, app, txn)) or (
            txn.prompt == "admin_consent" and not admin):
        # Only an administrator may accept here; a post from anyone else (whose page said
        # "Need admin approval") grants nothing, and the page comes again.
        return await proceed(request, txn)
    scopes = _asked_scopes(state, txn)
    if txn.kind == "adminconsent":
        for resource_id, granted in admin_consent.grants(tenant, app, scopes).items():
            tenant.grant_consent(app.client_id, None, " ".join(granted), resource_id)
        grant_app_roles(tenant.app_role_grants, app.client_id,
                        admin_consent.app_roles(app, scopes))
        return await proceed(request, replace(txn, consent_shown=True))
    for_everyone = admin and (ids.ORGANIZATION_CONSENT_NAME in form
                              or txn.prompt == "admin_consent")
    wanted = _consent_scopes(state, txn)
    if for_everyone or not incremental_consent.covered(
            tenant, app.client_id, session.user_id, wanted, app.api_permissions):
        # The user's grant (or with "Consent on behalf of your organization", everyone's) on
        # each resource asked, widened by what is new (Graph's defaults when nothing was asked).
        asked = resources.by_resource(tenant, wanted, app.api_permissions)
        for resource_id, names in (asked or {GRAPH_RESOURCE_ID: ()}).items():
            tenant.grant_consent(app.client_id, None if for_everyone else session.user_id,
                                 " ".join(names), resource_id)
    return await proceed(request, replace(txn, consent_shown=True))


ANSWERS = frozenset({"Accept", "Continue", "Cancel", ids.RETURN_ANSWER, ids.SWITCH_ACCOUNT_ANSWER})


routes: list[BaseRoute] = [
    Route("/{tenant}/Consent/Set", consent, methods=["POST"]),
]
