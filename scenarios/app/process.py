"""An app started as a command: its own process group, a readiness URL, a bounded stop.

Modelled on Playwright Test's ``webServer``: start ``command`` with the profile's environment,
poll the readiness URL until it answers (2xx, 3xx, 400-403), show the command's output when it
exits or times out first, and on stop signal the whole process group (SIGTERM, then SIGKILL),
so servers the command forked go too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["AppProcess", "AppStartError", "answers", "probe", "start_command"]

READY_STATUSES = frozenset({*range(200, 400), 400, 401, 402, 403})
STOP_GRACE_SECONDS = 5.0
OUTPUT_TAIL_LINES = 40


class AppStartError(RuntimeError):
    """The app did not become ready; ``output`` is the tail of what its command printed."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        text = message
        if output.strip():
            text += "\n--- the app's output (last lines) ---\n" + output.rstrip()
        super().__init__(text)


def probe(url: str, *, timeout: float = 2.0, verify: bool | str = True) -> int | str:
    """The status ``url`` answers with (redirects not followed), or why it could not."""
    try:
        return httpx.get(url, timeout=timeout, follow_redirects=False, verify=verify).status_code
    except httpx.ConnectError as exc:
        return f"cannot connect ({_reason(exc)})"
    except httpx.TimeoutException:
        return f"no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def _reason(exc: Exception) -> str:
    text = str(exc)
    return "connection refused" if "refused" in text.lower() else text or type(exc).__name__


def answers(url: str, *, verify: bool | str = True) -> bool:
    status = probe(url, timeout=1.0, verify=verify)
    return isinstance(status, int) and status in READY_STATUSES


@dataclass
class AppProcess:
    """A started command. :meth:`stop` ends its process group; :meth:`output` is its log."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last ``lines`` lines the command printed (stdout and stderr)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            if self._wait_group(grace):
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)

    def _wait_group(self, seconds: float) -> bool:
        """Wait until the command and every process of its group are gone."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.process.poll()  # reap the leader, or the group never looks empty
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.02)
        return False


def start_command(command: str | Sequence[str], *, env: Mapping[str, str], cwd: Path | None,
                  log: Path, ready_url: str, timeout: float, verify: bool | str = True
                  ) -> AppProcess:
    """Start ``command`` and wait until ``ready_url`` answers while the command still runs;
    raises :class:`AppStartError`."""
    args = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        try:
            process = subprocess.Popen(
                args, cwd=cwd, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            raise AppStartError(f"cannot start the app's command {args[0]!r}: "
                                f"{exc.strerror or exc}") from None
    started = AppProcess(process=process, log=log)
    deadline = time.monotonic() + timeout
    pause = 0.02
    while True:
        code = process.poll()
        if code is not None:
            started.stop()
            raise AppStartError(f"the app's command exited with code {code} before "
                                f"{ready_url} answered", started.output())
        if answers(ready_url, verify=verify):
            if (code := process.poll()) is not None:
                started.stop()
                raise AppStartError(
                    f"the app's command had exited with code {code} when {ready_url} "
                    "answered: what answers there is not the app it started (another server "
                    "on that port?)", started.output())
            return started
        if time.monotonic() >= deadline:
            last = probe(ready_url, timeout=1.0, verify=verify)
            started.stop()
            raise AppStartError(f"the app did not answer {ready_url} within {timeout:g} s "
                                f"(last: {last})", started.output())
        time.sleep(pause)  # polling a readiness URL, as Playwright's webServer does
        pause = min(pause * 2, 0.2)
