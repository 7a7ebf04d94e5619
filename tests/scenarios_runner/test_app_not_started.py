"""What a run does with the app under test beyond its pages: an app that cannot start stops
being tried (one error, then the scenarios left are skipped, with no traced second run), and
what a started app printed is kept, masked, for each scenario that did not pass."""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sample_apps import failing_profile

from scenarios import Registry, Scenario, ScenarioContext
from scenarios.app.process import AppStartError
from scenarios.report import write_html, write_junit
from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.browser

SECRET = "client_secret=Very.Secret-Value~0123456789"


def _app_that_never_starts(entered: list[str]) -> Registry:
    registry = Registry()

    @registry.around_scenario
    @contextlib.contextmanager
    def stack(env: object, scenario: Scenario) -> Iterator[object]:
        entered.append(scenario.id)
        raise AppStartError("the app did not answer http://127.0.0.1:9/ within 3 s")
        yield  # pragma: no cover

    for name in ("one", "two", "three"):
        registry.scenario(id=f"down.{name}", title=name, proves="p")(lambda ctx: None)
    return registry


def test_an_app_that_cannot_start_is_tried_once(tmp_path: Path) -> None:
    entered: list[str] = []
    out = io.StringIO()
    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="rerun-on-failure"),
                  registry=_app_that_never_starts(entered), out=out)
    assert entered == ["down.one"], "the app was tried again (a traced rerun, or the next ones)"
    first, *rest = summary.results
    assert (first.status, first.app_not_started, first.rerun, first.trace) == (
        "error", True, None, None)
    assert "did not answer http://127.0.0.1:9/" in (first.message or "")
    assert [(r.status, r.message) for r in rest] == [
        ("skipped", "not run: the app under test could not be started for down.one (its error "
                    "says why), so the scenarios left in this run were skipped")] * 2
    assert summary.exit_code == 1
    assert "SKIP  down.two\n      not run: the app under test could not be started" in (
        out.getvalue())
    suite = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("errors"), suite.get("skipped")) == ("1", "2")


def test_what_an_app_that_never_started_printed_is_kept(tmp_path: Path) -> None:
    """The README's promise holds for an error too: its output goes to its log file, named in
    the results and the JUnit XML, masked, not only its last lines folded into the message."""
    printed = "\n".join([f"line {n}" for n in range(60)] + [f"cfg: {SECRET}", "exit 3"])
    registry = Registry()

    @registry.around_scenario
    @contextlib.contextmanager
    def stack(env: object, scenario: Scenario) -> Iterator[object]:
        raise AppStartError("the app's command exited with code 3", output=printed)
        yield  # pragma: no cover

    registry.scenario(id="down.one", title="t", proves="p")(lambda ctx: None)
    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"), registry=registry,
                  out=io.StringIO())
    [result] = summary.results
    assert (result.status, result.app_not_started) == ("error", True)
    assert result.app_log == "logs/app-down.one.log"
    kept = (tmp_path / result.app_log).read_text(encoding="utf-8")
    assert kept.startswith("line 0\n") and "cfg: client_secret=[redacted]\nexit 3" in kept
    assert SECRET not in kept and "line 0\n" not in (result.message or "")
    junit = write_junit(summary, tmp_path / "j.xml").read_text(encoding="utf-8")
    assert f"app_log: {tmp_path / result.app_log}" in junit


def test_an_app_that_fails_to_restart_within_a_scenario_stops_nothing(tmp_path: Path) -> None:
    registry = Registry()
    ran: list[str] = []

    @registry.scenario(id="restart.fails", title="t", proves="p")
    def fails(ctx: ScenarioContext[object]) -> None:
        ran.append("fails")
        raise AppStartError("the app did not answer after its restart")

    @registry.scenario(id="restart.next", title="t", proves="p")
    def next_one(ctx: ScenarioContext[object]) -> None:
        ran.append("next")

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"), registry=registry,
                  out=io.StringIO())
    assert ran == ["fails", "next"]
    assert [(r.status, r.app_not_started) for r in summary.results] == [("error", False),
                                                                       ("passed", False)]


@dataclass
class _Printing:
    """An environment whose app printed something, a secret among it."""

    def app_output(self, lines: int) -> str:
        return f"starting\nTraceback (most recent call last):\nValueError: {SECRET}\n"


def test_what_the_app_printed_is_kept_for_a_scenario_that_did_not_pass(tmp_path: Path) -> None:
    registry = Registry()

    @registry.around_scenario
    @contextlib.contextmanager
    def stack(env: object, scenario: Scenario) -> Iterator[object]:
        yield _Printing()

    @registry.scenario(id="printed.passes", title="t", proves="p")
    def passes(ctx: ScenarioContext[object]) -> None:
        return None

    @registry.scenario(id="printed.fails", title="t", proves="p")
    def fails(ctx: ScenarioContext[object]) -> None:
        raise AssertionError("HTTP 500")

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"), registry=registry,
                  out=io.StringIO())
    passed, failed = summary.results
    assert passed.app_log is None and not (tmp_path / "logs" / "app-printed.passes.log").exists()
    assert failed.app_log == "logs/app-printed.fails.log"
    kept = (tmp_path / failed.app_log).read_text(encoding="utf-8")
    assert "ValueError: client_secret=" in kept and SECRET not in kept
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert f'<a href="{failed.app_log}">' in html


def test_an_app_that_exits_during_a_scenario_is_named_first(tmp_path: Path) -> None:
    """The app's command exits on its first request: the scenario's message starts with that
    and the app's last lines, not with what the browser met afterwards; that failed at once
    by itself, so it is reported as the browser saw it, with the page's picture (not stopped
    half-way: :mod:`scenarios.app_exit`)."""
    profile = failing_profile(tmp_path, "exit")
    summary = run(RunOptions(app=str(profile), only=("auto-login.first-login",), trace="off",
                             report_dir=tmp_path / "report"), out=io.StringIO())
    [result] = summary.results
    message = result.message or ""
    assert result.status in ("failed", "error"), message
    assert message.startswith(
        "the app's process exited with code 3 during the scenario\n"
        "--- the app's output (last lines) ---\n"
        "fatal: cannot serve /login\n"
        "[redacted]\n"
        "--- what the scenario saw then ---\n"
        "playwright._impl._errors.Error: Page.goto: net::ERR_EMPTY_RESPONSE"), message
    assert result.steps[-1].screenshot is not None
