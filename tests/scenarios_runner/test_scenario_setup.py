"""The hook around each scenario: on which thread it is entered, whether its set-up overlaps the
opening of the scenario's browser context, and what happens when either side fails."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import Browser, BrowserContext

from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo
from scenarios.context import NotExercised
from scenarios.worker import RunOptions, run_scenario

pytestmark = pytest.mark.browser

WORKER = WorkerInfo(index=0, count=1)


class _Timeline:
    """What happened when, and on which thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, float]] = []

    def __call__(self, what: str) -> None:
        self.events.append((what, threading.current_thread().name, time.monotonic()))

    def at(self, what: str) -> tuple[str, float]:
        return next((thread, when) for name, thread, when in self.events if name == what)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.events]


class _PagelessContext:
    """A context whose page does not open."""

    def __init__(self, context: BrowserContext) -> None:
        self._context = context

    def new_page(self) -> None:
        raise RuntimeError("the renderer crashed")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class _WatchedBrowser:
    """A browser whose context openings are on the timeline (or fail, when told to: the
    context, or its page)."""

    def __init__(self, browser: Browser, timeline: _Timeline, *, fail: str | None = None
                 ) -> None:
        self._browser, self._timeline, self._fail = browser, timeline, fail
        self.page_opened = threading.Event()

    def new_context(self, **options: Any) -> BrowserContext | _PagelessContext:
        self._timeline("context opening")
        if self._fail == "context":
            raise RuntimeError("the browser has gone away")
        context = self._browser.new_context(**options)
        context.on("page", lambda page: (self._timeline("page open"), self.page_opened.set()))
        return _PagelessContext(context) if self._fail == "page" else context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def _registry(timeline: _Timeline, *, thread_safe: bool, set_up_fails: bool = False,
              set_up_seconds: float = 0.0, until: threading.Event | None = None) -> Registry:
    registry = Registry()

    @contextlib.contextmanager
    def around(env: object, item: Scenario) -> Iterator[str]:
        timeline("set-up started")
        time.sleep(set_up_seconds)  # a stack that takes a while to reset
        if until is not None and not until.wait(10):
            raise AssertionError("the set-up was not beside the context's opening")
        if set_up_fails:
            raise OSError("the app did not start")
        timeline("set-up done")
        yield "env"
        timeline("left")

    registry.around_scenario(thread_safe=thread_safe)(around)

    @registry.scenario(id="setup.probe", title="probe", proves="the hook's environment arrives")
    def probe(ctx: ScenarioContext[str]) -> None:
        assert ctx.env == "env"
        timeline("scenario")

    return registry


def _run(browser: Browser | _WatchedBrowser, registry: Registry, tmp_path: Path) -> Any:
    return run_scenario(registry.get("setup.probe"), browser=cast(Browser, browser),
                        worker_env=None, registry=registry,
                        options=RunOptions(report_dir=tmp_path, trace="off"), worker=WORKER)


def test_a_thread_safe_hook_is_set_up_while_the_context_opens(browser: Browser,
                                                              tmp_path: Path) -> None:
    timeline = _Timeline()
    watched = _WatchedBrowser(browser, timeline)
    # The set-up ends only once the scenario's page is open: run before or after the opening,
    # it would wait in vain.
    registry = _registry(timeline, thread_safe=True, until=watched.page_opened)
    result = _run(watched, registry, tmp_path)
    assert result.status == "passed", result.message
    here = threading.current_thread().name
    assert timeline.at("set-up started")[0] != here
    assert timeline.at("left")[0] == here and timeline.at("scenario")[0] == here
    assert timeline.names() == ["set-up started", "context opening", "page open", "set-up done",
                                "scenario", "left"] or timeline.names() == [
        "context opening", "set-up started", "page open", "set-up done", "scenario", "left"]


def test_any_other_hook_is_set_up_on_the_workers_thread_first(browser: Browser,
                                                              tmp_path: Path) -> None:
    timeline = _Timeline()
    registry = _registry(timeline, thread_safe=False, set_up_seconds=0.2)
    result = _run(_WatchedBrowser(browser, timeline), registry, tmp_path)
    assert result.status == "passed", result.message
    assert timeline.names() == ["set-up started", "set-up done", "context opening", "page open",
                                "scenario", "left"]
    assert {thread for _, thread, _ in timeline.events} == {threading.current_thread().name}
    assert result.phases.stack_start >= 0.2


@pytest.mark.parametrize("thread_safe", [True, False])
def test_a_set_up_that_fails_is_the_scenarios_error(browser: Browser, tmp_path: Path,
                                                    thread_safe: bool) -> None:
    timeline = _Timeline()
    registry = _registry(timeline, thread_safe=thread_safe, set_up_fails=True)
    before = len(browser.contexts)
    result = _run(browser, registry, tmp_path)
    assert result.status == "error" and "the app did not start" in result.message
    assert timeline.names() == ["set-up started"]
    assert len(browser.contexts) == before  # the context opened beside it was closed


@pytest.mark.parametrize("thread_safe", [True, False])
@pytest.mark.parametrize(("fail", "error"), [("context", "the browser has gone away"),
                                             ("page", "the renderer crashed")])
def test_a_context_that_does_not_open_leaves_the_hook_left(browser: Browser, tmp_path: Path,
                                                           thread_safe: bool, fail: str,
                                                           error: str) -> None:
    timeline = _Timeline()
    registry = _registry(timeline, thread_safe=thread_safe)
    before = len(browser.contexts)
    result = _run(_WatchedBrowser(browser, timeline, fail=fail), registry, tmp_path)
    assert result.status == "error" and error in result.message
    assert "left" in timeline.names() and "scenario" not in timeline.names()
    assert len(browser.contexts) == before


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _waiting_on_a_future(thread: threading.Thread) -> bool:
    """Whether ``thread`` waits for a ``Future``'s result (the set-up beside it)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "result" and "concurrent" in code.co_filename:
            return True
        frame = frame.f_back
    return False


def test_an_interrupt_while_the_hook_opens_leaves_it_once_open(browser: Browser,
                                                               tmp_path: Path) -> None:
    """Ctrl-C while the worker waits for the hook entered beside the context: the set-up (its
    stack, the app its command started) is left once it is done, not left running."""
    main = threading.main_thread()
    if threading.current_thread() is not main:
        pytest.skip("signals reach only the main thread")
    timeline = _Timeline()
    registry = Registry()

    @contextlib.contextmanager
    def around(env: object, item: Scenario) -> Iterator[str]:
        timeline("set-up started")
        deadline = time.monotonic() + 10
        while not _waiting_on_a_future(main) and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(main.ident or 0, signal.SIGUSR1)
        time.sleep(0.2)  # the app is still starting when the interrupt arrives
        timeline("set-up done")
        yield "env"
        timeline("left")

    registry.around_scenario(thread_safe=True)(around)

    @registry.scenario(id="setup.probe", title="probe", proves="nothing: it is interrupted")
    def probe(ctx: ScenarioContext[str]) -> None:
        timeline("scenario")

    before = set(browser.contexts)
    previous = signal.signal(signal.SIGUSR1, _interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            _run(browser, registry, tmp_path)
    finally:
        signal.signal(signal.SIGUSR1, previous)
        for context in set(browser.contexts) - before:
            context.close()
    assert timeline.names() == ["set-up started", "set-up done", "left"]


def test_a_scenario_the_app_never_exercised_is_skipped_with_its_reason(
        browser: Browser, tmp_path: Path) -> None:
    """``NotExercised``: the check the scenario makes was never reached (an app that never asks
    UserInfo), so it proves nothing either way: skipped, no failure picture, no rerun."""
    timeline = _Timeline()
    registry = _registry(timeline, thread_safe=False)

    @registry.scenario(id="setup.unexercised", title="unexercised", proves="nothing")
    def unexercised(ctx: ScenarioContext[str]) -> None:
        with ctx.step("the app signs in without asking UserInfo"):
            raise NotExercised("the app never asked UserInfo")

    result = run_scenario(registry.get("setup.unexercised"), browser=browser, worker_env=None,
                          registry=registry, worker=WORKER,
                          options=RunOptions(report_dir=tmp_path, trace="rerun-on-failure"))
    assert result.status == "skipped"
    assert result.message == "not exercised: the app never asked UserInfo"
    assert result.rerun is None
    # The step it stopped in proved nothing: not "passed", whatever its picture shows.
    assert [(step.status, step.error) for step in result.steps] == [
        ("skipped", "not exercised: the app never asked UserInfo")]
