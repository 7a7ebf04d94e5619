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
        raise CaFileError(
            f"{ca_file}: not a readable PEM CA certificate (it holds no PEM certificate; "
            f"convert a DER one with: openssl x509 -inform der -in {ca_file} -out ca.pem)"
        ) from None
    except OSError as exc:
        raise CaFileError(f"{ca_file}: not a readable PEM CA certificate "
                          f"({exc.strerror or exc})") from None
    return context
