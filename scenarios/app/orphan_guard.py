"""An app started as a command goes when the process that started it dies, even by SIGKILL.

The command runs in a session of its own (:mod:`scenarios.app.process`), out of reach of the
signals sent to the harness: when the harness is killed outright (pytest-xdist's controller
gives a worker 10 s after SIGTERM, then execnet SIGKILLs it; the OOM killer; ``kill -9``) no
``finally`` runs, and the app would keep running for good, its parent now init.

:class:`OrphanGuard` is a small ``/bin/sh`` beside the app, in a session of its own too, reading
a pipe whose other end only the starting process holds: the kernel closes that end when the
process dies, however it dies, and the guard then stops the app's process group as
:meth:`AppProcess.stop <scenarios.app.process.AppProcess.stop>` does (SIGTERM, SIGKILL after the
grace). A normal stop tells the guard ``stop`` first, and it leaves quietly. Linux's
``PR_SET_PDEATHSIG`` would not do: it fires when the *thread* that started the app ends (the
runner starts apps on threads that end before them), reaches only the command's own process,
not the servers it forked, and exists on Linux alone. The pipe belongs to the process, whichever
thread made it; it is not inherited by the commands the harness starts (Python's pipes are
close-on-exec), and a process forked from the harness (a worker of ``run``) closes its copy at
once, so only the starting process's death is watched. Starting the guard is one ``fork`` and
``exec`` of the shell, beside the app's start, not in its way.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import weakref

__all__ = ["GUARD_SCRIPT", "OrphanGuard"]

GUARD_SCRIPT = """\
read -r word
[ "$word" = stop ] && exit 0
kill -s TERM -- "-$1" 2>/dev/null || exit 0
tries=0
while [ "$tries" -lt "$2" ] && kill -s 0 -- "-$1" 2>/dev/null; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -s KILL -- "-$1" 2>/dev/null
exit 0
"""
"""The guard: ``$1`` the app's process group, ``$2`` the grace in tenths of a second. A line
``stop`` (the harness stopped the app) ends it; the end of its input (the harness died) stops
the group first."""

_LIVE: weakref.WeakSet[OrphanGuard] = weakref.WeakSet()
"""The guards this process holds the pipe of (a forked child closes its copies)."""


class OrphanGuard:
    """Stops the process group ``group`` once this process dies, unless :meth:`release`\\ d
    first."""

    def __init__(self, group: int, *, grace: float) -> None:
        read, self._write = os.pipe()
        try:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["/bin/sh", "-c", GUARD_SCRIPT, "orphan-guard", str(group),
                 str(max(1, round(grace * 10)))],
                stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:  # no shell: the app is stopped as before, by the harness alone
            os.close(self._write)
            self._write, self.process = -1, None
        finally:
            os.close(read)
        if self.process is not None:
            _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def release(self, timeout: float = 2.0) -> None:
        """The app has been stopped: the guard ends without signalling anything."""
        if self._write < 0:
            return
        _LIVE.discard(self)
        with contextlib.suppress(OSError):  # the guard is gone already (killed with the tree)
            os.write(self._write, b"stop\n")
        self._forget()
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)

    def _forget(self) -> None:
        if self._write >= 0:
            os.close(self._write)
            self._write = -1


def _forked_child_lets_go() -> None:
    """In a forked child: close the copies of the pipes, so the guards watch their starting
    process alone (the child neither stops nor releases an app it did not start)."""
    for guard in list(_LIVE):
        guard._forget()
        guard.process = None
    _LIVE.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forked_child_lets_go)
