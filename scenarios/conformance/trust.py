"""Trusting an https mock provider's private CA: the harness's own HTTP client and the browser.

``--ca-file`` names the CA certificate the mock's server certificate chains to (``python -m
mock_idp --https`` prints it). The harness verifies the provider against it; the browser is
told to trust exactly the server certificate that verified (Chromium's
``--ignore-certificate-errors-spki-list`` pins its public key), so a certificate that does not
chain to that CA is still refused. A remote browser cannot be given launch flags: its contexts
ignore certificate errors instead.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from scenarios.conformance.control import SetupError

__all__ = ["BrowserTrust", "browser_trust", "client_context"]

CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, kw_only=True)
class BrowserTrust:
    launch_args: tuple[str, ...] = ()
    context_options: dict[str, Any] = field(default_factory=dict)


def client_context(ca_file: Path) -> ssl.SSLContext:
    """An SSL context that trusts only ``ca_file``."""
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise SetupError(f"--ca-file {ca_file}: not a readable PEM CA certificate ({exc})"
                         ) from None


def _verified_leaf(url: str, ca_file: Path) -> bytes:
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 443
    context = client_context(ca_file)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        raise SetupError(f"{url}: its certificate does not verify against --ca-file {ca_file} "
                         f"({exc.verify_message})") from None
    except OSError as exc:
        raise SetupError(f"{url}: cannot open a TLS connection ({exc})") from None
    if der is None:
        raise SetupError(f"{url}: the server sent no certificate")
    return der


def browser_trust(url: str, ca_file: Path | None, *, remote: bool) -> BrowserTrust:
    """How the browser reaches the https provider at ``url`` (nothing to do under http)."""
    if not url.startswith("https://"):
        return BrowserTrust()
    if ca_file is None:
        raise SetupError(f"the provider {url} serves https: give --ca-file, the CA certificate "
                         "its server certificate chains to (python -m mock_idp --https prints "
                         "it)")
    if remote:
        _verified_leaf(url, ca_file)
        return BrowserTrust(context_options={"ignore_https_errors": True})
    leaf = x509.load_der_x509_certificate(_verified_leaf(url, ca_file))
    spki = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    return BrowserTrust(launch_args=(f"--ignore-certificate-errors-spki-list={pin}",))
