"""``--scenario-timeout``: a scenario that hangs in a worker process fails once its time is up,
its worker is stopped (killed, if it ignores the signal) and a new worker goes on with the
run, so a hang costs one scenario, not the CI job."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from scenarios.__main__ import build_parser
from scenarios.options import DEFAULT_SCENARIO_TIMEOUT, scenario_limit
from scenarios.runner import NOT_RUN, ScenarioOverdue, _overdue_alarm, interrupted_before
from scenarios.worker_pool import STOP_GRACE_SECONDS, overdue_message, stop_worker

from .deaf_worker import ignore_sigterm

ROOT = Path(__file__).resolve().parents[2]

CATALOGUE = textwrap.dedent("""\
    import contextlib, os, time
    from pathlib import Path
    from scenarios import Registry

    registry = Registry()

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker):  # one file per worker started
        (Path(os.environ["HUNG_DIR"]).parent / f"worker-{os.getpid()}").write_text("")
        yield None

    def hang(ctx):
        with ctx.step("wait for an answer that never comes"):
            (Path(os.environ["HUNG_DIR"]) / str(os.getpid())).write_text(ctx.scenario.id)
            time.sleep(600)

    def quick(ctx):
        with ctx.step("pass at once"):
            pass

    for name in ("a.hangs", "b.hangs"):
        registry.scenario(id=name, title="hangs", proves="nothing")(hang)
    for name in ("c.quick", "d.quick"):
        registry.scenario(id=name, title="passes", proves="nothing")(quick)
    """)


def _with_teardown(teardown: str, first: str) -> str:
    """A catalogue of ``first`` (a scenario's body) then a scenario that passes, whose worker
    environment ends with ``teardown`` (indented code)."""
    return textwrap.dedent("""\
        import contextlib, os, signal, time
        from pathlib import Path
        from scenarios import Registry

        registry = Registry()
        FIRST = Path(os.environ["HUNG_DIR"]).parent / "first-teardown"

        @registry.environment_factory
        @contextlib.contextmanager
        def environment(worker):
            try:
                yield None
            finally:
        {teardown}

        def first(ctx):
        {first}

        def quick(ctx):
            pass

        registry.scenario(id="a.hangs", title="first", proves="nothing")(first)
        registry.scenario(id="c.quick", title="passes", proves="nothing")(quick)
        """).format(teardown=textwrap.indent(textwrap.dedent(teardown), " " * 8),
                    first=textwrap.indent(textwrap.dedent(first), " " * 4))


DEAF_TEARDOWN = _with_teardown("""\
    if not FIRST.exists():  # the first teardown never ends
        FIRST.write_text("")
        time.sleep(600)
    """, "time.sleep(600)")


QUICK_FITS = 5.0
"""A limit a scenario that passes at once keeps to on a loaded host: its time includes the
opening of its browser context and page, the first in a browser just launched, which took
2.0 s on a 2-core host with both cores busy (past the 1.5 s these runs once had)."""
WAITED_OUT = 300
"""The seconds after which a run is taken to have waited for a hang (600 s) to end: far
beyond what a loaded host takes to start and stop a few workers, far short of the hang."""


def _run_hanging(tmp_path: Path, *options: str, catalogue: str = CATALOGUE,
                 limit: float = QUICK_FITS
                 ) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]], Path]:
    """``python -m scenarios run`` of ``catalogue`` with a ``limit`` in seconds: what it
    printed, its results by id and the directory where each scenario that hung left a file
    named by its process id. A run that waits out a hang fails (``subprocess.TimeoutExpired``)."""
    hung = tmp_path / "hung"
    hung.mkdir(parents=True)
    (tmp_path / "hanging_catalogue.py").write_text(catalogue, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "HUNG_DIR": str(hung)}
    report = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "run", "--catalogue", "hanging_catalogue:registry",
         "--scenario-timeout", str(limit), "--trace", "off", "--report", str(report),
         *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=WAITED_OUT, check=False)
    results = {r["id"]: r for r in json.loads(
        (report / "results.json").read_text(encoding="utf-8"))["results"]}
    return done, results, hung


@pytest.mark.slow
@pytest.mark.browser
def test_a_hanging_scenario_fails_and_a_new_worker_runs_the_rest(tmp_path: Path) -> None:
    """Two workers, each taking a scenario that hangs: both fail after the limit, and the two
    workers started in their place run the two scenarios left, which pass. The limit leaves
    a loaded machine time to open each scenario's page, so that both reach the step that hangs
    (and name their worker), rather than running out before it."""
    limit = QUICK_FITS
    done, results, hung = _run_hanging(tmp_path, "--workers", "2", limit=limit)
    assert done.returncode == 1, done.stdout + done.stderr
    for name in ("a.hangs", "b.hangs"):
        assert results[name]["status"] == "error", results[name]
        assert results[name]["message"] == overdue_message(limit)
        assert limit <= results[name]["seconds"] < 30
    for name in ("c.quick", "d.quick"):
        assert results[name]["status"] == "passed", results[name]
    assert len(list(tmp_path.glob("worker-*"))) == 4, "two workers, and two in their place"
    hung_in = {int(path.name) for path in hung.iterdir()}
    assert len(hung_in) == 2, "each worker took one of the scenarios that hang"
    ran_in = {results[name]["pid"] for name in ("c.quick", "d.quick")}
    assert None not in ran_in and not ran_in & hung_in, "the rest ran in new workers"
    assert f"did not finish within {limit:g} s" in done.stdout


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_no_worker_is_started_in_place_of_one_when_nothing_waits(tmp_path: Path) -> None:
    """One worker hangs while the other runs the last scenario: once the first is stopped no
    scenario waits in the queue, and no new worker is started for none."""
    done, results, _ = _run_hanging(tmp_path, "--workers", "2", "--only", "a.hangs,c.quick")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (results["a.hangs"]["status"], results["c.quick"]["status"]) == ("error", "passed")
    assert len(list(tmp_path.glob("worker-*"))) == 2


FINISHED_AS_STOPPED = textwrap.dedent("""\
    import contextlib, os, signal, time
    from pathlib import Path
    from scenarios import Registry

    registry = Registry()

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker):
        (Path(os.environ["HUNG_DIR"]).parent / f"worker-{os.getpid()}").write_text("")
        if worker.index == 1:  # takes no scenario before the other has taken both
            began, waited = Path(os.environ["HUNG_DIR"]).parent / "next-began", 0.0
            while not began.exists() and waited < 30:
                time.sleep(0.05)
                waited += 0.05
        yield None

    HELD = []  # the runner's stop, held back until the next scenario has begun
    STOP = []

    def slow(ctx):
        with ctx.step("finish past the limit, the stop held back"):
            STOP.append(signal.signal(signal.SIGTERM, lambda *_: HELD.append(True)))
            time.sleep(4)

    def next_one(ctx):
        (Path(os.environ["HUNG_DIR"]).parent / "next-began").write_text("")
        with ctx.step("begin as the stop arrives"):
            signal.signal(signal.SIGTERM, STOP[0])
            if HELD:
                os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(60)

    registry.scenario(id="a.slow", title="slow", proves="nothing")(slow)
    registry.scenario(id="b.next", title="next", proves="nothing")(next_one)
    """)


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_a_worker_stopped_as_it_began_its_next_scenario_reports_that_one_too(
        tmp_path: Path) -> None:
    """The overdue scenario finishes while its worker is being stopped, and the worker begins
    the next one before the stop reaches it: the first keeps its result, and the second is
    an error naming the overdue one, not a scenario never reported."""
    done, results, _ = _run_hanging(tmp_path, "--workers", "2", catalogue=FINISHED_AS_STOPPED,
                                    limit=1.5)  # a.slow takes 4 s: past it
    assert done.returncode == 1, done.stdout + done.stderr
    assert results["a.slow"]["status"] == "passed", results["a.slow"]
    assert results["b.next"]["status"] == "error", results["b.next"]
    assert results["b.next"]["message"] == (
        "worker 0 was stopped as this scenario began: a.slow had not finished within 1.5 s")
    assert len(list(tmp_path.glob("worker-*"))) == 2, "nothing waits: no worker in its place"


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_one_worker_in_the_runners_process_goes_on_afresh(tmp_path: Path) -> None:
    """With one worker, the scenarios run in the runner's own process: the scenario that hangs
    fails, the worker is torn down as Ctrl-C would, and one set up afresh in the same process
    runs the rest; with -x, the failure counts and the rest are skipped."""
    done, results, hung = _run_hanging(tmp_path, "--workers", "1", "--only", "a.hangs,c.quick")
    assert done.returncode == 1, done.stdout + done.stderr
    assert results["a.hangs"]["status"] == "error"
    assert results["a.hangs"]["message"] == overdue_message(QUICK_FITS)
    assert [path.name for path in hung.iterdir()] == [str(results["a.hangs"]["pid"])]
    assert results["c.quick"]["status"] == "passed"
    assert results["c.quick"]["pid"] == results["a.hangs"]["pid"], "in the runner's process"
    assert "interrupted" not in done.stderr

    done, results, _ = _run_hanging(tmp_path / "x", "--workers", "1", "-x",
                                    "--only", "a.hangs,c.quick")
    assert done.returncode == 1, done.stdout + done.stderr
    assert results["a.hangs"]["status"] == "error"
    assert (results["c.quick"]["status"], results["c.quick"]["message"]) == (
        "skipped", "not run: 1 scenario had failed (--max-failures 1)")


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_with_one_worker_a_teardown_that_hangs_too_is_cut_short(tmp_path: Path) -> None:
    """After the limit the worker is torn down; a teardown that does not end either is cut
    short once as long again has passed, and a worker set up afresh runs the rest."""
    # _run_hanging fails a run that waits out the 600 s teardown
    done, results, _ = _run_hanging(tmp_path, "--workers", "1", catalogue=DEAF_TEARDOWN)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (tmp_path / "first-teardown").exists()
    assert (results["a.hangs"]["status"], results["c.quick"]["status"]) == ("error", "passed")


CTRL_C_THEN_SLOW_TEARDOWN = _with_teardown(
    "time.sleep(30)  # slower than the limit: the alarm rings in this teardown",
    """\
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
    time.sleep(60)
    """)


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_an_alarm_in_a_ctrl_c_teardown_does_not_undo_the_interrupt(tmp_path: Path) -> None:
    """Ctrl-C, then the limit rings while the worker is torn down: the run ends interrupted
    (130), the scenario left not run, and no worker is set up afresh. The limit leaves room
    for the scenario's start on a busy machine: the Ctrl-C must come first."""
    done, results, _ = _run_hanging(tmp_path, "--workers", "1",
                                    catalogue=CTRL_C_THEN_SLOW_TEARDOWN)
    assert done.returncode == 130, done.stdout + done.stderr
    assert "interrupted" in done.stderr
    assert (results["c.quick"]["status"], results["c.quick"]["message"]) == (
        "skipped", NOT_RUN)


def _raised(exc: BaseException, during: BaseException | None) -> BaseException:
    try:
        try:
            if during is not None:
                raise during
        finally:
            raise exc
    except BaseException as caught:  # noqa: BLE001 -- the exception as it was raised
        return caught


def _theirs(_signum: int, _frame: object) -> None:
    """Someone else's SIGALRM handler (pytest-timeout's signal method, say)."""


def test_the_limit_in_the_runners_process_leaves_someone_elses_alarm_alone(
        capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.signal(signal.SIGALRM, _theirs)
    try:
        signal.setitimer(signal.ITIMER_REAL, 600)
        with _overdue_alarm(30) as arm:
            arm(True)
            assert signal.getsignal(signal.SIGALRM) is _theirs
            assert 570 < signal.getitimer(signal.ITIMER_REAL)[0] <= 600
            arm(False)
            assert signal.getitimer(signal.ITIMER_REAL)[0] > 570  # their timer still runs
        assert signal.getsignal(signal.SIGALRM) is _theirs
        assert "SIGALRM is in use" in capsys.readouterr().err
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_the_limit_in_the_runners_process_takes_a_free_alarm_and_gives_it_back() -> None:
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
    with _overdue_alarm(30) as arm:
        arm(True)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
        arm(False)
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)


def test_an_alarm_during_a_ctrl_c_leaves_the_interrupt_standing() -> None:
    """The limit rang while a Ctrl-C tore the worker down: the run stops as interrupted, and
    no worker is set up afresh; an alarm of its own (or during another error) goes on."""
    assert interrupted_before(_raised(ScenarioOverdue(), KeyboardInterrupt()))
    assert not interrupted_before(_raised(ScenarioOverdue(), None))
    assert not interrupted_before(_raised(ScenarioOverdue(), ValueError()))
    twice = _raised(ScenarioOverdue(), ScenarioOverdue())
    assert not interrupted_before(twice)


def test_a_worker_that_ignores_the_stop_is_killed() -> None:
    spawn = multiprocessing.get_context("spawn")
    deaf = spawn.Event()
    process = spawn.Process(target=ignore_sigterm, args=(deaf,))
    process.start()
    try:
        assert deaf.wait(60), "the process never started"
        started = time.monotonic()
        stop_worker(process, drain=lambda: None, grace=0.5)
        assert process.exitcode == -signal.SIGKILL
        assert time.monotonic() - started < STOP_GRACE_SECONDS, "the grace given, not the default"
    finally:
        if process.is_alive():
            process.kill()
            process.join()


@pytest.mark.parametrize(("given", "limit"), [
    ([], DEFAULT_SCENARIO_TIMEOUT), (["--timeout", "5"], DEFAULT_SCENARIO_TIMEOUT),
    (["--timeout", "60"], 1800), (["--scenario-timeout", "0"], None),
    (["--scenario-timeout", "2.5", "--timeout", "60"], 2.5)])
def test_the_limit_follows_the_action_timeout_unless_given(given: list[str],
                                                           limit: float | None) -> None:
    """By default 30 times --timeout, at least 300 s; 0 turns it off."""
    args = build_parser().parse_args(["run", *given])
    assert scenario_limit(args.scenario_timeout, args.timeout) == limit


@pytest.mark.parametrize("bad", ["-1", "nan", "inf", "86401", "soon", ""])
def test_a_bad_limit_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", "--scenario-timeout", bad])
    assert exited.value.code == 2
    assert "--scenario-timeout" in capsys.readouterr().err


DYING = textwrap.dedent("""\
    import contextlib, os
    from scenarios import Registry

    registry = Registry()

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker):
        os._exit(3)  # a worker that dies as it starts
        yield None

    def never(ctx):
        raise AssertionError("no worker should run this")

    for n in range(3000):  # more ids than a pipe holds at once
        registry.scenario(id=f"s.{n:04}", title="never runs", proves="nothing")(never)
    """)


@pytest.mark.slow  # waits out limits and teardowns: make test-slow (and CI)
@pytest.mark.browser
def test_workers_that_die_as_they_start_do_not_leave_the_run_waiting(tmp_path: Path) -> None:
    """The runner keeps the queue only a few ids ahead of the workers: three thousand ids put
    at once would fill the pipe, and the runner would wait there for workers that are gone."""
    (tmp_path / "dying_catalogue.py").write_text(DYING, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "run", "--catalogue", "dying_catalogue:registry",
         "--workers", "2", "--trace", "off", "--report", str(tmp_path / "report")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "0 passed, 3000 failed" in done.stdout
    assert "no worker left to run it" in done.stdout
