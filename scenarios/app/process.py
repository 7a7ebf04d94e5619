"""An app started as a command: its own process group, a readiness URL, a bounded stop.

Modelled on Playwright Test's ``webServer``: start ``command`` with the profile's environment,
poll the readiness URL until it answers (2xx, 3xx, 400-403), show the command's output when it
exits or times out first, and on stop signal the whole process group (SIGTERM, then SIGKILL),
so servers the command forked go too. The command runs in a session of its own, out of reach
of the terminal's Ctrl-C: :func:`interrupted_by` turns SIGTERM into the same interrupt, so the
harness stops it on the way out either way, and should the harness be killed outright, an
:class:`~scenarios.app.orphan_guard.OrphanGuard` stops it. :meth:`AppProcess.watch` tells
when the command exits of itself (a scenario waiting on the app then ends:
:mod:`scenarios.app_exit`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.app.interrupts import STOPPING, interrupted_by, stop_starting
from scenarios.app.port_owner import other_listener
from scenarios.terminal_codes import without_sequences

if TYPE_CHECKING:
    import ssl

    from scenarios.app.orphan_guard import OrphanGuard
    from scenarios.app.profile import AppProfile

__all__ = ["AppProcess", "AppRefusedSettings", "AppStartError", "answers", "exit_description",
           "interrupted_by", "probe", "start_command", "stop_starting", "with_output"]

READY_STATUSES = frozenset({*range(200, 400), 400, 401, 402, 403})
_NOT_YET = (502, 503, 504)  # what an app still starting, or a proxy before it, answers
STOP_GRACE_SECONDS = 5.0
OUTPUT_TAIL_LINES = 40
WATCH_SECONDS = 0.25
"""How often :meth:`AppProcess.watch` looks where the system cannot wait on a process of its
own (no ``pidfd_open``: not Linux)."""


def exit_description(code: int) -> str:
    """How a command with Popen's ``code`` ended: ``exited with code 3``, or for one a signal
    ended (a negative code), ``was ended by signal 9 (SIGKILL)``."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"was ended by signal {-code}"
    return f"was ended by signal {-code} ({name})"


OUTPUT_HEADING = "--- the app's output (last lines) ---"
"""The line before the app's output in a message (:func:`with_output`)."""


def with_output(message: str, output: str) -> str:
    """``message``, followed by the last :data:`OUTPUT_TAIL_LINES` lines of what the app
    printed (``output``) when it printed anything."""
    if not output.strip():
        return message
    tail = "\n".join(output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:])
    return f"{message}\n{OUTPUT_HEADING}\n{tail}"


class AppStartError(RuntimeError):
    """The app did not become ready; ``output`` is what its command printed (its last
    :data:`~scenarios.app_logs.APP_OUTPUT_LINES` lines), of which the message gives the last
    :data:`OUTPUT_TAIL_LINES`; ``still_starting``: its command still ran when its ``timeout``
    was up, its ready URL unanswered (an app slow to start, or not listening where probed)."""

    def __init__(self, message: str, output: str = "", *, still_starting: bool = False,
                 cause: str | None = None) -> None:
        self.message, self.output, self.still_starting = message, output, still_starting
        self.cause = cause
        super().__init__(with_output(message, output) + (f"\n{cause}" if cause else ""))

    def hinted(self, hint: str | None) -> AppStartError:
        """The same error with ``hint`` after its message (itself when there is none)."""
        return self if hint is None else AppStartError(
            f"{self.message}; {hint}", self.output, still_starting=self.still_starting,
            cause=self.cause)

    def masked(self, hide: Callable[[str], str]) -> AppStartError:
        """The same error with ``hide`` applied to its message and the app's output."""
        return AppStartError(hide(self.message), hide(self.output),
                             still_starting=self.still_starting, cause=self.cause)

    def explained(self, profile: AppProfile) -> AppStartError:
        """The same error with ``app check``'s hint on a known cause its output shows (an
        untrusted CA, the ``{tenantid}`` issuer: :func:`~scenarios.app.output_causes.known_cause`)
        on a line of its own after that output, so that a run's scenarios say it too."""
        from scenarios.app.output_causes import known_cause

        cause = known_cause(self.output, https=profile.provider.https, app_env=profile.app.env,
                            environ=os.environ)
        return self if cause is None else AppStartError(
            self.message, self.output, still_starting=self.still_starting, cause=cause)


class AppRefusedSettings(AppStartError):
    """The app did not start with settings a scenario gives it on purpose, where the others
    give it the profile's own (Entra's v1 endpoints in the ``entra-v1`` scenarios): that
    scenario's verdict, a failure, and no reason to stop trying the app for the others."""


SLOW_ANSWER = 10.0
"""The longest a readiness probe waits for the answer of an app that accepted its connection:
an app that takes seconds for every answer (3-8 s, on a loaded CI machine) is slow, not down,
and one probed with a 1 s limit would never be ready. The connection itself is still given
``timeout``, so an app not listening yet is asked again at once."""


def probe(url: str, *, timeout: float = 2.0, verify: ssl.SSLContext | bool = True,
          answer_within: float | None = None) -> int | str:
    """The status ``url`` answers with (redirects not followed), or why it could not; with
    ``answer_within``, a connection made in ``timeout`` waits that long for the answer."""
    # Imported here: the pytest plugin loads this module (for interrupted_by) in every session.
    import httpx

    from scenarios.ca_trust import public_trust

    trust = public_trust() if verify is True else verify
    try:
        limits = httpx.Timeout(timeout, read=answer_within or timeout)
        return httpx.get(url, timeout=limits, follow_redirects=False, verify=trust).status_code
    except httpx.ConnectError as exc:
        return f"cannot connect ({_reason(exc)})"
    except httpx.ConnectTimeout:
        return f"no connection within {timeout:g} s"
    except httpx.TimeoutException:
        return f"no answer within {answer_within or timeout:g} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def _reason(exc: Exception) -> str:
    text = str(exc)
    return "connection refused" if "refused" in text.lower() else text or type(exc).__name__


def answers(url: str, *, verify: ssl.SSLContext | bool = True,
            answer_within: float | None = None) -> bool:
    status = probe(url, timeout=1.0, verify=verify, answer_within=answer_within)
    return isinstance(status, int) and status in READY_STATUSES


@dataclass
class AppProcess:
    """A started command. :meth:`stop` ends its process group; :meth:`output` is its log."""

    process: subprocess.Popen[bytes]
    log: Path
    guard: OrphanGuard | None = None
    """What stops the command should the process that started it die without stopping it."""
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _watcher: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last ``lines`` lines the command printed (stdout and stderr), without a
        terminal's colours and cursor moves (Flask's and Werkzeug's coloured lines), as the
        report's logs keep them: a message or ``app check`` quotes the text."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(without_sequences(text).splitlines()[-lines:])

    def running(self) -> bool:
        return self.exit_code() is None

    def exit_code(self) -> int | None:
        """The command's exit code once it has exited, else ``None``."""
        return self.process.poll()

    def watch(self, exited: Callable[[int], None]) -> None:
        """Call ``exited(code)`` (Popen's code: minus the signal's number for one a signal
        ended) once the command exits of itself, not when :meth:`stop` ends it. A thread of its
        own waits for that: on Linux blocked on the process (a pidfd), at no cost while it
        runs; elsewhere it looks every :data:`WATCH_SECONDS`. The process is left for Popen to
        reap, so :meth:`exit_code` reads the code as before. One watcher a process: a second
        call changes nothing; :meth:`stop` ends it."""
        if self._watcher is not None or self._stopping.is_set():
            return
        pidfd: int | None = None
        if self.process.returncode is None:  # not reaped: its pid is still its own
            with contextlib.suppress(AttributeError, OSError):  # not Linux
                pidfd = os.pidfd_open(self.process.pid)
            if pidfd is not None and self.process.returncode is not None:
                os.close(pidfd)  # reaped as it was opened: Popen has the code
                pidfd = None
        self._watcher = threading.Thread(target=self._watch, args=(exited, pidfd),
                                         name=f"app-{self.process.pid}-exit", daemon=True)
        self._watcher.start()

    def _watch(self, exited: Callable[[int], None], pidfd: int | None) -> None:
        code: int | None = None
        if pidfd is not None:
            try:
                # WNOWAIT: the status is read, and the process left a zombie for Popen to reap.
                status = os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOWAIT)
            except OSError:  # Popen reaped it already (or no waitid on pidfds): Popen's code
                status = None
            finally:
                os.close(pidfd)
            if status is not None:
                killed = status.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
                code = -status.si_status if killed else status.si_status
        else:
            while (code := self.process.poll()) is None:
                if self._stopping.wait(WATCH_SECONDS):
                    return
        if code is None:
            code = self.process.wait()
        if not self._stopping.is_set():
            exited(code)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds."""
        self._stopping.set()  # its exit from here on is not news for :meth:`watch`
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            if self._wait_group(grace):
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        if self.guard is not None:
            self.guard.release()
        if self._watcher is not None:
            self._watcher.join(timeout=grace)

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
                  log: Path, ready_url: str, timeout: float, verify: ssl.SSLContext | bool = True,
                  own_port: int | None = None) -> AppProcess:
    """Start ``command`` and wait until ``ready_url`` answers while the command still runs
    (and, given the ``own_port`` the harness planned for it, is not answered by another
    process listening there: :func:`~scenarios.app.port_owner.other_listener`);
    raises :class:`AppStartError`. Whatever ends the wait early (Ctrl-C, a SIGTERM turned into
    an interrupt by :func:`interrupted_by`) stops the command's process group first: it runs
    in a session of its own, so no signal sent to the harness reaches it; its
    :class:`~scenarios.app.orphan_guard.OrphanGuard` stops it should this process die first."""
    from scenarios.app.orphan_guard import OrphanGuard  # not at the plugin's every start

    STOPPING.clear()  # an interrupt handled before (a test's, say) holds no later start
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
    started = AppProcess(process=process, log=log,
                         guard=OrphanGuard(process.pid, grace=STOP_GRACE_SECONDS))
    try:
        _await_ready(process, ready_url, timeout=timeout, verify=verify, own_port=own_port)
    except BaseException as exc:
        started.stop()
        if isinstance(exc, _NotReady):
            from scenarios.app_logs import APP_OUTPUT_LINES  # not at the plugin's every start

            raise AppStartError(str(exc), started.output(APP_OUTPUT_LINES),
                                still_starting=exc.still_starting) from None
        raise
    return started


class _NotReady(Exception):
    """Why a started command is not ready; :func:`start_command` adds its output."""

    def __init__(self, message: str, *, still_starting: bool = False) -> None:
        super().__init__(message)
        self.still_starting = still_starting


def _await_ready(process: subprocess.Popen[bytes], ready_url: str, *, timeout: float,
                 verify: ssl.SSLContext | bool, own_port: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.02
    other: str | None = None  # another process found answering on own_port, and since when
    other_since = 0.0
    while True:
        if STOPPING.is_set():
            raise _NotReady("the run was interrupted while the app started")
        code = process.poll()
        if code is not None:
            if other is not None:
                raise _NotReady(
                    f"the app's command {exit_description(code)} while {ready_url} was "
                    f"answered by another process, {other}, listening on port {own_port}: "
                    "the port was taken after the harness planned it")
            raise _NotReady(f"the app's command {exit_description(code)} before {ready_url} "
                            "answered")
        if answers(ready_url, verify=verify, answer_within=_answer_within(deadline)):
            if (code := process.poll()) is not None:
                if other is None:
                    raise _NotReady(
                        f"the app's command had exited with code {code} when {ready_url} "
                        "answered: what answers there is not the app it started (another "
                        "server on that port?)")
                continue  # the loop's start names the other process
            found = other_listener(own_port, process.pid) if own_port is not None else None
            if found is None:
                return
            if other is None:
                other, other_since = found, time.monotonic()
            if time.monotonic() >= min(other_since + FOREIGN_GRACE, deadline):
                return  # still running: the other process forwards the port to the app
        elif time.monotonic() >= deadline:
            last = probe(ready_url, timeout=1.0, verify=verify, answer_within=1.0)
            if last in _NOT_YET:  # RFC 9110 15.6.3-5: a temporary state, not a wrong URL
                raise _NotReady(f"the app was not ready within {timeout:g} s: {ready_url} "
                                f"still answered HTTP {last}", still_starting=True)
            if isinstance(last, int):  # it answers, but not as a ready app does
                raise _NotReady(f"the app was not ready within {timeout:g} s: {ready_url} "
                                f"answered HTTP {last} (ready is 2xx, 3xx or 400-403: is "
                                "[app] ready_url a page the app serves?)")
            raise _NotReady(f"the app did not answer {ready_url} within {timeout:g} s "
                            f"(last: {last})", still_starting=True)
        time.sleep(pause)  # polling a readiness URL, as Playwright's webServer does
        pause = min(pause * 2, 0.2)


FOREIGN_GRACE = 5.0
"""How long a command that still runs while its ready URL is answered by another process's
listener on its port (:func:`~scenarios.app.port_owner.other_listener`) is not taken as ready:
one that lost the port to that process exits in that time (a Django app, having loaded, with
"That port is already in use"); one still running after it is taken as served by that process
(a rootless Docker's port forwarder, started before the command, forwards the app's port)."""


def _answer_within(deadline: float) -> float:
    """How long a readiness probe waits for an answer: :data:`SLOW_ANSWER`, or what is left
    of the app's ``timeout`` (at least 1 s)."""
    return min(max(deadline - time.monotonic(), 1.0), SLOW_ANSWER)
