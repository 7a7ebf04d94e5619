"""Run selected scenarios: one browser per worker process, a fresh context per scenario.

With ``workers == 1`` everything happens in this process. With more, each worker is a spawned
process that imports the catalogue, launches its browser once, enters the catalogue's
environment factory once (its own live servers) and then takes scenario ids from a shared queue
until none are left. Results come back over a queue and are printed as they arrive.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from scenarios.browser import launch, resolve
from scenarios.context import ScenarioContext, StepRecord, screenshot
from scenarios.registry import Registry, Scenario, WorkerInfo, load_catalogue

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from playwright.sync_api import Browser, Page

__all__ = [
    "DEFAULT_CATALOGUE",
    "RunOptions",
    "RunSummary",
    "ScenarioResult",
    "TraceMode",
    "run",
]

DEFAULT_CATALOGUE = "scenarios.catalogue"
TraceMode = Literal["retain-on-failure", "on", "off"]
Status = Literal["passed", "failed", "error"]
LABELS: dict[Status, str] = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Everything a run (and each of its worker processes) needs to know."""

    catalogue: str = DEFAULT_CATALOGUE
    """``module`` or ``module:registry_attribute`` holding the scenarios (see load_catalogue)."""
    only: tuple[str, ...] = ()
    headed: bool = False
    workers: int = 1
    report_dir: Path = Path("reports/scenarios")
    trace: TraceMode = "retain-on-failure"
    ws_endpoint: str | None = None
    timeout_ms: float = 10_000
    """Default timeout of every Playwright action and expectation."""


@dataclass(frozen=True, kw_only=True)
class ScenarioResult:
    id: str
    title: str
    proves: str
    group: str
    status: Status
    seconds: float
    message: str | None = None
    details: str | None = None
    steps: tuple[StepRecord, ...] = ()
    trace: str | None = None
    """Trace zip relative to the report directory (``playwright show-trace`` opens it)."""
    worker: int = 0
    pid: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    results: tuple[ScenarioResult, ...]
    seconds: float
    workers: int
    report_dir: Path

    @property
    def failures(self) -> tuple[ScenarioResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or not self.results else 0


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()


def _error_result(
    item: Scenario, message: str, worker: WorkerInfo, details: str | None = None
) -> ScenarioResult:
    return ScenarioResult(
        id=item.id,
        title=item.title,
        proves=item.proves,
        group=item.group,
        status="error",
        seconds=0.0,
        message=message,
        details=details,
        worker=worker.index,
        pid=os.getpid(),
    )


def run_scenario(
    item: Scenario,
    *,
    browser: Browser,
    worker_env: object,
    registry: Registry,
    options: RunOptions,
    worker: WorkerInfo,
) -> ScenarioResult:
    """Run one scenario in a fresh browser context and record what happened."""
    started = time.monotonic()
    steps: list[StepRecord] = []
    status: Status = "passed"
    message: str | None = None
    details: str | None = None
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(options.timeout_ms)
        if options.trace != "off":
            context.tracing.start(title=item.id, screenshots=True, snapshots=True, sources=False)
        page = context.new_page()
    except Exception as exc:
        message = f"no browser context: {_describe(exc)}"
        return _error_result(item, message, worker, traceback.format_exc())
    ctx: ScenarioContext[object] | None = None
    try:
        with registry.around(worker_env, item) as env:
            ctx = ScenarioContext(
                scenario=item,
                browser=browser,
                context=context,
                page=page,
                env=env,
                report_dir=options.report_dir,
                default_timeout_ms=options.timeout_ms,
                steps=steps,
            )
            try:
                item.run(ctx)
            finally:
                # Before the environment stops: their kept-alive connections would hold up
                # the servers' shutdown.
                ctx.close_extra_contexts()
    except AssertionError as exc:
        status, message, details = "failed", _describe(exc), traceback.format_exc()
    except Exception as exc:
        status, message, details = "error", _describe(exc), traceback.format_exc()

    if status != "passed" and (not steps or steps[-1].status == "passed"):
        steps.append(_failure_step(item, page, options.report_dir, message))
    trace: str | None = None
    if options.trace == "on" or (options.trace == "retain-on-failure" and status != "passed"):
        trace = f"traces/{item.id}.zip"
    if options.trace != "off":
        try:
            context.tracing.stop(path=str(options.report_dir / trace) if trace else None)
        except Exception:
            trace = None
    with contextlib.suppress(Exception):
        context.close()
    return ScenarioResult(
        id=item.id,
        title=item.title,
        proves=item.proves,
        group=item.group,
        status=status,
        seconds=time.monotonic() - started,
        message=message,
        details=details,
        steps=tuple(steps),
        trace=trace,
        worker=worker.index,
        pid=os.getpid(),
    )


def _failure_step(item: Scenario, page: Page, report_dir: Path, error: str | None) -> StepRecord:
    relative = f"screenshots/{item.id}/zz-at-failure.png"
    try:
        screenshot(page, report_dir / relative)
    except Exception:
        relative = None
    return StepRecord(
        name="state at failure", status="failed", seconds=0.0, screenshot=relative, error=error
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
) -> None:
    """One worker's life: set up once, run scenarios while ids keep coming, tear down."""
    if registry is None:
        registry = load_catalogue(options.catalogue)
    with contextlib.ExitStack() as stack:
        setup_error: str | None = None
        setup_details: str | None = None
        try:
            from playwright.sync_api import sync_playwright

            playwright = stack.enter_context(sync_playwright())
            choice = resolve(ws_endpoint=options.ws_endpoint)
            browser = launch(playwright, choice, headed=options.headed)
            stack.callback(browser.close)
            worker_env = stack.enter_context(registry.environment(worker))
        except Exception as exc:
            setup_error = f"worker {worker.index} could not start: {_describe(exc)}"
            setup_details = traceback.format_exc()
        while (scenario_id := next_id()) is not None:
            item = registry.get(scenario_id)
            emit(("started", worker.index, scenario_id))
            if setup_error is not None:
                result = _error_result(item, setup_error, worker, setup_details)
            else:
                result = run_scenario(
                    item,
                    browser=browser,
                    worker_env=worker_env,
                    registry=registry,
                    options=options,
                    worker=worker,
                )
            emit(("finished", worker.index, result))


def _worker_process(
    options: RunOptions, worker: WorkerInfo, tasks: Queue[str | None], events: Queue[Event]
) -> None:
    work(options, worker, tasks.get, events.put)


@dataclass
class _Progress:
    out: TextIO
    show_worker: bool
    results: dict[str, ScenarioResult] = field(default_factory=dict)

    def finished(self, result: ScenarioResult) -> None:
        self.results[result.id] = result
        where = f"  [worker {result.worker}]" if self.show_worker else ""
        line = f"{LABELS[result.status]:<6}{result.id}  {result.seconds:.2f}s{where}"
        print(line, file=self.out, flush=True)
        if result.message:
            for text in [t for t in result.message.splitlines() if t.strip()][:3]:
                print(f"      {text[:200]}", file=self.out, flush=True)


def _run_in_process(
    options: RunOptions, registry: Registry, ids: Sequence[str], progress: _Progress
) -> None:
    pending = iter(ids)

    def emit(event: Event) -> None:
        if event[0] == "finished":
            assert isinstance(event[2], ScenarioResult)
            progress.finished(event[2])

    worker = WorkerInfo(index=0, count=1)
    work(options, worker, lambda: next(pending, None), emit, registry=registry)


def _run_in_workers(options: RunOptions, selected: Sequence[Scenario], progress: _Progress) -> None:
    mp = multiprocessing.get_context("spawn")
    tasks: Queue[str | None] = mp.Queue()
    events: Queue[Event] = mp.Queue()
    for item in selected:
        tasks.put(item.id)
    for _ in range(options.workers):
        tasks.put(None)
    processes = [
        mp.Process(
            target=_worker_process,
            args=(options, WorkerInfo(index=i, count=options.workers), tasks, events),
            name=f"scenarios-worker-{i}",
        )
        for i in range(options.workers)
    ]
    for process in processes:
        process.start()
    by_id = {item.id: item for item in selected}
    in_flight: dict[int, str] = {}

    def handle(event: Event) -> None:
        kind, index, payload = event
        if kind == "started":
            assert isinstance(payload, str)
            in_flight[index] = payload
        else:
            assert isinstance(payload, ScenarioResult)
            in_flight.pop(index, None)
            progress.finished(payload)

    try:
        while len(progress.results) < len(selected):
            try:
                handle(events.get(timeout=0.5))
                continue
            except queue.Empty:
                pass
            if all(p.is_alive() for p in processes):
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    handle(events.get(timeout=0.2))
            for index, process in enumerate(processes):
                if not process.is_alive() and index in in_flight:
                    lost = in_flight.pop(index)
                    worker = WorkerInfo(index=index, count=options.workers)
                    message = f"worker {index} exited (code {process.exitcode}) during the run"
                    progress.finished(_error_result(by_id[lost], message, worker))
            if not any(p.is_alive() for p in processes):
                for item in selected:
                    if item.id not in progress.results:
                        worker = WorkerInfo(index=-1, count=options.workers)
                        progress.finished(_error_result(item, "no worker left to run it", worker))
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def _reset_artifacts(report_dir: Path) -> None:
    for sub in ("screenshots", "traces"):
        shutil.rmtree(report_dir / sub, ignore_errors=True)
    report_dir.mkdir(parents=True, exist_ok=True)


def run(
    options: RunOptions,
    *,
    registry: Registry | None = None,
    out: TextIO | None = None,
) -> RunSummary:
    """Run the selected scenarios and return their results (reports are written by the caller).

    Raises :class:`scenarios.registry.SelectionError` when ``options.only`` matches nothing.
    """
    stream = out if out is not None else sys.stdout
    catalogue = registry if registry is not None else load_catalogue(options.catalogue)
    selected = catalogue.select(options.only)
    workers = max(1, min(options.workers, len(selected)))
    options = replace(options, workers=workers, report_dir=options.report_dir.resolve())
    _reset_artifacts(options.report_dir)
    progress = _Progress(out=stream, show_worker=workers > 1)
    started = time.monotonic()
    if selected:
        if workers == 1:
            _run_in_process(options, catalogue, [item.id for item in selected], progress)
        else:
            _run_in_workers(options, selected, progress)
    results = tuple(progress.results[item.id] for item in selected)
    return RunSummary(
        results=results,
        seconds=time.monotonic() - started,
        workers=workers,
        report_dir=options.report_dir,
    )


def format_table(summary: RunSummary) -> str:
    """The final table: id, result, seconds; then a one-line total."""
    width = max([len("scenario"), *(len(r.id) for r in summary.results)])
    lines = [f"{'scenario':<{width}}  result  seconds", f"{'-' * width}  ------  -------"]
    for r in summary.results:
        lines.append(f"{r.id:<{width}}  {LABELS[r.status]:<6}  {r.seconds:7.2f}")
    passed = sum(r.passed for r in summary.results)
    failed = len(summary.results) - passed
    lines.append("")
    lines.append(
        f"{passed} passed, {failed} failed in {summary.seconds:.1f}s "
        f"({summary.workers} worker{'s' if summary.workers != 1 else ''})"
    )
    return "\n".join(lines)
