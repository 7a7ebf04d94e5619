"""Local CA and server certificate for --https: contents, reuse, renewal, a real handshake."""

from __future__ import annotations

import ipaddress
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.testing import run_in_thread
from mock_idp.tls import ensure_tls_files, normalize_hosts


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def san(cert: x509.Certificate) -> set[object]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {*ext.get_values_for_type(x509.DNSName), *ext.get_values_for_type(x509.IPAddress)}


def test_creates_a_ca_and_a_server_certificate(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path / "tls", ["idp.test", "10.1.2.3"])
    assert files.ca_cert.name == "ca.pem" and files.cert.name == "server.pem"
    assert files.key.name == "server-key.pem"
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600
    ca, server = load(files.ca_cert), load(files.cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server.verify_directly_issued_by(ca)
    assert san(server) == {"localhost", "idp.test", ipaddress.ip_address("127.0.0.1"),
                           ipaddress.ip_address("::1"), ipaddress.ip_address("10.1.2.3")}


def test_reuses_valid_files(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path, ["idp.test"])
    before = {p: p.read_bytes() for p in (first.ca_cert, first.cert, first.key)}
    second = ensure_tls_files(tmp_path, ["IDP.test", "localhost", "[::1]"])
    assert second == first
    assert {p: p.read_bytes() for p in before} == before


def test_a_new_host_reissues_the_server_certificate_only(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path)
    ca_before, server_before = first.ca_cert.read_bytes(), first.cert.read_bytes()
    ensure_tls_files(tmp_path, ["other.test"])
    assert first.ca_cert.read_bytes() == ca_before
    assert first.cert.read_bytes() != server_before
    assert "other.test" in san(load(first.cert))


def test_renews_a_server_certificate_near_its_end(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    old = load(files.cert)
    later = MockClock(frozen_at=old.not_valid_after_utc - timedelta(hours=1))
    ensure_tls_files(tmp_path, clock=later)
    renewed = load(files.cert)
    assert renewed.serial_number != old.serial_number
    assert renewed.not_valid_after_utc > later.now() + timedelta(days=300)
    renewed.verify_directly_issued_by(load(files.ca_cert))


def test_replaces_damaged_files(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    files.ca_cert.write_text("not a certificate")
    ensure_tls_files(tmp_path)
    load(files.cert).verify_directly_issued_by(load(files.ca_cert))


def test_default_directory_is_a_fresh_temporary_one() -> None:
    files = ensure_tls_files()
    try:
        assert files.ca_cert.exists() and files.directory.name.startswith("mock-idp-tls-")
    finally:
        shutil.rmtree(files.directory)


def test_normalize_hosts() -> None:
    assert normalize_hosts(["0.0.0.0", "::", "[::1]", "Example.TEST.", "127.0.0.1"]) == [
        "localhost", ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"),
        "example.test",
    ]


def test_serves_https_trusted_only_through_the_ca(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])
    with run_in_thread(app, ssl=files) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        response = httpx.get(server.url("/"), verify=files.client_context())
        assert response.text == "hello"
        with httpx.Client(verify=files.client_context()) as client:
            assert client.get(f"https://localhost:{server.port}/").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url("/"))


def test_certificates_are_valid_now(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    now = datetime.now(UTC)
    for cert in (load(files.ca_cert), load(files.cert)):
        assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
