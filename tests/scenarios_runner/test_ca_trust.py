"""The harness's own HTTP calls trust the public CAs through one context per process, and a
private CA beside them only where asked."""

from __future__ import annotations

import ssl
from contextlib import ExitStack
from pathlib import Path

import pytest

from mock_idp.tls import tls_files_with
from scenarios.ca_trust import CaFileError, public_trust, trusting


def test_public_trust_is_one_verifying_context() -> None:
    context = public_trust()
    assert context is public_trust()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_a_private_ca_is_trusted_in_a_context_of_its_own(tmp_path: Path) -> None:
    with ExitStack() as stack:
        files = tls_files_with(stack, tmp_path, ["127.0.0.1"])
        context = trusting(files.ca_cert)
        assert context is not public_trust()
        assert _private_ca_in(context)
        assert not _private_ca_in(public_trust())


def _private_ca_in(context: ssl.SSLContext) -> bool:
    return any("sso-harness" in str(cert.get("subject")) for cert in context.get_ca_certs())


def test_a_file_without_a_certificate_is_refused_by_name(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    with pytest.raises(CaFileError, match="empty.pem: not a readable PEM CA certificate"):
        trusting(empty)
