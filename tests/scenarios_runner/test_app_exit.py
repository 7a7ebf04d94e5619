"""An app whose process exits while a scenario waits on it ends that scenario at once: the
Playwright call it waits in is stopped (not its whole timeout later), the failure names the
exit first, and nothing is left behind: no process, no watching thread, no context handed to
the next scenario, which runs as usual."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sample_apps import failing_profile

from scenarios import Registry, Scenario, ScenarioContext
from scenarios.app.profile import load_profile
from scenarios.app.servers import AppServer, plan_address
from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.browser

LONG_MS = 30_000
"""The timeout the scenarios wait with: without the watch, each would take as long."""
PROMPT_SECONDS = 5.0


def _pid_in(message: str) -> int:
    found = re.search(r"fatal: pid (\d+):", message)
    assert found, message
    return int(found.group(1))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _watchers() -> list[str]:
    return [t.name for t in threading.enumerate() if re.fullmatch(r"app-\d+-exit", t.name)]


def test_an_app_that_exits_while_a_sign_in_waits_ends_the_scenario_at_once(
        tmp_path: Path) -> None:
    """The app answers its sign-in URL with a page that leads nowhere, then its process exits:
    the sign-in, which waits for the provider's page (the driver's 10 s; the run's timeout is
    30 s), stops as the app exits."""
    profile = failing_profile(tmp_path, "later")
    summary = run(RunOptions(app=str(profile), only=("auto-login.first-login",), trace="off",
                             timeout_ms=LONG_MS, report_dir=tmp_path / "report"),
                  out=io.StringIO())
    [result] = summary.results
    message = result.message or ""
    assert result.seconds < PROMPT_SECONDS, f"waited {result.seconds:.1f} s: {message}"
    assert result.status == "failed", message
    assert message.startswith(
        "the app's process exited with code 3 during the scenario\n"
        "--- the app's output (last lines) ---\n"
        "fatal: pid "), message
    assert "\n--- what the scenario saw then ---\nit was waiting on the browser at " in message
    assert _gone(_pid_in(message))
    assert result.app_log is not None
    assert _watchers() == []


@dataclass
class _StartedApp:
    """A scenario's environment: an app started by its command, as a live stack's is."""

    server: AppServer
    values: dict[str, str]

    def app_output(self, lines: int) -> str:
        return self.server.output(lines)

    def app_exit_code(self) -> int | None:
        return self.server.exit_code()

    def watch_app_exit(self, exited: Callable[[int], None]) -> Callable[[], None]:
        return self.server.watch_exit(exited)

    def url(self, path: str) -> str:
        return self.server.base_url + path


def _registry(tmp_path: Path, pids: list[int], pages: list[Page]) -> Registry:
    profile = load_profile(failing_profile(tmp_path, "killed"))
    registry = Registry()
    registry.keeps_pages = True  # as the catalogue: a failed scenario's page is not handed on

    @registry.around_scenario
    @contextlib.contextmanager
    def started(env: object, scenario: Scenario) -> Iterator[_StartedApp]:
        workdir = tmp_path / scenario.id
        workdir.mkdir()
        with AppServer(profile, plan_address(profile), workdir=workdir) as server:
            values = {"client_secret": "not-a-secret"}
            server.start(values)
            assert server.process is not None
            pids.append(server.process.pid)
            yield _StartedApp(server, values)

    @registry.scenario(id="exit.waits", title="t", proves="p")
    def waits(ctx: ScenarioContext[_StartedApp]) -> None:
        pages.append(ctx.page)
        with ctx.step("open the page that leads nowhere"):
            ctx.page.goto(ctx.env.url("/login"))
        with ctx.step("wait for what never comes"):
            try:
                expect(ctx.page.locator("#never")).to_be_visible(timeout=LONG_MS)
            except Exception:  # a fallback that waits again is not reached
                expect(ctx.page.locator("#never")).to_be_visible(timeout=LONG_MS)

    @registry.scenario(id="exit.in-a-failing-step", title="t", proves="p")
    def in_a_failing_step(ctx: ScenarioContext[_StartedApp]) -> None:
        gone = threading.Event()
        ctx.env.watch_app_exit(lambda code: gone.set())  # told after the harness
        try:
            with ctx.step("the app exits as the step fails"):
                ctx.page.goto(ctx.env.url("/ready"))
                assert ctx.env.server.process is not None
                os.kill(ctx.env.server.process.pid, signal.SIGTERM)
                assert gone.wait(5)
                raise AssertionError("the check failed")
        finally:  # the step's screenshot is taken; the wait after it is stopped
            expect(ctx.page.locator("#never")).to_be_visible(timeout=LONG_MS)

    @registry.scenario(id="exit.restarted", title="t", proves="p")
    def restarted(ctx: ScenarioContext[_StartedApp]) -> None:
        assert ctx.page not in pages, "the failed scenario's page was handed on"
        assert pages[0].is_closed(), "the failed scenario's context is still open"
        first = ctx.env.server.process
        ctx.env.server.restart(ctx.env.values)  # the harness's own stop is no exit
        assert ctx.env.server.process is not first and first is not None
        pids.append(first.pid)
        ctx.page.goto(ctx.env.url("/ready"))
        ctx.page.wait_for_timeout(500)  # a stray interrupt would land here
        expect(ctx.page).to_have_url(re.compile(r"/ready$"))

    return registry


def test_the_next_scenario_runs_as_usual_and_nothing_is_left_behind(tmp_path: Path) -> None:
    """Killed by a signal, the app is named with it; the scenario's own fallback does not wait
    again; a step the exit fails still gets its screenshot, and the scenario's next wait is
    stopped; the next scenario gets a fresh context, and its app's restart by the harness does
    not end it."""
    pids: list[int] = []
    pages: list[Page] = []
    started = time.monotonic()
    summary = run(RunOptions(report_dir=tmp_path / "report", workers=1, trace="off",
                             timeout_ms=LONG_MS),
                  registry=_registry(tmp_path, pids, pages), out=io.StringIO())
    waited, in_a_step, restarted = summary.results
    message = waited.message or ""
    assert time.monotonic() - started < 2 * PROMPT_SECONDS
    assert [r.status for r in summary.results] == ["failed", "failed", "passed"], [
        r.message for r in summary.results]
    assert message.startswith(
        "the app's process was ended by signal 9 (SIGKILL) during the scenario\n"
        "--- the app's output (last lines) ---\n"), message
    assert re.search(r"--- what the scenario saw then ---\nit was waiting on the browser at "
                     r"test_app_exit\.py:\d+ \(in waits\), and stopped there$", message), message
    assert [step.status for step in waited.steps] == ["passed", "failed"]
    assert waited.steps[-1].screenshot is not None, "the page was no longer there to show"
    assert re.fullmatch(
        r"the app's process was ended by signal 15 \(SIGTERM\) during the scenario\n"
        r"--- what the scenario saw then ---\nit was waiting on the browser at "
        r"test_app_exit\.py:\d+ \(in in_a_failing_step\), and stopped there; it had met "
        r"AssertionError: the check failed", in_a_step.message or ""), in_a_step.message
    [step] = in_a_step.steps
    assert (step.error, step.screenshot is not None) == ("AssertionError: the check failed",
                                                         True)
    assert len(pids) == 4 and all(_gone(pid) for pid in pids)
    assert _watchers() == []
