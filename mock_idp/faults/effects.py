"""What an applied fault changed, written down for the request log and the notification log.

A note names the fault (id, kind, endpoint) and what it did: for a token, each header member or
claim it changed, added or removed (``before`` / ``after``, absent when the member was) and
what became of the signature; for a response fault, the answer given instead. Readers (the
scenarios' protocol view, the console) draw the change beside the token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ..tokens import TokenTamper
from .spec import Fault

Note = dict[str, Any]
Observer = Callable[[Note], None]

SIGNATURES: dict[str, str] = {
    "bad_signature": "one bit of the signature flipped",
    "lt_bad_signature": "one bit of the signature flipped",
    "alg_none": "no signature (alg none)",
    "lt_alg_none": "no signature (alg none)",
    "unknown_key": "signed with a key the JWKS does not publish",
    "key_rotated": "signed with a key rotated in just now",
    "lt_wrong_alg": "signed with ES256 by a key nobody publishes",
}
RESPONSES: dict[str, str] = {
    "error": "answered with an AADSTS error",
    "status": "answered with an HTTP error status",
    "throttle": "answered 429 with Retry-After",
    "latency": "answered late",
    "hang": "held the request open",
    "drop": "dropped the connection",
    "outage": "answered as if down",
}


def fault_ref(fault: Fault, endpoint: str) -> dict[str, Any]:
    return {"id": fault.id, "kind": fault.kind, "endpoint": fault.endpoint or endpoint}


def _segment(text: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    value = json.loads(raw)
    return value if isinstance(value, dict) else {}


def _diff(part: str, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for name in [*before, *(k for k in after if k not in before)]:
        if before.get(name, _ABSENT) == after.get(name, _ABSENT):
            continue
        change: dict[str, Any] = {"part": part, "name": name}
        if name in before:
            change["before"] = before[name]
        if name in after:
            change["after"] = after[name]
        changes.append(change)
    return changes


_ABSENT = object()


def token_changes(header: dict[str, Any], claims: dict[str, Any], token: str
                  ) -> list[dict[str, Any]]:
    """Each header member and claim that differs between what was meant to be signed and
    ``token``, in header-then-claims order."""
    parts = token.split(".")
    try:
        new_header, new_claims = _segment(parts[0]), _segment(parts[1])
    except (ValueError, IndexError):
        return []
    return _diff("header", header, new_header) + _diff("claims", claims, new_claims)


def body_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The members of a JSON body (userinfo) a fault changed."""
    return _diff("body", before, after)


def observed(fault: Fault, endpoint: str, target: str, tamper: TokenTamper,
             observe: Observer | None) -> TokenTamper:
    """``tamper``, telling ``observe`` what it changed in the ``target`` token it makes."""
    if observe is None:
        return tamper

    def tamper_and_note(claims: dict[str, Any], header: dict[str, Any]) -> str:
        token = tamper(claims, header)
        note: Note = {"fault": fault_ref(fault, endpoint), "target": target,
                      "changes": token_changes(header, claims, token)}
        if fault.kind in SIGNATURES:
            note["signature"] = SIGNATURES[fault.kind]
        observe(note)
        return token

    return tamper_and_note


def response_note(fault: Fault, endpoint: str) -> Note:
    effect = RESPONSES.get(fault.kind, fault.kind)
    if fault.kind == "error":
        effect = f"answered AADSTS{fault.params.get('code')}"
    elif fault.kind in ("status", "outage"):
        effect = f"{effect} {fault.params.get('status')}"
    elif fault.kind == "latency":
        effect = f"{effect} by {fault.params.get('delay_ms')} ms"
    return {"fault": fault_ref(fault, endpoint), "target": "response", "effect": effect}
