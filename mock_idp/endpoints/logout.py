"""Sign-out: the v1 and v2 end-session endpoints and the notification log.

The IdP session ends, every app it signed into is told (front-channel iframes on the signed-out
page, back-channel logout tokens, platform ``user.logout`` events), then the browser goes to the
app's ``post_logout_redirect_uri`` when it matches one of the app's registered redirect URIs, or
stays on the "You signed out of your account" page.

Which session ends: only one of the browser that arrives (its cookies), as on Entra, which
clears the cookies of that browser: the one ``id_token_hint`` (or ``logout_hint``) names, else
the browser's only account; with several accounts signed in, "Pick an account" asks which one
(as Entra does), and the other accounts stay signed in. A hint naming an account that is not
signed in in this browser ends no other: "Pick an account" asks when accounts remain
(RP-Initiated Logout 1.0 §2), else nothing ends. The browser goes back to the app only when a
session ended (the MSAL.js logout doc's "the user has an active session").

The v2.0 endpoint asks "Pick an account" even for a single account, and with an
``id_token_hint``, unless ``logout_hint`` (the ID token's ``login_hint`` optional claim) names
an account signed in in this browser: "ESTS always prompts the user to select the account for
/v2/logout endpoint if no account is passed" (AzureAD/microsoft-authentication-library-for-js
PR #7736, 2025, and its ``lib/msal-browser/docs/logout.md``), the ``login_hint`` claim "can be
used in the logout URI to bypass this" (Weird-Sheep-Labs/django-azure-auth issue #22), as
Microsoft's support article on signing out without the account prompt (June 2025) says. The v1
endpoint still signs a single account out directly
(Azure-Samples/active-directory-aspnetcore-webapp-openidconnect-v2 issue #126).

A browser's sign-out that carries none of the provider's cookies while accounts are signed in
(a cross-site form post over http on a host that is not loopback, where the cookies are
``SameSite=Lax``: :mod:`~mock_idp.endpoints.browser_sessions`; on a loopback host, from a
browser that holds only their ``Lax`` twins) finds no session, as Entra
would without its cookies: it ends nothing and stays on "You signed out of your account" without
going back to the app. That is no sign-out, so the mock says so: a warning in its log and a
:data:`NO_COOKIES` note in the request's log entry, which the protocol view shows as the step
that went wrong. An app's server calling the endpoint (not a navigation: :func:`_navigation`)
ends nothing either, without a note, and so does a browser whose sign-out would have carried
the cookies it held (a top-level ``GET``, or any over https): it holds none, as a browser that
never signed in, and another browser's sessions are not its to end.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..faults.registry import held
from ..protocol import redirect, tenants
from ..request_log import annotate
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Application, Session
from . import browser_sessions as cookies
from .common import (
    MAX_PARAM_LENGTH,
    base_url,
    entra_headers,
    error_page,
    idp,
    plain_error,
    templates,
)
from .faults_hook import response_fault
from .forms import protocol_params
from .mock_api import route
from .pages import account_tiles, keep, render, take

log = logging.getLogger(__name__)

READ = frozenset({"id_token_hint", "client_id", "logout_hint", "post_logout_redirect_uri",
                  "state"})
"""The parameters a sign-out reads, which "Pick an account" keeps for the post that picks one:
any other a request carries (up to a form's 1,000 fields of 8 KiB each) is ignored, not kept
for the hour a sign-in page waits."""

NO_COOKIES = "no_provider_cookies"
"""The ``problem`` of the request-log note a browser's sign-out without the provider's cookies
gets (``{"target": "signout", "problem", "sessions", "message"}``)."""


def _hint_claims(state: IdpState, token: str) -> dict[str, Any] | None:
    """Claims of an ID token this provider issued (signature checked, expiry not). An unsigned
    one (from the v1.0 token endpoint) counts when its ``uti`` names an ID token issued to the
    same app and session."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "none":
            return _issued_unsigned(state, token)
        kid = header.get("kid")
        key = state.keys.find(str(kid)) if kid else None
        if key is None:
            return None
        claims: dict[str, Any] = jwt.decode(
            token, key.public_key, algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False})
    except jwt.PyJWTError:
        return None
    return claims


def _issued_unsigned(state: IdpState, token: str) -> dict[str, Any] | None:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    issued = state.store.id_tokens.get(str(claims.get("uti", "")))
    if issued is None or (issued[1], issued[2]) != (claims.get("aud"), claims.get("sid")):
        return None
    return claims


async def logout(request: Request) -> Response:
    state = idp(request)
    chosen: str | None = None
    try:
        params = await protocol_params(request)
    except EntraError as err:
        return error_page(request, err)
    if request.method == "POST":
        if "ctx" in params:
            txn = take(state, params)
            if txn is None or txn.kind != "logout":
                return error_page(request, EntraError(9002313))
            params, chosen = dict(txn.logout_params), params.get("account", "")
    for name, value in params.items():
        if len(value) > MAX_PARAM_LENGTH:  # a long id_token_hint: aspnet/Identity #2010
            return error_page(request, EntraError(90015, {"name": name[:64]}))
    try:
        tenant = tenants.resolve(state.store, request.path_params["tenant"])
    except EntraError as err:
        return error_page(request, err)
    fault = await response_fault(request, "logout", tenant=tenant.id if tenant else None)
    if isinstance(fault, EntraError):
        return error_page(request, fault)
    if fault is not None:
        return fault
    if held(request):
        # Read again: while a latency or hang fault held the sign-out, the tenant may have
        # been deleted (it is then answered as an unknown one) or made again.
        try:
            tenant = tenants.resolve(state.store, request.path_params["tenant"])
        except EntraError as err:
            return error_page(request, err)
    hint = _hint_claims(state, params["id_token_hint"]) if params.get("id_token_hint") else None
    client_id = (params.get("client_id") or (hint or {}).get("aud") or "").lower()
    if hint is not None and params.get("client_id") and params["client_id"].lower() != str(
        hint.get("aud", "")
    ).lower():
        # Entra's answer to this is not known: the code stays the one the mock has always
        # given (AADSTS90014, a malformed field), the text is the mock's own and names the field.
        return error_page(request, EntraError(90014, {"aud": hint.get("aud", "")}, text=(
            "The 'client_id' in the request does not match the audience of the "
            "'id_token_hint' ('{aud}').")))
    named = _Named(hint=hint, picked=chosen,
                   user=_logout_hint_user(params.get("logout_hint")))
    sessions = _sessions_to_end(request, state, named, tenant.id if tenant else None,
                                v2="/v2.0/" in request.url.path)
    if sessions is None:
        return _pick_account(request, state, params, tenant.id if tenant else None)
    if not sessions:
        _note_cookieless(request, state, named, tenant.id if tenant else None)
    state.store.end(sessions)
    base = base_url(request)
    frames = state.notifier.frontchannel(base, sessions, "logout")
    await state.notifier.sessions_ended(base, sessions, "logout")
    target = _post_logout_target(state, client_id, sessions, params) if sessions else None
    html = templates.get_template("signin/signed_out.html").render(
        frames=frames, target=target)
    if target is not None and not frames:
        response: Response = Response(status_code=302, headers={
            **entra_headers(request), "Location": target, "Cache-Control": "no-store"})
    else:
        response = HTMLResponse(html, headers={**entra_headers(request),
                                               "Cache-Control": "no-store"})
    cookies.remove_sessions(response, request, state, sessions)
    return response


def _navigation(request: Request) -> bool:
    """A browser navigated here: ``Sec-Fetch-Mode: navigate``, or, where browsers send no
    ``Sec-Fetch-*`` header (to an http origin that is not potentially trustworthy), a request
    that accepts ``text/html``, which an app server's HTTP client does not ask for."""
    mode = request.headers.get("sec-fetch-mode")
    if mode is not None:
        return mode == "navigate"
    return "text/html" in request.headers.get("accept", "")


def _note_cookieless(request: Request, state: IdpState, named: _Named,
                     tenant_id: str | None) -> None:
    """Log and note a browser's sign-out that ended nothing because it carried none of the
    provider's cookies while accounts it names are signed in: the session of its
    ``id_token_hint``, else the user of its ``logout_hint``, else anyone (in the tenant, when one
    is named). Only a request on which a browser leaves ``SameSite=Lax`` cookies off
    (:func:`~mock_idp.endpoints.browser_sessions.lax_withheld`) over http is noted: over https
    the cookies are ``SameSite=None`` and go along, and a top-level ``GET`` navigation carries
    ``Lax`` ones too, so without cookies there the browser has none (another browser that never
    signed in, or one closed since) and its sign-out is no app's mistake. On a loopback host
    that is so of a browser that keeps ``Secure`` cookies there
    (:func:`~mock_idp.endpoints.browser_sessions.keeps_secure_on_loopback`) on any request."""
    loopback = cookies.is_loopback(request.url.hostname)
    if (not _navigation(request) or cookies.carried(request)
            or request.url.scheme == "https" or not cookies.lax_withheld(request)
            or (loopback and cookies.keeps_secure_on_loopback(request))):
        return
    sid = str(named.hint.get("sid", "")) if named.hint is not None else None

    def named_here(session: Session) -> bool:
        if sid is not None:
            return session.id == sid
        if named.user is not None:
            return session.user_id == named.user
        return tenant_id is None or session.tenant_id == tenant_id

    signed_in = sum(1 for s in state.store.sessions.values()
                    if named_here(s) and cookies.session_is_valid(state, s))
    if not signed_in:
        return
    why = ("a browser that keeps no Secure cookie over http (Safari) holds only the "
           "SameSite=Lax twins of the provider's cookies on a loopback host, and sends them on "
           "cross-site top-level GET navigations only (serve the provider over https)"
           if loopback else
           "a browser sends SameSite=Lax cookies on cross-site top-level GET navigations only "
           "(serve the provider on a loopback host or over https for SameSite=None; Secure "
           "ones)")
    message = (f"this cross-site {request.method} sign-out carried none of the provider's "
               f"cookies, so it ended nothing while {signed_in} session(s) stay signed in: "
               f"{why}")
    log.warning("%s %s: %s", request.method, request.url.path, message)
    annotate(request.scope, {"target": "signout", "problem": NO_COOKIES,
                             "sessions": signed_in, "message": message})


@dataclass(frozen=True)
class _Named:
    """Who a sign-out names: the ``id_token_hint``'s claims, the account picked on "Pick an
    account" (``""`` for none), the user object id in ``logout_hint``."""

    hint: dict[str, Any] | None = None
    picked: str | None = None
    user: str | None = None


def _sessions_to_end(request: Request, state: IdpState, named: _Named,
                     tenant_id: str | None, *, v2: bool) -> list[Session] | None:
    """The sessions this sign-out ends, all of them named by this browser's cookies; ``None``
    when the user must pick an account: always on ``v2`` while an account is signed in here
    and ``logout_hint`` names none of them. The picked account comes first (the picker may have
    been shown because a hint named no one here), then ``id_token_hint``'s session, then
    ``logout_hint``'s user; one of them naming no account of this browser ends no other."""
    ids = cookies.session_ids(request, state)
    signed_in = cookies.accounts(request, state, tenant_id)
    if v2 and named.picked is None and signed_in and all(
            a.user.id != named.user for a in signed_in):
        return None
    if named.picked is not None or (named.hint is None and named.user is not None):
        user = named.picked if named.picked is not None else named.user
        found = [a.session for a in signed_in if a.user.id == user]
    elif named.hint is not None:
        sid = str(named.hint.get("sid", ""))
        hinted = state.store.sessions.get(sid) if sid in ids else None
        found = [hinted] if hinted is not None and hinted.active else []
    elif len(signed_in) > 1:
        return None
    else:
        found = [a.session for a in signed_in]
        for sid in ids:
            session = state.store.sessions.get(sid)
            if session is not None and session.active and session not in found and (
                    tenant_id is None or session.tenant_id == tenant_id):
                found.append(session)
        return found
    return found or (None if signed_in else [])


def _logout_hint_user(hint: str | None) -> str | None:
    """The user object id in a ``logout_hint`` (the ``login_hint`` claim: base64url of
    ``O.{oid}.{tid}``), or ``None``."""
    if not hint or len(hint) > 512:
        return None
    try:
        decoded = base64.urlsafe_b64decode(hint + "=" * (-len(hint) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    parts = decoded.split(".")
    return parts[1].lower() if len(parts) == 3 and parts[0] == "O" else None


def _pick_account(request: Request, state: IdpState, params: dict[str, str],
                  tenant_id: str | None) -> Response:
    """"Pick an account" to sign out of; the tile posts back here with the ``ctx``."""
    now: datetime = state.clock.now()
    txn = Transaction(kind="logout", tenant_id=tenant_id or "", created=now,
                      logout_params=tuple((k, v) for k, v in params.items() if k in READ))
    signed_in = cookies.accounts(request, state, tenant_id)
    return render(request, "pick_account", purpose="signout", ctx=keep(state, txn),
                  action=request.url.path, app_name="",
                  accounts=account_tiles(signed_in))


def _post_logout_target(state: IdpState, client_id: str, sessions: list[Session],
                        params: dict[str, str]) -> str | None:
    """Where to send the browser: ``post_logout_redirect_uri`` (with ``state``) when it is a
    registered redirect URI of the app named by ``client_id`` or ``id_token_hint``, or else of
    an app the ended session signed into. ``None`` keeps the signed-out page."""
    uri = params.get("post_logout_redirect_uri")
    if not uri:
        return None
    candidates: list[Application] = []
    if client_id:
        found = state.store.find_app_any(client_id)
        candidates = [found[1]] if found is not None else []
    else:
        for session in sessions:
            tenant = state.store.tenants.get(session.tenant_id)
            if tenant is not None:
                candidates += [a for c in session.apps
                               if (a := tenants.app_in(state.store, tenant, c)) is not None]
    if not any(redirect.matches(uri, app.all_redirect_uris()) for app in candidates):
        return None
    if params.get("state") is not None:
        parts = urlsplit(uri)
        extra = urlencode({"state": params["state"]})
        query = f"{parts.query}&{extra}" if parts.query else extra
        uri = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return uri


async def notifications(request: Request) -> Response:
    notifier = idp(request).notifier
    kind = request.query_params.get("kind")
    if kind is not None and kind not in ("frontchannel", "backchannel", "platform"):
        return plain_error(400, "kind must be frontchannel, backchannel or platform",
                           field="kind")
    notes = [n.to_json() for n in notifier.log() if kind is None or n.kind == kind]
    return JSONResponse({"notifications": notes})


async def clear_notifications(request: Request) -> Response:
    idp(request).notifier.clear()
    return Response(status_code=204)


async def frame_loaded(request: Request) -> Response:
    if not idp(request).notifier.mark_loaded(request.path_params["note_id"]):
        return plain_error(404, "no such front-channel notification", field="note_id")
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/{tenant}/oauth2/v2.0/logout", logout, methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/logout", logout, methods=["GET", "POST"]),
    route("/_mock/notifications", {"GET": notifications, "DELETE": clear_notifications}),
    route("/_mock/notifications/{note_id}/loaded", {"POST": frame_loaded}),
]
