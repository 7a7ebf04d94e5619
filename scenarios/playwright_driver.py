"""This thread's Playwright driver, shared by everything that asks for one while it runs.

Playwright's sync API runs one driver (a Node.js process) per thread: a second
``sync_playwright()`` while one is open fails with "using Playwright Sync API inside the
asyncio loop". Starting one costs about 0.4 s of Node's CPU, loading Playwright's scripts. So
the runner, the conformance command, ``launched`` and the pytest plugin ask here instead: the
first block in a thread starts the driver and stops it when it ends, and any block opened
inside it is handed the same driver. A test module that runs the scenarios in-process many
times holds one block open around its tests and pays for one start.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

__all__ = ["playwright_driver"]


class _Running(threading.local):
    playwright: Playwright | None = None


_running = _Running()


@contextlib.contextmanager
def playwright_driver() -> Iterator[Playwright]:
    """The driver running in this thread, or one started for the block."""
    current = _running.playwright
    if current is not None:
        yield current
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        _running.playwright = playwright
        try:
            yield playwright
        finally:
            _running.playwright = None
