"""Work the app does after answering a request: tasks on its event loop, kept until done.

A webhook's answer must not wait on what the app does about it (a call back to the platform
that sent it), so that work runs as a task of :class:`BackgroundCalls`; the app waits for the
tasks under way when it shuts down, for a bounded time, and cancels what is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundCalls:
    """The tasks under way. Each must handle its own failures: one that raises is only logged
    by the event loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop the last task was started on (None before the first)."""

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the running loop, without waiting for it."""
        self.loop = asyncio.get_running_loop()
        task = self.loop.create_task(work)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

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
