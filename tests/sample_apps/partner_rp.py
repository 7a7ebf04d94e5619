"""A small partner app, served in-process (``asgi``): it stores ``app.installed``, signs users in
through an installation's standalone URL and applies ``user.logout`` and ``app.uninstalled``.

``DEFECT`` gives it one flaw at a time: ``signature`` (it reads every event without checking
``X-Hub-Ecdsa-Signature``), ``accepts-unsigned`` (it checks the signature only when the header
is there), ``logout-all`` (a ``user.logout`` ends every session), ``ignores-uninstall`` (it
answers ``app.uninstalled`` and goes on serving the installation), ``launch-after-uninstall``
(it ends the installation's sessions on ``app.uninstalled`` but still starts the sign-in for
its launches), ``duplicate-409`` (a redelivered ``app.installed`` is answered 409),
``duplicate-applied`` (a redelivered ``app.installed`` adds the installation again),
``duplicate-applied-late`` (as ``duplicate-applied``, but it answers every event at once and
applies it :data:`LATE_S` seconds later, in the order they came, all but the ``app.installed``
of an installation it does not know yet), ``launch-button`` (once an installation has signed
someone in, its standalone URL answers a "Welcome back" page with a "Sign in" link that starts
the sign-in, rather than starting it), ``trusts-hint`` (the user it signs in is the one the launch's
``talkdesk_user_id`` hint names, whoever authenticated), ``hmac-signature`` (it looks for
Talkdesk's older ``x-hub-signature`` HMAC, which the platform does not send, and so refuses
every event), or ``none``.
``refusal_status`` is what it answers an event that is not validly signed, ``accept_status``
what it answers an event it takes; ``LISTING=ids`` makes its installations list each
installation by its ``installation_id`` and ``client_id`` only (not its endpoints).
It checks nothing of the sign-in itself (the ID token is read, not verified): it is here for
its events. ``ENDPOINTS=v1`` makes it sign in through the tenant's v1 endpoints
(``/oauth2/authorize`` and ``/oauth2/token``) rather than the v2 ones the event links, as an app
written for Entra's v1.0 endpoints does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scenarios.ca_trust import public_trust

if TYPE_CHECKING:
    from scenarios.app.servers import AppLaunch

CONTACT = "help@partner.example"
SESSION_COOKIE = "session"
DEFECTS = ("none", "signature", "accepts-unsigned", "logout-all", "ignores-uninstall",
           "launch-after-uninstall", "duplicate-409", "duplicate-applied",
           "duplicate-applied-late", "launch-button", "trusts-hint", "hmac-signature")
LATE_S = 3.0
"""How long ``duplicate-applied-late`` waits before applying an event it queued."""


def partner_profile(directory: Path, *, defect: str = "none", refusal_status: int = 401,
                    accept_status: int = 200, installations: bool = True,
                    session_check: bool = True, endpoints: str = "v2",
                    sign_in_control: str | None = None, listing: str = "full") -> Path:
    """A profile for this app with ``defect`` (one of :data:`DEFECTS`); ``installations``: the
    profile names its installations URL; ``session_check``: it says how to tell who is signed
    in (its ``[signed_in]`` me_url), else only what the page a sign-in lands on shows;
    ``endpoints``: ``v1`` or ``v2``, the Entra endpoints it signs in through;
    ``sign_in_control``: a ``[sign_in] control`` (with its home page as a sign-in URL);
    ``listing``: ``full`` or ``ids``, what its installations URL shows of each."""
    assert defect in DEFECTS, defect
    assert endpoints in ("v1", "v2"), endpoints
    path = directory / (f"partner-{defect}-{refusal_status}-{accept_status}-{session_check}-"
                        f"{endpoints}{'-control' if sign_in_control else ''}-{listing}.toml")
    sign_in = ("" if sign_in_control is None else
               f'[sign_in]\nurls = {{ home = "/" }}\ncontrol = {json.dumps(sign_in_control)}\n')
    signed_in = """
[signed_in]
me_url = "/me"

[signed_in.me_json]
email = "email"
name = "name"
user_id = "user_id"
installation_id = "installation_id"
""" if session_check else """
[signed_in]
text = "Signed in as"
"""
    path.write_text(f"""\
name = "partner app ({defect})"

[app]
asgi = "sample_apps.partner_rp:create"

[app.env]
EVENT_KEYS_URL = "{{event_keys_url}}"
APP_ID = "{{client_id}}"
REDIRECT_URI = "{{redirect_uri}}"
DEFECT = "{defect}"
REFUSAL_STATUS = "{refusal_status}"
ACCEPT_STATUS = "{accept_status}"
ENDPOINTS = "{endpoints}"
LISTING = "{listing}"

[provider]
redirect_uris = ["{{base_url}}/callback"]
{sign_in}{signed_in}
[failure]
contact = "{CONTACT}"
text = "Sign-in failed"

[partner]
events_url = "{{base_url}}/events"
launch_url = "/launch?talkdesk_installation_id={{installation_id}}&talkdesk_user_id={{user_id}}"
lands_on = "/"
""" + ('installations = { url = "/installations" }\n' if installations else ""),
                    encoding="utf-8")
    return path


def _verified(body: bytes, headers: Any, keys_url: str) -> bool:
    """ECDSA P-256 / SHA-256 over the raw body, key named by the key-id header."""
    signature, kid = headers.get("x-hub-ecdsa-signature"), headers.get("x-hub-ecdsa-signature-id")
    if not signature or not kid:
        return False
    published = httpx.get(keys_url, verify=public_trust(), timeout=5).json()["keys"]
    jwk = next((k for k in published if k["kid"] == kid), None)
    if jwk is None:
        return False
    public_key = ECAlgorithm.from_jwk(json.dumps(jwk))
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    try:
        public_key.verify(base64.b64decode(signature, validate=True), body,
                          ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def create(launch: AppLaunch) -> Starlette:
    env = launch.env
    defect = env.get("DEFECT", "none")
    installations: dict[str, dict[str, Any]] = {}
    pending: dict[str, str] = {}
    """state -> installation id"""
    hints: dict[str, str] = {}
    """state -> the launch's user-id hint"""
    sessions: dict[str, dict[str, str]] = {}

    def failure(why: str) -> Response:
        return HTMLResponse(f"<h1>Sign-in failed</h1><p>{html.escape(why)}</p>"
                            f"<p>Contact {CONTACT}</p>", status_code=400)

    def end_sessions(installation_id: str, user_id: str | None) -> None:
        for key, session in list(sessions.items()):
            if defect == "logout-all" or (session["installation_id"] == installation_id and (
                    user_id is None or session["user_id"] == user_id)):
                del sessions[key]

    def endpoint(href: str) -> str:
        """The event's v2 endpoint, or the tenant's v1 one in its place (``ENDPOINTS=v1``)."""
        return href.replace("/oauth2/v2.0/", "/oauth2/") if env.get("ENDPOINTS") == "v1" else href

    def apply(event: dict[str, Any]) -> None:
        data, links = event["data"], event.get("_links", {})
        installation_id = data["installation_id"]
        if event["type"] == "app.installed":
            installation = {
                "installation_id": installation_id, "client_id": data["client_id"],
                "client_secret": data["client_secret"], "active": True,
                "authorize": endpoint(links["authorization"]["href"]),
                "token": endpoint(links["token"]["href"])}
            key = installation_id
            if defect.startswith("duplicate-applied") and installation_id in installations:
                key = f"{installation_id}#{len(installations)}"
            installations[key] = installation
        elif (event["type"] == "app.uninstalled" and installation_id in installations
              and defect != "ignores-uninstall"):
            if defect != "launch-after-uninstall":
                installations[installation_id]["active"] = False
            end_sessions(installation_id, None)
        elif event["type"] == "user.logout":
            end_sessions(installation_id, data["user_id"])

    async def events(request: Request) -> Response:
        body = await request.body()
        unchecked = defect == "signature" or (
            defect == "accepts-unsigned" and "x-hub-ecdsa-signature" not in request.headers)
        if (defect == "hmac-signature" and "x-hub-signature" not in request.headers) or (
                not unchecked and not await run_in_threadpool(
                    _verified, body, request.headers, env["EVENT_KEYS_URL"])):
            return JSONResponse({"error": "invalid signature"},
                                status_code=int(env.get("REFUSAL_STATUS", "401")))
        event = json.loads(body)
        if event.get("app_id") != env["APP_ID"]:
            return JSONResponse({"error": "not this app's event"}, status_code=403)
        installation_id = event["data"]["installation_id"]
        if event["type"] == "app.installed" and installation_id in installations and (
                defect == "duplicate-409"):
            return JSONResponse({"error": "already installed"}, status_code=409)
        if defect == "duplicate-applied-late" and not (
                event["type"] == "app.installed" and installation_id not in installations):
            asyncio.get_running_loop().call_later(LATE_S, apply, event)  # in order
        else:
            apply(event)
        return JSONResponse({"status": "ok"}, status_code=int(env.get("ACCEPT_STATUS", "200")))

    def launch_(request: Request) -> Response:
        installation_id = request.query_params.get("talkdesk_installation_id", "")
        installation = installations.get(installation_id)
        if installation is None or not installation["active"]:
            return failure("this app is not installed for your account")
        if (env.get("DEFECT") == "launch-button" and installation.get("signed_in")
                and "go" not in request.query_params):
            go = html.escape(f"{request.url}&go=1")
            return HTMLResponse(f'<h1>Welcome back</h1><a href="{go}">Sign in</a>')
        state = secrets.token_urlsafe(16)
        pending[state] = installation_id
        hints[state] = request.query_params.get("talkdesk_user_id", "")
        query = {"client_id": installation["client_id"], "response_type": "code",
                 "redirect_uri": env["REDIRECT_URI"], "scope": "openid profile email",
                 "state": state, "nonce": secrets.token_urlsafe(16)}
        if env.get("ENDPOINTS") == "v1":  # a v1 sign-in names the resource its token is for
            query["resource"] = "https://graph.microsoft.com"
        return RedirectResponse(f"{installation['authorize']}?{urlencode(query)}",
                                status_code=302)

    def callback(request: Request) -> Response:
        state = request.query_params.get("state", "")
        installation, hint = installations.get(pending.pop(state, "")), hints.pop(state, "")
        if installation is None or not installation["active"]:
            return failure("unknown state")
        redeemed = httpx.post(installation["token"], verify=public_trust(), timeout=5, data={
            "grant_type": "authorization_code", "code": request.query_params.get("code", ""),
            "redirect_uri": env["REDIRECT_URI"], "client_id": installation["client_id"],
            "client_secret": installation["client_secret"]})
        if not redeemed.is_success:
            return failure("the code was refused")
        claims = jwt.decode(redeemed.json()["id_token"], options={"verify_signature": False})
        installation["signed_in"] = True
        session = secrets.token_urlsafe(16)
        sessions[session] = {"installation_id": installation["installation_id"],
                             "user_id": (hint if defect == "trusts-hint" and hint
                                         else str(claims.get("oid", ""))),
                             # a v1 ID token names the user by upn, a v2 one by
                             # preferred_username
                             "email": str(claims.get("preferred_username")
                                          or claims.get("upn", "")),
                             "name": str(claims.get("name", ""))}
        answer = RedirectResponse("/", status_code=302)
        answer.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax")
        return answer

    def home(request: Request) -> Response:
        who = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if who is None:
            return HTMLResponse("<h1>Partner app</h1><p>Open it from the platform.</p>")
        return HTMLResponse(f"<h1>Partner app</h1><p>Signed in as {html.escape(who['name'])}</p>")

    def me(request: Request) -> Response:
        who = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if who is None:
            return JSONResponse({"error": "not signed in"}, status_code=401)
        return JSONResponse(who)

    def listed(request: Request) -> Response:
        if env.get("LISTING") == "ids":
            return JSONResponse([{"installation_id": i["installation_id"],
                                  "client_id": i["client_id"]} for i in installations.values()])
        return JSONResponse([{k: v for k, v in i.items() if k != "client_secret"}
                             for i in installations.values()])

    return Starlette(routes=[Route("/events", events, methods=["POST"]),
                             Route("/launch", launch_), Route("/callback", callback),
                             Route("/", home), Route("/me", me),
                             Route("/installations", listed)])
