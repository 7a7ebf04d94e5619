"""This thread's Playwright driver, shared by everything that asks for one while it runs.

Playwright's sync API runs one driver (a Node.js process) per thread: a second
``sync_playwright()`` while one is open fails with "using Playwright Sync API inside the
asyncio loop". Starting one costs about 0.4 s of Node's CPU, loading Playwright's scripts. So
the runner, the conformance command, ``launched`` and the pytest plugin ask here instead: the
first block in a thread starts the driver and stops it when it ends, and any block opened
inside it is handed the same driver. A test module that runs the scenarios in-process many
times holds one block open around its tests and pays for one start.

While it runs, the driver's event loop stays marked as the thread's running loop (Playwright
pumps it inside a greenlet that is switched out, not ended), so ``asyncio.run()`` and
pytest-asyncio's tests fail in that thread with "cannot be called from a running event loop"
(microsoft/playwright-pytest #167, #240). :func:`driver_loop_set_aside` unmarks it for a block
that does not touch Playwright.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

__all__ = ["adopted", "driver_loop_set_aside", "playwright_driver"]


class _Running(threading.local):
    playwright: Playwright | None = None
    loop: asyncio.AbstractEventLoop | None = None


_running = _Running()


@contextlib.contextmanager
def playwright_driver(*, loop_may_be_set_aside: bool = False) -> Iterator[Playwright]:
    """The driver running in this thread, or one started for the block. A driver started with
    ``loop_may_be_set_aside`` may have its loop unmarked by :func:`driver_loop_set_aside`;
    a block opened inside that one marks it again for its own time."""
    current = _running.playwright
    if current is not None:
        with _driver_loop_marked():
            yield current
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        _running.playwright = playwright
        _running.loop = asyncio._get_running_loop() if loop_may_be_set_aside else None
        try:
            yield playwright
        finally:
            _running.playwright = None
            _running.loop = None


@contextlib.contextmanager
def adopted(playwright: Playwright) -> Iterator[Playwright]:
    """A driver started elsewhere (pytest-playwright's) as this thread's for the block, when
    none runs here yet; it is neither stopped here nor has its loop set aside."""
    current = _running.playwright
    if current is not None:
        yield current
        return
    _running.playwright = playwright
    try:
        yield playwright
    finally:
        _running.playwright = None


@contextlib.contextmanager
def driver_loop_set_aside() -> Iterator[None]:
    """For a block that uses no Playwright object: this thread's driver loop is not marked
    running, so the block may run an event loop of its own; the mark is put back after it.
    Playwright reached other than through :func:`playwright_driver` inside the block would
    lose its connection, so a block that may call it must not be wrapped."""
    loop = _running.loop
    if loop is None or asyncio._get_running_loop() is not loop:
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


@contextlib.contextmanager
def _driver_loop_marked() -> Iterator[None]:
    loop = _running.loop
    if loop is None or asyncio._get_running_loop() is not None:
        yield
        return
    asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(None)
