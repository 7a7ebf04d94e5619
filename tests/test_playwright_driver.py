"""One Playwright driver per thread, handed to every block opened while it runs."""

from __future__ import annotations

import threading

from scenarios.playwright_driver import playwright_driver


def test_blocks_inside_one_share_its_driver_other_threads_start_their_own() -> None:
    """On a thread of its own: the main thread may hold the session's driver already."""
    failed: list[BaseException] = []

    def check() -> None:
        try:
            _blocks_share_one_driver()
        except BaseException as exc:  # reported in the test's thread
            failed.append(exc)

    thread = threading.Thread(target=check)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if failed:
        raise failed[0]


def _blocks_share_one_driver() -> None:
    in_thread: list[object] = []

    def other() -> None:
        with playwright_driver() as playwright:
            in_thread.append(playwright)

    with playwright_driver() as outer:
        with playwright_driver() as inner:
            assert inner is outer
        # the inner block's end left the driver running for the outer one
        assert outer.chromium.name == "chromium"
        with playwright_driver() as again:
            assert again is outer

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=60)
        assert len(in_thread) == 1 and in_thread[0] is not outer

    # the driver stopped with the block that started it: the next block starts another
    with playwright_driver() as after:
        assert after is not outer
        assert after.chromium.name == "chromium"
