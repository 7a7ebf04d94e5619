"""A small in-process OpenID provider (Entra-shaped URLs) with knobs to misbehave.

It serves discovery, JWKS, token, userinfo, end-session, the platform's event keys and its Apps
API (:mod:`fake_apps_api`) over an ``httpx`` transport; the browser leg (authorize) is a method,
:meth:`FakeOp.approve`, that turns the RP's authorization redirect into the callback URL, as a
provider with a signed-in user would.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from fake_apps_api import FakeAppsApi
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pool_keys import distinct_rsa_keys
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BASE = "https://login.op.test"
TID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
ISSUER = f"{BASE}/{TID}/v2.0"
AUTHORIZE = f"{BASE}/{TID}/oauth2/v2.0/authorize"
TOKEN = f"{BASE}/{TID}/oauth2/v2.0/token"
USERINFO = f"{BASE}/oidc/userinfo"
USERS_ME = f"{BASE}/users/me"
"""The platform's ``GET /users/me``: an installation's ``userinfo`` link."""
END_SESSION = f"{BASE}/{TID}/oauth2/v2.0/logout"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
JWKS = f"{BASE}/{TID}/discovery/v2.0/keys"
EVENT_KEYS = f"{BASE}/.well-known/platform-event-keys.json"
APP_ID = "f918e2623486417791f3b5a18ca746ce"
"""The partner app's id on the platform: the RP under test is configured with it."""

CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
CLIENT_SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"


@functools.cache
def _rsa_keys() -> tuple[rsa.RSAPrivateKey, ...]:
    """Taken on first use, not when the tests are collected, from the session's key pool
    (``pool_keys``): generating them took about 0.15 s of CPU in every process."""
    return distinct_rsa_keys(3)


@functools.cache
def _ec_keys() -> tuple[ec.EllipticCurvePrivateKey, ...]:
    return tuple(ec.generate_private_key(ec.SECP256R1()) for _ in range(2))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_hash(value: str) -> str:
    return b64url(hashlib.sha256(value.encode()).digest()[:16])


@dataclass(frozen=True)
class FakeUser:
    key: str
    oid: str
    email: str
    name: str


USERS = {
    "alice": FakeUser("alice", "11111111-1111-4111-8111-111111111111",
                      "alice@contoso.onmicrosoft.com", "Alice Adams"),
    "bob": FakeUser("bob", "22222222-2222-4222-8222-222222222222",
                    "bob@contoso.onmicrosoft.com", "Bob Brown"),
}


SAME = object()
"""A repeated token-response member's value: the one it has in the response already."""


def entra_error(status: int, error: str, code: int, text: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: 0000 Correlation ID: 1111"
        " Timestamp: 2026-03-01 09:00:00Z",
        "error_codes": [code],
        "timestamp": "2026-03-01 09:00:00Z",
        "trace_id": "0000",
        "correlation_id": "1111",
        "error_uri": f"{BASE}/error?code={code}",
    }


@dataclass
class Client:
    secret: str
    auth_method: str = "client_secret_post"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    user: FakeUser
    sid: str


@dataclass
class Faults:
    """Knobs; each is read at the moment the matching endpoint answers."""

    claims: dict[str, Any] = field(default_factory=dict)
    """Overrides of ID-token claims; a value of ``None`` removes the claim."""
    header: dict[str, Any] = field(default_factory=dict)
    sign_with_unpublished_key: bool = False
    tamper_signature: bool = False
    alg_none: bool = False
    hs256_with_public_key: bool = False
    any_json: bool = False
    """Sign the header and claims as they are, whatever their JSON types (PyJWT refuses to
    write some: a list for ``iss``, an ``alg`` that is no string)."""
    token_error: tuple[int, dict[str, Any]] | None = None
    token_raw: tuple[int, bytes] | None = None
    token_redirect: str | None = None
    """A ``Location`` the token endpoint answers a 307 with."""
    token_members: list[tuple[str, Any]] = field(default_factory=list)
    """Members written after a successful token response's own, as given: a name may repeat
    one of them (:data:`SAME`: with the value it has there)."""
    userinfo_sub: str | None = None
    userinfo_status: int | None = None
    users_me: dict[str, Any] = field(default_factory=dict)
    """Overrides of ``/users/me``'s answer (``id`` first); a value of ``None`` removes it."""
    discovery_issuer: str | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    """Overrides of discovery-document members; a value of ``None`` removes the member."""
    unreachable: set[str] = field(default_factory=set)
    """Endpoint names ('discovery', 'jwks', 'token', 'userinfo', 'event_keys', 'apps_api') that
    fail to connect."""
    slow: set[str] = field(default_factory=set)
    """Endpoint names that time out."""
    stalled: set[str] = field(default_factory=set)
    """Endpoint names that accept the request and then never answer."""
    stalled_hosts: set[str] = field(default_factory=set)
    """Hosts that accept the request and then never answer."""
    meanwhile: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Endpoint names whose answer waits until this is done: what happens elsewhere while the
    provider is being asked."""
    omit_end_session: bool = False


class FakeOp:
    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.clients: dict[str, Client] = {CLIENT_ID: Client(CLIENT_SECRET)}
        self.faults = Faults()
        self.signing_index = 0
        self.published = [0]
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, tuple[FakeUser, str]] = {}
        self.sessions: dict[str, str] = {}
        self.requests: list[httpx.Request] = []
        self.issued_id_tokens: list[str] = []
        self.event_key_index = 0
        self.event_keys_published = list(range(len(_ec_keys())))
        """The platform's event-signing keys its key set lists (by index)."""
        self.client_tokens: dict[str, tuple[str, str]] = {}
        """Access tokens of the client-credentials grant: the client id and secret each was
        obtained with."""
        self.client_grants: list[dict[str, str]] = []
        """The form of each client-credentials request."""
        self.apps_api = FakeAppsApi(self.client_tokens)
        self.app = Starlette(
            routes=[
                Route(f"/{TID}/v2.0/.well-known/openid-configuration", self._discovery),
                Route(f"/{TID}/discovery/v2.0/keys", self._jwks),
                Route(f"/{TID}/oauth2/v2.0/token", self._token, methods=["POST"]),
                Route("/oidc/userinfo", self._userinfo),
                Route("/users/me", self._users_me),
                Route("/.well-known/platform-event-keys.json", self._event_keys),
                *self.apps_api.routes,
            ]
        )

    # -- wiring ----------------------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        return _FaultyTransport(self)

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport())

    # -- keys ------------------------------------------------------------------------------

    def kid(self, index: int) -> str:
        return f"rsa-{index}"

    def rotate_keys(self) -> None:
        self.signing_index += 1
        self.published = [self.signing_index]

    def _jwk(self, index: int) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(_rsa_keys()[index].public_key()))
        jwk.update({"kid": self.kid(index), "use": "sig", "alg": "RS256"})
        return jwk

    # -- browser leg -----------------------------------------------------------------------

    def authorization_request(self, location: str) -> dict[str, str]:
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE, location
        return {k: v[0] for k, v in parse_qs(parts.query).items()}

    def approve(self, location: str, user: str = "alice", **extra: str) -> str:
        """What the provider does for a signed-in user: redirect back with a fresh code."""
        params = self.authorization_request(location)
        assert params["response_type"] == "code"
        assert params["code_challenge_method"] == "S256"
        assert params["client_id"] in self.clients
        who = USERS[user]
        code = secrets.token_urlsafe(24)
        sid = self.sessions.setdefault(user, str(uuid.uuid4()))
        self.grants[code] = Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            nonce=params["nonce"],
            challenge=params["code_challenge"],
            user=who,
            sid=sid,
        )
        query = {"code": code, "state": params["state"], **extra}
        return f"{params['redirect_uri']}?{urlencode(query)}"

    def deny(self, location: str, error: str, description: str) -> str:
        params = self.authorization_request(location)
        query = {"error": error, "error_description": description, "state": params["state"]}
        return f"{params['redirect_uri']}?{urlencode(query)}"

    # -- tokens ----------------------------------------------------------------------------

    def sign(self, claims: Mapping[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        faults = self.faults
        head = {"kid": self.kid(self.signing_index), "typ": "JWT", **(header or {})}
        head = {k: v for k, v in head.items() if v is not None}
        if faults.alg_none:
            return jwt.encode(dict(claims), None, algorithm="none", headers=head)
        if faults.hs256_with_public_key:
            public_pem = _rsa_keys()[self.signing_index].public_key().public_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            return _hs256(dict(claims), public_pem, head)
        key = _rsa_keys()[2 if faults.sign_with_unpublished_key else self.signing_index]
        if faults.any_json:
            signing_input = (b64url(json.dumps({"alg": "RS256", **head}).encode()) + "."
                             + b64url(json.dumps(dict(claims)).encode())).encode()
            signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
            return signing_input.decode() + "." + b64url(signature)
        token = jwt.encode(dict(claims), key, algorithm="RS256", headers=head)
        if faults.tamper_signature:
            body, sig = token.rsplit(".", 1)
            raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
            raw[0] ^= 0xFF
            token = f"{body}.{b64url(bytes(raw))}"
        return token

    def id_token_claims(self, grant: Grant, access_token: str) -> dict[str, Any]:
        now = int(self.clock.now().timestamp())
        claims: dict[str, Any] = {
            "aud": grant.client_id,
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": self.subject(grant.user, grant.client_id),
            "oid": grant.user.oid,
            "tid": TID,
            "ver": "2.0",
            "uti": secrets.token_urlsafe(16),
            "name": grant.user.name,
            "preferred_username": grant.user.email,
            "email": grant.user.email,
            "xms_edov": True,  # the reference registration asks for it
            "nonce": grant.nonce,
            "sid": grant.sid,
            "at_hash": token_hash(access_token),
        }
        for name, value in self.faults.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    @staticmethod
    def subject(user: FakeUser, client_id: str) -> str:
        return b64url(hashlib.sha256(f"{user.oid}:{client_id}".encode()).digest())

    def logout_token(self, *, user: str = "alice", client_id: str = CLIENT_ID,
                     with_sid: bool = True, with_sub: bool = True, **overrides: Any) -> str:
        now = int(self.clock.now().timestamp())
        who = USERS[user]
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": client_id,
            "iat": now,
            "exp": now + 120,
            "jti": str(uuid.uuid4()),
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            "tid": TID,
        }
        if with_sub:
            claims["sub"] = self.subject(who, client_id)
        if with_sid:
            claims["sid"] = self.sessions.get(user, "no-session")
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)

    # -- endpoints -------------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        doc: dict[str, Any] = {
            "issuer": self.faults.discovery_issuer or ISSUER,
            "authorization_endpoint": AUTHORIZE,
            "token_endpoint": TOKEN,
            "jwks_uri": JWKS,
            "userinfo_endpoint": USERINFO,
            "end_session_endpoint": END_SESSION,
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
        if self.faults.omit_end_session:
            del doc["end_session_endpoint"]
        for name, value in self.faults.discovery.items():
            if value is None:
                doc.pop(name, None)
            else:
                doc[name] = value
        return JSONResponse(doc)

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self._jwk(i) for i in self.published]})

    async def _event_keys(self, request: Request) -> Response:
        return JSONResponse({"keys": [event_jwk(i) for i in self.event_keys_published]})

    async def _token(self, request: Request) -> Response:
        if self.faults.token_raw is not None:
            status, raw = self.faults.token_raw
            return Response(raw, status_code=status, media_type="text/html")
        if self.faults.token_redirect is not None:
            return Response(status_code=307, headers={"location": self.faults.token_redirect})
        if self.faults.token_error is not None:
            status, body = self.faults.token_error
            return JSONResponse(body, status_code=status)
        form = await request.form()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        method = "client_secret_post"
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            method = "client_secret_basic"
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        client = self.clients.get(str(client_id))
        if client is None or secret != client.secret or method != client.auth_method:
            status, body = entra_error(401, "invalid_client", 7000215, "Invalid client secret.")
            return JSONResponse(body, status_code=status)
        if form.get("grant_type") == "client_credentials":
            self.client_grants.append({k: str(v) for k, v in form.items()})
            token = secrets.token_urlsafe(32)
            self.client_tokens[token] = (str(client_id), str(secret))
            return JSONResponse({"token_type": "Bearer", "expires_in": 3599,
                                 "ext_expires_in": 3599, "access_token": token},
                                headers={"Cache-Control": "no-store"})
        grant = self.grants.pop(str(form.get("code")), None)
        if grant is None or grant.client_id != client_id:
            status, body = entra_error(400, "invalid_grant", 54005, "Code already redeemed.")
            return JSONResponse(body, status_code=status)
        if form.get("redirect_uri") != grant.redirect_uri:
            status, body = entra_error(400, "invalid_grant", 50148, "Redirect URI mismatch.")
            return JSONResponse(body, status_code=status)
        verifier = str(form.get("code_verifier"))
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            status, body = entra_error(400, "invalid_grant", 501481, "Code verifier mismatch.")
            return JSONResponse(body, status_code=status)
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = (grant.user, grant.client_id)
        claims = self.id_token_claims(grant, access_token)
        id_token = self.sign(claims, header=self.faults.header)
        self.issued_id_tokens.append(id_token)
        body = {"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3600,
                "access_token": access_token, "id_token": id_token}
        extra = "".join(f",{json.dumps(k)}:{json.dumps(body[k] if v is SAME else v)}"
                        for k, v in self.faults.token_members)
        return Response(json.dumps(body)[:-1] + extra + "}", media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def _userinfo(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        found = self.access_tokens.get(auth.removeprefix("Bearer "))
        if found is None or self.faults.userinfo_status:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=self.faults.userinfo_status or 401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        user, client_id = found
        sub = self.faults.userinfo_sub or self.subject(user, client_id)
        return JSONResponse({"sub": sub, "name": user.name, "email": user.email, "oid": user.oid})

    async def _users_me(self, request: Request) -> Response:
        """The platform's ``/users/me``: UserInfo's answer and refusals, plus ``id``, the
        platform user id (the user's object id, as the mock platform answers it)."""
        answer = await self._userinfo(request)
        if answer.status_code != 200:
            return answer
        claims = json.loads(bytes(answer.body))
        claims = {"id": claims.pop("oid"), **claims}
        for name, value in self.faults.users_me.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return JSONResponse(claims)


def _hs256(claims: dict[str, Any], secret: bytes, header: Mapping[str, Any]) -> str:
    head = {**header, "alg": "HS256"}
    signing_input = (
        b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
    ).encode()
    sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return signing_input.decode() + "." + b64url(sig)


class _FaultyTransport(httpx.AsyncBaseTransport):
    """Routes to the fake provider app; fails or times out on chosen endpoints; records calls."""

    ENDPOINTS: Mapping[str, Callable[[str], bool]] = {
        "discovery": lambda p: p.endswith("/openid-configuration"),
        "jwks": lambda p: p.endswith("/keys"),
        "token": lambda p: p.endswith("/token"),
        "userinfo": lambda p: p.endswith(("/userinfo", "/users/me")),
        "event_keys": lambda p: p.endswith("/platform-event-keys.json"),
        "apps_api": lambda p: p.startswith("/apps/"),
    }

    def __init__(self, op: FakeOp) -> None:
        self.op = op
        self.inner = httpx.ASGITransport(app=op.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.op.requests.append(request)
        if request.url.host in self.op.faults.stalled_hosts:
            await asyncio.Event().wait()  # until the caller gives up (cancels)
        path = request.url.path
        for name, matches in self.ENDPOINTS.items():
            if matches(path):
                if name in self.op.faults.unreachable:
                    raise httpx.ConnectError("connection refused", request=request)
                if name in self.op.faults.slow:
                    raise httpx.ReadTimeout("timed out", request=request)
                if name in self.op.faults.stalled:
                    await asyncio.Event().wait()  # until the caller gives up (cancels)
                if name in self.op.faults.meanwhile:
                    await self.op.faults.meanwhile[name]()
        if request.url.host != urlsplit(BASE).hostname:
            raise httpx.ConnectError("unknown host", request=request)
        return await self.inner.handle_async_request(request)


# -- platform events ---------------------------------------------------------------------------


def event_jwk(index: int) -> dict[str, Any]:
    jwk = json.loads(ECAlgorithm.to_jwk(_ec_keys()[index].public_key()))
    jwk.update({"kid": f"platform-{index}", "use": "sig", "alg": "ES256"})
    return jwk


def sign_event(body: bytes, *, key_index: int = 0, kid: str | None = None) -> dict[str, str]:
    der = _ec_keys()[key_index].sign(body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Hub-Ecdsa-Signature": base64.b64encode(der).decode(),
        "X-Hub-Ecdsa-Signature-Id": kid or f"platform-{key_index}",
    }


def forged_event_signature(body: bytes) -> dict[str, str]:
    """Signed with a key the platform never published, under a published key id."""
    der = ec.generate_private_key(ec.SECP256R1()).sign(body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Hub-Ecdsa-Signature": base64.b64encode(der).decode(),
        "X-Hub-Ecdsa-Signature-Id": "platform-0",
    }


def event(
    type_: str, data: Mapping[str, Any], *, created_at: datetime, links: Mapping[str, Any] | None
    = None, event_id: str | None = None, app_id: str = APP_ID,
) -> bytes:
    envelope = {
        "id": event_id or secrets.token_hex(16),
        "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "api_version": "1",
        "type": type_,
        "app_id": app_id,
        "data": dict(data),
        "_links": {"root": {"href": BASE}, **(links or {})},
    }
    return json.dumps(envelope).encode()


def installed_links() -> dict[str, Any]:
    return {
        "authorization": {"href": AUTHORIZE},
        "token": {"href": TOKEN},
        "userinfo": {"href": USERS_ME},
        "openid_configuration": {"href": DISCOVERY},
    }


def ago(clock: Any, **kwargs: float) -> datetime:
    instant: datetime = clock.now() - timedelta(**kwargs)
    return instant
