"""An app registration's credentials: client secrets and certificates (Graph
``passwordCredentials`` and ``keyCredentials``)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .config import CertificateConfig
from .credential_config import default_date_problems, key_problem


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_guid() -> str:
    return str(uuid.uuid4())


def generate_secret_value() -> str:
    """A secret in the portal's current shape: three characters, a digit, ``Q~``, then 34 more."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~."
    head = "".join(secrets.choice(alphabet) for _ in range(3))
    tail = "".join(secrets.choice(alphabet + "-") for _ in range(34))
    return f"{head}{secrets.randbelow(10)}Q~{tail}"


@dataclass
class PasswordCredential:
    key_id: str
    display_name: str
    value: str
    start: datetime
    end: datetime
    ended: bool = False
    """Its end came by a time the clock has since left for an earlier one
    (:meth:`end_if_over`): it stays expired."""

    def valid_at(self, now: datetime) -> bool:
        """Whether the secret opens the token endpoint at ``now``: within its dates, and not
        expired before a move of the clock back."""
        return not self.ended and self.start <= now < self.end

    def end_if_over(self, now: datetime) -> None:
        """The clock leaves ``now`` for an earlier time: a secret whose end has come stays
        expired, and stays listed, as Entra keeps an expired secret on the registration,
        flagged expired, refuses it with AADSTS7000222 and has no way to reactivate it: a new
        secret replaces it (aztokenwatch.com/blog/fix-aadsts7000222-client-secret-expired)."""
        self.ended = self.ended or self.end <= now

    @property
    def hint(self) -> str:
        return self.value[:3]

    def graph(self, *, include_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customKeyIdentifier": None,
            "displayName": self.display_name,
            "endDateTime": iso(self.end),
            "hint": self.hint,
            "keyId": self.key_id,
            "secretText": self.value if include_secret else None,
            "startDateTime": iso(self.start),
        }
        return out


@dataclass
class KeyCredential:
    """A certificate registered on an app (Graph ``keyCredential``, type AsymmetricX509Cert,
    usage Verify): its public key checks ``client_assertion`` signatures from ``start`` to
    ``end``."""

    key_id: str
    display_name: str
    certificate: x509.Certificate
    start: datetime
    end: datetime
    ended: bool = False
    """Its end came by a time the clock has since left for an earlier one
    (:meth:`end_if_over`): it stays expired."""

    def valid_at(self, now: datetime) -> bool:
        """Whether the certificate's key checks assertions at ``now``: within its dates, and
        not expired before a move of the clock back."""
        return not self.ended and self.start <= now < self.end

    def end_if_over(self, now: datetime) -> None:
        """The clock leaves ``now`` for an earlier time: a certificate whose end has come stays
        expired (and registered, refused with AADSTS700027 "The key used is expired")."""
        self.ended = self.ended or self.end <= now

    @property
    def public_key(self) -> Any:
        return self.certificate.public_key()

    @property
    def thumbprint(self) -> str:
        """The SHA-1 thumbprint in upper-case hex, as the portal shows it and Graph puts it in
        ``customKeyIdentifier``."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return hashlib.sha1(der).hexdigest().upper()

    @property
    def x5t(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return _b64url(hashlib.sha1(der).digest())

    @property
    def x5t_s256(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return _b64url(hashlib.sha256(der).digest())

    def graph(self) -> dict[str, Any]:
        """Graph's shape; ``key`` (the certificate) is never read back, as in Graph."""
        return {
            "customKeyIdentifier": self.thumbprint,
            "displayName": self.display_name,
            "endDateTime": iso(self.end),
            "key": None,
            "keyId": self.key_id,
            "startDateTime": iso(self.start),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }


def key_credential(cfg: CertificateConfig) -> KeyCredential:
    """A registered certificate; its dates default to the certificate's validity.
    :class:`ValueError` for one that is not a PEM certificate of an RSA key, or whose own
    validity would give dates outside 1971-9000."""
    cert = x509.load_pem_x509_certificate(cfg.pem.encode())
    problem = key_problem(cert)
    if problem:
        raise ValueError(f"the certificate {problem}")
    given = {"start": cfg.start, "end": cfg.end}
    for which, date_problem in default_date_problems(cert).items():
        if given[which] is None:
            raise ValueError(f"the certificate's {which} {date_problem}")
    return KeyCredential(
        key_id=(cfg.key_id or new_guid()).lower(), display_name=cfg.display_name,
        certificate=cert, start=cfg.start or cert.not_valid_before_utc,
        end=cfg.end or cert.not_valid_after_utc)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
