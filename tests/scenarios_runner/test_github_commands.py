"""Inside GitHub Actions, what an app, a page or a provider said reaches the console so that the
runner reads none of it as a workflow command (``::command::`` after leading whitespace,
``##[command]`` anywhere in a line), while the harness's own annotations still are."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from scenarios.__main__ import main
from scenarios.conformance import cli as conformance_cli
from scenarios.github import annotate_error, inert, inert_json
from scenarios.results import ScenarioResult
from scenarios.worker_pool import Progress

from .workflow_commands import APP_OUTPUT, commands_in

IN_ACTIONS = {"GITHUB_ACTIONS": "true"}


def test_quoted_text_holds_no_command_inside_github_actions() -> None:
    shown = inert(APP_OUTPUT, IN_ACTIONS)
    assert commands_in(APP_OUTPUT)  # the sample does hold commands
    assert commands_in(shown) == [], shown
    assert shown.splitlines() == [
        "starting", "\\::stop-commands::abcdef", "    \\::add-mask::Alice", "\\::error::fake",
        "the page said ##\\[warning]legacy", ":\\u200b:error::hidden", "\\::notice::last"]


def test_quoted_text_is_unchanged_outside_github_actions() -> None:
    assert inert(APP_OUTPUT, {}) == APP_OUTPUT
    assert inert(APP_OUTPUT, {"GITHUB_ACTIONS": "false"}) == APP_OUTPUT


def test_a_json_document_loses_its_commands_but_not_its_values() -> None:
    document = json.dumps({"reason": APP_OUTPUT}, indent=2)
    shown = inert_json(document, IN_ACTIONS)
    assert commands_in(shown) == [] and json.loads(shown) == {"reason": APP_OUTPUT}


def test_the_harnesss_own_annotation_still_is_a_command(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    annotate_error("conformance set-up", APP_OUTPUT)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("::error title=conformance set-up::"), err


def test_a_scenarios_message_shown_as_it_finishes_holds_no_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    for line in APP_OUTPUT.splitlines():
        Progress(out, show_worker=False).finished(ScenarioResult(
            id="auto-login.first-login", title="t", proves="p", group="auto-login",
            status="failed", seconds=1.0, message=f"the page said\n{line}"))
    assert commands_in(APP_OUTPUT)
    assert commands_in(out.getvalue()) == [], out.getvalue()


def test_what_conformance_says_on_stderr_holds_no_command(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    conformance_cli._say(f"scenarios conformance: the app exited\n{APP_OUTPUT}")
    assert commands_in(capsys.readouterr().err) == []


@pytest.mark.slow  # starts the mock provider and an app's process
def test_an_app_that_prints_commands_and_exits_leaves_only_the_harnesss_annotation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = tmp_path / "app.py"
    app.write_text(f"print({APP_OUTPUT!r}, flush=True)\nraise SystemExit(7)\n",
                   encoding="utf-8")
    profile = tmp_path / "app.toml"
    profile.write_text(
        f'name = "prints commands"\n[app]\ncommand = {json.dumps([sys.executable, str(app)])}\n'
        '[provider]\nredirect_uris = "{base_url}/cb"\n[sign_in]\nurls = { login = "/login" }\n'
        '[signed_in]\nme_url = "/me"\n[failure]\ncontact = "help@example.com"\n',
        encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    code = main(["conformance", "--app", str(profile), "--only", "rp-id_token-aud",
                 "--report", str(tmp_path / "report")])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "add-mask" in captured.err  # the app's output is quoted
    commands = commands_in(captured.out + "\n" + captured.err)
    assert len(commands) == 1 and commands[0].startswith("::error title=conformance set-up::"), (
        captured.err)
