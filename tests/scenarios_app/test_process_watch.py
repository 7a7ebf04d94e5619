"""Watching a started command: its exit of its own is told at once, with its code or the signal
that ended it; the harness's own stop is not; the watching thread ends with the process."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scenarios.app.process import AppProcess, exit_description


def _started(tmp_path: Path, code: str) -> AppProcess:
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                               stdin=subprocess.DEVNULL)
    return AppProcess(process=process, log=tmp_path / "out.log")


def _watching(started: AppProcess) -> bool:
    return any(thread.name == f"app-{started.pid}-exit" for thread in threading.enumerate())


@pytest.fixture(params=["pidfd", "polled"])
def system(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Linux waits on a pidfd; a system without one has the process looked at."""
    if request.param == "polled":
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd on this system")
    return str(request.param)


def test_a_command_that_exits_of_itself_is_told_with_its_code(tmp_path: Path,
                                                               system: str) -> None:
    started = _started(tmp_path, "import sys, time; time.sleep(0.2); sys.exit(3)")
    told: queue.Queue[int] = queue.Queue()
    started.watch(told.put)
    started.watch(told.put)  # one watcher a process
    assert told.get(timeout=5) == 3
    assert started.exit_code() == 3, "Popen no longer knows the code"
    started.stop()
    assert told.empty() and not _watching(started)


def test_one_a_signal_ended_before_the_watch_is_told_too(tmp_path: Path, system: str) -> None:
    started = _started(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    started.process.wait()  # gone, and reaped, before anyone watches
    told: queue.Queue[int] = queue.Queue()
    started.watch(told.put)
    code = told.get(timeout=5)
    assert exit_description(code) == "was ended by signal 9 (SIGKILL)"
    started.stop()


def test_the_harness_stopping_it_is_not_news(tmp_path: Path, system: str) -> None:
    started = _started(tmp_path, "import time; time.sleep(60)")
    told: queue.Queue[int] = queue.Queue()
    started.watch(told.put)
    assert _watching(started)
    started.stop()
    assert not _watching(started), "the watching thread outlived the stop"
    assert told.empty()


@pytest.mark.parametrize(("code", "said"), [
    (0, "exited with code 0"), (3, "exited with code 3"),
    (-15, "was ended by signal 15 (SIGTERM)"), (-200, "was ended by signal 200")])
def test_how_a_command_ended_is_said(code: int, said: str) -> None:
    assert exit_description(code) == said
