"""Answering the app: the authorization response for a signed-in user, or an error, sent to the
validated redirect URI (query, fragment or ``form_post``)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..directory import is_assigned, needs_assignment
from ..errors import EntraError, error_body
from ..faults.registry import held
from ..protocol import admin_consent, cae, resources, tenants, token_lifetimes
from ..protocol import claims as claimset
from ..protocol.authorization import AuthRequest
from ..signin import session_window
from ..state import IdpState
from ..store import Application, AuthorizationCode, Session, Tenant, User
from ..tokens import TokenTamper, sign
from .browser_sessions import renew, signed_out
from .common import base_url, entra_headers, error_context, error_page, idp, note_error, templates
from .faults_hook import response_fault, token_fault


async def complete(request: Request, req: AuthRequest, session: Session, *,
                   for_organization: bool = False) -> Response:
    """Issue the response for a signed-in user, after the assignment check; ``for_organization``
    after an administrator consented for the organization (v1's ``prompt=admin_consent``),
    which the response says with ``admin_consent=True``."""
    state = idp(request)
    tenant = state.store.tenants[session.tenant_id]
    app = tenants.app_in(state.store, tenant, req.client_id)
    user = tenant.users[session.user_id]
    if app is None:  # deleted while its sign-in was in progress
        return error_response(request, req, EntraError(
            700016, {"app_id": req.client_id, "tenant": tenant.domain}))
    if needs_assignment(tenant, app) and not is_assigned(tenant, app, user):
        return error_response(request, req, EntraError(
            50105, {"app_id": app.client_id, "app_name": app.name}))
    fault = await response_fault(request, "signin", tenant=tenant.id, app=app.client_id,
                                 user=user.id)
    if isinstance(fault, EntraError):
        return error_response(request, req, fault)
    if fault is not None:
        return fault
    if held(request):
        # Found again: while a latency or hang fault held the sign-in, a reset may have
        # dropped its session, or the user, the tenant or the app may have gone; no code is
        # issued for what is no longer there.
        ended = signed_out(state, state.store.sessions.get(session.id))
        if ended is not None:
            return error_page(request, ended)
        if tenants.app_in(state.store, tenant, req.client_id) is not app:
            return error_response(request, req, EntraError(
                700016, {"app_id": req.client_id, "tenant": tenant.domain}))
    now = state.clock.now()
    access_token: tuple[str, int] | None = None
    if "token" in req.response_types:  # first: nothing is stored for a refused resource
        try:
            access_token = front_channel_access_token(request, req, tenant, app, user, now,
                                                      mfa=session.mfa)
        except EntraError as err:
            return error_response(request, req, err)
    session.apps.setdefault(app.client_id, now)
    session.versions[app.client_id] = req.version
    session_window.use(state.config, session, now)  # a rolling window, as on Entra
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
            spa=app.is_spa_redirect(req.redirect_uri), mfa=session.mfa, claims=req.claims,
        )
        out["code"] = code_value
    if access_token is not None:
        out.update({"access_token": access_token[0], "token_type": "Bearer",
                    "expires_in": str(access_token[1])})
    if req.wants_id_token:
        subject = claimset.Subject(base_url(request), tenant, app, user, req.version, now,
                                   implicit=True, auth_time=session.auth_time, mfa=session.mfa,
                                   requested=req.claims)
        token_claims = claimset.id_token_claims(
            subject, scopes=req.scopes, lifetime=state.config.id_token_lifetime,
            nonce=req.nonce, session_id=session.id, auth_time=session.auth_time,
            code=code_value, access_token=access_token[0] if access_token else None)
        tamper = token_fault(request, "authorize", tenant=tenant.id, app=app.client_id,
                             user=user.id)
        out["id_token"] = sign(state, token_claims, version=req.version, tamper=tamper)
        state.store.id_tokens[token_claims["uti"]] = (tenant.id, app.client_id, session.id)
    if req.client_info and req.wants_code:
        out["client_info"] = claimset.client_info(user, tenant)
    if for_organization:
        out["admin_consent"] = "True"
    if req.state is not None:
        out["state"] = req.state
    out["session_state"] = session.id
    response = deliver(request, req, out)
    renew(response, request, state, session)
    return response


def front_channel_access_token(request: Request, req: AuthRequest, tenant: Tenant,
                               app: Application, user: User, now: datetime, *,
                               mfa: bool = False) -> tuple[str, int]:
    """The implicit flow's access token, for the resource the request names, as the token
    endpoint would issue it (AADSTS500011 for a resource the tenant does not know, 500014 for a
    disabled one, 90009 for the app itself by an identifier URI), with its lifetime in
    seconds; ``.default`` (or v1's ``resource``) carries what was consented, AADSTS65001 for
    nothing."""
    subject = claimset.Subject(base_url(request), tenant, app, user, req.version, now, mfa=mfa,
                               requested=req.claims)
    target = resources.resolve(tenant, req.scopes, req.resource)
    resources.check_enabled(target)
    resources.check_not_itself_by_uri(target, app, req.resource)
    names = resources.user_permissions(tenant, app, user.id, target, req.scopes, req.resource)
    return user_access_token(idp(request), subject, target,
                             resources.token_scopes(target, req.scopes, names), client_auth="0")


def user_access_token(state: IdpState, subject: claimset.Subject, target: resources.Resource,
                      scp: tuple[str, ...], *, client_auth: str,
                      tamper: TokenTamper | None = None) -> tuple[str, int]:
    """A user's access token for ``target``, carrying ``scp``: its version, ``aud`` and
    claims as the resource decides (the token endpoint's and the implicit flow's), and its
    lifetime in seconds (``expires_in``, its ``exp`` less its issue), drawn between the
    provider's bounds (:mod:`mock_idp.protocol.token_lifetimes`): a CAE token's when the
    client declared ``CP1`` and the resource is Microsoft Graph (:mod:`mock_idp.protocol.cae`),
    which also carries the capabilities in ``xms_cc``. ``tamper``: an armed token fault's,
    for a token that is the app's own."""
    cae_token = cae.capable(target.is_graph, subject.requested.client_capabilities)
    lifetime = token_lifetimes.user_token_lifetime(
        state.config.access_token_lifetime, state.config.lifetime_random, cae=cae_token)
    at_claims = claimset.access_token_claims(
        subject, audience=target.token_audience, scopes=scp, lifetime=lifetime,
        client_auth=client_auth, token_version=target.token_version, resource_app=target.app,
        capabilities=subject.requested.client_capabilities if cae_token else ())
    return (sign(state, at_claims, version=target.token_version, tamper=tamper),
            int(lifetime.total_seconds()))


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
    # A user's Cancel carries ``error_subcode=cancel`` between the error and its description,
    # as Entra's redirect does (MSAL.NET's AuthorizationResult reads it as a user cancel).
    params: dict[str, Any] = {"error": body["error"]}
    if "error_subcode" in body:
        params["error_subcode"] = body["error_subcode"]
    params.update(error_description=body["error_description"], error_uri=body["error_uri"])
    if req.state is not None:
        params["state"] = req.state
    mode = req.response_mode if req.response_mode in ("query", "fragment", "form_post") else "query"
    return deliver(request, replace(req, response_mode=mode), params)


def admin_consent_granted(request: Request, req: AuthRequest, tenant_id: str) -> Response:
    """The admin consent endpoint's answer once the administrator accepted, in the order of
    Entra's examples (:mod:`mock_idp.protocol.admin_consent`)."""
    if req.version == "2.0":
        params = {"admin_consent": "True", "tenant": tenant_id, "scope": " ".join(req.scopes)}
        if req.state is not None:
            params["state"] = req.state
    else:
        params = {"tenant": tenant_id, **({"state": req.state} if req.state is not None else {}),
                  "admin_consent": "True"}
    return deliver(request, req, params)


def admin_consent_declined(request: Request, req: AuthRequest) -> Response:
    """The admin consent endpoint's answer when the administrator declined (or returned from
    "Need admin approval")."""
    if req.version != "2.0":
        return deliver(request, req, dict(admin_consent.CANCELED_V1))
    err = EntraError(65004, error="consent_required")
    note_error(request, err)
    body = error_body(err, error_context(request))
    params = {"admin_consent": "True", "error": body["error"],
              "error_description": body["error_description"]}
    if req.state is not None:
        params["state"] = req.state
    return deliver(request, req, params)
