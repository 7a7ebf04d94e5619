"""Back-channel logout tokens: OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6.

https://openid.net/specs/openid-connect-backchannel-1_0.html

Validation order follows §2.6: signature with the ID-token keys and allow-list (``alg: none`` is
never accepted), ``iss`` / ``aud`` / ``iat`` / ``exp`` as for ID tokens, ``sub`` and/or ``sid``,
the back-channel-logout member of ``events``, and no ``nonce``. ``typ`` is not required (§2.4:
``logout+jwt`` is recommended, but Keycloak, for one, sends ``JWT``).

Replay: the caller keeps each accepted :attr:`LogoutToken.replay_key` until
:attr:`LogoutToken.remember_until` and refuses a token whose key it has already seen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import LoginError, LogoutTokenInvalid
from .id_token import (
    DEFAULT_ALGS,
    DEFAULT_LEEWAY,
    TokenContext,
    _check_config,
    verify_signed_jwt,
)
from .id_token_checks import (
    check_audience,
    check_azp,
    check_exp,
    check_iat,
    check_issuer,
    check_key_issuer,
    check_nbf,
    token_audiences,
)
from .jwks import KeyResolver

__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT",
    "LOGOUT_TOKEN_CHECKS",
    "LogoutToken",
    "logout_token_audiences",
    "validate_logout_token",
]

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

Check = Callable[[Mapping[str, Any], TokenContext], None]


def logout_token_audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """``aud``: a string, or an array of strings (RFC 7519 §4.1.3); anything else, such as
    ``true`` or a number, is refused before any provider is asked about the token."""
    try:
        return token_audiences(claims)
    except LoginError as exc:
        raise LogoutTokenInvalid("wrong_audience", exc.detail) from exc


def check_subject_or_session(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is None and sid is None:
        raise LogoutTokenInvalid("sub_and_sid_missing", "a logout token needs sub, sid or both")
    for name, value in (("sub", sub), ("sid", sid)):
        if value is not None and (not isinstance(value, str) or not value):
            raise LogoutTokenInvalid(f"{name}_malformed", f"{name} must be a non-empty string")


def check_events(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    events = claims.get("events")
    if not isinstance(events, dict):
        raise LogoutTokenInvalid("events_missing", "no events object")
    if not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise LogoutTokenInvalid(
            "events_wrong", f"events lacks {BACKCHANNEL_LOGOUT_EVENT} with an object value"
        )


def check_no_nonce(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    if "nonce" in claims:
        raise LogoutTokenInvalid("nonce_present", "a logout token must not contain a nonce")


def check_jti(claims: Mapping[str, Any], ctx: TokenContext) -> None:
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LogoutTokenInvalid("jti_missing", "jti is required for replay detection")


LOGOUT_TOKEN_CHECKS: tuple[Check, ...] = (
    check_issuer,
    check_key_issuer,
    check_audience,
    check_azp,
    check_exp,
    check_nbf,
    check_iat,
    check_subject_or_session,
    check_events,
    check_no_nonce,
    check_jti,
)


@dataclass(frozen=True, kw_only=True)
class LogoutToken:
    """A validated logout token. End the sessions matching ``(iss, sub)`` and/or ``sid``."""

    iss: str
    sub: str | None
    sid: str | None
    jti: str
    iat: datetime
    exp: datetime
    remember_until: datetime
    """Keep ``replay_key`` at least until then; later the token is expired anyway."""
    tid: str | None = None
    """Entra's tenant claim, when the token has one (a string)."""

    @property
    def replay_key(self) -> tuple[str, str]:
        return (self.iss, self.jti)


def _reason(error: LoginError) -> str:
    return error.code.removeprefix("id_token_")


async def validate_logout_token(
    token: str,
    *,
    keys: KeyResolver,
    expected_issuer: str,
    client_id: str,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
    allowed_algs: Sequence[str] = DEFAULT_ALGS,
    trusted_audiences: Collection[str] = (),
) -> LogoutToken:
    """Validate a logout token or raise :class:`LogoutTokenInvalid` (``reason`` says why).

    ``reason`` is e.g. ``alg_not_allowed``, ``bad_signature``, ``wrong_issuer``,
    ``wrong_audience``, ``expired``, ``iat_missing``, ``sub_and_sid_missing``, ``events_missing``,
    ``events_wrong``, ``nonce_present``, ``jti_missing``, ``unknown_signing_key`` or
    ``jwks_unavailable``.
    """
    _check_config(allowed_algs, leeway, now)
    try:
        verified = await verify_signed_jwt(token, keys=keys, allowed_algs=allowed_algs)
        ctx = TokenContext(
            expected_issuer=expected_issuer,
            client_id=client_id,
            now=now,
            leeway=leeway,
            trusted_audiences=trusted_audiences,
            alg=verified.header["alg"],
            key_issuer=verified.key.issuer if verified.key else None,
        )
        claims = verified.claims
        for check in LOGOUT_TOKEN_CHECKS:
            check(claims, ctx)
    except LogoutTokenInvalid:
        raise
    except LoginError as exc:
        raise LogoutTokenInvalid(_reason(exc), exc.detail) from exc
    exp = datetime.fromtimestamp(claims["exp"], UTC)
    return LogoutToken(
        iss=claims["iss"],
        sub=claims.get("sub"),
        sid=claims.get("sid"),
        jti=claims["jti"],
        iat=datetime.fromtimestamp(claims["iat"], UTC),
        exp=exp,
        remember_until=exp + leeway,
        tid=tid if isinstance(tid := claims.get("tid"), str) else None,
    )
