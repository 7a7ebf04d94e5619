"""An app started as a command does not outlive the process that started it, even one killed
with SIGKILL (a pytest-xdist worker execnet kills, say): its guard stops the app's whole process
group; a stopped app leaves no guard behind, and a process forked from the starter (a worker of
``run``) does not keep the app alive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.app.process import STOP_GRACE_SECONDS, start_command

SERVER = textwrap.dedent("""\
    import http.server, subprocess, sys
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    open(sys.argv[2], "w").write(str(child.pid))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """)

STARTER = textwrap.dedent("""\
    import os, sys, threading, time
    from pathlib import Path

    from scenarios.app.process import start_command

    work, port, fork = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "fork"
    started = []

    def start():
        started.append(start_command(
            [sys.executable, str(work / "server.py"), port, str(work / "child.pid")], env={},
            cwd=None, log=work / "app.log", ready_url=f"http://127.0.0.1:{port}/", timeout=20))

    # Started on a thread that ends before the app does, as the runner starts apps.
    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    app = started[0]
    forked = 0
    if fork:
        forked = os.fork()
        if forked == 0:
            time.sleep(120)
            os._exit(0)
    guard = getattr(app, "guard", None)
    print(app.pid, guard.pid if guard is not None else 0, forked, flush=True)
    time.sleep(120)
    """)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    """The ``pids`` still running after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    (tmp_path / "starter.py").write_text(STARTER, encoding="utf-8")
    yield tmp_path
    child = tmp_path / "child.pid"  # the app's own child, should a failed test leave it
    if child.exists() and _alive(pid := int(child.read_text())):
        os.kill(pid, signal.SIGKILL)


def _starter(work: Path, mode: str) -> tuple[subprocess.Popen[str], list[int]]:
    """The starter running, and the pids it printed: the app, its guard, a forked child (0:
    none)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    starter = subprocess.Popen([sys.executable, str(work / "starter.py"), str(work),
                                str(_free_port()), mode],
                               stdout=subprocess.PIPE, text=True, env=env)
    assert starter.stdout is not None
    line = starter.stdout.readline()
    assert line, f"the starter printed nothing (exit {starter.poll()})"
    return starter, [int(word) for word in line.split()]


@pytest.mark.parametrize("mode", ["alone", "fork"])
def test_an_app_goes_when_the_process_that_started_it_is_killed(work: Path, mode: str) -> None:
    starter, (app, guard, forked) = _starter(work, mode)
    child = int((work / "child.pid").read_text())
    try:
        assert _alive(app) and _alive(child)
        starter.kill()  # SIGKILL: no finally, no handler runs in the starter
        starter.wait(timeout=10)
        assert _gone_within([app, child], 5) == [], "the app outlived its starter"
        # The guard itself ends by the stop's grace at the latest (the dead app's processes
        # may wait as zombies for init to reap them, which it counts as still there).
        assert guard and _gone_within([guard], STOP_GRACE_SECONDS + 2) == []
    finally:
        for pid in (app, child, guard, forked):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if starter.poll() is None:
            starter.kill()
            starter.wait()
        assert starter.stdout is not None
        starter.stdout.close()


def test_a_stopped_app_leaves_no_guard(work: Path) -> None:
    port = _free_port()
    app = start_command([sys.executable, str(work / "server.py"), str(port),
                         str(work / "child.pid")], env={}, cwd=None, log=work / "app.log",
                        ready_url=f"http://127.0.0.1:{port}/", timeout=20)
    try:
        assert app.guard is not None and app.guard.pid is not None
        guard = app.guard.pid
        assert _alive(guard)
    finally:
        app.stop()
    assert app.guard.process is not None
    # Told to stop, it ends (stop waits 2 s for it; a loaded machine may take longer).
    assert app.guard.process.wait(timeout=20) == 0
    assert not _alive(guard)
