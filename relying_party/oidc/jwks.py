"""Provider signing keys: a JWK Set (RFC 7517 §5) fetched from ``jwks_uri`` and cached.

Key selection (OIDC Core §10.1.1):

- only public signature keys whose type fits the token's ``alg`` are candidates (``use`` absent or
  ``sig``; ``alg`` absent or equal; RSA for RS*/PS*, the matching EC curve for ES*, OKP for EdDSA);
  symmetric (``oct``) keys are never used;
- with a ``kid``, the candidates carrying that ``kid``;
- without a ``kid``, the token is accepted only when exactly one candidate exists. With several we
  reject (:class:`AmbiguousSigningKey`) rather than try each in turn; the OpenID certification
  suite allows either, and rejecting keeps the result independent of key order.

An unknown ``kid`` triggers a re-fetch (the provider may have rotated its keys), but a request
that names one proves nothing: anyone can post an event or a logout token with a made-up
``kid``. So what one such request may spend is bounded per URL and *lane*, in two ways:

- each ``kid`` is re-fetched for at most once per ``refresh_cooldown``: a ``kid`` the set did
  not hold when fetched for it is refused without a fetch until then (the last
  ``remembered_misses`` such ids are kept, the oldest forgotten first), so a made-up ``kid``
  sent again costs nothing, while a new one, such as the key a rotation just published, gets
  its own fetch;
- re-fetches draw on an allowance of ``max_refreshes`` per ``refresh_cooldown`` (a token
  bucket: one comes back every ``refresh_cooldown / max_refreshes``), so a stream of ever new
  made-up ids cannot make the relying party hammer the provider. While it is spent, an unknown
  ``kid`` is refused, but the set held is then no older than one refill (every refill spent is
  a fetch): a rotated key is missed only if published since, and the provider's retry finds it.

Tokens anyone can post (back-channel logout tokens, platform events) ask in the lane
:data:`POSTED`, ID tokens in :data:`SIGN_IN`: forged posts cannot spend the allowance a sign-in
needs right after the provider rotates its keys. (An ID token comes from the provider's token
endpoint, for a code only this relying party can redeem, so an unknown ``kid`` there is the
provider's own.)
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
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
class _Lane:
    """What forced re-fetches one lane of one URL has spent: the allowance left (as of
    ``counted_at``) and the ``kid`` values a fetch made for them did not find, with when."""

    allowance: float
    counted_at: datetime
    misses: OrderedDict[str | None, datetime] = field(default_factory=OrderedDict)


@dataclass
class _Entry:
    keys: tuple[SigningKey, ...] = ()
    fetched_at: datetime | None = None
    lanes: dict[str, _Lane] = field(default_factory=dict)
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
        max_refreshes: int = 5,
        remembered_misses: int = 256,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        if max_refreshes < 1 or remembered_misses < 1:
            raise ValueError("max_refreshes and remembered_misses must be at least 1")
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._cooldown = refresh_cooldown
        self._max_refreshes = max_refreshes
        self._remembered = remembered_misses
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
                spent = entry.lanes.setdefault(
                    lane, _Lane(allowance=self._max_refreshes, counted_at=now))
                if not self._may_refetch(spent, kid, now):
                    raise
                await self._fetch(jwks_uri, entry, now)
                try:
                    return select_key(entry.keys, kid=kid, alg=alg)
                except UnknownSigningKey:
                    self._missed(spent, kid, now)
                    raise

    def _may_refetch(self, lane: _Lane, kid: str | None, now: datetime) -> bool:
        """Whether an unknown ``kid`` may force a fetch now, spending one of the lane's
        allowance if so: not when a fetch for it missed it within the cooldown, nor while the
        allowance is spent."""
        missed = lane.misses.get(kid)
        if missed is not None and now < missed + self._cooldown:
            return False
        refill = self._cooldown / self._max_refreshes
        earned = max((now - lane.counted_at) / refill, 0.0) if refill else self._max_refreshes
        lane.allowance = min(float(self._max_refreshes), lane.allowance + earned)
        lane.counted_at = now
        if lane.allowance < 1:
            return False
        lane.allowance -= 1
        return True

    def _missed(self, lane: _Lane, kid: str | None, now: datetime) -> None:
        """Remember that a fetch made for ``kid`` did not find it (the newest last, the
        oldest forgotten beyond ``remembered_misses``, and those past the cooldown dropped)."""
        lane.misses.pop(kid, None)
        lane.misses[kid] = now
        while lane.misses:
            oldest, at = next(iter(lane.misses.items()))
            if len(lane.misses) <= self._remembered and now < at + self._cooldown:
                break
            del lane.misses[oldest]

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
