"""Following a sign-in URL: where the browser is left when the app's callback gives no answer,
and whose answer a navigation that times out was waiting for."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

    from scenarios.live import LiveStack

__all__ = ["goto_sign_in"]


def goto_sign_in(page: Page, stack: LiveStack, url: str) -> None:
    """``page.goto(url)``, a URL whose redirects may run through the provider and back to the
    app. Should the app give no answer at all on the way back (a connection it drops, as when
    its call to the provider fails), the browser is left on its own error page, for the
    scenario's check to judge as the app's answer. ``goto`` raises for it when the provider
    answered by redirect, which it waits for, but not when the provider's ``form_post`` page
    posted the answer, which it does not: without this, the same app would be in error in one
    mode and fail in the other. Any other failure (the sign-in URL itself, the provider) is
    raised, and a timeout names the URL whose answer never came (the app's own, when it hangs
    on a call of its own)."""
    failed: list[Request] = []
    sent: list[str] = []

    def note(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            failed.append(request)

    def note_sent(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            sent.append(request.url)

    page.on("requestfailed", note)
    page.on("request", note_sent)
    app = urlsplit(stack.app.base_url).netloc
    try:
        page.goto(url)
    except PlaywrightTimeoutError as exc:
        raise _unanswered(app, sent, exc) from None
    except PlaywrightError:
        if not any(r.redirected_from is not None and urlsplit(r.url).netloc == app
                   for r in failed):
            raise
    finally:
        page.remove_listener("requestfailed", note)
        page.remove_listener("request", note_sent)


def _unanswered(app: str, sent: list[str], exc: PlaywrightTimeoutError
                ) -> PlaywrightTimeoutError:
    """A ``goto`` that timed out, said as the URL the browser was still waiting for (the
    last one it asked for, its query left out) and whether it was the app's."""
    if not sent:
        return exc
    limit = re.search(r"Timeout (\d+(?:\.\d+)?)ms exceeded", str(exc))
    seconds = f" ({float(limit.group(1)) / 1000:g} s)" if limit else ""
    parts = urlsplit(sent[-1])
    waited = parts._replace(query="", fragment="").geturl()
    whose = "the app did not answer" if parts.netloc == app else "no answer came"
    return PlaywrightTimeoutError(f"{whose} in time{seconds}: the browser was still waiting "
                                  f"for {waited}")
