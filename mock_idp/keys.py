"""Signing keys in Entra's shape: RSA-2048 with a self-signed certificate.

``kid`` and ``x5t`` are both the base64url SHA-1 thumbprint of the certificate DER, and the JWKS
carries ``x5c``. A :class:`KeyRing` holds the active key plus retired keys that stay published for
a while after a rotation.

Private keys come from :func:`~mock_idp.key_source.new_rsa_key`: a fresh RSA-2048 key each time,
which takes tens of milliseconds. A test suite that starts hundreds of providers can hand them
keys from a small :class:`~mock_idp.key_source.RsaKeyPool` instead, with
:func:`~mock_idp.key_source.rsa_keys_from` (both also importable from here).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .clock import Clock
from .key_source import (
    POOL_SIZE,
    RsaKeyPool,
    RsaKeySource,
    fresh_rsa_key,
    new_rsa_key,
    rsa_keys_from,
)

__all__ = [
    "POOL_SIZE",
    "KeyRing",
    "RotatingKeys",
    "RsaKeyPool",
    "RsaKeySource",
    "SigningKey",
    "b64url",
    "fresh_rsa_key",
    "new_rsa_key",
    "rsa_keys_from",
]


class _Keyed(Protocol):
    @property
    def kid(self) -> str: ...


K = TypeVar("K", bound=_Keyed)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True, eq=False)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    kid: str
    created_at: datetime

    @classmethod
    def generate(
        cls, now: datetime, common_name: str = "mock-idp.accesscontrol.test"
    ) -> SigningKey:
        private_key = new_rsa_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=5 * 365))
            .sign(private_key, hashes.SHA256())
        )
        thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()
        return cls(
            private_key=private_key, certificate=cert, kid=b64url(thumbprint), created_at=now
        )

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwk(self, *, issuer: str | None = None) -> dict[str, Any]:
        numbers = self.public_key.public_numbers()
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        entry: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
            "x5c": [base64.b64encode(der).decode("ascii")],
        }
        if issuer is not None:
            entry["issuer"] = issuer
        return entry

    def sign(self, claims: dict[str, Any], header: dict[str, Any]) -> str:
        """An RS256 JWT of ``claims``. The header's members are written in ``header``'s order
        after ``typ`` and ``alg`` (Entra's tokens: ``typ``, ``alg``, ``x5t``, ``kid``), not
        sorted."""
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=header,
                          sort_headers=False)


class RotatingKeys(Generic[K]):
    """One active key, made on first use, plus rotated-out keys still published until they
    retire ``retain_for`` after the rotation (on the injected clock)."""

    def __init__(self, generate: Callable[[datetime], K], clock: Clock,
                 retain_for: timedelta = timedelta(hours=24)) -> None:
        self.clock = clock
        self.retain_for = retain_for
        self._generate = generate
        self._active: K | None = None
        self._retired: list[tuple[K, datetime]] = []
        self._lock = threading.Lock()

    @property
    def active(self) -> K:
        with self._lock:
            if self._active is None:
                self._active = self._generate(self.clock.now())
            return self._active

    def rotate(self, *, retain_for: timedelta | None = None) -> K:
        """Make a fresh key active; the old one stays published for ``retain_for``."""
        now = self.clock.now()
        fresh = self._generate(now)
        with self._lock:
            if self._active is not None:
                keep = self.retain_for if retain_for is None else retain_for
                self._retired.append((self._active, now + keep))
            self._active = fresh
        return fresh

    def undo_rotation(self, previous: K, fresh: K) -> bool:
        """Undo the :meth:`rotate` that made ``fresh`` active in place of ``previous``:
        ``previous`` signs again and is no longer retired, and ``fresh`` is no longer
        published. Only while ``fresh`` is still the active key (a later rotation, or a reset,
        is left as it is); whether it was undone."""
        with self._lock:
            if self._active is not fresh:
                return False
            self._active = previous
            self._retired = [(k, until) for k, until in self._retired if k is not previous]
        return True

    def published(self) -> list[K]:
        active = self.active
        now = self.clock.now()
        with self._lock:
            self._drop_retired(now)
            return [active, *(k for k, _ in self._retired)]

    def drop_retired(self, now: datetime) -> None:
        """The clock leaves ``now`` for an earlier time: the rotated-out keys whose time was up
        by then are dropped, so they are not published again at the earlier time."""
        with self._lock:
            self._drop_retired(now)

    def _drop_retired(self, now: datetime) -> None:
        self._retired = [(k, until) for k, until in self._retired if until > now]

    def find(self, kid: str) -> K | None:
        return next((k for k in self.published() if k.kid == kid), None)

    def reset(self) -> None:
        with self._lock:
            self._active = None
            self._retired.clear()


class KeyRing(RotatingKeys[SigningKey]):
    """The provider's token-signing keys; extra keys can be published beside them."""

    def __init__(self, clock: Clock, retain_for: timedelta = timedelta(hours=24)) -> None:
        super().__init__(SigningKey.generate, clock, retain_for)
        self._extra: list[SigningKey] = []

    def add_published(self) -> SigningKey:
        """Publish one more key that is never used for signing (a JWKS with several keys)."""
        key = SigningKey.generate(self.clock.now())
        with self._lock:
            self._extra.append(key)
        return key

    def remove_published(self, key: SigningKey) -> None:
        """Stop publishing a key added with :meth:`add_published`."""
        with self._lock:
            self._extra = [k for k in self._extra if k is not key]

    def extras(self) -> list[SigningKey]:
        """The keys :meth:`add_published` added and that are still published."""
        with self._lock:
            return list(self._extra)

    def published(self) -> list[SigningKey]:
        keys = super().published()
        with self._lock:
            return [*keys, *self._extra]

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._extra.clear()
