"""Single sign-out: back-channel (logout tokens), front-channel (iframe with ``sid``/``iss``),
RP-initiated logout (to the provider's ``end_session_endpoint``) and the signed-out page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
import jwt
from jwt.exceptions import InvalidTokenError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .db import ProviderLogout, Session, SourceKind
from .db.sessions import Origins
from .frontchannel import frontchannel_problem
from .inputs import InputError, check_json_value
from .oidc.discovery import ProviderMetadata
from .oidc.errors import LoginError, LogoutTokenInvalid
from .oidc.issuer_key import entra_tenant, issuer_key, spelt_issuer_key
from .oidc.jwks import POSTED
from .oidc.logout_token import LogoutToken, logout_token_audiences, validate_logout_token
from .oidc.pkce import generate_state
from .provider import ClientConfig, client_for_connection, client_for_installation
from .request_bodies import read_form
from .settings import endpoint_origin
from .web import (
    CSRF_FIELD,
    SESSION_COOKIE,
    AppState,
    clear_cookie,
    cookie,
    csrf_valid,
    current_session,
    get_only,
    origin_allowed,
    render_with_csrf,
    state_of,
    templates,
)

logger = logging.getLogger("relying_party.logout")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PROVIDER_TROUBLE = ("provider_unusable", "timeout")


def _bad_request(description: str, problem: str) -> Response:
    """Back-Channel Logout §2.8: 400 with an OAuth error (RFC 6749 §5.2), and ``fields``
    naming ``logout_token`` and what is wrong with it, as the app's other JSON refusals do."""
    return JSONResponse(
        {"error": "invalid_request", "error_description": description,
         "fields": {"logout_token": problem}},
        status_code=400,
        headers=NO_STORE,
    )


def _all_clients(rp: AppState) -> list[ClientConfig]:
    """Every connection's client, and every active installation's."""
    clients = [client_for_connection(c) for c in rp.db.connections.all()]
    return clients + [
        client_for_installation(i, rp.settings) for i in rp.db.installations.all() if i.active
    ]


def _origins(clients: list[ClientConfig]) -> Origins:
    """Where each client's tokens come from: how a session's literal issuer is read."""
    return {c.source: c.identity_origin for c in clients}


def _candidate_clients(clients: list[ClientConfig], audiences: tuple[str, ...]
                       ) -> list[ClientConfig]:
    """Every client whose client_id is among the token's audiences, one per (discovery URL,
    client id)."""
    unique = {(c.discovery_url, c.client_id): c for c in clients if c.client_id in audiences}
    return list(unique.values())


async def _validate_with(rp: AppState, client: ClientConfig, token: str
                         ) -> tuple[LogoutToken, ClientConfig]:
    """Validate against one client's provider. Whatever goes wrong with that provider stays
    here as a :class:`LogoutTokenInvalid`, so it cannot affect the other candidates."""
    try:
        metadata = await rp.providers.metadata(client)
        logout = await validate_logout_token(
            token,
            keys=rp.providers.keys(metadata, lane=POSTED),
            expected_issuer=metadata.issuer,
            client_id=client.client_id,
            now=rp.settings.clock.now(),
            leeway=rp.settings.leeway,
        )
    except LogoutTokenInvalid:
        raise
    except LoginError as exc:
        raise LogoutTokenInvalid(exc.code, exc.detail) from exc
    except Exception as exc:  # a connection saved before its URLs were checked, for one
        logger.warning("back-channel logout: %s %s unusable: %r", client.source_kind,
                       client.source_id, exc)
        raise LogoutTokenInvalid("provider_unusable", f"{client.source_kind} "
                                 f"{client.source_id}: {type(exc).__name__}") from exc
    return logout, client


async def _validate_for_any(rp: AppState, token: str, clients: list[ClientConfig]
                            ) -> tuple[LogoutToken, ClientConfig]:
    """The token validated by whichever candidate provider signed it. All candidates are tried
    at once within :attr:`Settings.backchannel_logout_timeout`; the first success wins."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        check_json_value(unverified, field="logout_token")
    except InvalidTokenError as exc:
        raise LogoutTokenInvalid("malformed", str(exc)) from exc
    except InputError as exc:
        raise LogoutTokenInvalid("malformed", str(exc)) from exc
    audiences = logout_token_audiences(unverified)
    candidates = _candidate_clients(clients, audiences)
    if not candidates:
        raise LogoutTokenInvalid("wrong_audience", f"no client for audience {list(audiences)}")
    tasks = [asyncio.ensure_future(_validate_with(rp, c, token)) for c in candidates]
    failures: list[LogoutTokenInvalid] = []
    try:
        async with asyncio.timeout(rp.settings.backchannel_logout_timeout):
            for finished in asyncio.as_completed(tasks):
                try:
                    return await finished
                except LogoutTokenInvalid as exc:
                    failures.append(exc)
    except TimeoutError:
        failures.append(LogoutTokenInvalid("timeout", "no provider answered in time"))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # The most telling failure: one from a provider that could judge the token.
    judged = [f for f in failures if f.reason not in _PROVIDER_TROUBLE]
    raise (judged or failures)[0]


async def backchannel_logout(request: Request) -> Response:
    """OIDC Back-Channel Logout §2.5-2.8: 200 when done, 400 for every invalid token."""
    rp = state_of(request)
    form = await read_form(request)
    token = form.get("logout_token")
    if not token:
        return _bad_request("logout_token is required", "is required")
    clients = _all_clients(rp)
    try:
        logout, client = await _validate_for_any(rp, token, clients)
    except LogoutTokenInvalid as exc:
        logger.warning("back-channel logout refused: %s", exc)
        return _bad_request(exc.reason, f"is not a valid logout token ({exc.reason})")
    # One Entra tenant's v1 and v2 issuers are one identity space: a logout token of either
    # ends the sessions signed in through the other, never another tenant's, nor those of the
    # same tenant id served from another origin than the provider that signed the token.
    tid = logout.tid if logout.tid is not None else entra_tenant(logout.iss)
    issuer = issuer_key(logout.iss, tid=tid, origin=client.identity_origin)
    if other := _other_user_of_sid(rp, logout, issuer, client, clients):
        logger.warning("back-channel logout refused: sid %s is user %s's, not sub %s's",
                       logout.sid, other, logout.sub)
        return _bad_request("sub_sid_mismatch",
                            "names by its sub another user than the sessions of its sid")
    now = rp.settings.clock.now()
    if not rp.db.events.remember_logout_jti(logout.iss, logout.jti, logout.remember_until, now):
        logger.warning("back-channel logout replay: %s %s", logout.iss, logout.jti)
        return _bad_request("jti_replayed", "was used before (its jti is replayed)")
    if logout.sid is not None:
        ended = _log_out(rp, ProviderLogout(issuer=issuer, sid=logout.sid), _origins(clients))
    else:
        # Sign-ins begun before the token was issued (allowing for the provider's clock to lag
        # this app's), or before it arrived if that is earlier, make no session.
        assert logout.sub is not None
        before = min(logout.iat + rp.settings.leeway, now)
        ended = _log_out(rp, ProviderLogout(issuer=issuer, subject=logout.sub,
                                            sign_ins_before=before), _origins(clients))
    logger.info("back-channel logout ended %d session(s)", ended)
    return Response(status_code=200, headers=NO_STORE)


def _other_user_of_sid(rp: AppState, logout: LogoutToken, issuer: str, client: ClientConfig,
                       clients: list[ClientConfig]) -> str | None:
    """For a token with both ``sub`` and ``sid``, the subject of a session of that ``sid``
    that is not ``sub``, or None. Back-Channel Logout §2.6-2.7 lets the RP check them together:
    one provider session is one user's, so a token naming another user by ``sub`` than the
    one its ``sid`` signed in is not to be trusted with either. Compared only with the sessions
    of the token's own client (its audience): ``sub`` is pairwise on Entra ID, so the same
    user has another ``sub`` in another app of the same ``sid``."""
    if logout.sid is None or logout.sub is None:
        return None
    sources = {c.source for c in clients if c.client_id == client.client_id}
    subjects = rp.db.sessions.subjects_of_sid(logout.sid, issuer=issuer,
                                              origins=_origins(clients), sources=sources)
    return next(iter(sorted(subjects - {logout.sub})), None)


def _log_out(rp: AppState, logout: ProviderLogout, origins: Origins) -> int:
    """End the sessions ``logout`` names, and its sign-ins in progress: their callback may be
    waiting on the provider now, with no session to end yet. The logout is kept for twice the
    login timeout: a sign-in begun before it may follow its callback until its ``state``
    expires and wait on the provider after that."""
    now = rp.settings.clock.now()
    return rp.db.log_out_provider_session(logout, origins=origins, at=now,
                                          kept_until=now + 2 * rp.settings.login_timeout)


def _end_browser_session(request: Request, response: Response) -> Session | None:
    rp = state_of(request)
    token = cookie(request, SESSION_COOKIE)
    clear_cookie(response, rp.settings, SESSION_COOKIE)
    return rp.db.sessions.delete(token) if token else None


async def frontchannel_logout(request: Request) -> Response:
    """OIDC Front-Channel Logout §3: end the sessions of this ``sid``, only where the issuer
    that owns it says so. ``/auth/frontchannel-logout?iss=…&sid=…`` ends sessions with both;
    ``/auth/frontchannel-logout/{connection}?sid=…`` (for providers that send no ``iss``, such
    as Entra ID) ends that connection's sessions with the ``sid``. A ``sid`` without either
    ends nothing: any site could otherwise sign people out by guessing or replaying it."""
    rp = state_of(request)
    sid = request.query_params.get("sid")
    given_iss = request.query_params.get("iss") or None
    connection_id = request.path_params.get("connection_id")
    if problem := frontchannel_problem(sid, given_iss):
        logger.warning("front-channel logout refused: %s", problem)
        sid = None  # ends nothing, remembers nothing
    elif connection_id is not None and rp.db.connections.get(connection_id) is None:
        sid = None  # no sign-in can be under way through a connection there is not
    origins = _origins(_all_clients(rp)) if sid else {}
    ended = 0
    if sid and connection_id is not None:
        # The issuer as the connection's own provider would have spelt it.
        source: tuple[SourceKind, str] = ("connection", connection_id)
        iss = (issuer_key(given_iss, tid=entra_tenant(given_iss), origin=origins.get(source))
               if given_iss is not None else None)
        ended = _log_out(rp, ProviderLogout(issuer=iss, source=source, sid=sid), origins)
    elif sid and given_iss:
        # Known by its spelling alone: https://sts.windows.net/{tid}/ names Entra's tenant.
        ended = _log_out(rp, ProviderLogout(issuer=spelt_issuer_key(given_iss), sid=sid),
                         origins)
    logger.info("front-channel logout ended %d session(s)", ended)
    response = templates.TemplateResponse(request, "frontchannel_logout.html", {})
    response.headers.update(NO_STORE)
    token = cookie(request, SESSION_COOKIE)
    if token and rp.db.sessions.get(token, rp.settings.clock.now()) is None:
        clear_cookie(response, rp.settings, SESSION_COOKIE)
    return response


def _client_for_session(rp: AppState, session: Session) -> ClientConfig | None:
    if session.source_kind == "connection":
        connection = rp.db.connections.get(session.source_id)
        return client_for_connection(connection) if connection else None
    installation = rp.db.installations.get(session.source_id)
    if installation is None or not installation.active:
        return None
    return client_for_installation(installation, rp.settings)


async def sign_out_targets(rp: AppState, session: Session | None) -> tuple[str, ...]:
    """Where the sign-out form's response may send the browser: the session's provider, at its
    end-session endpoint (from its discovery document, fetched again if a restart or an edit
    of the connection dropped it, as ``POST /logout`` will) and, on Entra ID, the
    authorization endpoint's origin (``…/oauth2/v2.0/logout`` is there)."""
    client = _client_for_session(rp, session) if session is not None else None
    if client is None:
        return ()
    metadata = rp.providers.cached_metadata(client)
    if metadata is None:
        with contextlib.suppress(LoginError):  # unreachable now: POST /logout will say so
            metadata = await rp.providers.metadata(client)
    urls = [client.authorization_endpoint]
    if metadata is not None and metadata.end_session_endpoint:
        urls.append(metadata.end_session_endpoint)
    return tuple(endpoint_origin(url) for url in urls)


def end_session_url(
    metadata: ProviderMetadata, *, client: ClientConfig, id_token: str, redirect: str, state: str
) -> str | None:
    """The provider's end-session URL for this sign-out. With the ID token's ``login_hint``
    claim (an optional claim the app registration asks for), ``logout_hint`` names the account,
    so Entra signs it out without asking "Pick an account" (Microsoft's support article on
    signing out without the user selection prompt; MSAL.js sends it the same way)."""
    if not metadata.end_session_endpoint:
        return None
    params: dict[str, Any] = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": redirect,
        "state": state,
        "client_id": client.client_id,
    }
    try:
        login_hint = jwt.decode(id_token, options={"verify_signature": False}).get("login_hint")
    except InvalidTokenError:  # validated at sign-in; a stored value that is not is no hint
        login_hint = None
    if isinstance(login_hint, str) and login_hint:
        params["logout_hint"] = login_hint
    try:
        return str(httpx.URL(metadata.end_session_endpoint).copy_merge_params(params))
    except (httpx.InvalidURL, ValueError):
        return None


async def confirm_logout(request: Request) -> Response:
    """``GET /logout``: a page asking to confirm, whose form posts ``/logout``. A link or an
    image elsewhere cannot sign anyone out."""
    found = current_session(request)
    return render_with_csrf(request, "sign_out.html", {"user": found[2] if found else None},
                            form_targets=await sign_out_targets(state_of(request),
                                                                found[1] if found else None))


async def rp_logout(request: Request) -> Response:
    """RP-Initiated Logout: end the local session first, then send the browser to the provider.
    Only a form from this app may do it (same origin, CSRF token)."""
    rp = state_of(request)
    fields = await read_form(request)
    if not origin_allowed(request, rp.settings) or not csrf_valid(request, fields.get(CSRF_FIELD)):
        page = templates.TemplateResponse(
            request,
            "message.html",
            {"title": "Sign-out not confirmed",
             "message": "This sign-out request did not come from this app's own form.",
             "link": "/logout", "link_text": "Sign out"},
            status_code=403,
        )
        page.headers.update(NO_STORE)
        return page
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
    """Where the provider sends the browser back after RP-initiated logout. Anyone can link to
    it, so it ends nothing, and a browser still signed in here (a link followed, or signed in
    again since) is told so rather than that it was signed out; its ``state`` is left alone."""
    rp = state_of(request)
    found = current_session(request)
    if found is not None:
        response = templates.TemplateResponse(
            request, "signed_out.html", {"still_signed_in": found[2]})
        response.headers.update(NO_STORE)
        return response
    state = request.query_params.get("state")
    confirmed = bool(state) and rp.db.logouts.consume(state or "", rp.settings.clock.now())
    response = templates.TemplateResponse(request, "signed_out.html", {"confirmed": confirmed})
    response.headers.update(NO_STORE)
    return response


routes = [
    Route("/auth/backchannel-logout", backchannel_logout, methods=["POST"]),
    get_only("/auth/frontchannel-logout", frontchannel_logout),
    get_only("/auth/frontchannel-logout/{connection_id}", frontchannel_logout),
    Route("/logout", confirm_logout, methods=["GET"]),
    Route("/logout", rp_logout, methods=["POST"]),
    get_only("/signed-out", signed_out),  # consumes the sign-out's state
]
