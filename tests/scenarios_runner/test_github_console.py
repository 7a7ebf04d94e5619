"""Every command's console output that quotes an app, a page or a provider (``doctor``,
``run --idp``'s set-up, ``app check``, ``app init``, the pytest plugin's failures) holds no
workflow command inside GitHub Actions, and is unchanged outside it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.__main__ import main

from .page_server import Pages, serving
from .plugin_pytest import run_plugin_pytest
from .workflow_commands import QUOTED, commands_in


@pytest.fixture(params=[True, False], ids=["in-actions", "outside-actions"])
def in_actions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setenv("GITHUB_ACTIONS", "true" if request.param else "false")
    # GitHub sets CI too, and under CI pytest's short summary quotes whole messages, not their
    # first line: both ways are checked, whatever the machine running these tests sets.
    if request.param:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("BUILD_NUMBER", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return bool(request.param)


def _shows_quoted(text: str, in_actions: bool) -> None:
    """``text`` quotes :data:`QUOTED`: made inert inside GitHub Actions, as it is outside
    (where the runner would read its commands)."""
    if in_actions:
        assert commands_in(text) == [] and "##\\[error]y" in text, text
    else:
        assert commands_in(text) and "::stop-commands::x" in text and "##[error]y" in text, text


class _Refusing(Pages):
    """A provider that answers every request with an OAuth error quoting :data:`QUOTED`."""

    def page(self, path: str) -> tuple[int, str]:
        return 400, json.dumps({"error": "invalid_request",
                                "error_description": f"AADSTS99999: {QUOTED}"})


@pytest.fixture
def refusing_provider() -> Iterator[str]:
    with serving(_Refusing) as origin:
        yield origin


def test_doctor_quotes_the_providers_answer_inertly(
        refusing_provider: str, in_actions: bool, capsys: pytest.CaptureFixture[str]) -> None:
    discovery = f"{refusing_provider}/v2.0/.well-known/openid-configuration"
    assert main(["doctor", "--discovery-url", discovery, "--client-id", "x"]) == 1
    _shows_quoted(capsys.readouterr().out, in_actions)
    assert main(["doctor", "--discovery-url", discovery, "--client-id", "x", "--json"]) == 1
    out = capsys.readouterr().out
    assert "AADSTS99999" in out and (commands_in(out) == []) == in_actions, out
    json.loads(out)


def test_run_idp_quotes_the_providers_answer_inertly(
        refusing_provider: str, in_actions: bool, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_TEST_SECRET", "s3cret-value")
    monkeypatch.setenv("CONSOLE_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(f"""
[provider]
discovery_url = "{refusing_provider}/v2.0/.well-known/openid-configuration"
client_id = "00000000-0000-0000-0000-000000000001"
client_secret_env = "CONSOLE_TEST_SECRET"

[user]
username = "alice@contoso.onmicrosoft.com"
password_env = "CONSOLE_TEST_PASSWORD"

[driver]
kind = "entra"
""", encoding="utf-8")
    code = main(["run", "--idp", str(config), "--report", str(tmp_path / "report"),
                 "--only", "auto-login.first-login"])
    err = capsys.readouterr().err
    assert code == 2 and "AADSTS99999" in err, err
    _shows_quoted(err, in_actions)


def test_app_check_quotes_the_apps_output_inertly(
        in_actions: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = tmp_path / "app.py"
    app.write_text(f"print({QUOTED!r}, flush=True)\nraise SystemExit(3)\n", encoding="utf-8")
    profile = tmp_path / "app.toml"
    profile.write_text(
        f'name = "prints commands"\n[app]\ncommand = {json.dumps([sys.executable, str(app)])}\n'
        '[provider]\nredirect_uris = "{base_url}/cb"\n[sign_in]\nurls = { login = "/login" }\n'
        '[signed_in]\nme_url = "/me"\n[failure]\ncontact = "help@example.com"\n',
        encoding="utf-8")
    assert main(["app", "check", str(profile)]) == 1
    out = capsys.readouterr().out
    assert "exited with code 3" in out, out
    _shows_quoted(out, in_actions)


def test_app_init_quotes_the_path_inertly(
        in_actions: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / QUOTED
    folder.mkdir()
    assert main(["app", "init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err, err
    _shows_quoted(err, in_actions)


PLUGIN_TESTS = f"""
from scenarios.pytest_run import expect_passed
from scenarios.results import ScenarioResult

QUOTED = {QUOTED!r}

def test_a_scenario_quoting_the_page(sso_timeout_ms):
    expect_passed(ScenarioResult(id="auto-login.first-login", title="t", proves="p",
                                 group="auto-login", status="failed", seconds=1.0,
                                 message="the page said\\n" + QUOTED))

def test_an_error_quoting_the_app(sso_timeout_ms):
    print("the app printed\\n" + QUOTED)
    raise RuntimeError("the app exited\\n" + QUOTED)
"""


def test_the_plugins_failures_quote_pages_and_apps_inertly(
        in_actions: bool, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_quoting=PLUGIN_TESTS)
    done = run_plugin_pytest(pytester, "-ra", "--sso-key-pool", "1")
    done.assert_outcomes(failed=2)
    out = "\n".join(done.outlines)
    # each failure's message and what the test printed (the short summary may quote them again)
    assert out.count("refused") >= 3 and "the app printed" in out, out
    _shows_quoted(out, in_actions)
