"""Validating an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1).

Checks run in Entra's order. Errors about the client itself (tenant, app, redirect URI) are
:class:`PageError` and must never be redirected; the rest are :class:`RedirectError` and go back
to the validated redirect URI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from ..errors import EntraError
from ..store import Application, Store, Tenant
from . import claims_request, pkce, redirect, resources, tenants
from .claims import split_scopes
from .claims_request import EMPTY, ClaimsRequest

# ``create`` is the sign-up prompt (Learn, "Prompt behavior with MSAL.js"; MSAL Python's
# ``Prompt.CREATE``, MSAL.NET's ``Prompt.Create``); see :func:`mock_idp.signin.flow.start`.
PROMPTS = frozenset({"login", "none", "consent", "select_account", "admin_consent", "create"})
RESPONSE_MODES = frozenset({"query", "fragment", "form_post"})
RESPONSE_TYPES = frozenset({"code", "id_token", "token"})
MAX_PARAM = 4096


class PageError(EntraError):
    """Rendered as the provider's own error page."""


class ConsumersPageError(PageError):
    """An app ``/consumers`` does not serve: Microsoft account's own error page instead
    (:func:`mock_idp.protocol.tenants.refused_at_consumers`)."""


@dataclass(frozen=True)
class RedirectError(Exception):
    error: EntraError
    request: AuthRequest


@dataclass(frozen=True)
class AuthRequest:
    segment: str
    version: str
    tenant: Tenant | None
    app_tenant_id: str
    client_id: str
    redirect_uri: str
    response_types: frozenset[str]
    response_mode: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    prompt: str | None
    login_hint: str | None
    domain_hint: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    resource: str | None
    client_info: bool
    max_age: int | None
    claims: ClaimsRequest = EMPTY
    """The ``claims`` parameter, plus ``auth_time`` when ``max_age`` was given."""
    sid: str | None = None
    """The session silent SSO names (MSAL sends an account's ``sid``)."""

    @property
    def wants_id_token(self) -> bool:
        return "id_token" in self.response_types

    @property
    def wants_code(self) -> bool:
        return "code" in self.response_types


Check = Callable[[AuthRequest, Mapping[str, str], Application], AuthRequest]


def _page(code: int, **params: str) -> PageError:
    return PageError(code, dict(params))


def client_and_redirect(store: Store, segment: str, params: Mapping[str, str]
                        ) -> tuple[Tenant | None, Tenant, Application, str]:
    """What an authorization or admin consent request checks first, on Entra's error page
    (:class:`PageError`): its parameters' sizes, the tenant, the app and the redirect URI.
    Returns the tenant the path names (``None`` for an alias), the app's own tenant, the app
    and the redirect URI (the first registered one when the request names none)."""
    for name, value in params.items():
        if len(value) > MAX_PARAM:  # Entra's AADSTS90015 (a long state: bitwarden/server #953)
            raise _page(90015 if name != "redirect_uri" else 50011, name=name)
    tenant = tenants.resolve(store, segment) if segment else None
    client_id = params.get("client_id", "").strip().lower()
    if not client_id:
        raise _page(900144, name="client_id")
    if tenant is not None:
        app = tenants.app_in(store, tenant, client_id)
        if app is None:
            raise _page(700016, app_id=client_id, tenant=tenant.domain)
        app_tenant = store.tenants.get(app.tenant_id, tenant)
    else:
        found = store.find_app_any(client_id)
        if segment.lower() == tenants.CONSUMERS and (
                found is None or tenants.refused_at_consumers(segment, found[1])):
            raise ConsumersPageError(700016, {"app_id": client_id,
                                              "tenant": tenants.MSA_DIRECTORY})
        if found is None:
            raise _page(700016, app_id=client_id, tenant=segment)
        app_tenant, app = found
        tenants.check_audience(segment, app, PageError)
    if not app.enabled:
        raise _page(7000112, app_id=app.client_id, app_name=app.name)
    redirect_uri = params.get("redirect_uri")
    registered = app.all_redirect_uris()
    if not registered:
        # A registration with no redirect URI on any platform is AADSTS500113 whether or not
        # the request names one, not AADSTS50011 (a Microsoft moderator on Microsoft Q&A,
        # learn.microsoft.com/answers/a/183761: the backend logs show the app's redirect URI
        # missing; OfficeDev/microsoft-teams-apps-groupactivities #10,
        # KoenZomers/OneDriveAPI #33: a request with a redirect URI to a registration without
        # a platform).
        raise _page(500113)
    if redirect_uri is None:
        redirect_uri = registered[0]
    elif not redirect.matches(redirect_uri, registered):
        raise _page(50011, redirect_uri=redirect_uri, app_id=app.client_id)
    if redirect.insecure(redirect_uri):
        raise _page(500117)
    return tenant, app_tenant, app, redirect_uri


def parse(store: Store, segment: str, version: str, params: Mapping[str, str]) -> AuthRequest:
    """Validate ``params``; raise :class:`PageError` or :class:`RedirectError`."""
    tenant, app_tenant, app, redirect_uri = client_and_redirect(store, segment, params)
    raw_types = params.get("response_type", "")
    types = frozenset(raw_types.split())
    default_mode = "fragment" if "id_token" in types or "token" in types else "query"
    req = AuthRequest(
        segment=segment, version=version, tenant=tenant, app_tenant_id=app_tenant.id,
        client_id=app.client_id, redirect_uri=redirect_uri, response_types=types,
        response_mode=params.get("response_mode", default_mode), scopes=split_scopes(
            params.get("scope")), state=params.get("state"), nonce=params.get("nonce"),
        prompt=params.get("prompt") or None, login_hint=params.get("login_hint"),
        domain_hint=params.get("domain_hint"), code_challenge=params.get("code_challenge"),
        code_challenge_method=params.get("code_challenge_method"),
        resource=params.get("resource"), client_info=params.get("client_info") == "1",
        max_age=None, sid=params.get("sid") or None,
    )
    if req.response_mode not in RESPONSE_MODES:
        req = replace(req, response_mode=default_mode)
        raise RedirectError(EntraError(900144, {"name": "response_mode"}), req)
    for check in CHECKS:
        req = check(req, params, app)
    if version == "2.0" and req.resource:
        req = _resource_agrees(req, tenant or app_tenant)
    return req


def _response_type(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    if not req.response_types:
        raise RedirectError(EntraError(900144, {"name": "response_type"}), req)
    if not req.response_types <= RESPONSE_TYPES or req.response_types == {"code", "token"}:
        raise RedirectError(EntraError(700054, error="unsupported_response_type"), req)
    if "id_token" in req.response_types and not app.allow_id_token:
        raise RedirectError(EntraError(700054), req)
    if "token" in req.response_types and not app.allow_access_token:
        raise RedirectError(EntraError(700051), req)
    if req.response_mode == "query" and req.response_types != {"code"}:
        # no tokens in a query (OAuth 2.0 Multiple Response Type Encoding Practices)
        raise RedirectError(EntraError(70007, {"mode": "query"}), req)
    return req


def _scope(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    if req.version == "2.0" and not req.scopes:
        raise RedirectError(EntraError(900144, {"name": "scope"}), req)
    if req.version != "2.0":
        return req
    if req.wants_id_token and "openid" not in req.scopes:
        raise RedirectError(EntraError(70011, {"scope": " ".join(req.scopes)[:1000],
                                               "reason": "openid scope is required"}), req)
    try:
        resources.default_alone(req.scopes)
    except EntraError as err:
        raise RedirectError(err, req) from None
    return req


def _nonce(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    if req.wants_id_token and not req.nonce:
        raise _page(90014, name="nonce")
    return req


def _prompt(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    # An unknown value (or several) is AADSTS90023, as Keycloak's and desktop clients' users
    # quote it. ``select_account`` with a ``login_hint`` is taken: Entra shows the account
    # picker (MSAL.NET sends both by default; its pull request 1047 describes the answer).
    # An empty ``prompt`` (``prompt=`` or a bare ``prompt``) is no prompt at all (RFC 6749
    # section 3.1: a parameter sent without a value is treated as omitted): parse() reads it
    # as None. omniauth-azure-activedirectory-v2 (0.1 to 2.0, GitLab's Entra strategy) sends a
    # bare ``prompt`` on every sign-in that asks for none (a ``defined?`` that is always true),
    # and GitLab configures it for Entra: docs.gitlab.com/16.11/ee/integration/azure.html.
    if req.prompt is not None and req.prompt not in PROMPTS:
        raise RedirectError(EntraError(90023), req)
    return req


def _pkce(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    method = req.code_challenge_method
    if method is not None and method not in pkce.CODE_CHALLENGE_METHODS:
        raise RedirectError(EntraError(900144, {"name": "code_challenge_method"}), req)
    if method is not None and not req.code_challenge:
        raise RedirectError(EntraError(900144, {"name": "code_challenge"}), req)
    if req.code_challenge and not pkce.challenge_size_fits(req.code_challenge, method):
        raise RedirectError(EntraError(501491), req)
    return req


def _max_age(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    raw = params.get("max_age")
    if raw is None:
        return req
    if not (raw.isascii() and raw.isdigit()):
        raise RedirectError(EntraError(90014, {"name": "max_age"}), req)
    return replace(req, max_age=int(raw))


def _claims(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    """The ``claims`` parameter (AADSTS50117 when unreadable); ``max_age`` asks for
    ``auth_time`` in the ID token (OpenID Connect Core §3.1.2.1), which MSAL Python then
    requires ("max_age was requested, ID token should contain auth_time")."""
    try:
        asked = claims_request.parse(params.get("claims"))
    except EntraError as err:
        raise RedirectError(err, req) from None
    claims = asked.with_auth_time() if req.max_age is not None else asked
    return req if claims == req.claims else replace(req, claims=claims)


def _resource(req: AuthRequest, params: Mapping[str, str], app: Application) -> AuthRequest:
    """The resources a request names must exist before anyone signs in: Entra's error page
    shows AADSTS500011 for an unknown one (Azure-Samples/azure-search-openai-demo #1969, 2024,
    an API scope at sign-in; the v1 code-grant reference lists ``invalid_resource`` among the
    authorization endpoint's errors); a v2 request's ``resource`` is checked once the rest
    is valid (:func:`_resource_agrees`). Under an alias (``/common``) the user's tenant
    decides, so the token endpoint checks then."""
    if req.version != "2.0" and "token" in req.response_types and not req.resource:
        # an implicit access token for no resource (MicrosoftDocs/azure-docs #67544)
        raise RedirectError(EntraError(500013), req)
    if req.tenant is None:
        return req
    try:
        resources.known(req.tenant, req.scopes,
                        req.resource if req.version != "2.0" else None)
    except EntraError as exc:
        raise PageError(exc.code, exc.params) from None
    return req


def _resource_agrees(req: AuthRequest, tenant: Tenant) -> AuthRequest:
    """A v2 request's ``resource`` (RFC 8707's, as MCP clients send it) must name, by an
    identifier URI, the resource its scopes ask for, as at the v2 token endpoint
    (:func:`mock_idp.protocol.resources.check_resource_parameter`); else AADSTS9010010
    (``invalid_target``), sent to the redirect URI before anyone signs in. One that agrees
    changes nothing: the scopes name the token's resource. Entra used to refuse any
    ``resource`` here (AADSTS901002: snok/django-auth-adfs #198, 2021); since its March 2026
    change it compares the parameter with the identifier URIs of the app that owns the scopes
    (anthropics/claude-code #73460, the error in the authorize endpoint's 302, before
    sign-in; IBM/mcp-context-forge #2881, ``error=invalid_target`` at the callback;
    microsoft/powerbi-modeling-mcp #68, under ``/common``; microsoft/Dataverse-MCP #15, a
    matching ``resource`` accepted and a token issued; anomalyco/opencode #12308, the values
    come from the identifier URIs). Under an alias the scopes are looked up in the app's own
    tenant; an API unknown there waits for the user's tenant, as :func:`_resource` does."""
    try:
        resources.check_resource_parameter(tenant, req.scopes, req.resource)
    except EntraError as err:
        if err.code == 9010010 or req.tenant is not None:
            raise RedirectError(err, req) from None
    return replace(req, resource=None)


CHECKS: tuple[Check, ...] = (
    _response_type, _scope, _resource, _nonce, _prompt, _pkce, _max_age, _claims)
