"""What a fault is: its kinds, where each applies, and parsing one from the control API's JSON."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..store import Store
from .holds import Hold

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
PARAMS: dict[str, tuple[str, ...]] = {
    "error": ("code", "error", "suberror", "status"),
    "status": ("status",),
    "outage": ("status",),
    "throttle": ("retry_after",),
    "latency": ("delay_ms",),
    "hang": ("seconds",),
}
"""The parameters each kind takes; another kind's is refused, naming it, not ignored."""
_PARAM_NAMES = frozenset(name for names in PARAMS.values() for name in names)
KNOWN_FIELDS = frozenset({"kind", "endpoint", "tenant", "app", "user", "times", *_PARAM_NAMES})
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}")
"""An OAuth ``error`` value: RFC 6749 §5.2 allows only %x20-21 / %x23-5B / %x5D-7E (printable
ASCII but ``"`` and ``\\``), so no control or reordering character reaches a response."""

Scope = Mapping[str, str | None]
"""What an endpoint knows about the request at hand: ``tenant``, ``app``, ``user``."""


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
    holds: list[Hold] = field(default_factory=list)
    """The requests a ``hang`` held or holds, the latest last (:mod:`.holds`)."""

    def matches(self, endpoint: str, scope: Scope) -> bool:
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
                "created_at": self.created_at.isoformat() if self.created_at else None,
                **({"holds": [hold.to_json() for hold in self.holds]}
                   if self.kind == "hang" else {})}


def parse_fault(body: Mapping[str, Any], store: Store, now: datetime) -> Fault:
    """Build a fault from the control API's JSON; errors name the bad field.

    ``tenant``, ``app`` and ``user`` must name what ``store`` holds; ``now`` stamps the fault.
    """
    if not isinstance(body, Mapping):
        raise FaultSpecError("body", "the body must be a JSON object")
    for key in body:
        if key not in KNOWN_FIELDS:
            raise FaultSpecError(key[:80], f"unknown field {key[:80]!r}")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FaultSpecError("kind", f"kind must be one of: {', '.join(sorted(KINDS))}")
    endpoint = body.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or endpoint not in ENDPOINTS):
        raise FaultSpecError("endpoint", f"endpoint must be one of: "
                             f"{', '.join(sorted(ENDPOINTS))}")
    _check_endpoint(kind, endpoint)
    where = endpoint or _default_endpoint(kind)
    for name in ("tenant", "app", "user"):
        if body.get(name) is not None and name not in SCOPES_KNOWN_AT[where]:
            raise FaultSpecError(name, f"the {where!r} endpoint cannot tell the {name}; "
                                 f"scope this fault by {', '.join(sorted(SCOPES_KNOWN_AT[where]))}"
                                 + (" (or use endpoint 'signin')" if where == "authorize" else ""))
    times = _times(body.get("times", 1))
    params = _params(kind, body)
    tenant = _tenant(body.get("tenant"), store)
    return Fault(kind=kind, endpoint=endpoint, tenant=tenant,
                 app=_app(body.get("app"), store), user=_user(body.get("user"), tenant, store),
                 times=times, params=params, created_at=now)


def _check_endpoint(kind: str, endpoint: str | None) -> None:
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


def _times(raw: Any) -> int | None:
    if raw in ("until_cleared", "always", None):
        return None
    if raw == "once":
        return 1
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 10**6:
        return raw
    raise FaultSpecError("times", "times must be a positive integer, 'once' or "
                         "'until_cleared'")


def _params(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    taken = PARAMS.get(kind, ())
    for name in body:
        if name in _PARAM_NAMES and name not in taken:
            kinds = sorted(k for k, names in PARAMS.items() if name in names)
            raise FaultSpecError(name, f"{name!r} applies to {' and '.join(map(repr, kinds))} "
                                 f"faults, not to {kind!r} ones")
    params: dict[str, Any] = {}
    if kind == "error":
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool) or not 0 < code < 10**9:
            raise FaultSpecError("code", "an 'error' fault needs an integer AADSTS code "
                                 "from 1 to 999999999")
        params["code"] = code
        for name, example in (("error", "invalid_grant"), ("suberror", "bad_token")):
            if name in body:
                value = body[name]
                if not isinstance(value, str) or not _ERROR_CODE.fullmatch(value):
                    raise FaultSpecError(name, f"{name} must be 1 to 256 characters that RFC "
                                         "6749 allows in an OAuth error code: printable ASCII "
                                         f"but \" and \\ (e.g. {example})")
                params[name] = value
        if "status" in body:
            params["status"] = _status(body["status"], 400, 599)
    if kind in ("status", "outage"):
        params["status"] = _status(body.get("status", 503), 500, 599)
    if kind == "throttle":
        # Retry-After's delay-seconds is a whole number (RFC 9110 §10.2.3).
        params["retry_after"] = _integer(body.get("retry_after", 5), "retry_after", 0, 86400)
    if kind == "latency":
        params["delay_ms"] = _number(body.get("delay_ms", 1000), "delay_ms", 0, 120_000)
    if kind == "hang":
        params["seconds"] = _number(body.get("seconds", 60), "seconds", 0, 3600)
    return params


def _default_endpoint(kind: str) -> str:
    if kind in USERINFO_KINDS:
        return "userinfo"
    if kind in LOGOUT_TOKEN_KINDS:
        return "logout_token"
    return "token"


def _status(value: Any, low: int, high: int) -> int:
    return _integer(value, "status", low, high)


def _integer(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FaultSpecError(name, f"{name} must be an integer from {low} to {high}")
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
    if not value.isascii():  # ids, domains and UPNs are; "\u212a".lower() would be "k"
        raise FaultSpecError(name, f"{name} must be an id, a domain or a user principal name "
                                   "in ASCII")
    return value.lower()


def _tenant(value: Any, store: Store) -> str | None:
    name = _lower(value, "tenant")
    if name is None:
        return None
    tenant = store.resolve_tenant(name)
    if tenant is None:
        raise FaultSpecError("tenant", f"no tenant {value!r}")
    return tenant.id


def _app(value: Any, store: Store) -> str | None:
    client_id = _lower(value, "app")
    if client_id is None:
        return None
    if store.find_app_any(client_id) is None:
        raise FaultSpecError("app", f"no app with client id {value!r}")
    return client_id


def _user(value: Any, tenant_id: str | None, store: Store) -> str | None:
    name = _lower(value, "user")
    if name is None:
        return None
    for tenant in store.tenants.values():
        if tenant_id is not None and tenant.id != tenant_id:
            continue
        user = tenant.find_user(name)
        if user is not None:
            return user.id
    raise FaultSpecError("user", f"no user {value!r}" + (" in that tenant" if tenant_id else ""))
