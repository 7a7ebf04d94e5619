"""Following a sign-in URL: where the browser is left when the app's callback gives no answer,
and whose answer a navigation that times out was waiting for (a document, or what a document
that came still needs to load)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scenarios.app.elsewhere import OTHER_PROVIDER, bare, local_address, on_this_machine

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Response

    from scenarios.live import LiveStack

__all__ = ["AppTimeout", "failed_navigations", "goto_app", "goto_sign_in", "open_sign_in",
           "start_sign_in"]


class AppTimeout(PlaywrightTimeoutError, AssertionError):
    """The app under test did not answer a navigation in time, or its page never finished
    loading: a verdict about the app, so the scenario FAILs with this message (the runner
    takes an ``AssertionError`` as a check that did not hold) rather than ending in ERROR as
    a harness or browser failure does. Still a Playwright ``TimeoutError`` for callers that
    give a timeout a meaning of their own (``failure.idp-down``)."""


def goto_sign_in(page: Page, stack: LiveStack, url: str) -> bool:
    """``page.goto(url)``, a URL whose redirects may run through the provider and back to the
    app. Should the app give no answer at all on the way back (a connection it drops, as when
    its call to the provider fails), the browser is left on its own error page, for the
    scenario's check to judge as the app's answer. ``goto`` raises for it when the provider
    answered by redirect, which it waits for, but not when the provider's ``form_post`` page
    posted the answer, which it does not: without this, the same app would be in error in one
    mode and fail in the other. Any other failure (the sign-in URL itself, the provider) is
    raised, and a timeout names the URL whose answer never came (the app's own, when it hangs
    on a call of its own), or the page that came but never finished loading and what of it
    did not come. Then the click ``[sign_in] control`` names (:func:`start_sign_in`); whether
    there was one."""
    stack.sign_in_started = time.time()
    stack.sign_in_clicked = False
    sent = _Loading(page)
    app = urlsplit(stack.app.base_url).netloc
    with failed_navigations(page) as failed:
        sent.listen()
        try:
            page.goto(url)
        except PlaywrightTimeoutError as exc:
            raise _unanswered(app, sent, exc) from None
        except PlaywrightError as exc:
            if (elsewhere := _sent_elsewhere(stack, url, failed)) is not None:
                raise elsewhere from exc
            if not any(r.redirected_from is not None and urlsplit(r.url).netloc == app
                       for r in failed):
                raise
            return False
        finally:
            sent.stop()
    return start_sign_in(page, stack, url)


def open_sign_in(page: Page, stack: LiveStack, url: str) -> None:
    """``page.goto(url)``, then the click ``[sign_in] control`` names, as
    :func:`goto_sign_in` does: for a scenario that follows a sign-in URL to see what the app
    does with the provider's answer, whatever the way there. Like it, it marks when the
    sign-in started, so a failure names the provider's refusals since then only."""
    stack.sign_in_started = time.time()
    goto_app(page, stack, url)
    start_sign_in(page, stack, url)


def goto_app(page: Page, stack: LiveStack, url: str) -> None:
    """``page.goto(url)``, a page of the app that may send the browser to the provider: when
    the way fails on a redirect to a server that is neither the app's nor the mock provider's,
    the app is pointed at another provider, a failure of the app (:func:`_sent_elsewhere`)
    rather than the browser's error."""
    stack.sign_in_clicked = False  # a page reached otherwise than by a sign-in URL's click
    with failed_navigations(page) as failed:
        try:
            page.goto(url)
        except PlaywrightError as exc:
            if (elsewhere := _sent_elsewhere(stack, url, failed)) is not None:
                raise elsewhere from exc
            raise


@contextlib.contextmanager
def failed_navigations(page: Page) -> Iterator[list[Request]]:
    """The main frame's navigation requests that fail while the block runs."""
    failed: list[Request] = []

    def note(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            failed.append(request)

    page.on("requestfailed", note)
    try:
        yield failed
    finally:
        page.remove_listener("requestfailed", note)


def start_sign_in(page: Page, stack: LiveStack, url: str) -> bool:
    """The click on the app's sign-in page that ``[sign_in] control`` names, when ``url`` is
    one of its ``[sign_in] urls`` (:meth:`ProfileAdapter.start_sign_in`); whether it was
    clicked (kept as :attr:`LiveStack.sign_in_clicked`). A partner launch URL is never clicked
    through."""
    stack.sign_in_clicked = stack.app.start_sign_in(page, url)
    return stack.sign_in_clicked


class _Loading:
    """What the page's main frame asked for while ``goto`` waited: each navigation request,
    whether it was answered, and the requests of its document (an image, a script) still
    unanswered."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.navigations: list[Request] = []
        self.answered: list[Request] = []
        self.pending: list[Request] = []
        """Requests of the last navigation's document not finished (nor failed) yet."""

    def listen(self) -> None:
        self.page.on("request", self._sent)
        self.page.on("response", self._answered)
        self.page.on("requestfinished", self._done)
        self.page.on("requestfailed", self._done)

    def stop(self) -> None:
        self.page.remove_listener("request", self._sent)
        self.page.remove_listener("response", self._answered)
        self.page.remove_listener("requestfinished", self._done)
        self.page.remove_listener("requestfailed", self._done)

    def _sent(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigations.append(request)
            self.pending.clear()
        else:
            self.pending.append(request)

    def _answered(self, response: Response) -> None:
        if any(response.request is sent for sent in self.navigations):
            self.answered.append(response.request)

    def _done(self, request: Request) -> None:
        self.pending = [r for r in self.pending if r is not request]

    def last_answered(self) -> bool:
        """Whether the last navigation request got an answer (its document came)."""
        return bool(self.navigations) and any(
            self.navigations[-1] is request for request in self.answered)


def _sent_elsewhere(stack: LiveStack, url: str, failed: list[Request]
                    ) -> AssertionError | None:
    """A failure of the app, when the browser's way from ``url`` failed on a redirect by the
    app to another server than its own and the mock provider's (a host it could not resolve or
    reach, as Entra's login.microsoftonline.com from a machine without internet access): the
    app is pointed at another provider, as ``app check`` says it, not a harness or browser
    failure; on this machine (a stale base URL or port, ``http://localhost:5000/callback``),
    a setting of the app's own address. ``None`` for any other failure."""
    app = urlsplit(stack.app.base_url).netloc
    ours = {app, urlsplit(stack.idp.base_url).netloc}
    for request in failed:
        sender = request.redirected_from
        if sender is None or urlsplit(sender.url).netloc != app \
                or urlsplit(request.url).netloc in ours:
            continue  # a hop the provider sent (to a federated provider, say) is not the app's
        parts = urlsplit(request.url)
        why = request.failure or "no answer"
        if on_this_machine(request.url):
            return AssertionError(
                f"the app sent the browser from {bare(url)} to {bare(request.url)} ({why}), "
                + local_address(request.url, app=stack.app.base_url,
                                provider=stack.idp.base_url))
        return AssertionError(
            f"the app sent the browser from {bare(url)} to {parts.scheme}://{parts.netloc} "
            f"({why}), not to the mock provider at "
            f"{stack.idp.base_url}: {OTHER_PROVIDER}")
    return None


def _unanswered(app: str, sent: _Loading, exc: PlaywrightTimeoutError
                ) -> PlaywrightTimeoutError:
    """A ``goto`` that timed out, said as the URL the browser was still waiting for (the
    last one it asked for, its query left out) and whether it was the app's; or, when that
    document came and only its load did not end (an image or a script of it that never
    came: ``goto`` waits for the ``load`` event), that page and what it still waited for."""
    if not sent.navigations:
        return exc
    limit = re.search(r"Timeout (\d+(?:\.\d+)?)ms exceeded", str(exc))
    seconds = f" ({float(limit.group(1)) / 1000:g} s)" if limit else ""
    parts = urlsplit(sent.navigations[-1].url)
    waited = bare(sent.navigations[-1].url)
    apps = parts.netloc == app
    raised = AppTimeout if apps else PlaywrightTimeoutError
    if sent.last_answered():
        whose = "the app's page" if apps else "the page"
        still = (f": the browser was still waiting for {bare(sent.pending[0].url)}"
                 if sent.pending else "")
        return raised(f"{whose} {waited} answered but did not finish loading in "
                      f"time{seconds}{still}")
    whose = "the app did not answer" if apps else "no answer came"
    return raised(f"{whose} in time{seconds}: the browser was still waiting for {waited}")

