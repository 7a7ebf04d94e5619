"""Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 private_key_jwt).

Secrets: in the body or HTTP Basic. Certificates: a ``client_assertion`` signed with the key of
a registered certificate, found by ``x5t``/``x5t#S256``/``kid``. Each failure is Entra's AADSTS
code. Returns the Entra ``appidacr`` value: ``"0"`` public, ``"1"`` secret, ``"2"`` certificate.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import jwt

from ..errors import EntraError
from ..store import Application, KeyCredential
from .users import grant_time

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
SKEW = 300
"""Seconds of clock skew allowed either side of an assertion's ``nbf`` and ``exp``."""
LATEST = datetime.max.replace(tzinfo=UTC)
"""The last instant a time claim names; a later one is taken as this (see :func:`_instant`)."""


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str | None
    secret: str | None
    assertion: str | None
    assertion_type: str | None


def read_credentials(form: Mapping[str, str], authorization: str | None) -> ClientCredentials:
    client_id = form.get("client_id")
    secret = form.get("client_secret")
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            basic_id, _, basic_secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise EntraError(7000218) from exc
        client_id = client_id or unquote_plus(basic_id)
        secret = secret or unquote_plus(basic_secret)
    assertion = form.get("client_assertion")
    if assertion and not client_id:
        try:
            iss = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            iss = None
        client_id = iss if isinstance(iss, str) else None
    return ClientCredentials(
        client_id=(client_id or "").strip().lower() or None, secret=secret,
        assertion=assertion, assertion_type=form.get("client_assertion_type"),
    )


def authenticate(app: Application, creds: ClientCredentials, *, now: datetime,
                 audiences: tuple[str, ...], wall: datetime | None = None) -> str:
    """``now``: the provider's clock; ``wall``: real time (default: the machine's), which a
    client assertion may be valid against instead (:func:`_check_time_range`)."""
    if app.public_client:
        if creds.secret or creds.assertion:
            raise EntraError(700025)
        return "0"
    if creds.assertion:
        return _assertion(app, creds, now=now, audiences=audiences, wall=wall)
    if not creds.secret:
        raise EntraError(7000218)
    return _secret(app, creds.secret, now=now)


def _secret(app: Application, secret: str, *, now: datetime) -> str:
    for cred in app.secrets:
        if hmac.compare_digest(cred.value.encode(), secret.encode()):
            # Before its start too: Entra calls a key outside its dates "expired" on either
            # side (a certificate dated to start later that day: "The key used is expired",
            # azureautomation/azure-automation-ise-addon #136; secrets whose start a script set
            # from local time ahead of UTC: AADSTS7000222 right after creation,
            # Azure-Samples/active-directory-dotnetcore-daemon-v2 #87, azure-cli #1408).
            if not cred.valid_at(now):
                raise EntraError(7000222, {"app_id": app.client_id})
            return "1"
    raise EntraError(7000215, {"app_id": app.client_id})


def _assertion(app: Application, creds: ClientCredentials, *, now: datetime,
               audiences: tuple[str, ...], wall: datetime | None) -> str:
    if creds.assertion_type != ASSERTION_TYPE:
        raise EntraError(900144, {"name": "client_assertion_type"})
    assert creds.assertion is not None
    try:
        header = jwt.get_unverified_header(creds.assertion)
    except jwt.PyJWTError as exc:
        raise EntraError(50027) from exc
    alg = str(header.get("alg", ""))
    if alg not in ASSERTION_ALGS:
        raise EntraError(5002738, {"alg": alg[:20]})
    thumb = header.get("x5t#S256") or header.get("x5t") or header.get("kid")
    if not thumb:
        raise EntraError(5002723)
    thumb = _base64url(thumb)
    cert = next(
        (c for c in app.certificates if thumb in (c.x5t, c.x5t_s256, c.key_id)), None
    )
    if cert is None:
        raise EntraError(700027, {"reason": f" [Reason - The key was not found., Thumbprint of "
                                            f"key used by client: '{str(thumb)[:64]}']"})
    try:
        claims = jwt.decode(
            creds.assertion, cert.public_key, algorithms=[alg],
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False, "require": []},
        )
    except (jwt.InvalidSignatureError, TypeError, ValueError) as exc:
        # A key that cannot check this signature (PyJWT raises TypeError or ValueError for a
        # key of another type) fails as a signature that does not match.
        raise EntraError(700027, {"reason": " [Reason - The provided signature value did not "
                                            "match the expected signature value.]"}) from exc
    except jwt.PyJWTError as exc:
        raise EntraError(50027) from exc
    if not _finite(claims):
        # ``NaN`` and ``Infinity`` are no JSON numbers (RFC 8259 section 6), which Python's
        # reader takes and Entra's does not: the assertion cannot be read (AADSTS50027, as
        # Entra answers a client assertion it cannot read: panva/openid-client #348).
        raise EntraError(50027)
    if not cert.valid_at(now):
        raise _expired(cert)
    for name in ("iss", "aud"):
        if name not in claims:
            raise EntraError(90014, {"name": name})
    if str(claims.get("iss", "")).lower() != app.client_id or str(
        claims.get("sub", claims["iss"])
    ).lower() != app.client_id:
        raise EntraError(700021)
    aud = claims["aud"]
    aud_values = aud if isinstance(aud, list) else [aud]
    if len(aud_values) > 1:  # one audience only, even when one of them is right
        raise EntraError(5002741, {"count": len(aud_values)})
    if not any(str(a).rstrip("/") in audiences for a in aud_values):
        raise EntraError(700023)
    _check_time_range(claims, now, datetime.now(UTC) if wall is None else wall)
    return "2"


def _check_time_range(claims: Mapping[str, Any], now: datetime, wall: datetime) -> None:
    """AADSTS700024 unless the assertion's ``nbf``..``exp`` (five minutes' skew either side)
    holds the provider's clock or the real wall clock. A client signs with its machine's clock,
    which it shares with Entra; a test that moves the provider's clock (:class:`MockClock`)
    models time passing for the provider's records, not a client whose clock is off, so an
    assertion MSAL signs then must still be taken."""
    exp, nbf = claims.get("exp"), claims.get("nbf")
    start = nbf if isinstance(nbf, int | float) else 0
    if isinstance(exp, int | float) and any(
            start - SKEW <= at.timestamp() <= exp + SKEW for at in (now, wall)):
        return
    raise EntraError(700024, {"now": grant_time(now), "nbf": _instant(start),
                              "exp": _instant(exp if isinstance(exp, int | float) else 0)})


def _instant(epoch_seconds: float) -> str:
    """A time claim as the message names it, within the dates .NET can name: at or before
    1970 it is the epoch, past the year 9999 the last instant, as Microsoft.IdentityModel reads
    a JWT's times (``EpochTime.DateTime`` and ``DateTimeUtil.Add``, which clamp rather than
    fail; a missing ``nbf`` reads as 1970 in Entra's messages, msal4j #984)."""
    if epoch_seconds <= 0:
        return grant_time(datetime.fromtimestamp(0, UTC))
    if epoch_seconds >= LATEST.timestamp():
        return LATEST.strftime("%Y-%m-%dT%H:%M:%S.9999999Z")
    return grant_time(datetime.fromtimestamp(epoch_seconds, UTC))


def _finite(value: object) -> bool:
    """Whether every number in a decoded JSON value is finite."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _expired(cert: KeyCredential) -> EntraError:
    """A registered certificate used outside its dates: Entra names the key's dates
    (``[Reason - The key used is expired., …, Found key 'Start=…, End=…']``, as quoted in
    Microsoft's troubleshooting articles for AADSTS700027)."""
    def when(instant: datetime) -> str:
        return instant.strftime("%m/%d/%Y %H:%M:%S")

    return EntraError(700027, {"reason": (
        f" [Reason - The key used is expired., Thumbprint of key used by client: "
        f"'{cert.thumbprint}', Found key 'Start={when(cert.start)}, End={when(cert.end)}']")})


def _base64url(thumbprint: object) -> object:
    """A thumbprint as unpadded base64url; MSAL Python sends it padded (``...=``)."""
    if not isinstance(thumbprint, str):
        return thumbprint
    return thumbprint.rstrip("=").replace("+", "-").replace("/", "_")
