"""The certificates the harness's own HTTP calls trust: the public CAs, once per process
(:func:`public_trust`), and a private CA beside them (``doctor``'s probes, the relying party
``run --idp`` starts)."""

from __future__ import annotations

import ssl
from pathlib import Path

from mock_idp.outgoing import default_trust

__all__ = ["CaFileError", "public_trust", "trusting"]

public_trust = default_trust
"""httpx's default verification (``verify=True``), built once per process and shared with the
mock provider's own clients. Loading the CA bundle is most of what making a client costs
(about 20 ms of CPU), and the stack makes one for every scenario; an ``SSLContext`` is safe to
share between clients."""


class CaFileError(ValueError):
    """``ca_file`` holds no PEM certificate (a DER one, a key, an empty file) or cannot be
    read; the message names the file and says why."""


def _why(ca_file: Path) -> str:
    """Why a file that could be read holds no usable certificate."""
    try:
        data = ca_file.read_bytes()
    except OSError:
        data = b""
    if not data.strip():
        return "it is empty"
    if b"PRIVATE KEY-----" in data:
        return ("it holds a private key, not a certificate: give the CA's certificate, the "
                "PEM file that starts with -----BEGIN CERTIFICATE-----")
    return (f"it holds no PEM certificate; convert a DER one with: openssl x509 -inform der "
            f"-in {ca_file} -out ca.pem")


def trusting(ca_file: Path) -> ssl.SSLContext:
    """A client context trusting the public CAs (certifi's where installed) and ``ca_file``."""
    try:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        context = ssl.create_default_context()
    try:
        context.load_verify_locations(cafile=str(ca_file))
    except ssl.SSLError:
        raise CaFileError(f"{ca_file}: not a readable PEM CA certificate ({_why(ca_file)})"
                          ) from None
    except OSError as exc:
        raise CaFileError(f"{ca_file}: not a readable PEM CA certificate "
                          f"({exc.strerror or exc})") from None
    return context
