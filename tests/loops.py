"""Running coroutines from a test whatever else runs in the test's thread.

The session's Playwright driver (``playwright_session`` in ``tests/conftest.py``) keeps its
event loop marked as running in the main thread for as long as it lives, so once a test of
the worker has used a browser, ``asyncio.run()`` there fails ("cannot be called from a running
event loop") and so does another loop's ``run_until_complete()``. These run the coroutine on a
thread of their own instead: :func:`run` on a fresh loop for each call, as ``asyncio.run``
does; :class:`LoopThread` on one loop that lives as long as a fixture does. A test that must
run a loop in the main thread itself does it inside :func:`main_thread_free`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["LoopThread", "main_thread_free", "run"]

T = TypeVar("T")


def run(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)``, on a thread of its own."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, work).result()


class LoopThread:
    """An event loop running on a thread of its own until :meth:`close`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def close(self) -> None:
        """Stop the loop, wait for its thread and close it."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@contextlib.contextmanager
def main_thread_free() -> Iterator[None]:
    """The main thread with no event loop marked as running, for a test that must run one
    there (a server's signal handlers only work in the main thread). The session's Playwright
    driver, if it runs, is set aside for the block: nothing in it may use Playwright."""
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)
