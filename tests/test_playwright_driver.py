"""One Playwright driver per thread, handed to every block opened while it runs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from scenarios.playwright_driver import playwright_driver

if TYPE_CHECKING:
    from playwright.sync_api import Playwright


def test_blocks_inside_one_share_its_driver_other_threads_start_their_own(
        playwright_session: Playwright) -> None:
    """The main thread holds the worker's driver (``playwright_session``, most often started
    already by the worker's browser tests): a block there is handed it, and a thread of its own
    starts another, which its blocks share and which stops with the block that started it (each
    driver started costs about 0.4 s of Node's CPU, so this one thread is the only other)."""
    with playwright_driver() as main_threads:
        assert main_threads is playwright_session
    failed: list[BaseException] = []

    def check() -> None:
        try:
            _blocks_share_one_driver(playwright_session)
        except BaseException as exc:  # reported in the test's thread
            failed.append(exc)

    thread = threading.Thread(target=check)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if failed:
        raise failed[0]
    # the other thread's driver came and went: the main thread's is still the session's
    with playwright_driver() as still:
        assert still is playwright_session
        assert still.chromium.name == "chromium"


def _blocks_share_one_driver(main_threads: Playwright) -> None:
    with playwright_driver() as outer:
        assert outer is not main_threads  # another thread's driver is not handed over
        with playwright_driver() as inner:
            assert inner is outer
        # the inner block's end left the driver running for the outer one
        assert outer.chromium.name == "chromium"
        with playwright_driver() as again:
            assert again is outer

    # the driver stopped with the block that started it: the next block starts another
    with playwright_driver() as after:
        assert after is not outer and after is not main_threads
        assert after.chromium.name == "chromium"
