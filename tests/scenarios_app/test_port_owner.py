"""A command app's readiness probe answered by another process listening on the app's port (it
took the port after the harness planned it) is not the app being ready."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_apps import answering

from scenarios.app import process
from scenarios.app.port_owner import other_listener
from scenarios.app.process import AppStartError, start_command

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="read from Linux's /proc")

WAITS = "import sys; sys.stdin.read()"
LISTENS = ("import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
           "print(s.getsockname()[1], flush=True); sys.stdin.read()")


@contextlib.contextmanager
def _command(code: str) -> Iterator[subprocess.Popen[str]]:
    """A command run as the harness runs an app's (a session of its own), until the block
    ends."""
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, start_new_session=True) as process:
        try:
            yield process
        finally:
            process.communicate(timeout=10)


def test_a_listener_started_before_the_command_is_named() -> None:
    with answering() as port, _command(WAITS) as command:
        assert (other_listener(port, command.pid) or "").startswith(f"pid {os.getpid()} (")


def test_the_commands_own_listener_is_not_another() -> None:
    with _command(LISTENS) as command:
        assert command.stdout is not None
        port = int(command.stdout.readline())
        assert other_listener(port, command.pid) is None


def test_a_listener_started_after_the_command_is_taken_for_its_own() -> None:
    """As a server the command has daemonised (a session of its own), or a container's port
    forwarder, is."""
    with _command(WAITS) as command, _command(LISTENS) as later:
        assert later.stdout is not None
        assert other_listener(int(later.stdout.readline()), command.pid) is None


def test_a_port_nothing_listens_on_names_nobody() -> None:
    with _command(WAITS) as command:
        assert other_listener(1, command.pid) is None


def test_a_command_that_exits_while_another_process_answers_is_not_ready(
        tmp_path: Path) -> None:
    """The app's command still runs when the probe is first answered, by the server that took
    its port; it exits (as an app that cannot bind does) only once asked again."""
    arrived = tmp_path / "asked-again"
    asked: list[None] = []

    def seen() -> None:
        asked.append(None)
        if len(asked) == 2:
            arrived.touch()

    with answering(seen=seen) as port, pytest.raises(AppStartError) as caught:
        start_command(f"while [ ! -e '{arrived}' ]; do sleep 0.02; done; echo cannot bind; "
                      "exit 4", env={}, cwd=None, log=tmp_path / "o.log",
                      ready_url=f"http://127.0.0.1:{port}/", timeout=10, own_port=port)
    message = str(caught.value)
    assert (f"the app's command exited with code 4 while http://127.0.0.1:{port}/ was answered "
            f"by another process, pid {os.getpid()} (") in message, message
    assert f"listening on port {port}: the port was taken after the harness planned it" \
        in message
    assert "cannot bind" in message


def test_a_command_still_running_after_the_grace_is_taken_as_forwarded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As by a rootless Docker's port forwarder, a process older than the command."""
    monkeypatch.setattr(process, "FOREIGN_GRACE", 0.2)
    with answering() as port:
        started = start_command([sys.executable, "-c", "import signal; signal.pause()"],
                                env={}, cwd=None, log=tmp_path / "o.log",
                                ready_url=f"http://127.0.0.1:{port}/", timeout=10,
                                own_port=port)
    try:
        assert started.running()
    finally:
        started.stop()
