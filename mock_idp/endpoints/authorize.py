"""The authorize endpoint, the sign-in page and the IdP browser session.

With a valid session the endpoint answers at once with a redirect and no page at all: this is
what automatic login rests on. Otherwise it shows a sign-in page (or an account picker) whose
form posts back to ``/{tenant}/login``.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError, error_body
from ..protocol import claims as claimset
from ..protocol.authorization import AuthRequest, PageError, RedirectError, parse
from ..state import IdpState
from ..store import Application, AuthorizationCode, Session, Tenant, User, new_guid
from ..tokens import sign
from .common import (
    base_url,
    entra_headers,
    error_context,
    error_page,
    idp,
    note_error,
    templates,
)
from .faults_hook import response_fault, token_fault
from .forms import form_params

SESSION_COOKIE = "MOCKIDP_SESSION"


async def _params(request: Request) -> dict[str, str] | Response:
    if request.method == "GET":
        return dict(request.query_params)
    try:
        return await form_params(request)
    except EntraError as err:
        return error_page(request, err)


async def authorize(request: Request, *, version: str) -> Response:
    params = await _params(request)
    if isinstance(params, Response):
        return params
    state = idp(request)
    try:
        req = parse(state.store, request.path_params["tenant"], version, params)
    except PageError as err:
        return error_page(request, err)
    except EntraError as err:
        return error_page(request, err)
    except RedirectError as err:
        return error_response(request, err.request, err.error)
    fault = await response_fault(request, "authorize", tenant=req.app_tenant_id,
                                 app=req.client_id, user=None)
    if isinstance(fault, EntraError):
        return error_response(request, req, fault)
    if fault is not None:
        return fault
    return await continue_request(request, req)


async def continue_request(request: Request, req: AuthRequest) -> Response:
    state = idp(request)
    session = current_session(request, req)
    hinted = _hinted_user(state, req)
    if req.prompt in ("login", "select_account"):
        if req.prompt == "select_account" and session is not None:
            return sign_in_page(request, req, picker=session)
        return sign_in_page(request, req, hint=hinted)
    if session is not None and (hinted is None or hinted.id == session.user_id):
        if req.max_age is not None and (
            (state.clock.now() - session.auth_time).total_seconds() > req.max_age
        ):
            if req.prompt == "none":
                return error_response(request, req, EntraError(50058))
            return sign_in_page(request, req, hint=hinted)
        return await complete(request, req, session)
    if req.prompt == "none":
        return error_response(request, req, EntraError(50058))
    return sign_in_page(request, req, hint=hinted)


def _hinted_user(state: IdpState, req: AuthRequest) -> User | None:
    if not req.login_hint:
        return None
    tenant = req.tenant or state.store.tenants.get(req.app_tenant_id)
    for t in [tenant, *state.store.tenants.values()]:
        if t is not None and (user := t.find_user(req.login_hint)) is not None:
            return user
    return None


def session_is_valid(state: IdpState, session: Session) -> bool:
    tenant = state.store.tenants.get(session.tenant_id)
    user = tenant.users.get(session.user_id) if tenant else None
    return (
        session.active and user is not None and user.enabled
        and session.expires_at > state.clock.now()
        and session.auth_time >= user.tokens_valid_from
    )


def current_session(request: Request, req: AuthRequest | None) -> Session | None:
    state = idp(request)
    sid = request.cookies.get(SESSION_COOKIE)
    session = state.store.sessions.get(sid) if sid else None
    if session is None or not session_is_valid(state, session):
        return None
    if req is not None and req.tenant is not None and session.tenant_id != req.tenant.id:
        return None
    if req is not None and req.tenant is None and session.tenant_id != req.app_tenant_id:
        return None
    return session


def sign_in_page(request: Request, req: AuthRequest, *, hint: User | None = None,
                 picker: Session | None = None, error: EntraError | None = None,
                 username: str | None = None, status: int = 200) -> HTMLResponse:
    state = idp(request)
    if error is not None:
        note_error(request, error)
    ctx = secrets.token_urlsafe(24)
    state.store.pending[ctx] = (req, state.clock.now())
    _trim_pending(state)
    picker_user = None
    if picker is not None:
        picker_user = state.store.tenants[picker.tenant_id].users.get(picker.user_id)
    tenant = state.store.tenants[req.app_tenant_id]
    app = tenant.apps[req.client_id]
    html = templates.get_template("signin.html").render(
        action=f"/{req.segment}/login", ctx=ctx, app_name=app.name,
        username=username or (hint.upn if hint else (req.login_hint or "")),
        picker=picker_user, error=error, error_message=error.message if error else None,
    )
    return HTMLResponse(html, status_code=status, headers={
        **entra_headers(request), "Cache-Control": "no-store"})


def _trim_pending(state: IdpState) -> None:
    if len(state.store.pending) > 5000:
        for key in list(state.store.pending)[:1000]:
            state.store.pending.pop(key, None)


async def login(request: Request) -> Response:
    """The sign-in page's form: password sign-in, continue as the picked account, or cancel."""
    state = idp(request)
    try:
        form = await form_params(request)
    except EntraError as err:
        return error_page(request, err)
    ctx = form.get("ctx")
    entry = state.store.pending.pop(ctx, None) if isinstance(ctx, str) else None
    if entry is None:
        return error_page(request, EntraError(9002313))
    req: AuthRequest = entry[0]
    action = form.get("action", "signin")
    if action == "cancel":
        return error_response(request, req, EntraError(65004))
    if action == "continue":
        session = current_session(request, req)
        if session is not None:
            return await complete(request, req, session)
        return sign_in_page(request, req)
    if action == "other":
        return sign_in_page(request, req)
    username = str(form.get("login", "")).strip()
    password = str(form.get("passwd", ""))
    if not username:
        return sign_in_page(request, req, error=EntraError(900144, {"name": "login"}),
                            status=400)
    tenant = state.store.tenants[req.app_tenant_id]
    user = tenant.find_user(username)
    if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
        return sign_in_page(request, req, error=EntraError(50126), username=username,
                            status=400)
    if not user.enabled:
        return sign_in_page(request, req, error=EntraError(50057), username=username,
                            status=400)
    now = state.clock.now()
    session = Session(id=new_guid(), tenant_id=tenant.id, user_id=user.id, auth_time=now,
                      expires_at=now + state.config.session_lifetime)
    state.store.sessions[session.id] = session
    response = await complete(request, req, session)
    response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="none"
                        if request.url.scheme == "https" else "lax",
                        secure=request.url.scheme == "https", path="/")
    return response


async def complete(request: Request, req: AuthRequest, session: Session) -> Response:
    """Issue the response for a signed-in user, after the assignment check."""
    state = idp(request)
    tenant = state.store.tenants[session.tenant_id]
    app = tenant.apps[req.client_id]
    user = tenant.users[session.user_id]
    if app.assignment_required and user.id not in app.assigned:
        return error_response(request, req, EntraError(
            50105, {"upn": user.upn, "app_id": app.client_id, "app_name": app.name}))
    fault = await response_fault(request, "signin", tenant=tenant.id, app=app.client_id,
                                 user=user.id)
    if isinstance(fault, EntraError):
        return error_response(request, req, fault)
    if fault is not None:
        return fault
    now = state.clock.now()
    session.apps.setdefault(app.client_id, now)
    state.platform.note_sign_in(tenant_id=tenant.id, client_id=app.client_id, user_id=user.id)
    out: dict[str, str] = {}
    code_value = None
    if req.wants_code:
        code_value = "1.A" + secrets.token_urlsafe(48)
        state.store.codes[code_value] = AuthorizationCode(
            code=code_value, tenant_id=tenant.id, client_id=app.client_id,
            redirect_uri=req.redirect_uri, user_id=user.id, scopes=req.scopes,
            nonce=req.nonce, code_challenge=req.code_challenge,
            code_challenge_method=req.code_challenge_method, session_id=session.id,
            auth_time=session.auth_time, expires_at=now + state.config.code_lifetime,
            version=req.version, resource=req.resource,
        )
        out["code"] = code_value
    access_token = None
    if "token" in req.response_types:
        access_token = front_channel_access_token(request, req, tenant, app, user, now)
        out.update({"access_token": access_token, "token_type": "Bearer",
                    "expires_in": str(int(state.config.access_token_lifetime.total_seconds()))})
    if req.wants_id_token:
        subject = claimset.Subject(base_url(request), tenant, app, user, req.version, now)
        token_claims = claimset.id_token_claims(
            subject, scopes=req.scopes, lifetime=state.config.id_token_lifetime,
            nonce=req.nonce, session_id=session.id, auth_time=session.auth_time,
            code=code_value, access_token=access_token)
        tamper = token_fault(request, "authorize", tenant=tenant.id, app=app.client_id,
                             user=user.id)
        out["id_token"] = sign(state, token_claims, version=req.version, tamper=tamper)
        state.store.id_tokens[token_claims["uti"]] = (tenant.id, app.client_id, session.id)
    if req.client_info and req.wants_code:
        out["client_info"] = claimset.client_info(user, tenant)
    if req.state is not None:
        out["state"] = req.state
    out["session_state"] = session.id
    return deliver(request, req, out)


def front_channel_access_token(request: Request, req: AuthRequest, tenant: Tenant,
                               app: Application, user: User, now: datetime) -> str:
    state = idp(request)
    subject = claimset.Subject(base_url(request), tenant, app, user, req.version, now)
    scopes = claimset.resource_scopes(req.scopes) or claimset.GRAPH_DEFAULT_SCOPES
    token_claims = claimset.access_token_claims(
        subject, audience=claimset.GRAPH_RESOURCE_ID, scopes=(*req.scopes, *scopes),
        lifetime=state.config.access_token_lifetime, client_auth="0", token_version="1.0")
    return sign(state, token_claims, version="1.0")


def deliver(request: Request, req: AuthRequest, params: dict[str, str]) -> Response:
    if req.response_mode == "form_post":
        html = templates.get_template("form_post.html").render(
            action=req.redirect_uri, fields=params)
        return HTMLResponse(html, headers={**entra_headers(request), "Cache-Control": "no-store"})
    parts = urlsplit(req.redirect_uri)
    path = parts.path or "/"
    encoded = urlencode(params)
    if req.response_mode == "fragment":
        location = urlunsplit((parts.scheme, parts.netloc, path, parts.query, encoded))
    else:
        query = f"{parts.query}&{encoded}" if parts.query else encoded
        location = urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    return RedirectResponse(location, status_code=302, headers=entra_headers(request))


def error_response(request: Request, req: AuthRequest, err: EntraError) -> Response:
    """An authorize error sent back to the (already validated) redirect URI."""
    note_error(request, err)
    body = error_body(err, error_context(request))
    params: dict[str, Any] = {
        "error": body["error"], "error_description": body["error_description"],
        "error_uri": body["error_uri"],
    }
    if req.state is not None:
        params["state"] = req.state
    mode = req.response_mode if req.response_mode in ("query", "fragment", "form_post") else "query"
    return deliver(request, replace(req, response_mode=mode), params)


async def authorize_v2(request: Request) -> Response:
    return await authorize(request, version="2.0")


async def authorize_v1(request: Request) -> Response:
    return await authorize(request, version="1.0")


routes: list[BaseRoute] = [
    Route("/{tenant}/oauth2/v2.0/authorize", authorize_v2, methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/authorize", authorize_v1, methods=["GET", "POST"]),
    Route("/{tenant}/login", login, methods=["POST"]),
]
