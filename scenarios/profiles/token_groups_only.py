"""An app that takes a user's groups from the ID token's ``groups`` claim only, as many do: it
never looks at a groups overage (``_claim_names`` / ``_claim_sources``), so a user in more
groups than fit in a token signs in with no groups at all.

A demonstration for ``token-groups-only.toml``: the catalogue's groups scenarios run against it
to show that loss (and that the same app is fine below the limit). Apart from that it signs in
properly: authorization code with PKCE, state and nonce, the ID token's signature, issuer,
audience and lifetime checked. Sessions live in memory.

It is a v2.0 app: handed the authority (``https://login.microsoftonline.com/<tenant>``, MSAL's
setting), it takes the issuer ``<authority>/v2.0`` and that issuer's discovery document, so
the profile claims no v1 endpoints and the catalogue's v1 scenarios are skipped for it.

``[app.env]``: ``APP_AUTHORITY``, ``APP_CLIENT_ID``, ``APP_CLIENT_SECRET``, ``APP_REDIRECT_URI``,
``APP_CA_FILE`` (an https provider's CA, optional).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scenarios.app.servers import AppLaunch
from scenarios.ca_trust import public_trust

__all__ = ["create_app"]

COOKIE = "tgo_session"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _failed(reason: str, status: int) -> Response:
    return HTMLResponse(f"<h1>Sign-in failed</h1><p>{html.escape(reason)}</p>", status_code=status)


class _App:
    def __init__(self, env: Mapping[str, str]) -> None:
        # Entra's v2.0 issuer is the tenant's authority with /v2.0, its discovery document
        # <issuer>/.well-known/openid-configuration (Microsoft Learn, "OpenID Connect on the
        # Microsoft identity platform", v2-protocols-oidc).
        self.issuer = env["APP_AUTHORITY"].rstrip("/") + "/v2.0"
        self.client_id = env["APP_CLIENT_ID"]
        self.secret = env["APP_CLIENT_SECRET"]
        self.redirect_uri = env["APP_REDIRECT_URI"]
        ca = env.get("APP_CA_FILE")
        self.verify: ssl.SSLContext = (
            ssl.create_default_context(cafile=ca) if ca else public_trust())
        self.pending: dict[str, tuple[str, str]] = {}
        """state -> (nonce, PKCE verifier)."""
        self.sessions: dict[str, dict[str, Any]] = {}

    async def fetch(self, url: str) -> dict[str, Any]:
        async with httpx.AsyncClient(verify=self.verify, timeout=10) as client:
            found: dict[str, Any] = (await client.get(url)).raise_for_status().json()
            return found

    async def metadata(self) -> dict[str, Any]:
        return await self.fetch(f"{self.issuer}/.well-known/openid-configuration")

    async def login(self, request: Request) -> Response:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # RFC 7636: 43 to 128 characters
        self.pending[state] = (nonce, verifier)
        query = urlencode({
            "client_id": self.client_id, "response_type": "code", "redirect_uri":
            self.redirect_uri, "scope": "openid profile email", "state": state, "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256"})
        meta = await self.metadata()
        return RedirectResponse(f"{meta['authorization_endpoint']}?{query}", 302)

    async def callback(self, request: Request) -> Response:
        params = request.query_params
        pending = self.pending.pop(params.get("state", ""), None)
        if pending is None or "code" not in params:
            return _failed("unknown state, or no code", 400)
        nonce, verifier = pending
        meta = await self.metadata()
        async with httpx.AsyncClient(verify=self.verify, timeout=10) as client:
            answer = await client.post(meta["token_endpoint"], data={
                "grant_type": "authorization_code", "code": params["code"],
                "redirect_uri": self.redirect_uri, "code_verifier": verifier,
                "client_id": self.client_id, "client_secret": self.secret})
        if answer.status_code != 200:
            return _failed(f"the token endpoint answered HTTP {answer.status_code}: "
                           f"{answer.text[:300]}", 502)
        token = answer.json()["id_token"]
        keys = jwt.PyJWKSet.from_dict(await self.fetch(meta["jwks_uri"]))
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in keys.keys if k.key_id == kid), None)
        if key is None:
            return _failed("the ID token's key is not in the key set", 400)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.client_id,
                            issuer=self.issuer)
        if claims.get("nonce") != nonce:
            return _failed("the ID token's nonce is not this sign-in's", 400)
        session = secrets.token_urlsafe(24)
        # The naive part: groups only from the claim; an overage leaves the user with none.
        self.sessions[session] = {"name": claims.get("name"),
                                  "email": claims.get("email") or claims.get(
                                      "preferred_username"),
                                  "groups": list(claims.get("groups", []))}
        response = RedirectResponse("/", 303)
        response.set_cookie(COOKIE, session, httponly=True, samesite="lax")
        return response

    def _user(self, request: Request) -> dict[str, Any] | None:
        return self.sessions.get(request.cookies.get(COOKIE, ""))

    async def home(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return HTMLResponse('<p id="signed-in-as">You are not signed in.</p>'
                                '<a href="/login">Sign in</a>')
        return HTMLResponse(f'<p id="signed-in-as">Signed in as {user["name"]}</p>'
                            f'<p id="group-count">{len(user["groups"])} groups</p>')

    async def me(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return JSONResponse({"error": "not_signed_in"}, status_code=401)
        return JSONResponse(user)


def create_app(launch: AppLaunch) -> object:
    app = _App(launch.env)
    return Starlette(routes=[
        Route("/", app.home), Route("/login", app.login),
        Route("/auth/callback", app.callback), Route("/api/me", app.me),
    ])
