"""A run's worker processes: each a forked or spawned process (:func:`start_method`) that
loads the catalogue, launches its browser once, enters the catalogue's environment factory
once (its own live servers) and then takes scenario ids from a shared queue until none are
left. Results come back over a queue and are printed as they arrive (:class:`Progress`). A
worker whose scenario runs past ``--scenario-timeout`` is stopped and replaced; an interrupted
run stops them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TextIO

from scenarios.app.process import OUTPUT_HEADING, interrupted_by
from scenarios.app_down import AppDown
from scenarios.github import inert
from scenarios.max_failures import FailureCount
from scenarios.refusals import NOTE_STARTS
from scenarios.registry import Scenario, WorkerInfo
from scenarios.results import LABELS, ScenarioResult
from scenarios.worker import Event, RunOptions, error_result, work

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue, SimpleQueue

__all__ = [
    "INTERRUPT_GRACE_SECONDS",
    "STOP_GRACE_SECONDS",
    "Progress",
    "expect_timeout",
    "overdue_message",
    "run_in_workers",
    "start_method",
    "stop_worker",
    "worker_process",
]


_INTERRUPTED = 130
"""A worker's exit code once interrupted (128 + SIGINT, what a shell reports for Ctrl-C)."""
INTERRUPT_GRACE_SECONDS = 1.0
"""How long an interrupted run lets its workers stop on their own before it tells them to."""
STOP_GRACE_SECONDS = 15.0
"""How long a worker stopped for an overdue scenario has to tear its stacks down (an app is
given 5 s to stop on SIGTERM) before it is killed."""


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


def worker_process(
    options: RunOptions, worker: WorkerInfo, tasks: SimpleQueue[str | None],
    events: Queue[Event], app_down: AppDown, failures: FailureCount,
) -> None:
    """A worker process. Ctrl-C in the terminal reaches it, and the runner, interrupted or
    done waiting for a scenario, sends it SIGTERM: the first of the two stops it, tearing its
    stacks down, and it exits quietly."""
    try:
        with interrupted_by(signal.SIGTERM, signal.SIGINT), expect_timeout(options.timeout_ms):
            work(options, worker, tasks.get, events.put, app_down=app_down, failures=failures)
    except KeyboardInterrupt:
        sys.exit(_INTERRUPTED)


@dataclass
class Progress:
    out: TextIO
    show_worker: bool
    results: dict[str, ScenarioResult] = field(default_factory=dict)

    def finished(self, result: ScenarioResult) -> None:
        self.results[result.id] = result
        where = f"  [worker {result.worker}]" if self.show_worker and not result.skipped else ""
        timing = "" if result.skipped else f"  {result.seconds:.2f}s"
        if result.rerun is not None and result.rerun_seconds is not None:  # not in the time
            timing += f" (traced rerun {LABELS[result.rerun]} {result.rerun_seconds:.2f}s)"
        line = f"{LABELS[result.status]:<6}{result.id}{timing}{where}"
        print(line, file=self.out, flush=True)
        if result.message:
            for text in console_lines(result.message):
                print(f"      {inert(_shortened(text))}", file=self.out, flush=True)


SHOWN_LINE = 200
"""Characters of a message line shown as a scenario finishes (the report has them all)."""
SHOWN_LINES = 3
"""Lines of a message shown as a scenario finishes."""
SHOWN_OUTPUT_LINES = 3
"""Lines of the app's output shown then: its last ones."""


def console_lines(message: str) -> list[str]:
    """The first :data:`SHOWN_LINES` non-blank lines of ``message``, with the provider's
    refusal (:func:`~scenarios.refusals.with_refusal` puts it at the end of the first line, for
    reports and CI annotations; ``failure.idp-slow`` its hold) on a line of its own: cut with
    a long first line, the cause
    would show only in the report; after the app's output's heading, the output's last
    :data:`SHOWN_OUTPUT_LINES` lines."""
    lines = [t for t in message.splitlines() if t.strip()]
    note_start = next((s for s in NOTE_STARTS if lines and s in lines[0]), None)
    if note_start is not None:
        first, _, note = lines[0].partition(note_start)
        lines[:1] = [first, note_start.removeprefix("; ") + note]
    shown = lines[:SHOWN_LINES]
    if OUTPUT_HEADING in shown:
        # What the app printed last says why it stopped (a port in use, its own traceback's
        # last line): its last lines, not its first.
        start = shown.index(OUTPUT_HEADING) + 1
        output = lines[start:]
        end = next((i for i, t in enumerate(output) if t.startswith("--- ")), len(output))
        shown = shown[:start] + output[:end][-SHOWN_OUTPUT_LINES:]
    return shown


def _shortened(text: str) -> str:
    """``text`` up to :data:`SHOWN_LINE` characters, cut at a word and marked ``…`` when longer
    (a cut inside ``{issuer}`` reads as a broken template)."""
    if len(text) <= SHOWN_LINE:
        return text
    cut = text[:SHOWN_LINE - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > SHOWN_LINE // 2 else cut).rstrip(" ,;(") + "…"


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


def run_in_workers(options: RunOptions, selected: Sequence[Scenario], progress: Progress) -> None:
    mp = (multiprocessing.get_context("fork") if start_method() == "fork"
          else multiprocessing.get_context("spawn"))
    # A SimpleQueue writes in the caller's thread: with no feeder thread in this process, a
    # worker that replaces a stopped one can be forked as safely as the first ones.
    tasks: SimpleQueue[str | None] = mp.SimpleQueue()
    events: Queue[Event] = mp.Queue()
    app_down = AppDown.shared(mp)
    # Each worker counts its own failures before it takes the next scenario; this process
    # counts the ones it reports itself (a scenario overdue, a worker lost).
    failures = FailureCount.shared(options.max_failures, mp)

    def start(index: int) -> BaseProcess:
        worker = WorkerInfo(index=index, count=options.workers, app=options.app)
        process = mp.Process(target=worker_process, name=f"scenarios-worker-{index}",
                             args=(options, worker, tasks, events, app_down, failures))
        process.start()
        return process

    processes = [start(i) for i in range(options.workers)]
    # The queue is kept a few ids ahead of the workers, topped up as each takes one: a put
    # that found the pipe full (64 KiB, a thousand ids or so) would wait for workers that may
    # be gone. A None per worker ends the queue.
    pending: Iterator[str | None] = iter([*(item.id for item in selected),
                                          *([None] * options.workers)])

    def feed(count: int) -> None:
        for task in itertools.islice(pending, count):
            tasks.put(task)

    feed(2 * options.workers)
    by_id = {item.id: item for item in selected}
    in_flight: dict[int, tuple[str, float]] = {}

    def handle(event: Event) -> None:
        kind, index, payload = event
        if kind == "started":
            assert isinstance(payload, str)
            in_flight[index] = (payload, time.monotonic())
            feed(1)
        else:
            assert isinstance(payload, ScenarioResult)
            in_flight.pop(index, None)
            progress.finished(payload)

    def report_error(result: ScenarioResult) -> None:
        """A result this process makes (no worker sent it): counted, as a worker counts its
        own, and reported."""
        failures.note(result)
        progress.finished(result)

    def stop_overdue() -> None:
        """A worker whose scenario has run past ``options.scenario_timeout`` is stopped; the
        scenario fails, and a new worker takes the old one's place in the queue."""
        limit = options.scenario_timeout
        for index, (scenario_id, began) in list(in_flight.items()):
            if limit is None or time.monotonic() - began <= limit:
                continue
            stop_worker(processes[index], lambda: _drain(events, handle))
            worker = WorkerInfo(index=index, count=options.workers)
            if scenario_id not in progress.results:  # it did not finish as it was stopped
                result = error_result(by_id[scenario_id], overdue_message(limit), worker)
                report_error(replace(result, seconds=time.monotonic() - began))
            # It may have finished just then, and begun the next one as it was stopped.
            lost = in_flight.pop(index, (scenario_id, began))[0]
            if lost not in progress.results:
                message = (f"worker {index} was stopped as this scenario began: "
                           f"{scenario_id} had not finished within {limit:g} s")
                report_error(error_result(by_id[lost], message, worker))
            running = {taken for taken, _ in in_flight.values()}
            if any(item.id not in progress.results and item.id not in running
                   for item in selected):  # scenarios wait in the queue: a worker for them
                processes[index] = start(index)  # it takes the None the stopped one never took

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
                    report_error(error_result(by_id[lost], message, worker))
            if not any(p.is_alive() for p in processes):
                for item in selected:
                    if item.id not in progress.results:
                        worker = WorkerInfo(index=-1, count=options.workers)
                        report_error(error_result(item, "no worker left to run it", worker))
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


def overdue_message(limit: float) -> str:
    """The message of a scenario that did not finish within ``limit`` seconds."""
    return (f"the scenario did not finish within {limit:g} s (--scenario-timeout): its worker "
            "was stopped and a new one went on with the run")


def stop_worker(process: BaseProcess, drain: Callable[[], None],
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
                       grace: float | None = None) -> None:
    """The run was interrupted: each worker is to stop, tearing its stacks down. Ctrl-C has
    reached them already (a terminal signals its whole foreground process group); those still
    running after ``grace`` seconds are sent SIGTERM, which one stopping already ignores. Sent
    on the heels of the Ctrl-C, it could leave a worker asleep: with two signals at once,
    CPython may take them on another of its threads and not wake the main one from a
    blocking call (``time.sleep``), so the interrupt would wait for that call to end. What
    they send meanwhile is passed to ``drain``. ``grace`` defaults to
    :data:`INTERRUPT_GRACE_SECONDS` as it is when called (a test's run sets it longer)."""
    deadline = time.monotonic() + (INTERRUPT_GRACE_SECONDS if grace is None else grace)
    for process in processes:
        _join(process, max(0.0, deadline - time.monotonic()), drain)
    for process in processes:
        if process.is_alive():
            process.terminate()
