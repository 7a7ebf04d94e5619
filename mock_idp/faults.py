"""Fault injection: a provider that misbehaves on purpose.

A :class:`Fault` is armed for an endpoint and optionally a tenant, app or user, for one use, N
uses or until cleared. Response faults change what an endpoint answers (an AADSTS error, a 5xx,
429 with ``Retry-After``, added latency, a hang, a dropped connection, a JWKS or discovery
outage). Token faults change the ID token, the JWKS, userinfo or a back-channel logout token, one
per row of the relying-party check catalogue.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from .endpoints.common import error_json, error_page
from .errors import EntraError
from .keys import SigningKey
from .state import IdpState

RESPONSE_KINDS = frozenset({"error", "status", "throttle", "latency", "hang", "drop", "outage"})
ID_TOKEN_KINDS = frozenset({
    "bad_signature", "alg_none", "unknown_key", "kid_absent", "kid_absent_multiple",
    "wrong_iss", "wrong_aud", "missing_aud", "missing_sub", "missing_iat", "expired",
    "nbf_future", "iat_future", "wrong_nonce", "bad_at_hash", "missing_at_hash", "bad_c_hash",
    "missing_c_hash", "key_rotated", "wrong_azp",
})
USERINFO_KINDS = frozenset({"userinfo_sub_mismatch"})
LOGOUT_TOKEN_KINDS = frozenset({
    "lt_alg_none", "lt_wrong_alg", "lt_no_events", "lt_wrong_events", "lt_nonce",
    "lt_wrong_aud", "lt_wrong_iss", "lt_bad_signature",
})
KINDS = RESPONSE_KINDS | ID_TOKEN_KINDS | USERINFO_KINDS | LOGOUT_TOKEN_KINDS
RESPONSE_ENDPOINTS = frozenset({"authorize", "signin", "token", "userinfo", "discovery",
                                "jwks", "logout"})
ID_TOKEN_ENDPOINTS = frozenset({"authorize", "token"})
ENDPOINTS = RESPONSE_ENDPOINTS | {"logout_token"}
BROWSER_ENDPOINTS = frozenset({"authorize", "signin", "logout"})
"""Endpoints a browser visits: HTTP-level faults there answer with an HTML page."""
SCOPES_KNOWN_AT: dict[str, frozenset[str]] = {
    "authorize": frozenset({"tenant", "app"}),
    "signin": frozenset({"tenant", "app", "user"}),
    "token": frozenset({"tenant", "app", "user"}),
    "userinfo": frozenset({"tenant", "app", "user"}),
    "discovery": frozenset({"tenant"}),
    "jwks": frozenset({"tenant"}),
    "logout": frozenset({"tenant"}),
    "logout_token": frozenset({"tenant", "app", "user"}),
}
"""What each endpoint knows about a request, so what a fault there can be scoped to."""


class FaultSpecError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class Fault:
    kind: str
    endpoint: str | None = None
    tenant: str | None = None
    app: str | None = None
    user: str | None = None
    times: int | None = 1
    """Uses left; ``None`` until cleared."""
    params: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    hits: int = 0
    created_at: datetime | None = None

    def matches(self, endpoint: str, scope: Mapping[str, str | None]) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        for name in ("tenant", "app", "user"):
            wanted = getattr(self, name)
            if wanted is not None and (scope.get(name) or "").lower() != wanted:
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "endpoint": self.endpoint,
                "tenant": self.tenant, "app": self.app, "user": self.user,
                "times": "until_cleared" if self.times is None else self.times,
                "hits": self.hits, "params": self.params,
                "created_at": self.created_at.isoformat() if self.created_at else None}


def parse_fault(body: Mapping[str, Any], state: IdpState) -> Fault:
    """Build a fault from the control API's JSON; errors name the bad field."""
    if not isinstance(body, Mapping):
        raise FaultSpecError("body", "the body must be a JSON object")
    known = {"kind", "endpoint", "tenant", "app", "user", "times", "code", "status",
             "retry_after", "delay_ms", "seconds", "error", "iss"}
    for key in body:
        if key not in known:
            raise FaultSpecError(key, f"unknown field {key!r}")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FaultSpecError("kind", f"kind must be one of: {', '.join(sorted(KINDS))}")
    endpoint = body.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or endpoint not in ENDPOINTS):
        raise FaultSpecError("endpoint", f"endpoint must be one of: "
                             f"{', '.join(sorted(ENDPOINTS))}")
    if kind in RESPONSE_KINDS and endpoint is None:
        raise FaultSpecError("endpoint", f"a {kind!r} fault needs an endpoint: one of "
                             f"{', '.join(sorted(RESPONSE_ENDPOINTS))}")
    if kind in RESPONSE_KINDS and endpoint not in RESPONSE_ENDPOINTS:
        raise FaultSpecError("endpoint", f"a {kind!r} fault applies at one of: "
                             f"{', '.join(sorted(RESPONSE_ENDPOINTS))}")
    if kind in ID_TOKEN_KINDS and endpoint not in (None, *ID_TOKEN_ENDPOINTS):
        raise FaultSpecError("endpoint", "ID-token faults apply at 'authorize' or 'token'")
    if kind in USERINFO_KINDS and endpoint not in (None, "userinfo"):
        raise FaultSpecError("endpoint", f"a {kind!r} fault applies at 'userinfo'")
    if kind in LOGOUT_TOKEN_KINDS and endpoint not in (None, "logout_token"):
        raise FaultSpecError("endpoint", "logout-token faults apply at 'logout_token'")
    if kind == "outage" and endpoint not in ("discovery", "jwks"):
        raise FaultSpecError("endpoint", "an outage applies to 'discovery' or 'jwks'")
    where = endpoint or _default_endpoint(kind)
    for name in ("tenant", "app", "user"):
        if body.get(name) is not None and name not in SCOPES_KNOWN_AT[where]:
            raise FaultSpecError(name, f"the {where!r} endpoint cannot tell the {name}; "
                                 f"scope this fault by {', '.join(sorted(SCOPES_KNOWN_AT[where]))}"
                                 + (" (or use endpoint 'signin')" if where == "authorize" else ""))
    times_raw = body.get("times", 1)
    times: int | None
    if times_raw in ("until_cleared", "always", None):
        times = None
    elif times_raw == "once":
        times = 1
    elif isinstance(times_raw, int) and not isinstance(times_raw, bool) and 1 <= times_raw <= 10**6:
        times = times_raw
    else:
        raise FaultSpecError("times", "times must be a positive integer, 'once' or "
                             "'until_cleared'")
    params: dict[str, Any] = {}
    if kind == "error":
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool) or code <= 0:
            raise FaultSpecError("code", "an 'error' fault needs an integer AADSTS code")
        params["code"] = code
        if "error" in body:
            if not isinstance(body["error"], str):
                raise FaultSpecError("error", "error must be a string")
            params["error"] = body["error"]
        if "status" in body:
            params["status"] = _status(body["status"], 400, 599)
    if kind in ("status", "outage"):
        params["status"] = _status(body.get("status", 503), 500, 599)
    if kind == "throttle":
        params["retry_after"] = _number(body.get("retry_after", 5), "retry_after", 0, 86400)
    if kind == "latency":
        params["delay_ms"] = _number(body.get("delay_ms", 1000), "delay_ms", 0, 120_000)
    if kind == "hang":
        params["seconds"] = _number(body.get("seconds", 60), "seconds", 0, 3600)
    tenant = _tenant(body.get("tenant"), state)
    return Fault(kind=kind, endpoint=endpoint, tenant=tenant,
                 app=_app(body.get("app"), state), user=_user(body.get("user"), tenant, state),
                 times=times, params=params, created_at=state.clock.now())


def _default_endpoint(kind: str) -> str:
    if kind in USERINFO_KINDS:
        return "userinfo"
    if kind in LOGOUT_TOKEN_KINDS:
        return "logout_token"
    return "token"


def _status(value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FaultSpecError("status", f"status must be an integer from {low} to {high}")
    return value


def _number(value: Any, name: str, low: float, high: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise FaultSpecError(name, f"{name} must be a number from {low} to {high}")
    return value


def _lower(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 256:
        raise FaultSpecError(name, f"{name} must be a non-empty string")
    return value.lower()


def _tenant(value: Any, state: IdpState) -> str | None:
    name = _lower(value, "tenant")
    if name is None:
        return None
    tenant = state.store.resolve_tenant(name)
    if tenant is None:
        raise FaultSpecError("tenant", f"no tenant {value!r}")
    return tenant.id


def _app(value: Any, state: IdpState) -> str | None:
    client_id = _lower(value, "app")
    if client_id is None:
        return None
    if state.store.find_app_any(client_id) is None:
        raise FaultSpecError("app", f"no app with client id {value!r}")
    return client_id


def _user(value: Any, tenant_id: str | None, state: IdpState) -> str | None:
    name = _lower(value, "user")
    if name is None:
        return None
    for tenant in state.store.tenants.values():
        if tenant_id is not None and tenant.id != tenant_id:
            continue
        user = tenant.find_user(name)
        if user is not None:
            return user.id
    raise FaultSpecError("user", f"no user {value!r}" + (" in that tenant" if tenant_id else ""))


class DroppedConnection(Response):
    """Starts a response promising a body, then breaks off: the client sees a dropped
    connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"4096"),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise InjectedDrop("fault injection: connection dropped")


class InjectedDrop(ConnectionAbortedError):
    """Raised to break off a response on purpose; the server's error log leaves it out."""


class _QuietInjectedDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_QUIET = _QuietInjectedDrops()


class FaultRegistry:
    """The armed faults of one provider; installed as ``state.extensions["faults"]``."""

    def __init__(self, state: IdpState) -> None:
        self._state = state
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.jwks_mode: str | None = None
        self._generation = 0
        self._added_keys: list[SigningKey] = []
        self._stray_rsa: rsa.RSAPrivateKey | None = None

    # -- management ---------------------------------------------------------------------------
    def arm(self, fault: Fault) -> Fault:
        if fault.created_at is None:
            fault.created_at = self._state.clock.now()
        with self._lock:
            self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self, fault_id: str | None = None) -> int:
        with self._lock:
            self._generation += 1
            before = len(self._faults)
            if fault_id is None:
                self._faults.clear()
                self.jwks_mode = None
                for key in self._added_keys:
                    self._state.keys.remove_published(key)
                self._added_keys.clear()
            else:
                self._faults = [f for f in self._faults if f.id != fault_id]
            return before - len(self._faults)

    def _take(self, endpoint: str, scope: Mapping[str, str | None],
              kinds: frozenset[str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(endpoint, scope):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # -- response faults ----------------------------------------------------------------------
    async def response_fault(self, request: Request, endpoint: str,
                             scope: dict[str, str | None]) -> Response | EntraError | None:
        """The armed fault's answer; latency (and a hang released by clearing) delays the
        request, then any other fault armed for it still applies."""
        fault = self._take(endpoint, scope, RESPONSE_KINDS)
        while fault is not None and fault.kind in ("latency", "hang"):
            if fault.kind == "latency":
                await asyncio.sleep(float(fault.params["delay_ms"]) / 1000)
            elif not await self._hang(float(fault.params["seconds"])):
                return JSONResponse({"error": "temporarily_unavailable"}, status_code=504)
            fault = self._take(endpoint, scope, RESPONSE_KINDS - {"latency", "hang"})
        if fault is None:
            return None
        p = fault.params
        if fault.kind == "error":
            return EntraError(int(p["code"]), _placeholders(scope), error=p.get("error"),
                              status=p.get("status"))
        if fault.kind in ("status", "outage", "throttle"):
            if fault.kind == "throttle":
                err = EntraError(50196, status=429)
                headers = {"Retry-After": str(int(p["retry_after"]))}
            else:
                status = int(p["status"])
                err = EntraError(50000 if status == 500 else 90033, status=status,
                                 error="server_error" if status == 500
                                 else "temporarily_unavailable")
                headers = {}
            if endpoint in BROWSER_ENDPOINTS:
                page = error_page(request, err)
                page.headers.update(headers)
                return page
            return error_json(request, err, headers=headers)
        return DroppedConnection()

    async def _hang(self, seconds: float) -> bool:
        """Hold the request open, in real time, until ``seconds`` pass (``False``: the caller
        answers 504) or faults are cleared (``True``: the request carries on)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        generation = self._generation
        while loop.time() < deadline:
            if generation != self._generation:
                return True
            await asyncio.sleep(min(0.02, max(deadline - loop.time(), 0)))
        return generation != self._generation

    # -- token faults -------------------------------------------------------------------------
    def token_fault(self, endpoint: str, scope: dict[str, str | None]) -> Any | None:
        if endpoint in ID_TOKEN_ENDPOINTS:
            fault = self._take(endpoint, scope, ID_TOKEN_KINDS)
            return None if fault is None else self._id_token_tamper(fault)
        if endpoint == "userinfo":
            fault = self._take(endpoint, scope, USERINFO_KINDS)
            if fault is None:
                return None
            return lambda body: {**body, "sub": f"{body.get('sub', '')}invalid"}
        if endpoint == "jwks":
            return self._jwks_transform() if self.jwks_mode else None
        if endpoint == "logout_token":
            fault = self._take(endpoint, scope, LOGOUT_TOKEN_KINDS)
            return None if fault is None else _logout_tamper(fault.kind)
        return None

    def _stray_key(self) -> rsa.RSAPrivateKey:
        if self._stray_rsa is None:
            self._stray_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._stray_rsa

    def _id_token_tamper(self, fault: Fault) -> Callable[..., str]:
        kind = fault.kind
        if kind in ("kid_absent", "kid_absent_multiple"):
            self.jwks_mode = kind
            if kind == "kid_absent_multiple" and len(self._state.keys.published()) < 2:
                self._added_keys.append(self._state.keys.add_published())

        def tamper(state: IdpState, claims: dict[str, Any], header: dict[str, Any]) -> str:
            claims = dict(claims)
            header = {k: v for k, v in header.items() if k != "alg"}
            now = int(state.clock.now().timestamp())
            key = state.keys.active
            if kind == "key_rotated":
                key = state.keys.rotate()
                header["kid"] = key.kid
                if "x5t" in header:
                    header["x5t"] = key.kid
            elif kind == "alg_none":
                return jwt.encode(claims, None, algorithm="none", headers=header)
            elif kind == "unknown_key":
                header["kid"] = secrets.token_urlsafe(20)
                if "x5t" in header:
                    header["x5t"] = header["kid"]
                return jwt.encode(claims, self._stray_key(), algorithm="RS256", headers=header)
            elif kind in ("kid_absent", "kid_absent_multiple"):
                header.pop("kid", None)
                header.pop("x5t", None)
            elif kind == "wrong_iss":
                claims["iss"] = f"{claims.get('iss', '')}1"
            elif kind == "wrong_aud":
                claims["aud"] = f"{claims.get('aud', '')}1"
            elif kind == "missing_aud":
                claims.pop("aud", None)
            elif kind == "wrong_azp":
                claims["azp"] = f"{claims.get('aud', '')}1"
            elif kind == "missing_sub":
                claims.pop("sub", None)
            elif kind == "missing_iat":
                claims.pop("iat", None)
            elif kind == "expired":
                claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
            elif kind == "nbf_future":
                claims["nbf"] = now + 3600
            elif kind == "iat_future":
                claims["iat"] = now + 3600
            elif kind == "wrong_nonce":
                claims["nonce"] = f"{claims.get('nonce', '')}1"
            elif kind == "bad_at_hash":
                claims["at_hash"] = secrets.token_urlsafe(16)
            elif kind == "missing_at_hash":
                claims.pop("at_hash", None)
            elif kind == "bad_c_hash":
                claims["c_hash"] = secrets.token_urlsafe(16)
            elif kind == "missing_c_hash":
                claims.pop("c_hash", None)
            token = jwt.encode(claims, key.private_key, algorithm="RS256", headers=header)
            return _corrupt_signature(token) if kind == "bad_signature" else token

        return tamper

    def _jwks_transform(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        mode = self.jwks_mode
        active = self._state.keys.active.kid

        def transform(body: dict[str, Any]) -> dict[str, Any]:
            keys = body.get("keys", [])
            if mode == "kid_absent":
                keys = [k for k in keys if k.get("kid") == active]
            stripped = [{k: v for k, v in key.items() if k not in ("kid", "x5t")}
                        for key in keys]
            return {"keys": stripped}

        return transform


def _logout_tamper(kind: str) -> Callable[..., str]:
    def tamper(state: IdpState, claims: dict[str, Any], header: dict[str, Any]) -> str:
        claims = dict(claims)
        header = {k: v for k, v in header.items() if k != "alg"}
        key = state.keys.active
        if kind == "lt_alg_none":
            return jwt.encode(claims, None, algorithm="none", headers=header)
        if kind == "lt_wrong_alg":
            ec_key = ec.generate_private_key(ec.SECP256R1())
            return jwt.encode(claims, ec_key, algorithm="ES256", headers=header)
        if kind == "lt_no_events":
            claims.pop("events", None)
        elif kind == "lt_wrong_events":
            claims["events"] = {"http://schemas.openid.net/event/foobar": {}}
        elif kind == "lt_nonce":
            claims["nonce"] = "logout_tokens_must_not_contain_a_nonce"
        elif kind == "lt_wrong_aud":
            claims["aud"] = f"{claims.get('aud', '')}INVALID"
        elif kind == "lt_wrong_iss":
            claims["iss"] = f"{claims.get('iss', '')}INVALID"
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers=header)
        return _corrupt_signature(token) if kind == "lt_bad_signature" else token

    return tamper


def _corrupt_signature(token: str) -> str:
    """The same JWT with one signature bit flipped: well-formed, but it does not verify."""
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return ".".join((head, body, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()))


def _placeholders(scope: Mapping[str, str | None]) -> dict[str, str]:
    return {"app_id": scope.get("app") or "", "tenant": scope.get("tenant") or "",
            "upn": "{EmailHidden}", "app_name": "app"}


def install(app: Any, state: IdpState) -> None:
    state.extensions["faults"] = FaultRegistry(state)
    logger = logging.getLogger("uvicorn.error")
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


__all__ = ["Fault", "FaultRegistry", "FaultSpecError", "parse_fault"]
