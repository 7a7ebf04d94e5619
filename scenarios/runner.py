"""Run selected scenarios: one browser per worker process, a clean context per scenario.

With ``workers == 1`` everything happens in this process. With more, each worker is a forked
or spawned process (:func:`start_method`) that loads the catalogue, launches its browser once,
enters the catalogue's environment factory once (its own live servers) and then takes scenario
ids from a shared queue until none are left. Results come back over a queue and are printed
as they arrive.

What each worker does is in :mod:`scenarios.worker`; what a run produces in
:mod:`scenarios.results`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scenarios.app.process import interrupted_by
from scenarios.app_down import AppDown
from scenarios.app_logs import log_dir
from scenarios.registry import Registry, Scenario, WorkerInfo, load_catalogue
from scenarios.report_files import deletable, files_under, remove_inside, write_atomically
from scenarios.results import LABELS, RunSummary, ScenarioResult, format_table
from scenarios.schedule import longest_first, previous_durations
from scenarios.worker import (
    DEFAULT_CATALOGUE,
    RERUN_DIR,
    Event,
    RunOptions,
    TraceMode,
    error_result,
    run_scenario,
    skipped_result,
    work,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue, SimpleQueue

    from scenarios.shard import Shard

__all__ = [
    "DEFAULT_CATALOGUE",
    "MANIFEST",
    "NOT_RUN",
    "RunInterrupted",
    "RunOptions",
    "RunSummary",
    "ScenarioResult",
    "TraceMode",
    "expect_timeout",
    "format_table",
    "run",
    "run_scenario",
    "skipped_result",
]


_INTERRUPTED = 130
"""A worker's exit code once interrupted (128 + SIGINT, what a shell reports for Ctrl-C)."""
INTERRUPT_GRACE_SECONDS = 1.0
"""How long an interrupted run lets its workers stop on their own before it tells them to."""
STOP_GRACE_SECONDS = 15.0
"""How long a worker stopped for an overdue scenario has to tear its stacks down (an app is
given 5 s to stop on SIGTERM) before it is killed."""
MANIFEST = ".scenarios-files.json"
"""In the report directory: the files the last run wrote under ``screenshots/``, ``traces/``,
``logs/`` and ``rerun/``. The next run deletes those, and leaves every other file there alone
(an app's own log in ``logs/``, say)."""
ARTIFACT_DIRS = ("screenshots", "traces", "logs", RERUN_DIR)
NOT_RUN = "not run: the run was interrupted"
"""The reason given for each scenario an interrupted run did not finish."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run; :attr:`summary` holds the scenarios that finished,
    and each of the others skipped with :data:`NOT_RUN`."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary


@contextlib.contextmanager
def expect_timeout(timeout_ms: float) -> Iterator[None]:
    """While the block runs, Playwright's ``expect(...)`` waits ``timeout_ms`` by default (its
    own default is 5 s, whatever a context's default timeout is); the timeout before is put
    back afterwards."""
    from playwright.sync_api import expect

    before: float | None = getattr(expect, "_timeout", None)
    expect.set_options(timeout=timeout_ms)
    try:
        yield
    finally:
        expect.set_options(timeout=before)


def _worker_process(
    options: RunOptions, worker: WorkerInfo, tasks: SimpleQueue[str | None],
    events: Queue[Event], app_down: AppDown,
) -> None:
    """A worker process. Ctrl-C in the terminal reaches it, and the runner, interrupted or
    done waiting for a scenario, sends it SIGTERM: the first of the two stops it, tearing its
    stacks down, and it exits quietly."""
    try:
        with interrupted_by(signal.SIGTERM, signal.SIGINT), expect_timeout(options.timeout_ms):
            work(options, worker, tasks.get, events.put, app_down=app_down)
    except KeyboardInterrupt:
        sys.exit(_INTERRUPTED)


@dataclass
class _Progress:
    out: TextIO
    show_worker: bool
    results: dict[str, ScenarioResult] = field(default_factory=dict)

    def finished(self, result: ScenarioResult) -> None:
        self.results[result.id] = result
        where = f"  [worker {result.worker}]" if self.show_worker and not result.skipped else ""
        timing = "" if result.skipped else f"  {result.seconds:.2f}s"
        line = f"{LABELS[result.status]:<6}{result.id}{timing}{where}"
        print(line, file=self.out, flush=True)
        if result.message:
            for text in [t for t in result.message.splitlines() if t.strip()][:3]:
                print(f"      {text[:200]}", file=self.out, flush=True)


class ScenarioOverdue(KeyboardInterrupt):
    """Raised in the main thread when a scenario run in this process has taken longer than
    ``--scenario-timeout``: everything on the way out treats it as Ctrl-C, stopping what the
    scenario and its worker started."""


@contextlib.contextmanager
def _overdue_alarm(limit: float | None) -> Iterator[Callable[[bool], None]]:
    """Yields ``arm``: ``arm(True)`` as a scenario starts, ``arm(False)`` as it ends. Past
    ``limit`` seconds in between, SIGALRM raises :class:`ScenarioOverdue`; off the main
    thread, or with no limit, nothing is armed."""
    if (limit is None or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        yield lambda _on: None
        return

    def ring(_signum: int, _frame: object) -> None:
        raise ScenarioOverdue

    def arm(on: bool) -> None:
        signal.setitimer(signal.ITIMER_REAL, limit if on else 0)

    before = signal.signal(signal.SIGALRM, ring)
    try:
        yield arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def _run_in_process(
    options: RunOptions, registry: Registry, ids: Sequence[str], progress: _Progress
) -> str | None:
    """Run ``ids`` in this process. Returns ``None``, or, when a scenario did not finish within
    ``options.scenario_timeout``, why the scenarios after it did not run: one worker in this
    process cannot be replaced, so the run stops there, as if interrupted."""
    pending = iter(ids)
    in_flight: list[tuple[str, float]] = []
    with _overdue_alarm(options.scenario_timeout) as arm:

        def emit(event: Event) -> None:
            if event[0] == "started":
                assert isinstance(event[2], str)
                in_flight[:] = [(event[2], time.monotonic())]
                arm(True)
            elif event[0] == "finished":
                arm(False)
                in_flight.clear()
                assert isinstance(event[2], ScenarioResult)
                progress.finished(event[2])

        worker = WorkerInfo(index=0, count=1, app=options.app)
        try:
            with expect_timeout(options.timeout_ms):
                work(options, worker, lambda: next(pending, None), emit, registry=registry)
        except ScenarioOverdue:
            if not in_flight:
                raise  # no scenario of this run's was running: not ours to report
            (scenario_id, began), limit = in_flight[0], options.scenario_timeout
            assert limit is not None
            result = error_result(registry.get(scenario_id), overdue_message(limit, alone=True),
                                  worker)
            progress.finished(replace(result, seconds=time.monotonic() - began))
            return f"not run: the run stopped when {scenario_id} did not finish in time"
    return None


def start_method() -> str:
    """How worker processes start: forked on Linux when this process runs no other thread
    and no event loop (the command line's case), so a worker begins with everything already
    imported and the catalogue loaded, about half a second sooner; spawned otherwise. A fork
    copies no thread but every lock the others hold (a test process whose servers run in
    threads), and a running loop with whatever it drives: a Playwright sync driver (a test's,
    the pytest plugin's) runs its loop in this thread, and a forked worker would find it
    running and share its pipe to Node.js, so it could not start its own. Python 3.11 watched
    the driver's process from a thread of its own, which hid this; 3.12 and later watch it
    without one."""
    if (sys.platform.startswith("linux") and threading.active_count() == 1
            and not _loop_running()):
        return "fork"
    return "spawn"


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_workers(options: RunOptions, selected: Sequence[Scenario], progress: _Progress) -> None:
    mp = (multiprocessing.get_context("fork") if start_method() == "fork"
          else multiprocessing.get_context("spawn"))
    # A SimpleQueue writes in the caller's thread: with no feeder thread in this process, a
    # worker that replaces a stopped one can be forked as safely as the first ones.
    tasks: SimpleQueue[str | None] = mp.SimpleQueue()
    events: Queue[Event] = mp.Queue()
    app_down = AppDown.shared(mp)

    def start(index: int) -> BaseProcess:
        worker = WorkerInfo(index=index, count=options.workers, app=options.app)
        process = mp.Process(target=_worker_process, name=f"scenarios-worker-{index}",
                             args=(options, worker, tasks, events, app_down))
        process.start()
        return process

    processes = [start(i) for i in range(options.workers)]
    for item in selected:
        tasks.put(item.id)
    for _ in range(options.workers):
        tasks.put(None)
    by_id = {item.id: item for item in selected}
    in_flight: dict[int, tuple[str, float]] = {}

    def handle(event: Event) -> None:
        kind, index, payload = event
        if kind == "started":
            assert isinstance(payload, str)
            in_flight[index] = (payload, time.monotonic())
        else:
            assert isinstance(payload, ScenarioResult)
            in_flight.pop(index, None)
            progress.finished(payload)

    def stop_overdue() -> None:
        """A worker whose scenario has run past ``options.scenario_timeout`` is stopped; the
        scenario fails, and a new worker takes the old one's place in the queue."""
        limit = options.scenario_timeout
        for index, (scenario_id, began) in list(in_flight.items()):
            if limit is None or time.monotonic() - began <= limit:
                continue
            _stop(processes[index], lambda: _drain(events, handle))
            worker = WorkerInfo(index=index, count=options.workers)
            if scenario_id not in progress.results:  # it did not finish as it was stopped
                result = error_result(by_id[scenario_id], overdue_message(limit), worker)
                progress.finished(replace(result, seconds=time.monotonic() - began))
            # It may have finished just then, and begun the next one as it was stopped.
            lost = in_flight.pop(index, (scenario_id, began))[0]
            if lost not in progress.results:
                message = (f"worker {index} was stopped as this scenario began: "
                           f"{scenario_id} had not finished within {limit:g} s")
                progress.finished(error_result(by_id[lost], message, worker))
            processes[index] = start(index)  # its place in the queue: the None it never took

    try:
        while any(item.id not in progress.results for item in selected):
            got = False
            with contextlib.suppress(queue.Empty):
                handle(events.get(timeout=0.5))
                got = True
            stop_overdue()
            if got or all(p.is_alive() for p in processes):
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    handle(events.get(timeout=0.2))
            for index, process in enumerate(processes):
                if not process.is_alive() and index in in_flight:
                    lost, _ = in_flight.pop(index)
                    worker = WorkerInfo(index=index, count=options.workers)
                    message = f"worker {index} exited (code {process.exitcode}) during the run"
                    progress.finished(error_result(by_id[lost], message, worker))
            if not any(p.is_alive() for p in processes):
                for item in selected:
                    if item.id not in progress.results:
                        worker = WorkerInfo(index=-1, count=options.workers)
                        progress.finished(error_result(item, "no worker left to run it", worker))
    except BaseException:
        _interrupt_workers(processes, lambda: _drain(events, handle))
        raise
    finally:
        for process in processes:
            _join(process, 30, lambda: _drain(events, handle))
            if process.is_alive():
                process.terminate()  # stops it as Ctrl-C does, unless one has already
                _join(process, 5, lambda: _drain(events, handle))
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        _drain(events, handle, wait=0.1)


def overdue_message(limit: float, *, alone: bool = False) -> str:
    """The message of a scenario that did not finish within ``limit`` seconds; ``alone``: run
    by the one worker in the runner's process, which stops the run."""
    what = ("the run stopped (its one worker runs in the runner's own process)" if alone
            else "its worker was stopped and a new one went on with the run")
    return f"the scenario did not finish within {limit:g} s (--scenario-timeout): {what}"


def _stop(process: BaseProcess, drain: Callable[[], None],
          grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop one worker as an interrupt does (SIGTERM: it tears its stacks down), or kill it
    once ``grace`` seconds have not been enough."""
    process.terminate()
    _join(process, grace, drain)
    if process.is_alive():
        process.kill()
        _join(process, 5, drain)


def _drain(events: Queue[Event], handle: Callable[[Event], None], wait: float = 0.0) -> None:
    """Pass on the events the workers have sent (results of scenarios that finished while
    the run stopped): a worker whose queue is not read may never exit."""
    with contextlib.suppress(queue.Empty, OSError, EOFError):
        while True:
            handle(events.get(timeout=wait) if wait else events.get_nowait())


def _join(process: BaseProcess, timeout: float, drain: Callable[[], None]) -> None:
    deadline = time.monotonic() + timeout
    while process.is_alive() and time.monotonic() < deadline:
        drain()
        process.join(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
    drain()


def _interrupt_workers(processes: Sequence[BaseProcess], drain: Callable[[], None],
                       grace: float = INTERRUPT_GRACE_SECONDS) -> None:
    """The run was interrupted: each worker is to stop, tearing its stacks down. Ctrl-C has
    reached them already (a terminal signals its whole foreground process group); those still
    running after ``grace`` seconds are sent SIGTERM, which one stopping already ignores. Sent
    on the heels of the Ctrl-C, it could leave a worker asleep: with two signals at once,
    CPython may take them on another of its threads and not wake the main one from a
    blocking call (``time.sleep``), so the interrupt would wait for that call to end. What
    they send meanwhile is passed to ``drain``."""
    deadline = time.monotonic() + grace
    for process in processes:
        _join(process, max(0.0, deadline - time.monotonic()), drain)
    for process in processes:
        if process.is_alive():
            process.terminate()


def _harness_files(report_dir: Path, ids: Iterable[str], workers: int) -> list[Path]:
    """The files in the places where a run of ``ids`` with ``workers`` workers writes: each
    scenario's screenshots, trace and app log (its traced rerun's too), and the workers'
    logs; none reached through a symlink (:mod:`scenarios.report_files`)."""
    found: list[Path] = [log_dir(report_dir) / f"worker-{n}.log" for n in range(workers)]
    for base in (report_dir, report_dir / RERUN_DIR):
        for scenario_id in ids:
            found += [base / "traces" / f"{scenario_id}.zip",
                      log_dir(base) / f"app-{scenario_id}.log"]
            found += files_under(report_dir, base / "screenshots" / scenario_id)
    return [path for path in found if deletable(report_dir, path)]


def _recorded(report_dir: Path) -> list[Path]:
    """The files the last run in ``report_dir`` wrote, from its :data:`MANIFEST`; only paths
    under :data:`ARTIFACT_DIRS` are taken."""
    try:
        names = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not isinstance(names, list):
        return []
    paths = [Path(name) for name in names if isinstance(name, str) and "\0" not in name]
    return [report_dir / path for path in paths
            if not path.is_absolute() and ".." not in path.parts and len(path.parts) > 1
            and path.parts[0] in ARTIFACT_DIRS]


def _reset_artifacts(report_dir: Path, ids: Iterable[str], workers: int) -> None:
    """Delete what the last run wrote (its :data:`MANIFEST`) and whatever stands where this
    run will write, and the directories that leaves empty; nothing else, and nothing reached
    through a symlink."""
    report_dir = report_dir.resolve()
    remove_inside(report_dir, {*_recorded(report_dir), *_harness_files(report_dir, ids, workers)})
    report_dir.mkdir(parents=True, exist_ok=True)


def _record_artifacts(report_dir: Path, ids: Iterable[str], workers: int) -> None:
    report_dir = report_dir.resolve()
    files = [path.relative_to(report_dir).as_posix()
             for path in _harness_files(report_dir, ids, workers)]
    text = json.dumps({"files": files}, indent=2) + "\n"
    write_atomically(report_dir / MANIFEST, lambda path: path.write_text(text, encoding="utf-8"))


def run(
    options: RunOptions,
    *,
    registry: Registry | None = None,
    out: TextIO | None = None,
) -> RunSummary:
    """Run the selected scenarios and return their results (reports are written by the caller).

    Raises :class:`scenarios.registry.SelectionError` when ``options.only`` matches nothing.
    SIGTERM interrupts the run as Ctrl-C does (:func:`~scenarios.app.process.interrupted_by`):
    :class:`RunInterrupted` (a :class:`KeyboardInterrupt`) with the results so far, once every
    stack and app it started has stopped; inside ``python -m scenarios``, the signals that
    follow are ignored until its reports are written. Of the report directory's ``screenshots/``,
    ``traces/``, ``logs/`` and ``rerun/``, only the files the last run wrote are deleted
    (:data:`MANIFEST`).
    """
    with interrupted_by(join_outer=True):
        return _run(options, registry, out)


def shard_of(shard: Shard, selected: list[Scenario],
             reasons: Mapping[str, str | None]) -> list[Scenario]:
    """The part of ``selected`` that ``shard`` runs; ``reasons``: each scenario's skip reason
    (``None``: it runs), so the scenarios that run are spread over the shards first."""
    return shard.select(selected, key=lambda item: item.id,
                        runs=lambda item: reasons[item.id] is None)


def _run(options: RunOptions, registry: Registry | None, out: TextIO | None) -> RunSummary:
    stream = out if out is not None else sys.stdout
    catalogue = registry if registry is not None else load_catalogue(options.catalogue)
    selected = catalogue.select(options.only)
    reasons = {item.id: catalogue.skip_reason(item, options.app) for item in selected}
    runs_anywhere = None in reasons.values()
    if options.shard is not None:
        selected = shard_of(options.shard, selected, reasons)
    runnable = [item for item in selected if reasons[item.id] is None]
    workers = max(1, min(options.workers, len(runnable)))
    options = replace(options, workers=workers, report_dir=options.report_dir.resolve())
    if workers > 1:  # the last run's times, before its results are replaced
        durations = previous_durations(options.report_dir / "results.json")
        runnable = longest_first(runnable, durations, key=lambda item: item.id)
    ids = [item.id for item in selected]
    _reset_artifacts(options.report_dir, ids, workers)
    progress = _Progress(out=stream, show_worker=workers > 1)
    started = time.monotonic()
    nowhere = WorkerInfo(index=-1, count=workers, app=options.app)

    not_run = NOT_RUN

    def summary() -> RunSummary:
        results = tuple(progress.results.get(item.id) or skipped_result(item, not_run, nowhere)
                        for item in selected)
        return RunSummary(results=results, seconds=time.monotonic() - started,
                          workers=workers, report_dir=options.report_dir, shard=options.shard,
                          others_run=options.shard is not None and runs_anywhere,
                          app=options.app_name)

    try:
        for item in selected:
            if (reason := reasons[item.id]) is not None:
                progress.finished(skipped_result(item, reason, nowhere))
        if runnable:
            if workers == 1:
                stopped = _run_in_process(options, catalogue, [item.id for item in runnable],
                                          progress)
                not_run = stopped or not_run
            else:
                _run_in_workers(options, runnable, progress)
    except KeyboardInterrupt as exc:
        raise RunInterrupted(summary()) from exc
    finally:
        _record_artifacts(options.report_dir, ids, workers)
    return summary()
