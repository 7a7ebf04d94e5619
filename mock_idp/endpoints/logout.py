"""Sign-out: the v1 and v2 end-session endpoints and the notification log.

The IdP session ends, every app it signed into is told (front-channel iframes on the signed-out
page, back-channel logout tokens, platform ``user.logout`` events), then the browser goes to the
app's ``post_logout_redirect_uri`` when it matches one of the app's registered redirect URIs, or
stays on the "You signed out of your account" page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..protocol import redirect, tenants
from ..state import IdpState
from ..store import Application, Session
from .authorize import SESSION_COOKIE, session_is_valid
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
from .forms import form_params
from .mock_api import route


def _hint_claims(state: IdpState, token: str) -> dict[str, Any] | None:
    """Claims of an ID token this provider issued (signature checked, expiry not)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
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


async def logout(request: Request) -> Response:
    state = idp(request)
    if request.method == "POST":
        try:
            params = await form_params(request)
        except EntraError as err:
            return error_page(request, err)
    else:
        params = dict(request.query_params)
    for name, value in params.items():
        if len(value) > MAX_PARAM_LENGTH:
            return error_page(request, EntraError(90014, {"name": name[:64]}))
    try:
        tenant = tenants.resolve(state.store, request.path_params["tenant"])
    except EntraError as err:
        return error_page(request, err)
    fault = await response_fault(request, "logout", tenant=tenant.id if tenant else None)
    if isinstance(fault, EntraError):
        return error_page(request, fault)
    if fault is not None:
        return fault
    hint = _hint_claims(state, params["id_token_hint"]) if params.get("id_token_hint") else None
    client_id = (params.get("client_id") or (hint or {}).get("aud") or "").lower()
    if hint is not None and params.get("client_id") and params["client_id"].lower() != str(
        hint.get("aud", "")
    ).lower():
        return error_page(request, EntraError(90014, {"name": "client_id"}))
    sessions = _sessions_to_end(request, state, hint)
    for session in sessions:
        session.active = False
    base = base_url(request)
    frames = state.notifier.frontchannel(base, sessions, "logout")
    await state.notifier.sessions_ended(base, sessions, "logout")
    target = _post_logout_target(state, client_id, sessions, params)
    html = templates.get_template("signed_out.html").render(
        frames=frames, target=target)
    if target is not None and not frames:
        response: Response = Response(status_code=302, headers={
            **entra_headers(request), "Location": target, "Cache-Control": "no-store"})
    else:
        response = HTMLResponse(html, headers={**entra_headers(request),
                                               "Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _sessions_to_end(request: Request, state: IdpState, hint: dict[str, Any] | None
                     ) -> list[Session]:
    found: list[Session] = []
    sid = request.cookies.get(SESSION_COOKIE)
    if sid and (session := state.store.sessions.get(sid)) is not None and session.active:
        found.append(session)
    if hint is not None and (hinted := state.store.sessions.get(str(hint.get("sid", "")))):
        if hinted.active and hinted not in found and session_is_valid(state, hinted):
            found.append(hinted)
    return found


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
                candidates += [a for c in session.apps if (a := tenant.apps.get(c)) is not None]
    if not any(redirect.matches(uri, app.redirect_uris) for app in candidates):
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
