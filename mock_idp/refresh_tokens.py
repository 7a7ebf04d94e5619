"""The provider's refresh tokens: their records, and values that outlive them.

Entra's refresh tokens are self-contained encrypted blobs, so it tells one past its lifetime
(AADSTS700082, "... was inactive for 90.00:00:00") from a value it never issued (AADSTS9002313)
months after the expiry, keeping nothing (mspnp/identity-reference-architectures #9,
microsoft/azuredatastudio #15331, CompositionalIT/farmer #1070; apps sign the user in again on
700082: microsoft/azuredatastudio #24423). The mock keeps a record only until a day past its
expiry (:data:`mock_idp.store.EXPIRED_KEPT`), so each value carries what the expired answer
needs (who it was issued to, when, until when, whether to a single-page app) with an
HMAC-SHA256 under a key of this collection's own: a reset provider, or another, has another.

A value is ``1.A`` (the prefix of Entra's own) and URL-safe base64 of::

    format (1) | issued, expires (µs since the epoch, 8 each) | single-page app (1)
    | tenant id, client id (2-byte length + UTF-8 each) | random | MAC (32)

with the random part sized so the whole is a multiple of three bytes (no padding, no spare bits
in the last character).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import UTC, datetime, timedelta

from .clock import Clock
from .expiry import Deadline, Ends, ExpiringMap
from .records import RefreshToken

PREFIX = "1.A"
FORMAT = 1
MAC_SIZE = 32
RANDOM_SIZE = 48
_HEAD = struct.Struct(">BqqB")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1)


def _field(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


class RefreshTokens(ExpiringMap[str, RefreshToken]):
    """Refresh-token records by value, dropped past their deadline; :meth:`mint` makes the
    values and :meth:`find` reads one whose record is gone."""

    def __init__(self, clock: Clock, deadline: Deadline[RefreshToken], *,
                 ends: Ends[RefreshToken] | None = None) -> None:
        super().__init__(clock, deadline, ends=ends)
        self._key = secrets.token_bytes(32)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def mint(self, *, tenant_id: str, client_id: str, issued_at: datetime,
             expires_at: datetime, spa: bool) -> str:
        """A new value for a refresh token of these facts (the record is stored apart)."""
        head = (_HEAD.pack(FORMAT, _micros(issued_at), _micros(expires_at), spa)
                + _field(tenant_id) + _field(client_id))
        size = RANDOM_SIZE + (-(len(head) + RANDOM_SIZE + MAC_SIZE)) % 3
        body = head + secrets.token_bytes(size)
        return PREFIX + base64.urlsafe_b64encode(body + self._mac(body)).decode()

    def find(self, value: str, now: datetime) -> RefreshToken | None:
        """The record of ``value``; for a value this collection minted whose record has been
        dropped past its lifetime, one rebuilt from the value, which carries only what it does
        (enough for the expired answer: it is never redeemed); else ``None``."""
        stored = self.get(value)
        if stored is not None or not value.startswith(PREFIX):
            return stored
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode())
        except (binascii.Error, ValueError):
            return None
        body, mac = raw[:-MAC_SIZE], raw[-MAC_SIZE:]
        if len(body) < _HEAD.size or not hmac.compare_digest(mac, self._mac(body)):
            return None
        form, issued, expires, spa = _HEAD.unpack_from(body)
        tenant_id, rest = _read_field(body[_HEAD.size:])
        client_id, _ = _read_field(rest)
        expires_at = _EPOCH + timedelta(microseconds=expires)
        if form != FORMAT or now < expires_at:
            return None  # a live token's record is kept: one without is not the provider's
        return RefreshToken(
            token=value, tenant_id=tenant_id, client_id=client_id, user_id="", scopes=(),
            issued_at=_EPOCH + timedelta(microseconds=issued), expires_at=expires_at,
            session_id=None, version="2.0", spa=bool(spa))


def _read_field(data: bytes) -> tuple[str, bytes]:
    (size,) = struct.unpack_from(">H", data)
    return data[2:2 + size].decode(), data[2 + size:]
