"""One worker's life: launch a browser, enter the catalogue's environment, then run scenarios
one at a time, each in a clean browser context (a new one, or the last one cleaned: see
:mod:`scenarios.clean_page`), recording steps, screenshots and traces. :func:`work` is what
each worker process (or the calling process, with one worker) runs; :func:`run_scenario` runs
one scenario and is also what the pytest plugin calls."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from scenarios import app_logs
from scenarios.app.process import AppRefusedSettings, AppStartError, stop_starting
from scenarios.app_down import AppDown, skip_reason
from scenarios.app_exit import AppExited, ended_by_app_exit
from scenarios.app_notes import addressless_in
from scenarios.browser import BrowserUnavailable, launch_or_explain, resolve
from scenarios.clean_page import PageSource
from scenarios.context import (
    NoEnvironment,
    NotExercised,
    ScenarioContext,
    StepRecord,
    watch_page_versions,
)
from scenarios.futures import at_once, beside
from scenarios.masking import mask_trace, masked_result, masked_text
from scenarios.max_failures import FailureCount
from scenarios.max_failures import skip_reason as failures_reason
from scenarios.modes import ScreenshotMode, TraceMode
from scenarios.playwright_driver import playwright_driver
from scenarios.protocol_view import BrowserLog, Collected, Observable, collect, exchange_of
from scenarios.protocol_view.known import known_values
from scenarios.registry import Registry, Scenario, WorkerInfo, load_catalogue
from scenarios.results import Phases, ScenarioResult, Status
from scenarios.run_options import DEFAULT_CATALOGUE, RERUN_DIR, RunOptions
from scenarios.screenshots import failure_screenshot
from scenarios.sign_in_elsewhere import advising_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = [
    "DEFAULT_CATALOGUE",
    "RERUN_DIR",
    "Event",
    "RunOptions",
    "ScreenshotMode",
    "TraceMode",
    "error_result",
    "run_scenario",
    "work",
]

T = TypeVar("T")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BrowserUnavailable):  # its message says which browser and the fix
        return str(exc)
    if isinstance(exc, AssertionError):  # NoFailurePage too: its module path tells users nothing
        return f"AssertionError: {exc}" if str(exc) else "AssertionError"
    return "".join(traceback.format_exception_only(exc)).strip()


def error_result(
    item: Scenario, message: str, worker: WorkerInfo, details: str | None = None,
    *, status: Status = "error",
) -> ScenarioResult:
    return ScenarioResult(
        id=item.id,
        title=item.title,
        proves=item.proves,
        group=item.group,
        status=status,
        seconds=0.0,
        message=masked_text(message),
        details=masked_text(details),
        worker=worker.index,
        pid=os.getpid(),
    )


def skipped_result(item: Scenario, reason: str, worker: WorkerInfo) -> ScenarioResult:
    """A scenario that did not run against this app: its needs are not met."""
    return error_result(item, reason, worker, status="skipped")


def run_scenario(
    item: Scenario,
    *,
    browser: Browser,
    worker_env: object,
    registry: Registry,
    options: RunOptions,
    worker: WorkerInfo,
    pages: PageSource | None = None,
) -> ScenarioResult:
    """Run one scenario in a clean browser context and record what happened, and where the
    time went (:class:`~scenarios.results.Phases`); with ``--trace rerun-on-failure``, run
    one that did not pass once more, traced (see :func:`_with_rerun`). ``pages`` gives the
    context and page (the worker's, kept from one scenario to the next where the registry
    allows it); without, the scenario gets a new pair."""
    if pages is None:
        pages = PageSource(lambda: _new_context(browser), keep=False)
    traced = options.trace in ("on", "retain-on-failure")
    started = time.monotonic()
    spent: dict[str, float] = {}
    steps: list[StepRecord] = []
    status: Status = "passed"
    message: str | None = None
    details: str | None = None
    around = registry.around(worker_env, item)
    with _timed(spent, "stack_start"):
        # A thread-safe hook sets the scenario's environment up while its browser context
        # opens: most of that time is the browser starting a renderer.
        opening = (beside if registry.around_thread_safe else at_once)(around.__enter__)
    context: BrowserContext | None = None
    try:
        with _timed(spent, "context"):
            context, page = pages.take()
            context.set_default_timeout(options.timeout_ms)
        with _timed(spent, "trace"):
            if traced:
                # Actions, DOM snapshots and network, always; the screencast (a frame for
                # every paint) only with --trace on: recording both made every scenario about
                # 40 % slower, passing or not (docs/benchmarks.md), and the report has a
                # screenshot of every step anyway.
                context.tracing.start(title=item.id, screenshots=options.trace == "on",
                                      snapshots=True, sources=False)
        with _timed(spent, "context"):
            browser_log = BrowserLog()
            browser_log.watch(context)
    except BaseException as exc:
        # Nothing runs: the set-up (once done) is left, and whatever opened is closed.
        with contextlib.suppress(Exception), contextlib.ExitStack() as leaving:
            if context is not None:
                leaving.callback(context.close)
            opening.result()
            leaving.push(around)
        if not isinstance(exc, Exception):
            raise
        message = f"no browser context: {_describe(exc)}"
        return error_result(item, message, worker, traceback.format_exc())
    ctx: ScenarioContext[object] | None = None
    env: object = None
    collected: Collected | None = None
    app_log: str | None = None
    app_exited: str | None = None
    app_not_started = False
    entering = time.monotonic()
    entered: float | None = None
    ran: float | None = None
    try:
        with contextlib.ExitStack() as leaving:
            try:
                env = opening.result()
            except BaseException as exc:
                if not isinstance(exc, Exception):  # interrupted while it opened: left once open
                    stop_starting()  # an app still starting gives up instead of waiting its timeout
                    with contextlib.suppress(BaseException):
                        opening.result()
                        around.__exit__(None, None, None)
                raise
            leaving.push(around)
            entered = time.monotonic()
            sources = env.protocol_sources if isinstance(env, Observable) else None
            if sources is not None and sources.reference is not None:
                browser_log.reference = sources.reference
            ctx = ScenarioContext(
                scenario=item,
                browser=browser,
                context=context,
                page=page,
                env=env if env is not None else NoEnvironment(item.id),
                report_dir=options.report_dir,
                default_timeout_ms=options.timeout_ms,
                steps=steps,
                browser_log=browser_log,
                step_screenshots=options.screenshots == "steps",
            )
            since = time.time()
            try:
                with ended_by_app_exit(env, page), advising_for(env):  # not its step's timeout
                    item.run(ctx)
            finally:
                failing = sys.exc_info()[0] not in (None, NotExercised)
                with _timed(spent, "protocol"):
                    collected = collect(browser_log, sources, since, final_pages=failing)
                if failing:  # read while the app runs: its stack stops it next
                    with contextlib.suppress(Exception):  # never in the way of the outcome
                        app_exited = app_logs.exited_during(env)
                        app_log = app_logs.keep_app_output(
                            env, options.report_dir, item.id, known_values(env, worker_env))
                ran = time.monotonic()  # teardown from here
                # Before the environment stops: their kept-alive connections would hold up the
                # servers' shutdown.
                ctx.close_extra_contexts()
    except NotExercised as exc:  # the app never reached what the scenario checks
        status, message = "skipped", f"not exercised: {exc}"
    except AppExited as exc:  # the app's exit, which the message names first, is the failure
        status, message, details = "failed", exc.seen(), traceback.format_exc()
    except AssertionError as exc:
        status, message, details = "failed", _describe(exc), traceback.format_exc()
    except Exception as exc:
        status, message, details = "error", _describe(exc), traceback.format_exc()
        # The app did not start for the scenario's stack: it will not for the next either,
        # unless the scenario gave it settings of its own, which it refused (its verdict).
        app_not_started = entered is None and isinstance(exc, AppStartError)
        status = "failed" if isinstance(exc, AppRefusedSettings) else status
        if isinstance(exc, AppStartError) and app_log is None:  # what it printed as it failed
            with contextlib.suppress(Exception):
                app_log = app_logs.keep_printed(exc.output, options.report_dir, item.id,
                                                known_values(env, worker_env))
    if app_exited is not None:  # why the scenario failed, before what it saw
        message = f"{app_exited}\n--- what the scenario saw then ---\n{message}"
    left = time.monotonic()
    spent["stack_start"] += (entered or left) - entering
    spent["teardown"] = left - (ran or entered or left)
    spent["screenshots"] = ctx.screenshot_seconds if ctx is not None else 0.0

    went_wrong = status in ("failed", "error")
    if went_wrong and (not steps or steps[-1].status == "passed"):
        with _timed(spent, "screenshots"):
            steps.append(_failure_step(item, page, options.report_dir, message))
    trace: str | None = None
    if options.trace == "on" or (options.trace == "retain-on-failure" and went_wrong):
        trace = f"traces/{item.id}.zip"
    reusable = not went_wrong
    known = known_values(env, worker_env)  # an app that never started left only the worker's
    if traced:
        with _timed(spent, "trace"):
            try:
                context.tracing.stop(path=str(options.report_dir / trace) if trace else None)
            except Exception:
                trace, reusable = None, False
            if trace is not None:
                try:
                    mask_trace(options.report_dir / trace, known)
                except Exception:  # never a trace that may hold what masking missed
                    with contextlib.suppress(OSError):
                        (options.report_dir / trace).unlink()
                    trace = None
    with _timed(spent, "teardown"):
        pages.give_back(context, page, reusable=reusable)
    seconds = time.monotonic() - started
    spent["steps"] = sum(step.seconds for step in steps)
    spent["other"] = max(0.0, seconds - sum(spent.values()))
    result = masked_result(ScenarioResult(
        id=item.id,
        title=item.title,
        proves=item.proves,
        group=item.group,
        status=status,
        seconds=seconds,
        message=message,
        details=details,
        steps=tuple(steps),
        trace=trace,
        worker=worker.index,
        pid=os.getpid(),
        phases=Phases(**spent),
        protocol=exchange_of(collected),
        app_log=app_log,
        app_not_started=app_not_started,
        addressless=addressless_in(env),
    ), known)
    if options.trace != "rerun-on-failure" or not went_wrong or app_not_started:
        return result
    again = replace(options, trace="on", screenshots="failure",
                    report_dir=options.report_dir / RERUN_DIR)
    return _with_rerun(result, run_scenario(item, browser=browser, worker_env=worker_env,
                                            registry=registry, options=again, worker=worker,
                                            pages=pages))


def _new_context(browser: Browser) -> BrowserContext:
    """A scenario's browser context. The mock provider over https has a certificate from a
    local CA the browser does not know ([provider] https, the idp-https scenarios). A
    server-side app checks it itself; a single-page app's own requests to the provider
    (discovery, the token endpoint) are the browser's, and pass here."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  ignore_https_errors=True)
    watch_page_versions(context)
    return context


def _with_rerun(first: ScenarioResult, second: ScenarioResult) -> ScenarioResult:
    """The first run's result (its time and phases are the first run's alone), with the
    second run's status, time, trace, failure pictures and app log, each file's path from the
    report directory (``rerun/...``)."""

    def from_report(relative: str) -> str:
        return f"{RERUN_DIR}/{relative}"

    shots = dict.fromkeys(from_report(s.screenshot) for s in second.steps if s.screenshot)
    return replace(first, rerun=second.status, rerun_seconds=second.seconds,
                   trace=from_report(second.trace) if second.trace else None,
                   rerun_app_log=from_report(second.app_log) if second.app_log else None,
                   rerun_screenshots=tuple(shots))


@contextlib.contextmanager
def _timed(spent: dict[str, float], phase: str) -> Iterator[None]:
    """Add the time the block takes to ``spent[phase]``."""
    started = time.monotonic()
    try:
        yield
    finally:
        spent[phase] = spent.get(phase, 0.0) + time.monotonic() - started


def _failure_step(item: Scenario, page: Page, report_dir: Path, error: str | None) -> StepRecord:
    relative = f"screenshots/{item.id}/zz-at-failure.png"
    shot: str | None = relative
    try:
        failure_screenshot(page, report_dir / relative)
    except Exception:
        shot = None
    return StepRecord(
        name="state at failure", status="failed", seconds=0.0, screenshot=shot, error=error
    )


# Events a worker reports: ("started", worker, id) or ("finished", worker, ScenarioResult).
Event = tuple[str, int, object]


def work(
    options: RunOptions,
    worker: WorkerInfo,
    next_id: Callable[[], str | None],
    emit: Callable[[Event], None],
    *,
    registry: Registry | None = None,
    app_down: AppDown | None = None,
    failures: FailureCount | None = None,
) -> None:
    """One worker's life: set up once, run scenarios while ids keep coming, tear down. Once
    the app under test could not be started for a scenario (here, or in another worker
    sharing ``app_down``), the scenarios left are skipped (:mod:`scenarios.app_down`); so
    they are once ``failures`` (shared by the workers, which each count their own) has
    reached ``--max-failures`` (:mod:`scenarios.max_failures`)."""
    if registry is None:
        registry = load_catalogue(options.catalogue)
    if app_down is None:
        app_down = AppDown()
    if failures is None:
        failures = FailureCount(options.max_failures)
    with contextlib.ExitStack() as stack:
        setup_error: str | None = None
        setup_details: str | None = None
        holders: list[object] = []  # what the log's masking reads: the worker's environment
        stack.enter_context(app_logs.captured(options.report_dir, worker.index,
                                              lambda: known_values(*holders)))
        try:
            playwright = stack.enter_context(playwright_driver())
            choice = resolve(ws_endpoint=options.ws_endpoint)
            browser = launch_or_explain(playwright, choice, headed=options.headed)
            stack.callback(browser.close)
            pages = PageSource(lambda: _new_context(browser), keep=registry.keeps_pages)
            worker_env = stack.enter_context(registry.environment(worker))
            holders.append(worker_env)
            # Closed before the environment stops: a kept page's connections to its servers
            # would hold up their shutdown.
            stack.callback(pages.close)
        except Exception as exc:
            setup_error = f"worker {worker.index} could not start: {_describe(exc)}"
            setup_details = traceback.format_exc()
        while (scenario_id := next_id()) is not None:
            item = registry.get(scenario_id)
            emit(("started", worker.index, scenario_id))
            if setup_error is not None:
                result = error_result(item, setup_error, worker, setup_details)
            elif (first := app_down.first()) is not None:
                result = skipped_result(item, skip_reason(first), worker)
            elif failures.reached():
                assert failures.limit is not None
                result = skipped_result(item, failures_reason(failures.limit), worker)
            else:
                result = run_scenario(
                    item,
                    browser=browser,
                    worker_env=worker_env,
                    registry=registry,
                    options=options,
                    worker=worker,
                    pages=pages,
                )
                if result.app_not_started and result.status == "error":
                    app_down.note(item.id)
            failures.note(result)
            emit(("finished", worker.index, result))
