"""``python -m mock_idp`` as a user runs it: first line, startup time, --https, bad config.

Serving and Ctrl-C run the command in a process of its own; the refusals, which never start a
server, call ``main`` in this one (one process test shows the entry point passes the code on).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import loops
import pytest

from mock_idp.__main__ import main, parse_args
from mock_idp.config import DEFAULT_TENANT_ID
from mock_idp.testing import run_in_thread
from mock_idp.tls import TlsFiles

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    """A running ``python -m mock_idp``; both its output streams are read by threads as they
    arrive, so nothing here ever blocks on a live process's pipe."""

    process: subprocess.Popen[str]
    started: float
    lines: list[str]
    errors: list[str] = field(default_factory=list)

    def line(self, index: int, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while len(self.lines) <= index:
            if time.monotonic() > deadline or (self.process.poll() is not None
                                               and len(self.lines) <= index):
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait(timeout=10)
                raise AssertionError(f"no output line {index}; stderr so far: {self.stderr()}")
            time.sleep(0.005)
        return self.lines[index]

    def stderr(self) -> str:
        return "".join(self.errors)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mock_idp", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


@contextmanager
def serve(*args: str) -> Iterator[Cli]:
    started = time.monotonic()
    process = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=REPO, env=env())
    cli = Cli(process, started, [])

    def pump_out() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            cli.lines.append(raw.rstrip("\n"))

    def pump_err() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            cli.errors.append(raw)

    readers = [threading.Thread(target=pump, daemon=True) for pump in (pump_out, pump_err)]
    for reader in readers:
        reader.start()
    try:
        yield cli
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for reader in readers:
            reader.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serves_discovery_once_the_url_is_printed() -> None:
    """The socket listens before the URL is printed, so discovery answers at once (how fast
    is ``make bench``'s start-up figure, not a test's)."""
    with serve("--port", "0") as cli:
        base = cli.line(0)
        assert base.startswith("http://127.0.0.1:")
        discovery = f"{base}/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration"
        response = httpx.get(discovery, timeout=5.0)
        assert response.status_code == 200
        assert response.json()["issuer"] == f"{base}/{DEFAULT_TENANT_ID}/v2.0"
        # As Entra: no Server header, and one Date (the provider's clock's, not uvicorn's).
        assert "server" not in response.headers
        assert len(response.headers.get_list("date")) == 1
        assert httpx.get(f"{base}/_mock/health").json()["status"] == "ok"
        cli.line(2)
        summary = "\n".join(cli.lines)
        assert "contoso.onmicrosoft.com" in summary and "(disabled)" in summary


def test_https_prints_the_ca_and_verifies_with_it(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    with serve("--port", "0", "--https", "--tls-dir", str(tls_dir)) as cli:
        base = cli.line(0)
        assert base.startswith("https://127.0.0.1:")
        ca_line = cli.line(1)
        assert ca_line == f"CA certificate: {tls_dir / 'ca.pem'}"
        files = TlsFiles.in_directory(tls_dir)
        with httpx.Client(verify=files.client_context()) as client:
            doc = client.get(f"{base}/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration")
            assert doc.json()["issuer"].startswith("https://127.0.0.1:")
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/_mock/health")
        authority = f"{base}/{DEFAULT_TENANT_ID}"
        lines = [cli.line(i) for i in range(2, 6)]
        assert f"  authority {authority}" in lines
        assert f"  issuer    {authority}/v2.0" in lines  # what MSAL and the libraries need
        assert f"  discovery {authority}/v2.0/.well-known/openid-configuration" in lines



def test_https_without_a_tls_dir_removes_its_files_on_stop() -> None:
    """The CA's key lives as long as the process that made it, not in /tmp for good."""
    with serve("--port", "0", "--https") as cli:
        base = cli.line(0)
        ca_file = Path(cli.line(1).removeprefix("CA certificate: "))
        assert ca_file.parent.name.startswith("mock-idp-tls-")
        with httpx.Client(verify=TlsFiles.in_directory(ca_file.parent).client_context()) as http:
            assert http.get(f"{base}/_mock/health").status_code == 200
        cli.process.terminate()
        assert cli.process.wait(timeout=10) == 0
    assert not ca_file.parent.exists()

def test_public_url_sets_the_issuer() -> None:
    with serve("--port", "0", "--public-url", "https://idp.example.test/") as cli:
        base = cli.line(0)
        doc = httpx.get(f"{base}/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration")
        assert doc.json()["issuer"] == f"https://idp.example.test/{DEFAULT_TENANT_ID}/v2.0"
        assert cli.line(1) == "Public URL: https://idp.example.test"


def test_serves_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(
        '[[tenants]]\nid = "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"\n'
        'domain = "fabrikam.onmicrosoft.com"\nname = "Fabrikam"\n'
        '[[tenants.users]]\nupn = "zoe@fabrikam.onmicrosoft.com"\nname = "Zoe"\npassword = "pw"\n'
    )
    with serve("--port", "0", "--config", str(config)) as cli:
        base = cli.line(0)
        users = httpx.get(f"{base}/graph/fabrikam.onmicrosoft.com/v1.0/users").json()["value"]
        assert [u["userPrincipalName"] for u in users] == ["zoe@fabrikam.onmicrosoft.com"]


BAD_CONFIGS = [
    ("[[tenants]]\nid = 'nope'\ndomain = 'a.test'\n", "id must be a GUID"),
    ("tenants = 5\n", "tenants must be an array of tables"),
    ("[tenants]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\n",
     "tenants must be an array of tables"),
    ("x = " + "[" * 500 + "]" * 500 + "\n", "x (line 1): arrays and inline tables nested"),
    ("[[tenants]]\nname = 'F\xe4brikam'\n".encode("latin-1"),
     "line 2, column 10: byte 0xe4 is not UTF-8"),
    ("[[tenants]\n", "cannot read"),
    ("colour = 'blue'\n[[tenants]]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\n"
     "domain = 'a.test'\n", "colour"),
    ("[[tenants]]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\ndomain = 'a.test'\n"
     "[[tenants.apps]]\nclient_id = '5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6'\n"
     "[[tenants.apps.certificates]]\npem = 'garbage'\n",
     "invalid config"),
    ("[[tenants]]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\ndomain = 'a.test'\n"
     "[[tenants.apps]]\nclient_id = '5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6'\n"
     "[[tenants.apps.certificates]]\n"
     "pem_file = 'missing.pem'\n",
     "tenants[0].apps[0].certificates[0].pem_file: cannot read 'missing.pem'"),
    ("[[tenants]]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\ndomain = 'a.test'\n"
     "[[tenants.groups]]\nname = 'G'\nmembers = ['G']\n",
     "tenants[0].groups[0].members: group 'G' cannot be a member of itself"),
    ("[[tenants]]\nid = '0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874'\ndomain = 'a.test'\n"
     "[[tenants.groups]]\nname = 'G'\nmembers = ['H']\n"
     "[[tenants.groups]]\nname = 'H'\nmembers = ['G']\n",
     "tenants[0].groups[0].members: group 'G' cannot be a member of itself"),
]


def _one_line_exit_2(code: int, out: str, err: str, needle: str) -> None:
    """What a user sees of a refused start: nothing on stdout, one line on stderr naming
    ``needle``, exit code 2."""
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def _main_exit_code(argv: list[str]) -> int:
    """``main(argv)`` in this process: its return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


@pytest.mark.parametrize(("toml", "needle"), BAD_CONFIGS)
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          toml: str | bytes, needle: str) -> None:
    config = tmp_path / "idp.toml"
    config.write_bytes(toml if isinstance(toml, bytes) else toml.encode())
    code = _main_exit_code(["--port", "0", "--config", str(config)])
    captured = capsys.readouterr()
    _one_line_exit_2(code, captured.out, captured.err, needle)
    assert str(config) in captured.err


def test_bad_config_as_a_process_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """The same through ``python -m mock_idp`` itself: the entry point passes main's code on."""
    toml, needle = BAD_CONFIGS[0]
    config = tmp_path / "idp.toml"
    config.write_text(str(toml))
    result = subprocess.run(command("--port", "0", "--config", str(config)), cwd=REPO, env=env(),
                            capture_output=True, text=True, timeout=30)
    _one_line_exit_2(result.returncode, result.stdout, result.stderr, needle)


@pytest.mark.parametrize(("args", "needle"), [
    (("--config", "does-not-exist.toml"), "does-not-exist.toml"),
    (("--config", ""), "--config needs the path of an idp.toml file"),
    (("--config", " "), "--config needs the path of an idp.toml file"),
    (("--port", "70000"), "--port must be between 0 and 65535"),
    (("--public-url", "idp.example.test"), "--public-url must be an absolute http(s) URL"),
    (("--log-level", "loud"), "invalid choice: 'loud'"),
])
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                              needle: str) -> None:
    code = _main_exit_code(list(args))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == "" and "Traceback" not in captured.err
    assert needle in captured.err


@pytest.mark.parametrize(("args", "needle"), [
    (("--public-url", ""), "--public-url needs the URL the mock is reached at"),
    (("--public-url", " "), "--public-url needs the URL the mock is reached at"),
    (("--https", "--tls-dir", ""), "--tls-dir needs a directory"),
])
def test_an_empty_public_url_or_tls_dir_is_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str) -> None:
    """``--public-url "$UNSET"`` started a mock whose issuer is the listening address, and
    ``--tls-dir ''`` one whose CA is in a temporary directory removed on exit."""
    with pytest.raises(SystemExit) as refused:
        parse_args(["--port", "0", *args])
    code = refused.value.code if isinstance(refused.value.code, int) else 1
    captured = capsys.readouterr()
    _one_line_exit_2(code, captured.out, captured.err, needle)


def test_a_tls_dir_without_https_is_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        parse_args(["--port", "0", "--tls-dir", str(tmp_path)])
    code = refused.value.code if isinstance(refused.value.code, int) else 1
    captured = capsys.readouterr()
    _one_line_exit_2(code, captured.out, captured.err, "--tls-dir")
    assert "--https" in captured.err


def test_a_taken_port_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from starlette.applications import Starlette

    with run_in_thread(Starlette()) as server:
        code = _main_exit_code(["--port", str(server.port)])
    captured = capsys.readouterr()
    _one_line_exit_2(code, captured.out, captured.err, "cannot listen")


def test_https_certifies_the_public_url_of_the_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography import x509
    from starlette.applications import Starlette

    config = tmp_path / "idp.toml"
    config.write_text('public_url = "https://idp.test:18443"\n[[tenants]]\n'
                      'id = "0b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e"\n'
                      'domain = "fabrikam.onmicrosoft.com"\n')
    with run_in_thread(Starlette()) as server:  # a taken port: it stops once the files exist
        code = _main_exit_code(["--port", str(server.port), "--https", "--config", str(config),
                                "--tls-dir", str(tmp_path / "tls")])
    captured = capsys.readouterr()
    _one_line_exit_2(code, captured.out, captured.err, "cannot listen")
    cert = x509.load_pem_x509_certificate(TlsFiles.in_directory(tmp_path / "tls").cert
                                          .read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "idp.test" in names.get_values_for_type(x509.DNSName)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly() -> None:
    with serve("--port", "0") as cli:
        base = cli.line(0)
        assert httpx.get(f"{base}/_mock/health").status_code == 200
        cli.process.send_signal(signal.SIGINT)
        assert cli.process.wait(timeout=10) == 0
    assert "Traceback" not in cli.stderr()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_before_the_server_runs_stops_it_cleanly(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        signum: signal.Signals) -> None:
    """A supervisor may stop the process as soon as it has read the URL, before uvicorn has
    taken the signals over: the server still starts, stops and shuts down, with exit 0."""
    from mock_idp.serving import DrainingServer

    run = DrainingServer.run

    def signalled_first(self: DrainingServer, sockets: list[Any] | None = None) -> None:
        signal.raise_signal(signum)
        run(self, sockets=sockets)

    monkeypatch.setattr(DrainingServer, "run", signalled_first)
    before = signal.getsignal(signum)
    with warnings.catch_warnings(), loops.main_thread_free():
        warnings.simplefilter("error")
        assert main(["--port", "0"]) == 0
    assert signal.getsignal(signum) == before
    assert capsys.readouterr().out.startswith("http://127.0.0.1:")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_stopped_as_soon_as_the_url_is_read_the_process_exits_0_quietly() -> None:
    for _ in range(3):
        with serve("--port", "0") as cli:
            assert cli.line(0).startswith("http://")
            cli.process.terminate()
            assert cli.process.wait(timeout=10) == 0
        assert cli.stderr() == ""
