"""Provider signing keys: a JWK Set (RFC 7517 §5) fetched from ``jwks_uri`` and cached.

Key selection (OIDC Core §10.1.1):

- only public signature keys whose type fits the token's ``alg`` are candidates (``use`` absent or
  ``sig``; ``alg`` absent or equal; RSA for RS*/PS*, the matching EC curve for ES*, OKP for EdDSA);
  symmetric (``oct``) keys are never used;
- with a ``kid``, the candidates carrying that ``kid``;
- without a ``kid``, the token is accepted only when exactly one candidate exists. With several we
  reject (:class:`AmbiguousSigningKey`) rather than try each in turn; the OpenID certification
  suite allows either, and rejecting keeps the result independent of key order.

An unknown ``kid`` triggers one re-fetch (the provider may have rotated its keys), but forced
re-fetches are limited to one per ``refresh_cooldown`` per URL and *lane*, so requests with
made-up ``kid`` values cannot make the relying party hammer the provider. Tokens anyone can post
(back-channel logout tokens) ask in the lane :data:`POSTED`, ID tokens in :data:`SIGN_IN`: a
forged token with a made-up ``kid`` then cannot use up the re-fetch a sign-in needs right after
the provider rotates its keys. (An ID token comes from the provider's token endpoint, for a code
only this relying party can redeem, so an unknown ``kid`` there is the provider's own.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from ..clock import Clock
from ._http import DEFAULT_TIMEOUT, json_object, send
from .errors import AmbiguousSigningKey, IdpUnreachable, JwksUnavailable, UnknownSigningKey

__all__ = [
    "POSTED",
    "SIGN_IN",
    "JwksCache",
    "KeyResolver",
    "SigningKey",
    "StaticKeys",
    "parse_jwks",
    "select_key",
]

SIGN_IN = "sign-in"
POSTED = "posted"

_EC_CURVES: Mapping[str, type[ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}


@dataclass(frozen=True, kw_only=True)
class SigningKey:
    """One parsed public key plus the JWK members selection needs."""

    jwk: PyJWK = field(repr=False)
    kid: str | None
    alg: str | None
    use: str | None
    issuer: str | None
    """Entra's non-standard ``issuer`` member; may contain ``{tenantid}``."""

    @property
    def public_key(self) -> Any:
        return self.jwk.key

    def fits(self, alg: str) -> bool:
        """Whether this key may verify a signature made with ``alg``."""
        if self.use not in (None, "sig") or self.alg not in (None, alg):
            return False
        key = self.jwk.key
        if alg[:2] in ("RS", "PS"):
            return isinstance(key, rsa.RSAPublicKey)
        if alg in _EC_CURVES:
            return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(
                key.curve, _EC_CURVES[alg]
            )
        if alg == "EdDSA":
            return isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)
        return False


def _public(key: object) -> bool:
    return isinstance(
        key,
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey,
    )


def _opt_str(jwk: Mapping[str, Any], name: str) -> str | None:
    value = jwk.get(name)
    return value if isinstance(value, str) else None


def parse_jwks(document: Mapping[str, Any]) -> tuple[SigningKey, ...]:
    """The usable public keys of a JWK Set; keys pyjwt cannot parse, private and ``oct`` keys
    are skipped (RFC 7517 §5: ignore keys you do not understand)."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWK Set needs a 'keys' array")
    keys: list[SigningKey] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") == "oct":
            continue
        try:
            jwk = PyJWK(entry)
        except (PyJWTError, ValueError, TypeError):
            continue
        if not _public(jwk.key):
            continue
        keys.append(
            SigningKey(
                jwk=jwk,
                kid=_opt_str(entry, "kid"),
                alg=_opt_str(entry, "alg"),
                use=_opt_str(entry, "use"),
                issuer=_opt_str(entry, "issuer"),
            )
        )
    return tuple(keys)


def select_key(keys: Iterable[SigningKey], *, kid: str | None, alg: str) -> SigningKey:
    """Pick the one key for a token header (see the module docstring for the rules)."""
    candidates = [k for k in keys if k.fits(alg) and (kid is None or k.kid == kid)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UnknownSigningKey(f"no {alg} signing key with kid {kid!r}")
    raise AmbiguousSigningKey(f"{len(candidates)} {alg} keys match kid {kid!r}")


class KeyResolver(Protocol):
    async def find_key(self, *, kid: str | None, alg: str) -> SigningKey: ...


class StaticKeys:
    """A fixed key set (no fetching); useful for tests and for pinned keys."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.keys = parse_jwks(document)

    async def find_key(self, *, kid: str | None, alg: str) -> SigningKey:
        return select_key(self.keys, kid=kid, alg=alg)


@dataclass
class _Entry:
    keys: tuple[SigningKey, ...] = ()
    fetched_at: datetime | None = None
    forced_at: dict[str, datetime] = field(default_factory=dict)
    """The last forced re-fetch of each lane."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JwksCache:
    """JWK Sets per ``jwks_uri``, kept for ``ttl``; see the module docstring for re-fetching."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        clock: Clock,
        ttl: timedelta = timedelta(hours=24),
        refresh_cooldown: timedelta = timedelta(seconds=60),
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._cooldown = refresh_cooldown
        self._timeout = timeout
        self._entries: dict[str, _Entry] = {}

    def keys_for(self, jwks_uri: str, *, lane: str = SIGN_IN) -> KeyResolver:
        """A :class:`KeyResolver` bound to one provider's ``jwks_uri``, re-fetching in
        ``lane`` (see the module docstring)."""
        return _BoundKeys(self, jwks_uri, lane)

    async def find_key(
        self, jwks_uri: str, *, kid: str | None, alg: str, lane: str = SIGN_IN
    ) -> SigningKey:
        entry = self._entries.setdefault(jwks_uri, _Entry())
        async with entry.lock:
            now = self._clock.now()
            if entry.fetched_at is None or now >= entry.fetched_at + self._ttl:
                await self._fetch(jwks_uri, entry, now)
            try:
                return select_key(entry.keys, kid=kid, alg=alg)
            except UnknownSigningKey:
                forced_at = entry.forced_at.get(lane)
                if forced_at is not None and now < forced_at + self._cooldown:
                    raise
                entry.forced_at[lane] = now
                await self._fetch(jwks_uri, entry, now)
                return select_key(entry.keys, kid=kid, alg=alg)

    async def _fetch(self, jwks_uri: str, entry: _Entry, now: datetime) -> None:
        try:
            response = await send(
                self._client, "GET", jwks_uri, endpoint="jwks", timeout=self._timeout
            )
        except IdpUnreachable as exc:
            raise JwksUnavailable(exc.detail) from exc
        if response.status_code != 200:
            raise JwksUnavailable(f"GET {jwks_uri} answered HTTP {response.status_code}")
        document = json_object(response)
        try:
            keys = parse_jwks(document or {})
        except ValueError as exc:
            raise JwksUnavailable(f"GET {jwks_uri}: {exc}") from exc
        entry.keys, entry.fetched_at = keys, now


@dataclass(frozen=True)
class _BoundKeys:
    cache: JwksCache
    jwks_uri: str
    lane: str

    async def find_key(self, *, kid: str | None, alg: str) -> SigningKey:
        return await self.cache.find_key(self.jwks_uri, kid=kid, alg=alg, lane=self.lane)
