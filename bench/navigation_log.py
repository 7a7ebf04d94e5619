"""What the navigation log's listeners cost a sign-in: automatic login with a warm browser
(as ``bench/browser.py`` times it), the log listening to the page as a scenario's journey has
it, by variant, the variants taking turns so that a change in the machine falls on all of
them. Wall time and this process's CPU (Playwright's events are dispatched in it) per sign-in,
median over the runs.

    python -m bench.navigation_log [runs] [--bare]

A scenario's context is watched for its pages' versions (``watch_page_versions``), which
listens to its requests already; ``--bare`` leaves that out, so that the log's own ``request``
listener is the one that has the driver send each request's event.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from statistics import median

from playwright.sync_api import Page, sync_playwright

from scenarios.browser import launch, resolve
from scenarios.flows import expect_signed_in, first_login
from scenarios.live import live_stack
from scenarios.navigation_log import NavigationLog
from scenarios.screenshots import watch_page_versions


def _documents_only(page: Page) -> NavigationLog:
    log = NavigationLog(page)
    page.remove_listener("request", log._record_fetch)
    return log


VARIANTS: dict[str, Callable[[Page], object]] = {
    "no log": lambda page: None,
    "log (documents only)": _documents_only,
    "log": NavigationLog,
}


def main(runs: int, watched: bool) -> None:
    wall: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with sync_playwright() as playwright:
        browser = launch(playwright, resolve())
        with live_stack() as stack:
            alice = stack.people["alice"]
            for index in range(runs + 1):
                names = list(VARIANTS)
                turn = index % len(names)  # each variant first in turn: no order's favour
                for name in names[turn:] + names[:turn]:
                    listen = VARIANTS[name]
                    context = browser.new_context()
                    if watched:  # as a scenario's context is (scenarios/worker.py)
                        watch_page_versions(context)
                    try:
                        page = context.new_page()
                        first_login(page, stack, alice, "portal")
                        listen(page)
                        started, used = time.perf_counter(), time.process_time()
                        page.goto(stack.sign_in_url("widget"))
                        expect_signed_in(page, stack, alice, path="/widget")
                        elapsed = time.perf_counter() - started
                        spent = time.process_time() - used
                    finally:
                        context.close()
                    if index:  # the first round warms the browser's caches up
                        wall[name].append(elapsed * 1000)
                        cpu[name].append(spent * 1000)
        browser.close()
    for name in VARIANTS:
        print(f"{name:22} wall {median(wall[name]):6.1f} ms  CPU {median(cpu[name]):5.2f} ms"
              f"  ({runs} runs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30, "--bare" not in sys.argv)
