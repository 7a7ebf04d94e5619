"""A page's Chrome DevTools Protocol session, and commands on it that always end.

Playwright injects its own script into every document the first time a call needs it, once
per world: its main-world script for ``wait_for_function`` and ``evaluate`` handles, its
utility-world one for locators and actions. Each costs about 22-30 ms in a new document
(``bench/overhead.py``, "page state"). The runner's step pictures and the Entra driver's waits
only read the page, so they go through the page's DevTools session instead, in the document's
own world: one injection per document (the actions') instead of two.

Chromium holds back every command for a document while a navigation from it is pending, so
each command is sent with a time limit, which Playwright's ``CDPSession.send`` takes since
1.65. With an older Playwright, or a browser that is not Chromium, :func:`session_of` gives
``None`` and the callers use Playwright's own calls, which have their own limits.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

__all__ = ["bounded_sends", "send", "send_all", "session_of", "timed_out", "wait_until"]

_sessions: weakref.WeakKeyDictionary[Page, CDPSession | None] = weakref.WeakKeyDictionary()

_GONE = ("Execution context was destroyed", "Cannot find default execution context",
         "Inspected target navigated or closed")
"""How a command ends when its document went away under it (the page navigated)."""


@functools.cache
def bounded_sends() -> bool:
    """Whether this Playwright's ``CDPSession.send`` takes a time limit."""
    from playwright.sync_api import CDPSession

    return "timeout" in inspect.signature(CDPSession.send).parameters


def session_of(page: Page) -> CDPSession | None:
    """The page's DevTools session (one per page, kept while the page lives); ``None`` where
    there is none or its commands could not be given a time limit."""
    if not bounded_sends():
        return None
    if page not in _sessions:
        try:
            _sessions[page] = page.context.new_cdp_session(page)
        except Exception:  # not Chromium
            _sessions[page] = None
    return _sessions[page]


def send(session: CDPSession, method: str, params: dict[str, object], timeout_ms: float
         ) -> dict[str, Any]:
    """``session.send`` with a time limit (a session of :func:`session_of` always takes one)."""
    return session.send(method, params, timeout=timeout_ms)


def send_all(session: CDPSession, commands: Sequence[tuple[str, dict[str, object]]],
             timeout_ms: float) -> list[dict[str, Any]]:
    """Send every command at once and wait for all their answers, given in the commands'
    order: one round trip through Playwright's driver instead of one a command (about 10 ms
    less for the seven that clean a kept page, on a loaded machine). The sync API sends one
    command at a time, so this goes through the asynchronous call beneath it; a Playwright
    without one sends them in turn."""
    beneath: Any = getattr(session, "_impl_obj", None)
    run = getattr(session, "_sync", None)
    if not (callable(getattr(beneath, "send", None)) and callable(run)):
        return [send(session, method, params, timeout_ms) for method, params in commands]

    async def every() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(beneath.send(method, params, timeout_ms)
                                           for method, params in commands)))

    answers: list[dict[str, Any]] = run(every())
    return answers


def timed_out(exc: BaseException) -> bool:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return isinstance(exc, PlaywrightTimeout)


def wait_until(page: Page, predicate: str, arg: object, timeout_ms: float) -> Any:
    """The first truthy value of the JavaScript function ``predicate`` called with ``arg``,
    checked on every animation frame, in this document and the next ones, as Playwright's
    ``wait_for_function`` does; a Playwright ``TimeoutError`` after ``timeout_ms``."""
    from playwright.sync_api import Error
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    session = session_of(page)
    if session is None:
        return page.wait_for_function(predicate, arg=arg, timeout=timeout_ms).json_value()
    deadline = time.monotonic() + timeout_ms / 1000
    while (left := (deadline - time.monotonic()) * 1000) > 0:
        tried = time.monotonic()
        try:
            answer = send(session, "Runtime.evaluate", {
                "expression": _until(predicate, arg, left), "awaitPromise": True,
                "returnByValue": True}, left + 250)
        except PlaywrightTimeout:
            break
        except Error as exc:
            if page.is_closed() or not any(gone in str(exc) for gone in _GONE):
                raise
            if time.monotonic() - tried < 0.005:
                time.sleep(0.01)  # between two documents: let the next one commit
            continue
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            thrown = details.get("exception", {}).get("description") or details.get("text")
            raise Error(f"the page's check threw: {thrown}")
        value = (answer.get("result") or {}).get("value")
        if value:
            return value
    raise PlaywrightTimeout(f"Timeout {timeout_ms:g}ms exceeded waiting for the page")


def _until(predicate: str, arg: object, timeout_ms: float) -> str:
    """A promise of the predicate's first truthy value (``null`` at the time limit, so that no
    check outlives the wait)."""
    return f"""new Promise((resolve, reject) => {{
  const check = ({predicate}), arg = {json.dumps(arg)}, end = performance.now() + {timeout_ms:.0f};
  const look = () => {{
    let found;
    try {{ found = check(arg); }} catch (error) {{ reject(error); return; }}
    if (found) resolve(found);
    else if (performance.now() > end) resolve(null);
    else requestAnimationFrame(look);
  }};
  look();
}})"""
