"""Local TLS for ``--https``: a private CA and a server certificate signed by it.

MSAL only accepts ``https`` authorities, so the mock can serve TLS with certificates made here
(ECDSA P-256). Clients trust ``ca.pem``; the server uses ``server.pem`` and ``server-key.pem``.
Files in an existing directory are reused while they are valid and cover the requested hosts.

Certificate validity follows real time (clients check it against their own clock), so the clock
here defaults to :class:`~mock_idp.clock.SystemClock`, not the provider's mock clock.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .clock import Clock, SystemClock

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_LIFETIME = timedelta(days=3650)
SERVER_LIFETIME = timedelta(days=397)
RENEW_BEFORE = timedelta(days=1)
_UNSPECIFIED = {"", "0.0.0.0", "::", "*"}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TlsFiles:
    """Where the PEM files are; pass ``ca_cert`` to clients as their trust anchor."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path

    @classmethod
    def in_directory(cls, directory: Path) -> TlsFiles:
        return cls(directory=directory, ca_cert=directory / "ca.pem",
                   ca_key=directory / "ca-key.pem", cert=directory / "server.pem",
                   key=directory / "server-key.pem")

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts only this CA (for httpx ``verify=``)."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


def normalize_hosts(hosts: Iterable[str]) -> list[str | IpAddress]:
    """Default loopback names plus ``hosts``: IP literals parsed, brackets and duplicates gone."""
    out: list[str | IpAddress] = []
    for raw in (*DEFAULT_HOSTS, *hosts):
        host = raw.strip().strip("[]").lower()
        if host in _UNSPECIFIED:
            continue
        try:
            value: str | IpAddress = ipaddress.ip_address(host)
        except ValueError:
            value = host.rstrip(".")
        if value not in out:
            out.append(value)
    return out


TEMPORARY_PREFIX = "mock-idp-tls-"


def tls_files_with(stack: ExitStack, directory: str | Path | None,
                   hosts: Iterable[str] = ()) -> TlsFiles:
    """:func:`ensure_tls_files` in ``directory``; without one, in a temporary directory that
    goes (the CA's private key with it) when ``stack`` closes."""
    if not directory:
        directory = stack.enter_context(tempfile.TemporaryDirectory(prefix=TEMPORARY_PREFIX))
    return ensure_tls_files(directory, hosts)


def ensure_tls_files(directory: str | Path | None = None, hosts: Iterable[str] = (), *,
                     clock: Clock | None = None) -> TlsFiles:
    """Reuse valid files in ``directory`` (default: a fresh temporary one) or create them."""
    path = Path(directory) if directory else Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX))
    path.mkdir(parents=True, exist_ok=True)
    files = TlsFiles.in_directory(path)
    now = (clock or SystemClock()).now()
    names = normalize_hosts(hosts)
    ca = _load_ca(files, now)
    if ca is None:
        ca = _new_ca(now)
        _write_key(files.ca_key, ca[0])
        _write(files.ca_cert, ca[1].public_bytes(serialization.Encoding.PEM))
    if not _server_is_valid(files, ca[1], names, now):
        key, cert = _new_server_cert(ca, names, now)
        _write_key(files.key, key)
        _write(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def _write(target: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


def _write_key(target: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write(target, pem, 0o600)


def _load(files: Iterable[Path]) -> list[bytes] | None:
    try:
        return [f.read_bytes() for f in files]
    except OSError:
        return None


def _same_key(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def _fresh(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


def _load_ca(files: TlsFiles, now: datetime
             ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    data = _load((files.ca_key, files.ca_cert))
    if data is None:
        return None
    try:
        key = serialization.load_pem_private_key(data[0], password=None)
        cert = x509.load_pem_x509_certificate(data[1])
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, TypeError, x509.ExtensionNotFound):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not constraints.ca:
        return None
    if not _same_key(key, cert) or not _fresh(cert, now):
        return None
    return key, cert


def _server_is_valid(files: TlsFiles, ca: x509.Certificate, names: list[str | IpAddress],
                     now: datetime) -> bool:
    data = _load((files.key, files.cert))
    if data is None:
        return False
    try:
        key = serialization.load_pem_private_key(data[0], password=None)
        cert = x509.load_pem_x509_certificate(data[1])
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_key(key, cert):
        return False
    covered: set[str | IpAddress] = {
        *san.get_values_for_type(x509.DNSName),
        *(a for a in san.get_values_for_type(x509.IPAddress)
          if isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address)),
    }
    return _fresh(cert, now) and all(name in covered for name in names)


def _new_ca(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sso-harness"),
        x509.NameAttribute(NameOID.COMMON_NAME, "sso-harness mock provider local CA"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_server_cert(ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
                     names: list[str | IpAddress], now: datetime
                     ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(n) if isinstance(n, str) else x509.IPAddress(n) for n in names
    ]
    first = next((n for n in names if isinstance(n, str)), "localhost")
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(first))]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(min(now + SERVER_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert
