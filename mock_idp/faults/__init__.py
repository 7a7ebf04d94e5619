"""Fault injection: a provider that misbehaves on purpose.

A :class:`Fault` is armed for an endpoint and optionally a tenant, app or user, for one use, N
uses or until cleared (:mod:`.spec`). Response faults change what an endpoint answers: an AADSTS
error, a 5xx, 429 with ``Retry-After``, added latency, a hang, a dropped connection, a JWKS or
discovery outage (:mod:`.responses`). Token faults change the ID token or the JWKS
(:mod:`.id_tokens`), userinfo, or a back-channel logout token (:mod:`.logout_tokens`), one per
row of the relying-party check catalogue. :class:`FaultRegistry` holds the armed faults.
"""

from __future__ import annotations

from .registry import FaultRegistry
from .responses import DroppedConnection, InjectedDrop, quiet_injected_drops
from .spec import (
    BROWSER_ENDPOINTS,
    ENDPOINTS,
    ID_TOKEN_ENDPOINTS,
    ID_TOKEN_KINDS,
    KINDS,
    LOGOUT_TOKEN_KINDS,
    RESPONSE_ENDPOINTS,
    RESPONSE_KINDS,
    SCOPES_KNOWN_AT,
    USERINFO_KINDS,
    Fault,
    FaultSpecError,
    parse_fault,
)

__all__ = [
    "BROWSER_ENDPOINTS",
    "ENDPOINTS",
    "ID_TOKEN_ENDPOINTS",
    "ID_TOKEN_KINDS",
    "KINDS",
    "LOGOUT_TOKEN_KINDS",
    "RESPONSE_ENDPOINTS",
    "RESPONSE_KINDS",
    "SCOPES_KNOWN_AT",
    "USERINFO_KINDS",
    "DroppedConnection",
    "Fault",
    "FaultRegistry",
    "FaultSpecError",
    "InjectedDrop",
    "parse_fault",
    "quiet_injected_drops",
]
