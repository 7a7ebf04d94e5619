"""Single sign-out: back-channel (logout tokens), front-channel (iframe with ``sid``/``iss``),
RP-initiated logout (to the provider's ``end_session_endpoint``) and the signed-out page."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
from jwt.exceptions import InvalidTokenError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .db import Session
from .oidc.discovery import ProviderMetadata
from .oidc.errors import LoginError, LogoutTokenInvalid
from .oidc.logout_token import LogoutToken, validate_logout_token
from .oidc.pkce import generate_state
from .provider import ClientConfig, client_for_connection, client_for_installation
from .web import SESSION_COOKIE, AppState, clear_cookie, current_session, state_of, templates

logger = logging.getLogger("relying_party.logout")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _bad_request(description: str) -> Response:
    return JSONResponse(
        {"error": "invalid_request", "error_description": description},
        status_code=400,
        headers=NO_STORE,
    )


def _candidate_clients(rp: AppState, audiences: list[str]) -> list[ClientConfig]:
    """Every configured client whose client_id is among the token's audiences."""
    clients = [client_for_connection(c) for c in rp.db.connections.all()]
    clients += [
        client_for_installation(i, rp.settings) for i in rp.db.installations.all() if i.active
    ]
    return [c for c in clients if c.client_id in audiences]


async def _validate_for_any(rp: AppState, token: str) -> LogoutToken:
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except InvalidTokenError as exc:
        raise LogoutTokenInvalid("malformed", str(exc)) from exc
    aud = unverified.get("aud")
    audiences = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
    candidates = _candidate_clients(rp, audiences)
    if not candidates:
        raise LogoutTokenInvalid("wrong_audience", f"no client for audience {audiences}")
    failure: LogoutTokenInvalid | None = None
    for client in candidates:
        try:
            metadata = await rp.providers.metadata(client)
            return await validate_logout_token(
                token,
                keys=rp.providers.keys(metadata),
                expected_issuer=metadata.issuer,
                client_id=client.client_id,
                now=rp.settings.clock.now(),
                leeway=rp.settings.leeway,
            )
        except LogoutTokenInvalid as exc:
            failure = exc
        except LoginError as exc:
            failure = LogoutTokenInvalid(exc.code, exc.detail)
    assert failure is not None
    raise failure


async def backchannel_logout(request: Request) -> Response:
    """OIDC Back-Channel Logout §2.5-2.8: 200 when done, 400 for every invalid token."""
    rp = state_of(request)
    form = await request.form()
    token = form.get("logout_token")
    if not isinstance(token, str) or not token:
        return _bad_request("logout_token is required")
    try:
        logout = await _validate_for_any(rp, token)
    except LogoutTokenInvalid as exc:
        logger.warning("back-channel logout refused: %s", exc)
        return _bad_request(exc.reason)
    now = rp.settings.clock.now()
    if not rp.db.events.remember_logout_jti(logout.iss, logout.jti, logout.remember_until, now):
        logger.warning("back-channel logout replay: %s %s", logout.iss, logout.jti)
        return _bad_request("jti_replayed")
    if logout.sid is not None:
        ended = rp.db.sessions.end_by_sid(logout.sid, logout.iss)
    else:
        assert logout.sub is not None
        ended = rp.db.sessions.end_by_subject(logout.iss, logout.sub)
    logger.info("back-channel logout ended %d session(s)", ended)
    return Response(status_code=200, headers=NO_STORE)


def _end_browser_session(request: Request, response: Response) -> Session | None:
    rp = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    clear_cookie(response, rp.settings, SESSION_COOKIE)
    return rp.db.sessions.delete(token) if token else None


async def frontchannel_logout(request: Request) -> Response:
    """OIDC Front-Channel Logout §3: end sessions with this ``sid`` (and ``iss``), and this
    browser's own session."""
    rp = state_of(request)
    sid = request.query_params.get("sid")
    iss = request.query_params.get("iss")
    if sid:
        rp.db.sessions.end_by_sid(sid, iss or None)
    response = templates.TemplateResponse(request, "frontchannel_logout.html", {})
    response.headers.update(NO_STORE)
    _end_browser_session(request, response)
    return response


def _client_for_session(rp: AppState, session: Session) -> ClientConfig | None:
    if session.source_kind == "connection":
        connection = rp.db.connections.get(session.source_id)
        return client_for_connection(connection) if connection else None
    installation = rp.db.installations.get(session.source_id)
    if installation is None or not installation.active:
        return None
    return client_for_installation(installation, rp.settings)


def end_session_url(
    metadata: ProviderMetadata, *, client: ClientConfig, id_token: str, redirect: str, state: str
) -> str | None:
    if not metadata.end_session_endpoint:
        return None
    params: dict[str, Any] = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": redirect,
        "state": state,
        "client_id": client.client_id,
    }
    return str(httpx.URL(metadata.end_session_endpoint).copy_merge_params(params))


async def rp_logout(request: Request) -> Response:
    """RP-Initiated Logout: end the local session first, then send the browser to the provider."""
    rp = state_of(request)
    found = current_session(request)
    response: Response = RedirectResponse("/signed-out", status_code=303)
    session = _end_browser_session(request, response)
    if found is None or session is None:
        response.headers.update(NO_STORE)
        return response
    client = _client_for_session(rp, session)
    location: str | None = None
    if client is not None:
        try:
            metadata = await rp.providers.metadata(client)
        except LoginError as exc:
            logger.warning("end-session endpoint unknown, signing out locally only: %s", exc)
        else:
            state = generate_state()
            now = rp.settings.clock.now()
            location = end_session_url(
                metadata,
                client=client,
                id_token=session.id_token,
                redirect=rp.settings.post_logout_redirect_uri,
                state=state,
            )
            if location is not None:
                rp.db.logouts.insert(state, now, now + rp.settings.login_timeout)
    if location is not None:
        response.headers["location"] = location
    response.headers.update(NO_STORE)
    return response


async def signed_out(request: Request) -> Response:
    rp = state_of(request)
    state = request.query_params.get("state")
    confirmed = bool(state) and rp.db.logouts.consume(state or "", rp.settings.clock.now())
    response = templates.TemplateResponse(request, "signed_out.html", {"confirmed": confirmed})
    response.headers.update(NO_STORE)
    return response


routes = [
    Route("/auth/backchannel-logout", backchannel_logout, methods=["POST"]),
    Route("/auth/frontchannel-logout", frontchannel_logout, methods=["GET"]),
    Route("/logout", rp_logout, methods=["GET", "POST"]),
    Route("/signed-out", signed_out, methods=["GET"]),
]
