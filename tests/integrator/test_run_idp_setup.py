"""``run --idp`` checks the provider once before any scenario starts: discovery, then the
relying party's connection. A problem there is one line naming the ``--idp`` key and the fix,
exit 2, as a taken port is (the mock provider stands in for the real one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import MockIdp, bind_socket
from scenarios.__main__ import main

WRONG_TENANT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def mock() -> Iterator[MockIdp]:
    with MockIdp() as running:
        yield running


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETUP_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("SETUP_TEST_PASSWORD", "P@ssw0rd-alice")


def _config(tmp_path: Path, provider: str, rest: str = "") -> Path:
    path = tmp_path / "idp.toml"
    path.write_text(f"""
[provider]
{provider}
client_id = "{REFERENCE_RP_CLIENT_ID}"
client_secret_env = "SETUP_TEST_SECRET"

[user]
username = "alice@contoso.onmicrosoft.com"
password_env = "SETUP_TEST_PASSWORD"

[driver]
kind = "entra"
{rest}""", encoding="utf-8")
    return path


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], provider: str,
             rest: str = "") -> str:
    """The one line ``run --idp`` prints for a provider it cannot use (exit 2, nothing run)."""
    config = _config(tmp_path, provider, rest)
    code = main(["run", "--idp", str(config), "--report", str(tmp_path / "report"),
                 "--only", "auto-login.first-login,auto-login.widget"])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and lines[0].startswith(f"scenarios: --idp {config}: "), lines
    assert "ERROR" not in captured.out and "PASS" not in captured.out, captured.out
    for internal in ("IdpConfigError", "CallError", "Traceback", "configure call",
                     "/api/admin/", REFERENCE_RP_SECRET):
        assert internal not in captured.err, captured.err
    return lines[0]


def test_a_wrong_tenant_is_named_with_the_providers_error(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(tmp_path, capsys, f'authority = "{mock.url}/{WRONG_TENANT}"')
    assert "[provider].authority" in line and "AADSTS90002" in line, line
    assert f"Tenant '{WRONG_TENANT}' not found" in line and "Trace ID" not in line, line


def test_a_discovery_url_typo_says_what_to_give(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(tmp_path, capsys, f'discovery_url = "{mock.authority}/v2.0/.well-known/'
                    'openid-configuratoin"')
    assert "[provider].discovery_url" in line and "HTTP 404" in line, line
    assert ".well-known/openid-configuration" in line, line


def test_a_provider_that_is_down_is_named(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    closed = bind_socket("127.0.0.1", 0)
    port = closed.getsockname()[1]
    closed.close()
    line = _refused(tmp_path, capsys, f'authority = "http://127.0.0.1:{port}/contoso"')
    assert "[provider].authority" in line and f"127.0.0.1:{port}" in line, line
    assert "cannot connect" in line, line


def test_common_is_what_the_relying_party_refuses_and_why(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(tmp_path, capsys, f'authority = "{mock.url}/common"')
    assert "[provider].authority" in line and "names no organization" in line, line
    assert "tenant" in line, line


def test_https_without_ca_file_says_to_set_it(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with MockIdp(https=True) as mock:
        line = _refused(tmp_path, capsys, f'authority = "{mock.authority}"')
    assert "[provider].ca_file" in line and "set [provider] ca_file" in line, line


def test_a_catalogue_that_is_not_there_is_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 'authority = "http://127.0.0.1:9/contoso"')
    assert main(["run", "--idp", str(config), "--catalogue", "nonexist", "--list"]) == 2
    assert capsys.readouterr().err == "scenarios: --catalogue nonexist: no module named " \
        "'nonexist'\n"


def test_a_refused_secret_id_keeps_the_relying_partys_reason(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The relying party's reason follows the secret's name in the line; only the secret's
    value is masked, not the reason's first word."""
    secret_id = "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a090"
    monkeypatch.setenv("SETUP_TEST_SECRET", secret_id)
    line = _refused(tmp_path, capsys, f'authority = "{mock.authority}"')
    assert "client_secret: looks like" in line and "[redacted]" not in line, line
    assert secret_id not in line, line


def test_a_secret_variable_of_spaces_is_refused_as_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As ``doctor`` refuses it: one line naming the variable, exit 2, before any request."""
    monkeypatch.setenv("SETUP_TEST_SECRET", "   ")
    line = _refused(tmp_path, capsys, 'authority = "http://127.0.0.1:9/contoso"')
    assert line.endswith("[provider].client_secret_env: the variable SETUP_TEST_SECRET is "
                         "empty"), line


def test_http_to_an_https_provider_says_to_use_https(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """An https provider given as http:// closes the plain request without an answer: the
    line says to use https, not to check the host and port."""
    with MockIdp(https=True) as mock:
        plain = mock.authority.replace("https://", "http://", 1)
        line = _refused(tmp_path, capsys, f'authority = "{plain}"')
    assert "[provider].authority" in line and "use https:// in authority" in line, line


def test_an_rp_port_taken_after_it_was_found_free_is_one_line_too(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``[rp] port`` is checked before the provider is; taken in between (another run
    starting), the RP's own listener names it the same way, not with a traceback."""
    import scenarios.real_idp_run

    monkeypatch.setattr(scenarios.real_idp_run, "_port_taken", lambda _config: None)
    with bind_socket("127.0.0.1", 0) as holder:
        port = holder.getsockname()[1]
        line = _refused(tmp_path, capsys, f'authority = "{mock.authority}"',
                        f"[rp]\nport = {port}\n")
    assert line.endswith(f"[rp] port {port} on 127.0.0.1 is not free (Address already in use): "
                         "stop what uses it, or choose another port (and register its redirect "
                         "URIs)"), line
