"""Starting a sign-in: pick the client, create a single-use login transaction bound to this
browser, and redirect to the provider's authorization endpoint (code flow, PKCE S256, nonce)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .connections import LABELS, entra_problems, organization_problem
from .db import Connection, LoginTransaction, digest
from .failure import FailureSource, SignInFailed
from .inputs import shown_id, url_problem
from .login_errors import ConnectionDisabled, ConnectionMisconfigured, UnknownConnection
from .oidc.discovery import any_organization
from .oidc.entra_paths import entra_endpoint
from .oidc.groups import MICROSOFT_GRAPH
from .oidc.pkce import create_pkce_pair, generate_nonce, generate_state
from .provider import ClientConfig, client_for_connection
from .redirect_uris import redirect_uri
from .tokens import LOGIN_BINDING
from .web import LOGIN_COOKIE, AppState, cookie, set_cookie, state_of

"""Entra's v1 authorization endpoint, ``…/{tenant}/oauth2/authorize``."""


def connection_client(rp: AppState, connection_id: str) -> ClientConfig:
    """The client of an enabled connection; raises for an unknown or disabled one (the app's
    exception handlers render the failure page)."""
    connection = rp.db.connections.get(connection_id)
    if connection is None:
        raise UnknownConnection(f"no connection {shown_id(connection_id)}")
    if not connection.enabled:
        raise SignInFailed(
            ConnectionDisabled(f"connection {connection_id!r} is disabled"),
            source_of(connection),
        )
    for label, url in (("Authorization URI", connection.authorization_uri),
                       ("Token URL", connection.token_url),
                       ("Discovery URL", connection.discovery_url or "")):
        if alias := any_organization(url):
            # Stored before the admin form refused such URLs: signing nobody in beats signing
            # in every organization's users as this customer's.
            raise SignInFailed(ConnectionMisconfigured(
                f"connection {connection_id!r}: {label} names no organization ({alias!r})",
                admin_hint=f"The connection's {label} {organization_problem(alias)}."),
                source_of(connection))
    if problems := entra_problems({
            "authorization_uri": connection.authorization_uri, "token_url": connection.token_url,
            "discovery_url": connection.discovery_url or "", "client_id": connection.client_id}):
        # Stored before the admin form refused these: the user would be stranded at the
        # provider, on a page this app never hears of.
        field, problem = next(iter(problems.items()))
        raise SignInFailed(ConnectionMisconfigured(
            f"connection {connection_id!r}: {field} {problem}",
            admin_hint=f"The connection's {LABELS[field]} {problem}."), source_of(connection))
    return client_for_connection(connection)


def source_of(connection: Connection) -> FailureSource:
    return FailureSource(
        kind="connection", id=connection.id, support_contact=connection.support_contact
    )


def authorization_url(
    client: ClientConfig,
    *,
    redirect_uri: str,
    scopes: tuple[str, ...],
    state: str,
    nonce: str,
    code_challenge: str,
    login_hint: str | None,
) -> str:
    params = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "response_mode": "query",
    }
    if login_hint:
        params["login_hint"] = login_hint
    if problem := url_problem(client.authorization_endpoint, allow_http=True):
        raise ConnectionMisconfigured(f"authorization endpoint {problem}")
    if entra_endpoint(client.authorization_endpoint, "authorize") == "v1.0":
        # Entra's v1 endpoints take the access token's resource in ``resource``, not in
        # ``scope``, and refuse a sign-in that names none (AADSTS500013; the v1 code-grant
        # reference, MicrosoftDocs/azure-docs
        # articles/active-directory/azuread-dev/v1-protocols-oauth-code.md). Microsoft Graph's
        # token is the one the groups overage and userinfo are called with.
        params["resource"] = MICROSOFT_GRAPH
    return str(httpx.URL(client.authorization_endpoint).copy_merge_params(params))


async def begin_login(
    request: Request, client: ClientConfig, *, return_to: str, login_hint: str | None = None
) -> Response:
    """302 to the authorization endpoint; the browser gets (or keeps) its binding cookie.

    The binding is a token issued here (a value the browser made up is replaced), kept across
    sign-ins started in parallel and dropped once one of them completes."""
    rp = state_of(request)
    settings = rp.settings
    now = settings.clock.now()
    binding = cookie(request, LOGIN_COOKIE)
    if binding is None or not rp.tokens.issued(LOGIN_BINDING, binding):
        binding = rp.tokens.mint(LOGIN_BINDING)
    pkce = create_pkce_pair()
    tx = LoginTransaction(
        state=generate_state(),
        binding_hash=digest(binding),
        nonce=generate_nonce(),
        code_verifier=pkce.verifier,
        source_kind=client.source_kind,
        source_id=client.source_id,
        return_to=return_to,
        redirect_uri=redirect_uri(settings.base_url, client.source_kind, client.source_id),
        created_at=now,
        expires_at=now + settings.login_timeout,
        used_at=None,
        source_lifetime=client.lifetime,
    )
    try:
        location = authorization_url(
            client,
            redirect_uri=tx.redirect_uri,
            scopes=settings.scopes,
            state=tx.state,
            nonce=tx.nonce,
            code_challenge=pkce.challenge,
            login_hint=login_hint,
        )
    except ConnectionMisconfigured as exc:
        raise SignInFailed(exc, client.failure_source) from exc
    rp.db.logins.insert(tx)
    response = RedirectResponse(location, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    max_age = int((settings.login_timeout + timedelta(minutes=1)).total_seconds())
    set_cookie(response, settings, LOGIN_COOKIE, binding, max_age=max_age)
    return response
