"""A deliberately sloppy OpenID Connect relying party, for proving that scenarios fail.

It signs people in with the authorization-code flow and checks the ID token's signature,
issuer, audience and expiry, but it never compares the nonce, takes any organization's users
when its authority is ``/common`` or ``/organizations``, ignores ``state``, and lets a
refused code exchange (an expired or wrong client secret) end on a bare "Internal Server Error"
page with no support contact. A provider error sent to the callback gets a proper failure page
(HTTP 400; ``TINY_FAILURE_STATUS`` sets another status, such as a framework's error handler's 500).

    OIDC_AUTHORITY=http://localhost:PORT/<tenant> OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \\
    OIDC_REDIRECT_URI=http://127.0.0.1:8000/callback python tiny_rp.py --port 8000

``OIDC_TOKEN_TIMEOUT`` (seconds, default 5) bounds its code exchange; a timeout is not handled
either (the browser gets no answer at all), unless ``TINY_TIMEOUT_PAGE=<seconds>`` is set: then
the failure page answers it, that long after the app gave up (a slow error page).
``TINY_LOG_REQUESTS=1`` prints each request to stderr. ``TINY_NO_NONCE=1`` leaves the nonce out
of its authorization requests;
``TINY_FORM_POST=1`` asks for ``response_mode=form_post`` (ASP.NET Core's default) and takes
the answer posted to its callback. ``TINY_NO_STATE=1`` leaves the state out of its authorization
requests (it never checked one anyway). ``TINY_PKCE=1`` sends a PKCE ``code_challenge``
(S256), its verifier kept in a cookie of the browser that started the sign-in and sent with the
code (a refused exchange is not handled either); ``TINY_PKCE_SAMESITE`` (default ``Lax``) is that
cookie's SameSite attribute. ``TINY_CHECK_NONCE=1`` (not with ``TINY_PKCE``) makes it compare
the nonce after all: the nonce it sent is kept in a cookie of the browser that started the
sign-in, and an ID token with another nonce (or none) is refused as a failed signature check is;
with ``TINY_NO_NONCE`` too, an ID token carrying a nonce is refused.
``TINY_POST_AUTHORIZE=1`` sends the browser to the
provider with a page whose form posts the authorization request as it loads, rather than by a
redirect (the authorize endpoint takes a POST too).
``TINY_SHOW_SECRET=<file>`` makes it show its client secret, twice and in colour, on
its "Sign-in failed" page after a refused ID token, and write it to ``<file>`` for a test to
look for. ``TINY_EXIT_ON_REFUSAL=1`` makes its process exit (code 3) as it refuses an ID
token, without answering; ``TINY_ONCE=<file>`` makes it start only once: it writes ``<file>``
as it starts, and exits at once (code 4) when the file is there already.
``TINY_VOUCHED_EMAIL=1`` makes it keep an address only with ``email_verified`` true, which
Entra never sends: it then holds none (``/me`` answers ``email: null``) and shows the name. An
empty ``TINY_PKCE_SAMESITE`` sets the PKCE cookie without a SameSite attribute.
``TINY_GRAPH_ONLY=1`` makes it sign people in as django-allauth's Microsoft provider does: it
asks for ``User.Read`` alone (no ``openid``, so no ID token) and takes the person from
Microsoft Graph's ``/me`` (``OIDC_GRAPH_URL``) with the access token; ``TINY_GRAPH_ONLY=openid``
likewise, but asking fastapi-sso's ``MicrosoftSSO`` scope ``openid User.Read email``: it gets
an ID token and never reads it. ``TINY_KEEP_KEYS=1``
makes it keep the first key set it fetched and never fetch it again (passport-azure-ad keeps
its for 30 minutes): an ID token signed with a key rotated in since is refused.
``TINY_DEAF_TO_DROPS=1`` makes it never answer a callback whose code exchange the provider
broke off mid-answer, as node-oauth (under passport-azure-ad) waits for the end of a body
that will not come.
``TINY_ISSUER_AS_WRITTEN=1`` compares the ID token's issuer with the discovery document's as
written, ``{tenantid}`` and all, before it asks for the keys (next-auth v4, through
openid-client): on ``/common`` or ``/organizations`` it refuses every sign-in.
``TINY_ONLY_TID=<tenant id>`` refuses an ID token of another tenant on its failure page.
``TINY_REFUSAL=login`` sends the browser to ``/login`` as it refuses an ID token, which starts
a new sign-in (passport's ``failureRedirect: '/login'``).
``TINY_CALLBACK=loop`` makes its callback redirect to itself, without end (an error handler
that sends the browser back where it came from); ``TINY_CALLBACK=drop`` makes it close the
connection without an answer.
``TINY_USERINFO=1`` makes it take the person from UserInfo's answer, never comparing its
``sub`` with the ID token's (as an app on @fastify/oauth2's ``userinfo()`` does).
``/tickets`` is a second protected page, which a sign-in started there does not return to: the
callback always sends the browser to ``/account``.
``TINY_TRUST_ID_TOKEN=1`` makes it read the ID token without checking anything in it
(signature, issuer, audience, expiry), as an app that only decodes it does.
``TINY_ONE_USER=1`` makes it keep the first person it signed in for everyone after (a
"current user" held in a global): each later sign-in lands as that first person.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt

CONTACT = "help@tiny.example"
GRAPH_ONLY = os.environ.get("TINY_GRAPH_ONLY") in ("1", "openid")
SESSIONS: dict[str, dict[str, str | None]] = {}
KEPT_KEYS: list[jwt.PyJWKSet] = []
FIRST_PERSON: dict[str, dict[str, str | None]] = {}


def _signing_key(keys: jwt.PyJWKClient, id_token: str) -> Any:
    """The key the ID token names: fetched for each sign-in, or with ``TINY_KEEP_KEYS`` looked
    up in the first key set fetched, never again."""
    if os.environ.get("TINY_KEEP_KEYS") != "1":
        return keys.get_signing_key_from_jwt(id_token).key
    if not KEPT_KEYS:
        KEPT_KEYS.append(keys.get_jwk_set())
    kid = jwt.get_unverified_header(id_token).get("kid")
    for key in KEPT_KEYS[0].keys:
        if key.key_id == kid:
            return key.key
    raise jwt.InvalidTokenError(f"no key with kid {kid!r} in the key set held")


class Settings:
    def __init__(self) -> None:
        self.authority = os.environ["OIDC_AUTHORITY"].rstrip("/")
        self.client_id = os.environ["OIDC_CLIENT_ID"]
        self.client_secret = os.environ["OIDC_CLIENT_SECRET"]
        self.redirect_uri = os.environ["OIDC_REDIRECT_URI"]
        self.token_timeout = float(os.environ.get("OIDC_TOKEN_TIMEOUT", "5"))
        self.metadata = httpx.get(f"{self.authority}/v2.0/.well-known/openid-configuration",
                                  timeout=5).json()


SETTINGS: Settings


class Handler(BaseHTTPRequestHandler):
    def _session(self) -> dict[str, str | None] | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get("tiny_session")
        return SESSIONS.get(morsel.value) if morsel is not None else None

    def _send(self, status: int, body: str, *, content_type: str = "text/html",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/callback" and self._broken_callback():
            return
        if parts.path == "/":
            self._send(200, "<h1>Tiny app</h1>")
        elif parts.path == "/login":
            self._login()
        elif parts.path == "/callback" and os.environ.get("TINY_FORM_POST") == "1":
            self._send(405, "<h1>Method not allowed</h1>")  # it asked for the answer posted
        elif parts.path == "/callback":
            try:
                self._callback(query)
            except httpx.HTTPStatusError:  # what a framework does with an unhandled error
                self._send(500, "<h1>Internal Server Error</h1>")
        elif parts.path in ("/account", "/tickets"):  # a sign-in always lands on /account
            session = self._session()
            if session is None:
                self._login()
            else:
                self._send(200, f"<h1>Account</h1><p>Signed in as "
                                f"{html.escape(session['name'] or '')}</p>")
        elif parts.path == "/me":
            session = self._session()
            if session is None:
                self._send(401, '{"error": "not signed in"}', content_type="application/json")
            else:
                self._send(200, json.dumps(session), content_type="application/json")
        else:
            self._send(404, "<h1>Not found</h1>")

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path == "/callback" and self._broken_callback():
            return
        if urlsplit(self.path).path == "/callback":
            try:
                self._callback(form)
            except httpx.HTTPStatusError:
                self._send(500, "<h1>Internal Server Error</h1>")
        else:
            self._send(404, "<h1>Not found</h1>")

    def _broken_callback(self) -> bool:
        """``TINY_CALLBACK``: answer the callback with a redirect to itself, or with nothing."""
        broken = os.environ.get("TINY_CALLBACK")
        if broken == "loop":
            self._send(302, "", headers={"Location": self.path})
        elif broken == "drop":
            self.close_connection = True
        return broken in ("loop", "drop")

    def _login(self) -> None:
        params = {
            "client_id": SETTINGS.client_id, "response_type": "code",
            "redirect_uri": SETTINGS.redirect_uri, "scope": "openid profile email",
            "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
        }
        if os.environ.get("TINY_NO_NONCE") == "1" or GRAPH_ONLY:
            del params["nonce"]
        if GRAPH_ONLY:
            params["scope"] = ("openid User.Read email"
                               if os.environ["TINY_GRAPH_ONLY"] == "openid" else "User.Read")
        if os.environ.get("TINY_NO_STATE") == "1":
            del params["state"]
        if os.environ.get("TINY_FORM_POST") == "1":
            params["response_mode"] = "form_post"
        headers: dict[str, str] = {}
        if os.environ.get("TINY_CHECK_NONCE") == "1":
            sent = params.get("nonce", "")  # with TINY_NO_NONCE: an ID token has none either
            headers["Set-Cookie"] = f"tiny_nonce={sent}; Path=/; HttpOnly; SameSite=Lax"
        if os.environ.get("TINY_PKCE") == "1":
            verifier = secrets.token_urlsafe(48)
            digest = hashlib.sha256(verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            params["code_challenge_method"] = "S256"
            same_site = os.environ.get("TINY_PKCE_SAMESITE", "Lax")
            attribute = f"; SameSite={same_site}" if same_site else ""
            headers["Set-Cookie"] = f"tiny_pkce={verifier}; Path=/; HttpOnly{attribute}"
        endpoint = SETTINGS.metadata["authorization_endpoint"]
        if os.environ.get("TINY_POST_AUTHORIZE") == "1":
            fields = "".join(f'<input type="hidden" name="{html.escape(k)}" '
                             f'value="{html.escape(v)}">' for k, v in params.items())
            self._send(200, f'<body onload="document.forms[0].submit()"><form method="post" '
                            f'action="{html.escape(endpoint)}">{fields}</form></body>',
                       headers=headers)
            return
        self._send(302, "", headers={"Location": f"{endpoint}?{urlencode(params)}", **headers})

    def _callback(self, query: dict[str, str]) -> None:
        if "error" in query:
            message = html.escape(query.get("error_description", query["error"]))
            self._send(int(os.environ.get("TINY_FAILURE_STATUS", "400")),
                       f"<h1>Sign-in failed</h1><p>{message}</p><p>Contact {CONTACT}</p>")
            return
        exchange = {
            "grant_type": "authorization_code", "code": query["code"],
            "redirect_uri": SETTINGS.redirect_uri, "client_id": SETTINGS.client_id,
            "client_secret": SETTINGS.client_secret}
        if os.environ.get("TINY_PKCE") == "1":
            verifier = SimpleCookie(self.headers.get("Cookie", "")).get("tiny_pkce")
            exchange["code_verifier"] = verifier.value if verifier is not None else ""
        try:
            token = httpx.post(SETTINGS.metadata["token_endpoint"], data=exchange,
                               timeout=SETTINGS.token_timeout)
        except httpx.RemoteProtocolError:
            if os.environ.get("TINY_DEAF_TO_DROPS") == "1":
                time.sleep(120)  # the answer's end never comes: nor does the browser's page
            raise
        except httpx.TimeoutException:
            if (slow := os.environ.get("TINY_TIMEOUT_PAGE")) is None:
                raise
            time.sleep(float(slow))  # its connection to the provider closed: a slow page
            self._send(502, f"<h1>Sign-in failed</h1><p>The provider took too long.</p>"
                       f"<p>Contact {CONTACT}</p>")
            return
        token.raise_for_status()  # the sloppy part: a refused exchange is not handled
        if GRAPH_ONLY:
            self._sign_in_from_graph(str(token.json()["access_token"]))
            return
        try:
            keys = jwt.PyJWKClient(SETTINGS.metadata["jwks_uri"])
            id_token = token.json()["id_token"]
            # On /common or /organizations the document's issuer is a {tenantid} template;
            # filled with the token's own tid, as multi-tenant samples do, it takes every
            # organization's users (the sloppy part when the app serves one customer).
            tid = jwt.decode(id_token, options={"verify_signature": False}).get("tid", "")
            issuer = SETTINGS.metadata["issuer"]
            if os.environ.get("TINY_ISSUER_AS_WRITTEN") != "1":
                issuer = issuer.replace("{tenantid}", str(tid))
            elif jwt.decode(id_token, options={"verify_signature": False}).get("iss") != issuer:
                # as openid-client does, the claims before the keys
                raise jwt.InvalidIssuerError(f"unexpected iss value, expected {issuer}")
            if (only := os.environ.get("TINY_ONLY_TID")) and tid != only:
                raise jwt.InvalidTokenError(f"tid {tid} is not the customer's tenant")
            if os.environ.get("TINY_TRUST_ID_TOKEN") == "1":
                claims = jwt.decode(id_token, options={"verify_signature": False})
            else:
                claims = jwt.decode(id_token, _signing_key(keys, id_token),
                                    algorithms=["RS256"], audience=SETTINGS.client_id,
                                    issuer=issuer, leeway=60)
            if os.environ.get("TINY_CHECK_NONCE") == "1":
                sent = SimpleCookie(self.headers.get("Cookie", "")).get("tiny_nonce")
                if sent is None or not secrets.compare_digest(str(claims.get("nonce", "")),
                                                              sent.value):
                    raise jwt.InvalidTokenError("the ID token's nonce is not the one sent")
        except (jwt.PyJWTError, KeyError) as exc:
            if os.environ.get("TINY_EXIT_ON_REFUSAL") == "1":
                print(f"refusing the ID token ({exc}): exiting", flush=True)
                os._exit(3)
            if os.environ.get("TINY_REFUSAL") == "login":  # passport's failureRedirect
                self._send(302, "", headers={"Location": "/login"})
                return
            leak = ""
            if shown_to := os.environ.get("TINY_SHOW_SECRET"):
                secret = SETTINGS.client_secret
                leak = f"<p>\x1b[1m{secret} {secret}\x1b[0m</p>"
                with open(shown_to, "w", encoding="utf-8") as file:
                    file.write(secret)
            self._send(400, f"<h1>Sign-in failed</h1>{leak}<p>{html.escape(str(exc))}</p>"
                            f"<p>Contact {CONTACT}</p>")
            return
        session_id = secrets.token_urlsafe(16)
        email: str | None = str(claims.get("email") or claims.get("preferred_username"))
        if os.environ.get("TINY_VOUCHED_EMAIL") and claims.get("email_verified") is not True:
            email = None
        person = {"email": email, "name": str(claims.get("name", ""))}
        if os.environ.get("TINY_USERINFO") == "1":  # UserInfo's person, its sub never compared
            answer = httpx.get(SETTINGS.metadata["userinfo_endpoint"], timeout=5, headers={
                "Authorization": f"Bearer {token.json()['access_token']}"}).json()
            person = {"email": answer.get("email"), "name": str(answer.get("name", ""))}
        if os.environ.get("TINY_ONE_USER") == "1":
            person = FIRST_PERSON.setdefault("person", person)
        SESSIONS[session_id] = person
        self._send(302, "", headers={"Location": "/account",
                                     "Set-Cookie": f"tiny_session={session_id}; Path=/; HttpOnly"})

    def _sign_in_from_graph(self, access_token: str) -> None:
        me = httpx.get(f"{os.environ['OIDC_GRAPH_URL']}/v1.0/me",
                       headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
        me.raise_for_status()
        person = me.json()
        session_id = secrets.token_urlsafe(16)
        SESSIONS[session_id] = {"email": person.get("mail") or person.get("userPrincipalName"),
                                "name": str(person.get("displayName", ""))}
        self._send(302, "", headers={"Location": "/account",
                                     "Set-Cookie": f"tiny_session={session_id}; Path=/; HttpOnly"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if os.environ.get("TINY_LOG_REQUESTS"):
            super().log_message(format, *args)


def main() -> None:
    global SETTINGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    if once := os.environ.get("TINY_ONCE"):
        if os.path.exists(once):
            print("started once already: not again", flush=True)
            raise SystemExit(4)
        open(once, "w").close()  # noqa: SIM115
    SETTINGS = Settings()
    print(f"tiny app on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
