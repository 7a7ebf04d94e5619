"""An app's credentials in ``idp.toml``: client secrets (``[[tenants.apps.secrets]]``) and
certificates (``[[tenants.apps.certificates]]``), as frozen data, and their reader.

A secret's ``key_id``, like Graph's ``keyId``, is a GUID, one per credential of the app; its
``end`` is a date-time (a TOML date-time, or a string such as ``2027-06-30T00:00:00Z``), or
``expires_in_days`` counts it, not both. A relative ``pem_file`` is read from the config
file's directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from .config_fields import (
    LATEST_YEAR,
    ConfigError,
    known,
    opt_guid,
    req_str,
    tables,
    unique,
    when,
)

MAX_DAYS = 36500
NOT_RSA = "must hold an RSA certificate (client assertions are RS256/PS256)"


def key_problem(cert: x509.Certificate) -> str | None:
    """Why ``cert`` cannot verify client assertions, or None: Entra takes RS256/PS256
    assertions only, so only an RSA key does (Microsoft identity platform "Certificate
    credentials": https://learn.microsoft.com/entra/identity-platform/certificate-credentials)."""
    return None if isinstance(cert.public_key(), rsa.RSAPublicKey) else NOT_RSA


def default_date_problems(cert: x509.Certificate) -> dict[str, str]:
    """Why the certificate's own validity cannot stand in for a registration's ``start`` or
    ``end`` left out, by that name: date-times run from 1971 to :data:`LATEST_YEAR`, so that
    moving the clock cannot overflow them, whoever gives them."""
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    problems: dict[str, str] = {}
    if before < datetime(1971, 1, 1, tzinfo=UTC):
        problems["start"] = (f"would be the certificate's notBefore ({before:%Y-%m-%dT%H:%M:%SZ}),"
                             f" before 1971: give one from 1971 on")
    if after > datetime(LATEST_YEAR, 1, 1, tzinfo=UTC):
        problems["end"] = (f"would be the certificate's notAfter ({after:%Y-%m-%dT%H:%M:%SZ}), "
                           f"after {LATEST_YEAR}: give one before {LATEST_YEAR}")
    return problems


@dataclass(frozen=True, kw_only=True)
class SecretConfig:
    value: str
    key_id: str | None = None
    display_name: str = "client secret"
    start: datetime | None = None
    end: datetime | None = None
    expires_in: timedelta = timedelta(days=180)
    """Used when ``end`` is absent: the secret ends this long after its ``start``, or after the
    provider starts when it has none."""


@dataclass(frozen=True, kw_only=True)
class CertificateConfig:
    pem: str
    """A PEM certificate whose private key signs ``client_assertion`` JWTs."""
    key_id: str | None = None
    display_name: str = "certificate"
    start: datetime | None = None
    end: datetime | None = None
    """The registration's validity; default: the certificate's own."""


def parse_credentials(d: Mapping[str, Any], where: str, base_dir: Path | None
                      ) -> tuple[tuple[SecretConfig, ...], tuple[CertificateConfig, ...]]:
    """An app table's ``secrets`` and ``certificates``; ``base_dir``: where a relative
    ``pem_file`` is (default: the current directory)."""
    secrets = tuple(_secret(s, sw) for sw, s in tables(d, "secrets", where))
    certs = tuple(_certificate(c, cw, base_dir) for cw, c in tables(d, "certificates", where))
    key_ids = [(f"{where}.secrets[{i}].key_id", s.key_id) for i, s in enumerate(secrets)]
    key_ids += [(f"{where}.certificates[{i}].key_id", c.key_id) for i, c in enumerate(certs)]
    unique([(path, key_id) for path, key_id in key_ids if key_id is not None], "credential")
    return secrets, certs


def _secret(d: Mapping[str, Any], where: str) -> SecretConfig:
    known(d, where, {"value", "key_id", "display_name", "start", "end", "expires_in_days"})
    if "end" in d and "expires_in_days" in d:
        raise ConfigError(f"{where}.expires_in_days cannot be given with end: one says when "
                          f"the secret ends")
    days = d.get("expires_in_days", 180)
    if not isinstance(days, int | float) or isinstance(days, bool) or not (
            -MAX_DAYS <= days <= MAX_DAYS):
        raise ConfigError(f"{where}.expires_in_days must be a number from {-MAX_DAYS} to "
                          f"{MAX_DAYS}")
    start, end, expires_in = when(d, "start", where), when(d, "end", where), timedelta(days=days)
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"{where}.end must be after its start")
    if start is not None and end is None:  # counted from the start, so known now
        end = start + expires_in
        if end <= start:
            raise ConfigError(f"{where}.expires_in_days must be positive with a start")
        if end.year >= LATEST_YEAR:
            raise ConfigError(f"{where}.expires_in_days ends the secret after {LATEST_YEAR} "
                              f"(it counts from the start)")
    return SecretConfig(
        value=req_str(d, "value", where), key_id=opt_guid(d, "key_id", where),
        display_name=req_str(d, "display_name", where, "client secret"),
        start=start, end=end, expires_in=expires_in,
    )


def _certificate(c: Mapping[str, Any], where: str, base_dir: Path | None) -> CertificateConfig:
    known(c, where, {"pem", "pem_file", "key_id", "display_name", "start", "end"})
    if "pem_file" in c:
        name = req_str(c, "pem_file", where)
        file = (base_dir or Path()) / Path(name).expanduser()  # an absolute one stays as it is
        try:
            pem = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            shown = "" if str(file) == name else f" ({file})"
            raise ConfigError(f"{where}.pem_file: cannot read {name!r}{shown}: {reason}"
                              ) from exc
    else:
        pem = req_str(c, "pem", where, multiline=True)
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ConfigError(f"{where}.pem is not a PEM certificate") from exc
    problem = key_problem(cert)
    if problem:
        raise ConfigError(f"{where}.pem {problem}")
    start, end = when(c, "start", where), when(c, "end", where)
    given = {"start": start, "end": end}
    for which, problem in default_date_problems(cert).items():
        if given[which] is None:
            raise ConfigError(f"{where}.{which} {problem}")
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"{where}.end must be after its start")
    return CertificateConfig(pem=pem, key_id=opt_guid(c, "key_id", where),
                             display_name=req_str(c, "display_name", where, "certificate"),
                             start=start, end=end)
