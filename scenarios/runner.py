"""Run selected scenarios: one browser per worker process, a clean context per scenario.

With ``workers == 1`` everything happens in this process. With more, the workers are
processes (:mod:`scenarios.worker_pool`) fed from a shared queue.

What each worker does is in :mod:`scenarios.worker`; what a run produces in
:mod:`scenarios.results`.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scenarios.app.process import interrupted_by
from scenarios.app_down import started_in_another_worker
from scenarios.app_logs import log_dir
from scenarios.last_run import INTERRUPTED, last_failed_selection
from scenarios.max_failures import FailureCount
from scenarios.registry import Registry, Scenario, WorkerInfo, load_catalogue
from scenarios.report_files import deletable, files_under, remove_inside, write_atomically
from scenarios.results import RunSummary, ScenarioResult, format_table
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
from scenarios.worker_pool import (
    STOP_GRACE_SECONDS,
    Progress,
    expect_timeout,
    overdue_message,
    run_in_workers,
)

if TYPE_CHECKING:
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


MANIFEST = ".scenarios-files.json"
"""In the report directory: the files the last run wrote under ``screenshots/``, ``traces/``,
``logs/`` and ``rerun/``. The next run deletes those, and leaves every other file there alone
(an app's own log in ``logs/``, say)."""
ARTIFACT_DIRS = ("screenshots", "traces", "logs", RERUN_DIR)
NOT_RUN = INTERRUPTED
"""The reason given for each scenario an interrupted run did not finish."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run; :attr:`summary` holds the scenarios that finished,
    and each of the others skipped with :data:`NOT_RUN`."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary


class ScenarioOverdue(KeyboardInterrupt):
    """Raised in the main thread when a scenario run in this process has taken longer than
    ``--scenario-timeout``: everything on the way out treats it as Ctrl-C, stopping what the
    scenario and its worker started."""


def alarm_in_use() -> bool:
    """Whether SIGALRM already serves someone else in this process: a handler of theirs, or a
    timer running (pytest-timeout's default method arms both around the test that calls the
    run). Arming the limit would cancel their timer and take their alarm for a scenario's."""
    handler = signal.getsignal(signal.SIGALRM)
    return (signal.getitimer(signal.ITIMER_REAL)[0] > 0
            or handler not in (signal.SIG_DFL, signal.SIG_IGN, None))


@contextlib.contextmanager
def _overdue_alarm(limit: float | None) -> Iterator[Callable[[bool], None]]:
    """Yields ``arm``: ``arm(True)`` as a scenario starts, ``arm(False)`` as it ends. Past
    ``limit`` seconds in between, SIGALRM raises :class:`ScenarioOverdue`, and rings again
    if the teardown that follows has not ended after as long again (at most
    :data:`~scenarios.worker_pool.STOP_GRACE_SECONDS`): a ``close()`` that never returns
    would hold the run as the scenario did. Off the main thread, or with no limit, nothing
    is armed; nor while SIGALRM serves someone else (:func:`alarm_in_use`), which stderr
    says."""
    if (limit is None or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        yield lambda _on: None
        return
    if alarm_in_use():
        print("scenarios: SIGALRM is in use in this process, so a scenario run in it has no "
              "--scenario-timeout (run with --workers 2 or more for one)", file=sys.stderr)
        yield lambda _on: None
        return

    def ring(_signum: int, _frame: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, min(limit, STOP_GRACE_SECONDS))
        raise ScenarioOverdue

    def arm(on: bool) -> None:
        signal.setitimer(signal.ITIMER_REAL, limit if on else 0)

    before = signal.signal(signal.SIGALRM, ring)
    try:
        yield arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def interrupted_before(overdue: BaseException) -> bool:
    """Whether ``overdue`` rang while the run was being interrupted (Ctrl-C, SIGTERM): the
    interrupt it cut short stands, and no worker is set up afresh."""
    seen: BaseException | None = overdue.__context__
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt) and not isinstance(seen, ScenarioOverdue):
            return True
        seen = seen.__context__
    return False


def _run_in_process(
    options: RunOptions, registry: Registry, ids: Sequence[str], progress: Progress
) -> None:
    """Run ``ids`` in this process, as one worker. A scenario that has not finished within
    ``options.scenario_timeout`` fails, the worker is torn down as Ctrl-C would (its browser,
    servers and apps stopped), and a new worker, set up afresh, goes on with the ids left."""
    pending = iter(ids)
    in_flight: list[tuple[str, float]] = []
    failures = FailureCount(options.max_failures)  # one count for the workers in turn
    worker = WorkerInfo(index=0, count=1, app=options.app)
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

        while True:
            try:
                with expect_timeout(options.timeout_ms):
                    work(options, worker, lambda: next(pending, None), emit, registry=registry,
                         failures=failures)
                return
            except ScenarioOverdue as overdue:
                arm(False)  # the teardown is over
                if not in_flight or interrupted_before(overdue):
                    raise  # not ours to report, or it rang in a Ctrl-C's teardown: stop
            (scenario_id, began), limit = in_flight.pop(), options.scenario_timeout
            assert limit is not None
            result = error_result(registry.get(scenario_id), overdue_message(limit), worker)
            failures.note(result)
            progress.finished(replace(result, seconds=time.monotonic() - began))


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


def part_to_run(selected: list[Scenario], reasons: Mapping[str, str | None], *,
                shard: Shard | None, last_failed_in: Path | None = None,
                ) -> tuple[list[Scenario], frozenset[str] | None]:
    """What a run takes of ``selected``, as the command lines show it: ``shard``'s part, then,
    with ``last_failed_in`` (an earlier run's ``results.json``), what failed there, saying on
    stderr how it narrowed (:func:`~scenarios.last_run.last_failed_selection`). Also the ids
    to narrow the run to (:attr:`RunOptions.last_failed`), or ``None``."""
    if shard is not None:
        selected = shard_of(shard, selected, reasons)
    if last_failed_in is None or not selected:
        return selected, None
    return last_failed_selection(selected, lambda item: item.id, last_failed_in,
                                 lambda text: print(f"scenarios: {text}", file=sys.stderr))


def _run(options: RunOptions, registry: Registry | None, out: TextIO | None) -> RunSummary:
    stream = out if out is not None else sys.stdout
    catalogue = registry if registry is not None else load_catalogue(options.catalogue)
    selected = catalogue.select(options.only)
    reasons = {item.id: catalogue.skip_reason(item, options.app) for item in selected}
    runs_anywhere = None in reasons.values()
    if options.shard is not None:
        selected = shard_of(options.shard, selected, reasons)
    if options.last_failed is not None:
        selected = [item for item in selected if item.id in options.last_failed]
    runnable = [item for item in selected if reasons[item.id] is None]
    workers = max(1, min(options.workers, len(runnable)))
    options = replace(options, workers=workers, report_dir=options.report_dir.resolve())
    if workers > 1:  # the last run's times, before its results are replaced
        durations = previous_durations(options.report_dir / "results.json")
        runnable = longest_first(runnable, durations, key=lambda item: item.id)
    ids = [item.id for item in selected]
    _reset_artifacts(options.report_dir, ids, workers)
    progress = Progress(out=stream, show_worker=workers > 1)
    started = time.monotonic()
    nowhere = WorkerInfo(index=-1, count=workers, app=options.app)

    def summary() -> RunSummary:
        results = started_in_another_worker(
            [progress.results.get(item.id) or skipped_result(item, NOT_RUN, nowhere)
             for item in selected])
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
                _run_in_process(options, catalogue, [item.id for item in runnable], progress)
            else:
                run_in_workers(options, runnable, progress)
    except KeyboardInterrupt as exc:
        raise RunInterrupted(replace(summary(), interrupted=True)) from exc
    finally:
        _record_artifacts(options.report_dir, ids, workers)
    return summary()
