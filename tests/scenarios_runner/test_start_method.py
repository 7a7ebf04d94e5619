"""How worker processes start: forked only where that is safe."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from playwright.sync_api import Page

from scenarios.worker_pool import start_method

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is Linux's")


def test_a_single_threaded_process_forks_its_workers() -> None:
    # A fresh interpreter, as the command line runs: no thread but the main one.
    probe = "from scenarios.worker_pool import start_method; print(start_method())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "fork"


def test_a_process_with_another_thread_spawns_them() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        assert start_method() == "spawn"
    finally:
        release.set()
        thread.join()


def test_a_process_running_an_event_loop_spawns_them() -> None:
    # A fresh interpreter with no thread but the main one, inside a running loop: a Playwright
    # sync driver runs its loop so, and a forked worker would inherit it and the driver's pipe
    # (Python 3.12 and later start no thread to watch the driver's process, so the thread
    # count alone let such a process fork).
    probe = ("import asyncio; from scenarios.worker_pool import start_method\n"
             "async def inside(): return start_method()\n"
             "print(asyncio.run(inside()))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "spawn"


@pytest.mark.browser
def test_a_process_holding_a_playwright_driver_spawns_them(sso_page: Page) -> None:
    assert start_method() == "spawn"
