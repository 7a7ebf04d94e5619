"""A scenario ends as soon as the app's process exits under it.

An app the harness starts as a command may exit while a scenario waits on one of its pages (a
navigation, an ``expect`` of up to the step timeout, a sign-in waiting for its callback): the
scenario would wait out that timeout, and only then say that the app had exited
(:func:`~scenarios.app_logs.exited_during`). While a scenario runs, :func:`ended_by_app_exit`
has its app's process watched (:meth:`~scenarios.app.process.AppProcess.watch`: a thread
blocked until the process exits, nothing polled), and the Playwright call the scenario waits in
raises :class:`AppExited` half a second later (:data:`SETTLE_SECONDS`: what the exit fails by
itself, a navigation the app was answering, fails first, as before). The harness's own
reading of a page for the report, as a step fails (its screenshot, what the page shows), is
not stopped (:func:`shielded`): the scenario's next call is.

Playwright's sync API is not thread-safe, so the watcher's thread touches none of it: it hands
a callback to the event loop of the scenario's Playwright (``call_soon_threadsafe``, the one
thread-safe door), and that loop runs it on the scenario's own thread, while a sync call waits
there. The callback throws :class:`AppExited` into the greenlet waiting in that call, as
Playwright throws the interrupt a signal handler raises while it waits: the call's task is
cancelled (the driver is told to abort it), and the loop, the page and the context stay
usable. The runner then reports the scenario as failed, the app's exit first; the next
scenario gets a fresh app and a fresh context, as after any failure. A scenario waiting
elsewhere (a loop of its own polling the provider, say) is not cut short: its next call into
Playwright is.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import greenlet  # type: ignore[import-untyped]  # Playwright's sync API runs on it

from scenarios.app.process import exit_description

if TYPE_CHECKING:
    import asyncio

    from playwright.sync_api import Page

__all__ = ["SETTLE_SECONDS", "AppExited", "WatchesAppExit", "ended_by_app_exit", "shielded"]

SETTLE_SECONDS = 0.5
"""How long after the app's exit the call the scenario waits in is stopped. A navigation the
app's process was answering fails by itself as the process ends, in milliseconds; stopped
half-way instead, its page would be between two documents, and the step's screenshot lost."""


class AppExited(BaseException):  # noqa: N818 -- an interrupt, as KeyboardInterrupt
    """Raised in a scenario, at the Playwright call it waits in, when the app's process has
    exited: a :class:`BaseException`, so that the scenario's own ``except Exception`` (a
    fallback that would then wait again) lets it through to the runner."""

    def __init__(self, code: int, before: BaseException | None = None) -> None:
        super().__init__(f"the app's process {exit_description(code)}")
        self.code = code
        self.before = before
        """The last failure the harness reported in the scenario before it was stopped (a step
        the app's exit failed, say)."""

    def seen(self) -> str:
        """What the scenario saw: where it waited when it was stopped (the last frame before
        Playwright's), and the failure it had met before, if any."""
        import playwright

        library = Path(playwright.__file__).parent
        frames = [frame for frame in traceback.extract_tb(self.__traceback__)
                  if not Path(frame.filename).is_relative_to(library)]
        where = ""
        if frames:
            last = frames[-1]
            where = f" at {Path(last.filename).name}:{last.lineno} (in {last.name})"
        seen = f"it was waiting on the browser{where}, and stopped there"
        if self.before is not None:
            said = "".join(traceback.format_exception_only(self.before)).strip()
            seen += f"; it had met {said}"
        return seen


@runtime_checkable
class WatchesAppExit(Protocol):
    """A scenario's environment that can tell when the app's process exits (a
    :class:`~scenarios.live.LiveStack` with an app started by its command)."""

    def watch_app_exit(self, exited: Callable[[int], None]) -> Callable[[], None]:
        """Have ``exited(code)`` called, from any thread, when the app's process exits of
        itself; returns what ends the watch."""
        ...


@dataclass
class _Watch:
    """A scenario's watch: the loop of its Playwright, the greenlet it runs in, and whether
    an exit is news yet."""

    loop: asyncio.AbstractEventLoop
    waiting: Any  # a greenlet (untyped)
    armed: bool = True
    shields: int = 0
    deferred: int | None = None
    """An exit met while :func:`shielded`, for the next call after it."""
    before: BaseException | None = None
    """The last failure the harness reported in the scenario (:func:`shielded`)."""

    def exited(self, code: int) -> None:
        """From any thread: the Playwright call waiting :data:`SETTLE_SECONDS` from now (or the
        next one) is to be stopped."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing waits there
            self.loop.call_soon_threadsafe(self.loop.call_later, SETTLE_SECONDS,
                                           self._interrupt, code)

    def _interrupt(self, code: int) -> None:  # on the scenario's thread, in Playwright's loop
        if not self.armed or self.waiting.dead or self.waiting is greenlet.getcurrent():
            return
        if self.shields:
            self.deferred = code
            return
        self.armed = False  # once
        # Thrown, the exception is not chained to the one the greenlet handles: named here.
        self.waiting.throw(AppExited(code, self.before))


_current = threading.local()
"""The watch of the scenario running on this thread, if any."""


@contextlib.contextmanager
def ended_by_app_exit(env: object, page: Page) -> Iterator[None]:
    """Within the block (a scenario's run, on the thread of ``page``'s Playwright), the
    Playwright call the block waits in :data:`SETTLE_SECONDS` after the process of ``env``'s
    app exits raises :class:`AppExited`, or its next call does when it was not waiting; once,
    and never after the block. Nothing is done for an ``env`` that cannot watch its app, or a
    Playwright whose internals are not the ones this relies on."""
    loop: asyncio.AbstractEventLoop | None = getattr(page, "_loop", None)  # the sync API's
    if not isinstance(env, WatchesAppExit) or loop is None:
        yield
        return
    watch = _Watch(loop, greenlet.getcurrent())
    outer, _current.watch = getattr(_current, "watch", None), watch
    unwatch = env.watch_app_exit(watch.exited)
    try:
        yield
    finally:
        watch.armed = False
        _current.watch = outer
        unwatch()


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Within the block, the harness reads a page for its report (a step's screenshot, taken
    as the step fails because the app has just exited): the app's exit does not stop that,
    but the scenario's next Playwright call after the block. The failure being reported, if
    any, is the one :class:`AppExited` names."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is None or watch.waiting is not greenlet.getcurrent():
        yield
        return
    failing = sys.exc_info()[1]  # what the harness reports, if anything
    if failing is not None and not isinstance(failing, AppExited):
        watch.before = failing
    watch.shields += 1
    try:
        yield
    finally:
        watch.shields -= 1
        if not watch.shields and watch.deferred is not None:
            code, watch.deferred = watch.deferred, None
            with contextlib.suppress(RuntimeError):
                watch.loop.call_soon_threadsafe(watch._interrupt, code)
