"""Work the app does after answering a request: tasks on its event loop, kept until done.

A webhook's answer must not wait on what the app does about it (a call back to the platform
that sent it), so that work runs as a task of :class:`BackgroundCalls`; the app waits for the
tasks under way when it shuts down, for a bounded time, and cancels what is left.

Work that must not run twice at once (:meth:`BackgroundCalls.once`: an admin's retry of the
calls to the platform) runs as such a task too, so a caller whose request is dropped does not
cancel it for another caller waiting on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundCalls:
    """The tasks under way. Each must handle its own failures: one that raises is only logged
    by the event loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._once: dict[Hashable, asyncio.Task[Any]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop the last task was started on (None before the first)."""
        self.joined = 0
        """How many :meth:`once` callers waited on a run already under way."""

    def start(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``work`` on the running loop, without waiting for it."""
        self.loop = asyncio.get_running_loop()
        task = self.loop.create_task(work)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)
        return task

    async def once(self, key: Hashable, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """``work()``'s result, running it unless a run for ``key`` is under way: then that
        run's result, and ``work`` is not called. The run is a task of its own, which a caller
        cancelled (its client went away) leaves running for the others."""
        task = self._once.get(key)
        if task is None:
            task = self.start(work())
            self._once[key] = task

            def forget(done: asyncio.Task[Any]) -> None:
                if self._once.get(key) is done:
                    del self._once[key]

            task.add_done_callback(forget)
        else:
            self.joined += 1
        result: T = await asyncio.shield(task)
        return result

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no task is under way (those started meanwhile
        included); cancel those still running then. Whether all had finished."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while self._tasks:
            left = until - loop.time()
            if left <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=left)
        left_over = set(self._tasks)
        for task in left_over:
            task.cancel()
        if left_over:
            await asyncio.gather(*left_over, return_exceptions=True)
        return not left_over
