"""The token endpoint: authorization code (with PKCE), refresh token, client credentials,
on-behalf-of (:mod:`mock_idp.protocol.on_behalf_of`), device code
(:mod:`mock_idp.endpoints.device`) and the password grant
(:mod:`mock_idp.protocol.password_grant`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..clock import epoch
from ..errors import EntraError
from ..faults.registry import TokenTampers, held
from ..guest_home import account_of, home_elsewhere
from ..protocol import claims as claimset
from ..protocol import (
    claims_request,
    cross_origin,
    device_code,
    exposed_scopes,
    multi_resource,
    on_behalf_of,
    password_grant,
    pkce,
    redemption,
    redirect,
    resources,
    tenants,
)
from ..protocol.auth_contexts import require_satisfied
from ..protocol.claims_request import ClaimsRequest
from ..protocol.client_auth import authenticate, read_credentials
from ..protocol.users import check_user, grant_time, revoked
from ..state import IdpState
from ..store import Application, AuthorizationCode, RefreshToken, Tenant
from ..tokens import sign, unsigned
from . import device
from .app_only import client_credentials
from .common import NO_CACHE, WRONG_METHODS, base_url, error_json, idp, json_response
from .faults_hook import response_fault, token_tampers
from .forms import read_post_form
from .issue import user_access_token
from .token_parties import find_client
from .user_grant import UserGrant

SHORT_DEVICE_CODE = "device_code"
"""The device-code grant by its short name, as ADAL sends it at v1 and MSAL.js / msal-node
(msal-common ``GrantType.DEVICE_CODE_GRANT``) at v2; Entra takes it at both."""
GRANTS = ("authorization_code", "refresh_token", "client_credentials",
          on_behalf_of.GRANT_TYPE, device_code.GRANT_TYPE, password_grant.GRANT_TYPE)
MAX_VALUE = 16384


async def token(request: Request, *, version: str) -> Response:
    origin = cross_origin.origin_of(request.headers.get("origin"))
    try:
        response = await _token(request, version, origin)
    except EntraError as err:
        response = error_json(request, err, headers=NO_CACHE)
    allowed = cross_origin.allowed_origin(origin)
    if allowed is not None:
        response.headers[cross_origin.ALLOW_ORIGIN] = allowed
    elif cross_origin.ALLOW_ORIGIN in response.headers:  # json_response's, for other endpoints
        del response.headers[cross_origin.ALLOW_ORIGIN]
    return response


async def token_preflight(request: Request) -> Response:
    """A browser's CORS preflight of a token request (one with headers beyond a form's)."""
    return Response(status_code=200, headers=cross_origin.preflight_headers(
        request.headers.get("access-control-request-headers")))


async def _token(request: Request, version: str, origin: str | None) -> Response:
    state = idp(request)
    segment = request.path_params["tenant"]
    tenant = tenants.resolve(state.store, segment)
    form = await _read_form(request)
    # Again once the form is in: another request may have deleted the tenant meanwhile.
    tenant = tenants.resolve(state.store, segment)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise EntraError(900144, {"name": "grant_type"})
    if grant_type == SHORT_DEVICE_CODE:
        # ADAL polls the v1 endpoint with ``grant_type=device_code`` and the device code in
        # ``code`` (adal/constants.py, adal/token_request.py), as Azure CLI did for years;
        # msal-node and Azure Identity for JS poll v2 with the same name and ``device_code``.
        grant_type = device_code.GRANT_TYPE
        form = {**form, "device_code": form.get("device_code") or form.get("code", "")}
    if grant_type not in GRANTS:
        raise EntraError(70003, {"grant_type": grant_type[:100]})
    requested = claims_request.parse(form.get("claims"))
    if grant_type == password_grant.GRANT_TYPE:
        password_grant.check_endpoint(segment, version)
    tenantless = tenant is None
    creds = read_credentials(form, request.headers.get("authorization"))
    if not creds.client_id:
        raise EntraError(900144, {"name": "client_id"})
    if origin is not None and grant_type == "authorization_code" and \
            form.get("code") in state.store.redeemed_codes:
        # Before the cross-origin check: a used code is no longer known as an SPA's, and a
        # second redemption (React StrictMode's double handleRedirectPromise, a reloaded
        # callback) is told so, as on Entra (MSAL.js issue 4217).
        raise EntraError(54005)
    record, tenant, app = find_client(state, segment, tenant, grant_type, creds.client_id, form)
    fault = await response_fault(request, "token", tenant=tenant.id, app=app.client_id,
                                 user=record.user_id if record else None)
    if isinstance(fault, EntraError):
        raise fault
    if fault is not None:
        return fault
    if held(request):
        # Found again: while a latency or hang fault held the request, another request may
        # have deleted the tenant or the app (which releases a hang scoped to it), disabled
        # the app or redeemed the code.
        record, tenant, app = find_client(state, segment, tenants.resolve(state.store, segment),
                                          grant_type, creds.client_id, form)
    now = state.clock.now()
    if origin is not None and grant_type in ("authorization_code", "refresh_token"):
        # Before the cross-origin rules: an unreadable or foreign code or refresh token is
        # invalid_grant from a browser too, the answer MSAL.js recovers from (MSAL.js #6076).
        record = redemption.issued(grant_type, form, record, client_id=app.client_id,
                                   tenant_id=tenant.id, now=now)
    spa = (record is not None and record.spa and record.client_id == app.client_id
           and record.tenant_id == tenant.id)
    cross_origin.check(origin, spa=spa, creds=creds, pkce=(
        record.code_challenge is not None if isinstance(record, AuthorizationCode) else None))
    client_auth = "0" if spa else authenticate(app, creds, now=now, audiences=_token_audiences(
        base_url(request), segment, tenant))
    if version == "2.0" and form.get("scope") and grant_type in (
            "client_credentials", on_behalf_of.GRANT_TYPE, password_grant.GRANT_TYPE):
        resources.check_resource_parameter(tenant, claimset.split_scopes(form.get("scope")),
                                           form.get("resource"))
    if grant_type == "client_credentials":
        return client_credentials(request, tenant, app, form, client_auth, version)
    if grant_type == "authorization_code":
        grant = _redeem_code(state, tenant, app, form, version)
    elif grant_type == on_behalf_of.GRANT_TYPE:
        obo = on_behalf_of.exchange(
            form, tenant=tenant, app=app, keys=state.keys, now=now, version=version,
            tenants=state.store.tenants,
            issuers={claimset.issuer(base_url(request), tenant.id, v) for v in ("1.0", "2.0")})
        grant = UserGrant(obo.user, obo.scopes, resource=obo.resource, mfa=obo.mfa)
    elif grant_type == password_grant.GRANT_TYPE:
        tenant, app, grant = _password(state, tenant, app, form, version, tenantless)
    elif grant_type == device_code.GRANT_TYPE:
        tenant, approved = device.redeem(request, tenant, app, form, tenantless=tenantless)
        session = state.store.sessions.get(approved.session_id or "")
        grant = UserGrant(check_user(tenant, approved.user_id, approved.auth_time or now,
                                     state.store.tenants),
                          approved.scopes, session_id=approved.session_id,
                          auth_time=approved.auth_time, resource=approved.resource,
                          mfa=session is not None and session.mfa)
    else:
        grant = _redeem_refresh(state, tenant, app, form, version)
    return _user_tokens(request, tenant, app, grant, form, client_auth, version,
                        grant.claims.merged(requested))


async def _read_form(request: Request) -> dict[str, str]:
    return await read_post_form(request, max_value=MAX_VALUE)


def _token_audiences(base: str, segment: str, tenant: Tenant) -> tuple[str, ...]:
    out = []
    for t in {segment, tenant.id, tenant.domain}:
        out += [f"{base}/{t}/oauth2/v2.0/token", f"{base}/{t}/oauth2/token"]
    return tuple(out)


def _redeem_code(state: IdpState, tenant: Tenant, app: Application, form: dict[str, str],
                 version: str) -> UserGrant:
    value = form.get("code", "")
    if value in state.store.redeemed_codes:
        raise EntraError(54005)
    code = redemption.issued("authorization_code", form, state.store.codes.get(value),
                             client_id=app.client_id, tenant_id=tenant.id)
    now = state.clock.now()
    if now >= code.expires_at:
        state.store.codes.pop(value, None)
        raise EntraError(70008)
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is None:
        raise EntraError(900144, {"name": "redirect_uri"})
    if redirect_uri != code.redirect_uri and not (redirect.is_loopback_http(
            redirect_uri) and redirect.matches(redirect_uri, [code.redirect_uri])):
        raise EntraError(500112, {"redirect_uri": redirect_uri,
                                  "code_redirect_uri": code.redirect_uri})
    verifier = form.get("code_verifier")
    if code.code_challenge is not None:
        if not verifier or not pkce.verify(code.code_challenge, code.code_challenge_method,
                                           verifier):
            raise EntraError(501481)
    elif verifier:
        raise EntraError(501481)
    # a refused scope leaves the code unused
    resource = code.resource or _v1_resource(form, version)
    if version == "1.0" == code.version and not resource:
        resource = claimset.V1_DEFAULT
    asked = redemption.code_scopes(tenant, code.scopes, form.get("scope"), app)
    if version == "2.0":
        resources.check_resource_parameter(tenant, asked, form.get("resource"))
    target = resources.resolve(tenant, asked, resource)
    resources.check_enabled(target)
    # ``.default`` of a resource nothing is granted on: AADSTS65001, the code still unused
    resources.user_permissions(tenant, app, code.user_id, target, asked, resource)
    state.store.codes.pop(value, None)
    state.store.redeemed_codes.add(value)
    if code.revoked_at is not None:
        raise revoked(code.auth_time, code.revoked_at)
    user = check_user(tenant, code.user_id, code.auth_time, state.store.tenants)
    return UserGrant(user, asked, granted=code.scopes, nonce=code.nonce,
                     session_id=code.session_id,
                     auth_time=code.auth_time, resource=resource,
                     spa_refresh_end=now + cross_origin.SPA_REFRESH_LIFETIME if code.spa else None,
                     mfa=code.mfa, claims=code.claims)


def _redeem_refresh(state: IdpState, tenant: Tenant, app: Application,
                    form: dict[str, str], version: str) -> UserGrant:
    now = state.clock.now()
    rt = redemption.issued("refresh_token", form,
                           state.store.refresh_tokens.find(form.get("refresh_token", ""), now),
                           client_id=app.client_id, tenant_id=tenant.id, now=now)
    if now >= rt.expires_at:
        if rt.spa:
            raise cross_origin.refresh_expired(rt.issued_at)
        raise EntraError(700082, {"issued": grant_time(rt.issued_at)})
    if rt.revoked_at is not None:
        raise revoked(rt.issued_at, rt.revoked_at)
    user = check_user(tenant, rt.user_id, rt.issued_at, state.store.tenants)
    # Not bound to a resource: redeemed for any the client holds consent for, one at a time.
    requested = claimset.split_scopes(form.get("scope"))
    resources.one_resource(tenant, requested)
    if version == "2.0":
        resources.check_resource_parameter(tenant, requested or rt.scopes, form.get("resource"))
    resource = _v1_resource(form, version)
    asked = multi_resource.redeemable(tenant, app, user, rt.scopes, rt.resource, requested,
                                      resource)
    if user.totp_secret and not rt.mfa and tenant.mfa_at_sign_in:
        # Signed in without the code of an authenticator app the user has now: no token
        # until they give it (AADSTS50076, as MSAL's silent calls see once MFA is required).
        target = resources.resolve(tenant, asked, resource or rt.resource)
        raise EntraError(50076, {"app_id": target.audience},
                         error="interaction_required" if version == "1.0" else None)
    return UserGrant(user, redemption.with_sign_in(rt.scopes, asked), granted=rt.scopes,
                     session_id=rt.session_id, resource=resource or rt.resource,
                     spa_refresh_end=rt.expires_at if rt.spa else None, mfa=rt.mfa,
                     auth_time=rt.auth_time, claims=rt.claims)


def _v1_resource(form: dict[str, str], version: str) -> str | None:
    """The ``resource`` that names a v1 token's resource; v2 names it by the scopes, and only
    checks a ``resource`` against them (:func:`resources.check_resource_parameter`)."""
    return form.get("resource") or None if version == "1.0" else None


def _password(state: IdpState, tenant: Tenant, app: Application, form: dict[str, str],
              version: str, tenantless: bool) -> tuple[Tenant, Application, UserGrant]:
    """A password grant. Through ``organizations`` (or v1.0's ``common``) a multi-tenant app's
    user of another organization is signed in there, as on the sign-in page."""
    scopes, resource = password_grant.requested(form, version)
    username, password = password_grant.credentials(form)
    home = home_elsewhere(state.store, username, tenant)
    seen = tenants.app_in(state.store, home, app.client_id) if home is not None else None
    if tenantless and home is not None and seen is not None and app.multi_tenant:
        tenant, app, home = home, seen, None
    now = state.clock.now()
    user = password_grant.sign_in(tenant, app, username, password, now=now, home=home)
    resources.one_resource(tenant, scopes)
    password_grant.check_access(tenant, app, user, scopes, version=version,
                                resource_id=resources.resolve(tenant, scopes, resource).audience)
    return tenant, app, UserGrant(user, scopes, auth_time=now, resource=resource)


def _user_tokens(request: Request, tenant: Tenant, app: Application, grant: UserGrant,
                 form: dict[str, str], client_auth: str, version: str,
                 claims: ClaimsRequest) -> Response:
    """The tokens for ``grant``; ``claims``: what its authorization request and this one asked
    through ``claims`` and ``max_age`` (``auth_time`` then comes from the sign-in)."""
    state = idp(request)
    now = state.clock.now()
    user = grant.user
    assert user is not None
    base = base_url(request)
    subject = claimset.Subject(base, tenant, app, user, version, now, auth_time=grant.auth_time,
                               mfa=grant.mfa, requested=claims)
    target = resources.resolve(tenant, grant.scopes, grant.resource)
    resources.check_enabled(target)
    resources.check_not_itself_by_uri(target, app, grant.resource)
    require_satisfied(tenant.auth_contexts, claims.acrs, mfa=grant.mfa, app_id=target.audience,
                      can_give_mfa=account_of(user).totp_secret is not None, version=version)
    exposed_scopes.check_exposed(tenant, app, grant.scopes)
    names = resources.user_permissions(tenant, app, user.id, target, grant.scopes,
                                       grant.resource)
    scp = resources.token_scopes(target, grant.scopes, names)
    issues_id_token = "openid" in grant.scopes or version == "1.0"
    # A token fault spoils the access token too when it is the app's own (its audience is the
    # app): on the v1 endpoints the ID token comes unsigned, and apps check that token instead;
    # so does an app that asks v2.0 for its own API without openid, and gets no ID token.
    own = target.app is not None and target.app.client_id == app.client_id
    tampers = token_tampers(request, tenant=tenant.id, app=app.client_id, user=user.id,
                            id_token=issues_id_token) \
        if issues_id_token or own else TokenTampers()
    access_token, lifetime = user_access_token(
        state, subject, target, scp, client_auth=client_auth,
        tamper=tampers.own_access_token if own else None)
    body: dict[str, Any] = {"token_type": "Bearer"}
    if version == "2.0":
        body.update({"scope": resources.echoed_scope(target, names, grant.scopes),
                     "expires_in": lifetime,
                     "ext_expires_in": lifetime, "access_token": access_token})
    else:
        body.update({"scope": " ".join(scp), "expires_in": str(lifetime),
                     "ext_expires_in": str(lifetime), "expires_on": str(epoch(now) + lifetime),
                     # the token's ``nbf``: Entra's v1 answers put it 3900 s before
                     # ``expires_on`` for a 3599 s token (Partner Center's REST
                     # authentication reference shows one)
                     "not_before": str(epoch(now) - claimset.TOKEN_BACKDATE),
                     # the resource the token is for, as its ``aud`` names it when the
                     # request named none (ADAL keeps tokens by this member)
                     "resource": grant.resource or target.token_audience,
                     "access_token": access_token})
    if "offline_access" in grant.scopes or version == "1.0":
        rt_end = grant.spa_refresh_end or now + state.config.refresh_token_lifetime
        rt_value = state.store.refresh_tokens.mint(
            tenant_id=tenant.id, client_id=app.client_id, issued_at=now, expires_at=rt_end,
            spa=grant.spa_refresh_end is not None)
        state.store.refresh_tokens[rt_value] = RefreshToken(
            token=rt_value, tenant_id=tenant.id, client_id=app.client_id, user_id=user.id,
            scopes=grant.granted, issued_at=now, expires_at=rt_end,
            session_id=grant.session_id, version=version, resource=grant.resource,
            spa=grant.spa_refresh_end is not None, mfa=grant.mfa, public=client_auth == "0",
            auth_time=grant.auth_time, claims=claims.kept_by_refresh_token())
        body["refresh_token"] = rt_value
    if issues_id_token:
        id_claims = claimset.id_token_claims(
            subject, scopes=grant.scopes, lifetime=state.config.id_token_lifetime,
            nonce=grant.nonce, session_id=grant.session_id, auth_time=None)
        tamper = tampers.id_token
        if version == "1.0" and not app.sign_v1_id_tokens:
            # Entra's v1.0 token endpoint returns the ID token unsigned (alg none, empty
            # signature): coreos/go-oidc #350 and #133, oauth2-proxy #914,
            # AzureAD/azure-activedirectory-library-for-java #117 ("by design": the TLS channel
            # to the token endpoint vouches for it, OpenID Connect Core 3.1.3.7 (6)).
            body["id_token"] = unsigned(id_claims, tamper=tamper)
        else:
            body["id_token"] = sign(state, id_claims, version=version, tamper=tamper)
        state.store.id_tokens[id_claims["uti"]] = (tenant.id, app.client_id, grant.session_id)
    if form.get("client_info") == "1":
        body["client_info"] = claimset.client_info(user, tenant)
    return json_response(request, body, headers=NO_CACHE)


async def token_v2(request: Request) -> Response:
    return await token(request, version="2.0")


async def token_v1(request: Request) -> Response:
    return await token(request, version="1.0")


async def token_wrong_method(request: Request) -> Response:
    return error_json(request, EntraError(900561, {"method": "POST", "received": request.method}))


routes: list[BaseRoute] = [
    Route("/{tenant}/oauth2/v2.0/token", token_v2, methods=["POST"]),
    Route("/{tenant}/oauth2/token", token_v1, methods=["POST"]),
    Route("/{tenant}/oauth2/v2.0/token", token_wrong_method, methods=WRONG_METHODS),
    Route("/{tenant}/oauth2/v2.0/token", token_preflight, methods=["OPTIONS"]),
    Route("/{tenant}/oauth2/token", token_preflight, methods=["OPTIONS"]),
    Route("/{tenant}/oauth2/token", token_wrong_method, methods=WRONG_METHODS),
]
