"""The claim checks of ID-token validation, OpenID Connect Core 1.0 §3.1.3.7 steps 2-12 (and
§3.2.2.9 / §3.3.2.11 for ``at_hash`` / ``c_hash``): each takes the claims and a
:class:`~relying_party.oidc.id_token.TokenContext` and raises its own
:class:`~relying_party.oidc.errors.LoginError`. :data:`~relying_party.oidc.id_token.ID_TOKEN_CHECKS`
runs them in order; the logout token reuses the ones that apply to it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .discovery import TENANT_PLACEHOLDER
from .errors import (
    EARLY_IAT,
    AlgNotAllowed,
    AtHashMismatch,
    AtHashMissing,
    CHashMismatch,
    CHashMissing,
    IdTokenAzpMismatch,
    IdTokenExpired,
    IdTokenIatFuture,
    IdTokenIatMissing,
    IdTokenMalformed,
    IdTokenNotYetValid,
    IdTokenSubMissing,
    IdTokenWrongAudience,
    IdTokenWrongIssuer,
    NonceMismatch,
    clock_hint,
    expired_hint,
)

if TYPE_CHECKING:
    from .id_token import TokenContext

__all__ = [
    "check_at_hash",
    "check_audience",
    "check_azp",
    "check_c_hash",
    "check_exp",
    "check_iat",
    "check_issuer",
    "check_key_issuer",
    "check_nbf",
    "check_nonce",
    "check_sub",
    "resolve_issuer",
    "token_audiences",
    "token_hash",
]

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def resolve_issuer(template: str, tid: object) -> str:
    """Fill an Entra ``{tenantid}`` issuer template with the token's ``tid`` (a GUID)."""
    if TENANT_PLACEHOLDER not in template:
        return template
    if not isinstance(tid, str) or not _GUID.fullmatch(tid):
        raise IdTokenWrongIssuer(f"issuer template {template!r} needs a GUID tid, got {tid!r}")
    return template.replace(TENANT_PLACEHOLDER, tid)


MAX_TIME = datetime(9999, 12, 31, tzinfo=UTC).timestamp()
"""The latest NumericDate accepted (a day before datetimes end): later ones, like NaN, infinity
or a time before 1970, are no instants a token can mean."""


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519 §2) as seconds since 1970, or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IdTokenMalformed(f"{name} is not a number")
    if not 0 <= value <= MAX_TIME:  # NaN compares false too
        raise IdTokenMalformed(f"{name} is not a time between 1970 and 9999")
    return float(value)


def check_issuer(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    expected = resolve_issuer(ctx.expected_issuer, claims.get("tid"))
    if claims.get("iss") != expected:
        raise IdTokenWrongIssuer(f"iss {claims.get('iss')!r} != {expected!r}")


def check_key_issuer(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    """Entra: a JWK's ``issuer`` member (after ``{tenantid}`` substitution) must equal ``iss``."""
    if ctx.key_issuer is None:
        return
    expected = resolve_issuer(ctx.key_issuer, claims.get("tid"))
    if claims.get("iss") != expected:
        raise IdTokenWrongIssuer(
            f"signing key is for issuer {expected!r}, not {claims.get('iss')!r}"
        )


def token_audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return tuple(aud)
    raise IdTokenWrongAudience(f"aud missing or malformed: {aud!r}")


def check_audience(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    audiences = token_audiences(claims)
    if ctx.client_id not in audiences:
        raise IdTokenWrongAudience(f"aud {list(audiences)} does not contain {ctx.client_id!r}")
    untrusted = [a for a in audiences if a != ctx.client_id and a not in ctx.trusted_audiences]
    if untrusted:
        raise IdTokenWrongAudience(f"aud contains untrusted audiences {untrusted}")


def check_azp(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    azp = claims.get("azp")
    if azp is None and len(token_audiences(claims)) == 1:
        return
    if azp != ctx.client_id:
        raise IdTokenAzpMismatch(f"azp {azp!r} != client_id {ctx.client_id!r}")


def check_exp(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    exp = _number(claims, "exp")
    if exp is None:
        raise IdTokenMalformed("exp claim missing")
    if ctx.now.timestamp() >= exp + ctx.leeway.total_seconds():
        iat = _number(claims, "iat")
        raise IdTokenExpired(
            f"expired at {exp:.0f}, issued at {'?' if iat is None else f'{iat:.0f}'}, now "
            f"{ctx.now.timestamp():.0f}",
            admin_hint=expired_hint(iat, ctx.now.timestamp(), ctx.leeway.total_seconds()))


def _clock_hint(dated: float, ctx: TokenContext) -> str:
    """The clocks' difference, from a date (``iat``, ``nbf``) the provider set to its own
    present or up to :data:`EARLY_IAT` seconds before it, as Entra dates its tokens."""
    return clock_hint(dated - ctx.now.timestamp(), ctx.leeway.total_seconds(), early=EARLY_IAT)


def check_nbf(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    nbf = _number(claims, "nbf")
    if nbf is not None and ctx.now.timestamp() + ctx.leeway.total_seconds() < nbf:
        raise IdTokenNotYetValid(f"not before {nbf:.0f}, now {ctx.now.timestamp():.0f}",
                                 admin_hint=_clock_hint(nbf, ctx))


def check_iat(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    iat = _number(claims, "iat")
    if iat is None:
        raise IdTokenIatMissing("iat claim missing")
    if iat > ctx.now.timestamp() + ctx.leeway.total_seconds():
        raise IdTokenIatFuture(f"issued at {iat:.0f}, now {ctx.now.timestamp():.0f}",
                               admin_hint=_clock_hint(iat, ctx))


def check_sub(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise IdTokenSubMissing("sub claim missing or empty")


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def check_nonce(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    if ctx.nonce is None:
        return
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not _equal(nonce, ctx.nonce):
        raise NonceMismatch("nonce claim missing or different from the one sent")


def token_hash(value: str, alg: str) -> str:
    """``at_hash`` / ``c_hash``: base64url of the left half of the alg's hash of ``value``."""
    size = "512" if alg == "EdDSA" else alg[-3:]
    digests = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
    if size not in digests:
        raise AlgNotAllowed(f"no hash defined for alg {alg!r}")
    digest = digests[size](value.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _check_hash(
    claims: Mapping[str, Any],
    ctx: TokenContext,
    *,
    claim: str,
    value: str | None,
    required: bool,
    missing: type[AtHashMissing | CHashMissing],
    mismatch: type[AtHashMismatch | CHashMismatch],
) -> None:
    actual = claims.get(claim)
    if actual is None:
        if required:
            raise missing(f"{claim} claim missing")
        return
    if value is None:
        return
    if not isinstance(actual, str) or not _equal(actual, token_hash(value, ctx.alg)):
        raise mismatch(f"{claim} does not match")


def check_at_hash(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    _check_hash(
        claims,
        ctx,
        claim="at_hash",
        value=ctx.access_token,
        required=ctx.require_at_hash,
        missing=AtHashMissing,
        mismatch=AtHashMismatch,
    )


def check_c_hash(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    _check_hash(
        claims,
        ctx,
        claim="c_hash",
        value=ctx.code,
        required=ctx.require_c_hash,
        missing=CHashMissing,
        mismatch=CHashMismatch,
    )
