"""Integrator mode against a real, certified OpenID provider: node ``oidc-provider``.

The provider runs from ``oidc_provider/server.mjs`` (one client, one test user, the package's
development sign-in form), installed by the ``node_package`` fixture; without Node.js or the
package the tests are skipped with the reason. The relying party's socket is bound first,
so the provider can be told the exact redirect URIs it requires.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mock_idp.testing import bind_socket
from scenarios.__main__ import build_parser, main

HERE = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "sso-harness-rp"
CLIENT_SECRET = "op-secret-0123456789-abcdefghij"
USER = "tester"
USER_NAME = "Terry Tester"


@dataclass(frozen=True)
class Provider:
    issuer: str
    rp_sock: socket.socket
    rp_base: str

    @property
    def redirect_uri(self) -> str:
        return _redirect_uri(self.rp_base)


def _redirect_uri(rp_base: str) -> str:
    """The reference RP's connection's own redirect URI (its profile names the connection
    after the client id)."""
    return f"{rp_base}/auth/callback/{CLIENT_ID}"


@contextlib.contextmanager
def _node_provider(directory: Path, rp_base: str, *, redirect_uris: str | None = None
                   ) -> Iterator[str]:
    env = {
        **os.environ, "OP_PORT": "0", "OP_CLIENT_ID": CLIENT_ID, "OP_CLIENT_SECRET": CLIENT_SECRET,
        "OP_REDIRECT_URIS": _redirect_uri(rp_base) if redirect_uris is None else redirect_uris,
        "OP_POST_LOGOUT_URIS": f"{rp_base}/signed-out",
        "OP_USER": USER, "OP_USER_NAME": USER_NAME,
    }
    process = subprocess.Popen(["node", "server.mjs"], cwd=directory, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 20
        line = ""
        while not line.startswith("listening "):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                err = process.stderr.read() if process.poll() is not None and process.stderr else ""
                pytest.fail(f"oidc-provider did not start: {line!r} {err[-800:]}")
            ready, _, _ = select.select([process.stdout], [], [], left)
            if ready:
                line = process.stdout.readline().strip() or line
        yield line.removeprefix("listening ")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def provider(node_package: Callable[..., Path]) -> Iterator[Provider]:
    directory = node_package(HERE, module="oidc-provider")
    sock = bind_socket("127.0.0.1", 0)
    rp_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with _node_provider(directory, rp_base) as issuer:
            yield Provider(issuer=issuer, rp_sock=sock, rp_base=rp_base)
    finally:
        sock.close()


def _doctor(capsys: pytest.CaptureFixture[str], provider: Provider, *, issuer: str | None = None,
            client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET,
            redirect_uri: str | None = None) -> tuple[int, dict[str, dict[str, str]]]:
    base = issuer or provider.issuer
    os.environ["OP_TEST_SECRET"] = secret
    try:
        code = main(["doctor", "--authorization-uri", f"{base}/auth", "--token-url",
                     f"{base}/token", "--client-id", client_id, "--client-secret-env",
                     "OP_TEST_SECRET", "--redirect-uri", redirect_uri or provider.redirect_uri,
                     "--timeout", "5", "--json"])
    finally:
        del os.environ["OP_TEST_SECRET"]
    out = capsys.readouterr().out
    assert secret not in out
    return code, {c["name"]: c for c in json.loads(out)["checks"]}


def test_doctor_passes_a_good_set_up(provider: Provider,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = _doctor(capsys, provider)
    assert code == 0, checks
    for name in ("discovery", "issuer", "endpoints", "jwks", "clock", "token-endpoint",
                 "client-credentials", "redirect-uri"):
        assert checks[name]["status"] == "PASS", checks[name]


def test_doctor_names_a_wrong_secret(provider: Provider,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = _doctor(capsys, provider, secret="not-the-secret-0123456789")
    assert code == 1
    result = checks["client-credentials"]
    assert result["status"] == "FAIL" and "invalid_client" in result["detail"]
    assert "client secret" in result["fix"]
    assert checks["redirect-uri"]["status"] == "PASS"


def test_doctor_names_a_wrong_client_id(provider: Provider,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = _doctor(capsys, provider, client_id="nobody")
    assert code == 1
    assert checks["client-credentials"]["status"] == "FAIL"
    assert "client ID is unknown" in checks["client-credentials"]["detail"]
    assert checks["redirect-uri"]["status"] == "FAIL"


def test_doctor_names_an_unregistered_redirect_uri(provider: Provider,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    wrong = f"{provider.rp_base}/elsewhere"
    code, checks = _doctor(capsys, provider, redirect_uri=wrong)
    assert code == 1
    result = checks["redirect-uri"]
    assert result["status"] == "FAIL" and "not registered" in result["detail"]
    assert wrong in result["fix"]
    assert checks["client-credentials"]["status"] == "PASS"


def test_doctor_names_an_unreachable_endpoint(provider: Provider,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    closed = bind_socket("127.0.0.1", 0)
    port = closed.getsockname()[1]
    closed.close()
    code, checks = _doctor(capsys, provider, issuer=f"http://127.0.0.1:{port}")
    assert code == 1
    assert checks["discovery"]["status"] == "FAIL"
    assert "cannot connect" in checks["discovery"]["detail"]
    assert checks["token-endpoint"]["status"] == "FAIL"


def _form_config(tmp_path: Path, issuer: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``--idp`` file for the provider's client and user, with the form driver for its
    development sign-in form (its secret and password in the environment)."""
    monkeypatch.setenv("OP_TEST_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OP_TEST_PASSWORD", "any-password-123")
    config = tmp_path / "idp.toml"
    config.write_text(f"""
[provider]
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_env = "OP_TEST_SECRET"
client_auth_method = "basic"

[user]
username = "{USER}"
password_env = "OP_TEST_PASSWORD"
display_name = "{USER_NAME}"

[driver]
kind = "form"
username_field = "Enter any login"
password_field = "and password"
submit_button = "Sign-in"
cancel_control = "[ Cancel ]"
sign_out_button = "Yes, sign me out"
""", encoding="utf-8")
    return config


@pytest.mark.browser
@pytest.mark.slow  # the scenarios against a Node provider
def test_scenarios_run_against_the_provider_with_the_form_driver(
    provider: Provider, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scenarios.real_idp_run import run_with_idp

    config = _form_config(tmp_path, provider.issuer, monkeypatch)
    report = tmp_path / "report"
    args = build_parser().parse_args(["run", "--idp", str(config), "--report", str(report),
                                      "--timeout", "15"])
    code = run_with_idp(args, sock=provider.rp_sock)
    out = capsys.readouterr().out
    assert code == 0, out
    for scenario_id in ("auto-login.first-login", "auto-login.widget", "auto-login.app-visit",
                        "signout.rp-initiated", "failure.user-cancels"):
        assert f"PASS  {scenario_id}" in out, out
    assert "SKIP  failure.expired-secret" in out
    assert CLIENT_SECRET not in out and "any-password-123" not in out
    skipped = json.loads((report / "skipped.json").read_text(encoding="utf-8"))
    assert any(s["id"] == "failure.expired-secret" for s in skipped)
    assert not (report / "traces").exists() or not any((report / "traces").iterdir())
    # the protocol view: the browser's side only (a real provider keeps its logs), no secret
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    first = next(r for r in results if r["id"] == "auto-login.first-login")
    assert first["protocol"]["covers"] == "the browser only, without the mock provider's log"
    steps = [(s["name"], s["target"]) for s in first["protocol"]["steps"]]
    assert ("sign-in start", "app") in steps and ("callback", "app") in steps, steps
    assert any(target == "provider" for _, target in steps), steps
    for page in report.glob("*.*"):
        text = page.read_text(encoding="utf-8")
        assert CLIENT_SECRET not in text and "any-password-123" not in text, page.name


@pytest.mark.browser
@pytest.mark.slow  # the scenarios against a Node provider
def test_an_unregistered_redirect_uri_is_told_once_and_the_rest_skipped(
    node_package: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client registered without the RP's callback: the provider's error page
    (``invalid_redirect_uri``) instead of its sign-in form, for every scenario alike. The first
    says which URI to register; the rest are skipped with it (doctor's words for such pages)."""
    from scenarios.real_idp_run import run_with_idp

    directory = node_package(HERE, module="oidc-provider")
    sock = bind_socket("127.0.0.1", 0)
    rp_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    report = tmp_path / "report"
    run = ("auto-login.first-login", "auto-login.widget", "failure.user-cancels")
    with contextlib.closing(sock), _node_provider(
            directory, rp_base, redirect_uris=f"{rp_base}/elsewhere") as issuer:
        config = _form_config(tmp_path, issuer, monkeypatch)
        args = build_parser().parse_args(["run", "--idp", str(config), "--report", str(report),
                                          "--timeout", "15", "--only", ",".join(run)])
        assert run_with_idp(args, sock=sock) == 1
    capsys.readouterr()
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    by_id = {r["id"]: r for r in results}
    message = by_id[run[0]]["message"]
    assert by_id[run[0]]["status"] == "failed" and message.startswith(
        f"AssertionError: register {_redirect_uri(rp_base)} as a redirect URI of the client "
        f"{CLIENT_ID} at the provider"), message
    assert "redirect_uri did not match" in message and "Platform configurations" not in message
    for scenario_id in run[1:]:
        skipped = by_id[scenario_id]
        assert skipped["status"] == "skipped", skipped
        assert f"redirect URI {_redirect_uri(rp_base)} on its error page:" in skipped["message"]


def test_run_with_a_bad_idp_config_exits_2(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[provider]\nissuer = "http://127.0.0.1:1"\nclient_id = "x"\n'
                      'client_secret = "inline"\n', encoding="utf-8")
    assert main(["run", "--idp", str(config)]) == 2
    err = capsys.readouterr().err
    assert "keep secrets out of the file" in err and "inline" not in err.replace(
        "client_secret", "")
