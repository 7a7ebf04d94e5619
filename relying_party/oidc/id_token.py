"""ID-token validation: OpenID Connect Core 1.0 §3.1.3.7 (and §3.2.2.9 / §3.3.2.11 for hashes).

https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation

The signature stage (:func:`verify_signed_jwt`) runs first: the ``alg`` allow-list, key selection
and the signature. The claims then pass :data:`ID_TOKEN_CHECKS`, an ordered tuple of small checks
that each raise their own :class:`~relying_party.oidc.errors.LoginError` (they are in
:mod:`relying_party.oidc.id_token_checks`). pyjwt verifies only the signature here; time checks
use the caller's ``now``, never the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import jwt
from jwt.exceptions import InvalidSignatureError, InvalidTokenError

from ..inputs import InputError, check_json_value
from .errors import AlgNotAllowed, IdTokenBadSignature, IdTokenMalformed
from .id_token_checks import (
    check_at_hash,
    check_audience,
    check_azp,
    check_c_hash,
    check_exp,
    check_iat,
    check_issuer,
    check_key_issuer,
    check_nbf,
    check_nonce,
    check_sub,
    resolve_issuer,
    token_audiences,
    token_hash,
)
from .jwks import KeyResolver, SigningKey

if TYPE_CHECKING:
    from jwt.types import Options  # PyJWT 2.11+; only for the type checker

__all__ = [
    "ASYMMETRIC_ALGS",
    "DEFAULT_ALGS",
    "DEFAULT_LEEWAY",
    "ID_TOKEN_CHECKS",
    "IdTokenClaims",
    "TokenContext",
    "VerifiedJwt",
    "read_unsigned_jwt",
    "resolve_issuer",
    "token_hash",
    "validate_id_token",
    "verify_signed_jwt",
]

ASYMMETRIC_ALGS = frozenset(
    ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
)
"""What ``allowed_algs`` may contain: never ``none``, never HMAC. (An HS256 token keyed with the
provider's public key, which everyone has, would otherwise verify.)"""
DEFAULT_ALGS: tuple[str, ...] = ("RS256",)
"""OIDC Core's default ``id_token_signed_response_alg``, and what Entra ID uses."""
DEFAULT_LEEWAY = timedelta(seconds=60)
MAX_LEEWAY = timedelta(minutes=5)
_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


def _check_config(allowed_algs: Sequence[str], leeway: timedelta, now: datetime) -> None:
    bad = [alg for alg in allowed_algs if alg not in ASYMMETRIC_ALGS]
    if bad or not allowed_algs:
        raise ValueError(f"only asymmetric signature algorithms may be allowed, not {bad}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not timedelta(0) <= leeway <= MAX_LEEWAY:
        raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY}")


@dataclass(frozen=True, kw_only=True)
class VerifiedJwt:
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    key: SigningKey | None
    """The key that verified the signature; ``None`` for an unsigned token trusted by TLS."""


async def verify_signed_jwt(
    token: str, *, keys: KeyResolver, allowed_algs: Sequence[str] = DEFAULT_ALGS
) -> VerifiedJwt:
    """Check ``alg`` against the allow-list, select the key, verify the JWS signature."""
    try:
        header = jwt.get_unverified_header(token)
    except InvalidTokenError as exc:
        raise IdTokenMalformed(f"not a JWS: {exc}") from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algs or alg not in ASYMMETRIC_ALGS:
        raise AlgNotAllowed(f"alg {alg!r} is not in {tuple(allowed_algs)}")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise IdTokenMalformed("kid header is not a string")
    key = await keys.find_key(kid=kid, alg=alg)
    try:
        claims = jwt.decode(token, key.public_key, algorithms=[alg], options=_SIGNATURE_ONLY)
    except InvalidSignatureError as exc:
        raise IdTokenBadSignature(f"{alg} signature does not verify with kid {key.kid!r}") from exc
    except InvalidTokenError as exc:
        raise IdTokenMalformed(str(exc)) from exc
    try:
        check_json_value(claims, field="claims")
    except InputError as exc:
        raise IdTokenMalformed(str(exc)) from exc
    return VerifiedJwt(header=header, claims=claims, key=key)


def read_unsigned_jwt(token: str) -> VerifiedJwt:
    """An ``alg: none`` JWT with an empty signature, for a caller that has decided the channel
    vouches for it (OIDC Core §3.1.3.7 step 6; see :mod:`relying_party.oidc.unsigned`)."""
    parts = token.split(".")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "none" or len(parts) != 3 or parts[2]:
            raise IdTokenMalformed("not an unsigned JWT (alg none, empty signature)")
        claims = jwt.decode(token, options={"verify_signature": False})
    except InvalidTokenError as exc:
        raise IdTokenMalformed(f"not a JWT: {exc}") from exc
    return VerifiedJwt(header=header, claims=claims, key=None)


@dataclass(frozen=True, kw_only=True)
class TokenContext:
    """What the checks compare the claims with."""

    expected_issuer: str
    """The discovered issuer, possibly an Entra ``{tenantid}`` template."""
    client_id: str
    now: datetime
    leeway: timedelta = DEFAULT_LEEWAY
    trusted_audiences: Collection[str] = ()
    """Audiences besides ``client_id`` that may appear in ``aud``; any other one is rejected."""
    alg: str = "RS256"
    key_issuer: str | None = None
    nonce: str | None = None
    access_token: str | None = None
    code: str | None = None
    require_at_hash: bool = False
    require_c_hash: bool = False


Check = Callable[[Mapping[str, Any], TokenContext], None]



ID_TOKEN_CHECKS: tuple[Check, ...] = (
    check_issuer,
    check_key_issuer,
    check_audience,
    check_azp,
    check_exp,
    check_nbf,
    check_iat,
    check_sub,
    check_nonce,
    check_at_hash,
    check_c_hash,
)


def _alg_of(token: str) -> object:
    try:
        return jwt.get_unverified_header(token).get("alg")
    except InvalidTokenError:
        return None


def _str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def _instant(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True, kw_only=True)
class IdTokenClaims:
    """A validated ID token. ``(iss, sub)`` identifies the user; ``claims`` holds everything."""

    iss: str
    sub: str
    aud: tuple[str, ...]
    exp: datetime
    iat: datetime
    nonce: str | None
    sid: str | None
    tid: str | None
    oid: str | None
    name: str | None
    email: str | None
    preferred_username: str | None
    alg: str
    kid: str | None
    claims: Mapping[str, Any] = field(repr=False)


async def validate_id_token(
    token: str,
    *,
    keys: KeyResolver,
    expected_issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
    allowed_algs: Sequence[str] = DEFAULT_ALGS,
    trusted_audiences: Collection[str] = (),
    access_token: str | None = None,
    code: str | None = None,
    require_at_hash: bool = False,
    require_c_hash: bool = False,
    unsigned_allowed: bool = False,
) -> IdTokenClaims:
    """Validate an ID token and return its claims, or raise the matching ``LoginError``.

    ``keys`` is ``JwksCache.keys_for(metadata.jwks_uri)`` or a ``StaticKeys``. ``at_hash`` /
    ``c_hash`` are verified whenever present and ``access_token`` / ``code`` are given; set
    ``require_*`` for ID tokens from the authorization endpoint (implicit / hybrid flows).
    ``unsigned_allowed`` accepts an ``alg: none`` token in place of a signature; pass it only
    for a token received straight from a TLS token endpoint that sends them (§3.1.3.7 step 6,
    :func:`relying_party.oidc.unsigned.unsigned_trusted`). Every claim check still runs.
    """
    _check_config(allowed_algs, leeway, now)
    if require_at_hash and access_token is None or require_c_hash and code is None:
        raise ValueError("require_at_hash needs access_token; require_c_hash needs code")
    if unsigned_allowed and _alg_of(token) == "none":
        verified = read_unsigned_jwt(token)
    else:
        verified = await verify_signed_jwt(token, keys=keys, allowed_algs=allowed_algs)
    claims = verified.claims
    ctx = TokenContext(
        expected_issuer=expected_issuer,
        client_id=client_id,
        now=now,
        leeway=leeway,
        trusted_audiences=trusted_audiences,
        alg=verified.header["alg"],
        key_issuer=verified.key.issuer if verified.key else None,
        nonce=nonce,
        access_token=access_token,
        code=code,
        require_at_hash=require_at_hash,
        require_c_hash=require_c_hash,
    )
    for check in ID_TOKEN_CHECKS:
        check(claims, ctx)
    return IdTokenClaims(
        iss=claims["iss"],
        sub=claims["sub"],
        aud=token_audiences(claims),
        exp=_instant(claims["exp"]),
        iat=_instant(claims["iat"]),
        nonce=_str(claims, "nonce"),
        sid=_str(claims, "sid"),
        tid=_str(claims, "tid"),
        oid=_str(claims, "oid"),
        name=_str(claims, "name"),
        email=_str(claims, "email"),
        preferred_username=_str(claims, "preferred_username"),
        alg=ctx.alg,
        kid=verified.key.kid if verified.key else None,
        claims=MappingProxyType(dict(claims)),
    )
