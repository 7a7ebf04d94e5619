"""The run's interrupts as the apps the harness starts see them.

:func:`interrupted_by` turns SIGTERM into the interrupt Ctrl-C raises, so the apps, servers and
browsers a block started are stopped on the way out; :func:`stop_starting` (called by that
interrupt) makes an app still waiting to become ready give up at once. Re-exported by
:mod:`scenarios.app.process`, whose start of a command watches :data:`STOPPING`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["STOPPING", "interrupted_by", "stop_starting"]

STOPPING = threading.Event()
"""Set when the run is interrupted: an app still starting (on a thread beside the worker's)
gives up at once instead of waiting out its ``timeout``; the next start clears it."""


def stop_starting() -> None:
    """Make every app still waiting to become ready give up (and be stopped) now."""
    STOPPING.set()



class _Interrupt:
    """A signal handler raising :class:`KeyboardInterrupt` in the main thread, once: the
    signals that follow (a second SIGTERM, a runner's SIGTERM after the terminal's Ctrl-C) are
    ignored, so that the teardown the first one started runs to its end."""

    def __init__(self) -> None:
        self.fired = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True  # pytest names where the main thread was, as for Ctrl-C
        if not self.fired:
            self.fired = True
            stop_starting()
            raise KeyboardInterrupt


def _replaceable(handler: object) -> bool:
    return handler in (signal.SIG_DFL, signal.default_int_handler) or isinstance(handler,
                                                                                  _Interrupt)


@contextlib.contextmanager
def interrupted_by(*signals: signal.Signals, join_outer: bool = False) -> Iterator[None]:
    """While the block runs, the first of ``signals`` (default: SIGTERM) raises
    :class:`KeyboardInterrupt` in the main thread as Ctrl-C does, so the apps, servers and
    browsers the block started are stopped on the way out; the default action would end the
    process at once and leave each app started by a command running. A signal with a handler
    of someone else's (or ignored) keeps it; off the main thread this does nothing. With
    ``join_outer``, a block inside another such block takes that one's handler: once it has
    fired, the signals that follow are ignored until the outer block ends (``run`` inside the
    command line, which then writes the interrupted run's reports)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    current = {sig: signal.getsignal(sig) for sig in signals or (signal.SIGTERM,)}
    outer = [before for before in current.values() if isinstance(before, _Interrupt)]
    handler = outer[0] if outer and join_outer else _Interrupt()
    previous = {sig: signal.signal(sig, handler)
                for sig, before in current.items() if _replaceable(before)}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
