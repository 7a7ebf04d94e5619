"""After a sign-out: does the next visit to the app ask for a sign-in at the provider?

The sign-out scenarios end by opening the app's protected URL (else its sign-in URL): with no
session left at the app or at the provider, the provider's sign-in page must come, not the app
signed in again without a word. Apps get there three ways:

- the protected URL redirects to the provider (the reference RP, most server-side apps);
- it loads a page whose script starts the sign-in (MSAL.js's ``loginRedirect``): the browser is
  still on the app when ``goto`` returns, and leaves it a moment later;
- it stops on the app's own sign-in page, whose button starts the sign-in (OmniAuth 2 starts one
  only by a POST carrying the session's authenticity token, so a GET of a protected URL can only
  show such a button).

The second must be waited for: opening another URL while the app's script is still on its way
to the provider starts a second sign-in that races the first (MSAL.js then fails the answer on
``state_mismatch``). So the page's own navigation is left to settle, by Playwright's waits for
network idle and for navigations, and only a page of the app that then shows a sign-in control
(``[sign_in] control``, or a button or link named like "Sign in") is followed by the sign-in URL,
which clicks ``[sign_in] control`` as a first sign-in does. Whether a protected URL starts the
sign-in by itself is ``auto-login.app-visit``'s verdict, not the sign-out scenarios'.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from scenarios.app.elsewhere import bare
from scenarios.app.page_summary import page_summary
from scenarios.app.sign_in_control import control_locator
from scenarios.goto import open_sign_in
from scenarios.pages import IdpUsernamePage
from scenarios.settled_error import until_unless_settled_error
from scenarios.sign_in_elsewhere import sign_in_control_shown

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page, Request, Response

    from scenarios.live import LiveStack

__all__ = ["QUIET_MS", "SETTLE_MS", "expect_sign_in_asked", "settle"]

SETTLE_MS = 5_000
"""How long the app's page may take to stop navigating by itself after ``goto`` returned."""
QUIET_MS = 300
"""How long the page must stay without a navigation, once the network is idle, to count as
settled: a script that starts the sign-in once its fetches end does so at once."""


def expect_sign_in_asked(page: Page, stack: LiveStack) -> None:
    """Open the app's protected URL (else its sign-in URL) and expect the provider's sign-in
    page; a page of the app with a sign-in control, once it stopped navigating by itself, is
    followed by the sign-in URL and its ``[sign_in] control``. A failure says where the browser
    is instead (the app's signed-in page: it signed the user back in without the provider)."""
    protected = stack.app.protected_urls()
    url = protected[0] if protected else stack.app.sign_in_url()
    app = urlsplit(stack.app.base_url).netloc
    with _Navigations(page) as navigations:
        open_sign_in(page, stack, url)
        settle(page, app, navigations)
    if protected and urlsplit(page.url).netloc == app and _shows_sign_in_control(page, stack):
        url = stack.app.sign_in_url()
        open_sign_in(page, stack, url)
    heading = IdpUsernamePage(page).heading
    try:
        until_unless_settled_error(
            page, lambda timeout: expect(heading).to_be_visible(timeout=timeout))
    except AssertionError as exc:
        raise AssertionError(
            f"after the sign-out, the next visit to the app ({bare(url)}) did not ask for a "
            f"sign-in at the provider: {page_summary(page)}") from exc


def settle(page: Page, app_host: str, navigations: _Navigations, *,
           wait_ms: float = SETTLE_MS) -> None:
    """Return once the page has left ``app_host``, or the network is idle, no navigation of the
    main frame is on its way and none started for :data:`QUIET_MS`; at the latest after
    ``wait_ms`` (a page that keeps the network busy is judged as it is then)."""
    deadline = time.monotonic() + wait_ms / 1000
    while urlsplit(page.url).netloc == app_host:
        left = (deadline - time.monotonic()) * 1000
        if left <= 0:
            return
        try:
            page.wait_for_load_state("networkidle", timeout=left)
        except PlaywrightTimeoutError:
            return
        sent = navigations.sent
        try:
            page.wait_for_event("framenavigated", predicate=lambda f: f == page.main_frame,
                                timeout=max(1.0, min(QUIET_MS, left)))
            continue  # a document came: look at it again
        except PlaywrightTimeoutError:
            pass
        if navigations.sent == sent and not navigations.pending():
            return


class _Navigations:
    """The main frame's navigation requests while the block runs: how many were sent, and
    whether one is still unanswered (a script's ``location.assign`` before its document
    commits)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sent = 0
        self._open: list[Request] = []

    def __enter__(self) -> _Navigations:
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._done)
        return self

    def __exit__(self, *_: object) -> None:
        self.page.remove_listener("request", self._request)
        self.page.remove_listener("response", self._response)
        self.page.remove_listener("requestfailed", self._done)

    def _request(self, request: Request) -> None:
        if request.is_navigation_request() and _main(request.frame, self.page):
            self.sent += 1
            self._open.append(request)

    def _response(self, response: Response) -> None:
        self._done(response.request)

    def _done(self, request: Request) -> None:
        self._open = [r for r in self._open if r is not request]

    def pending(self) -> bool:
        return bool(self._open)


def _main(frame: Frame, page: Page) -> bool:
    try:
        return frame == page.main_frame
    except PlaywrightError:  # a frame detached meanwhile
        return False


def _shows_sign_in_control(page: Page, stack: LiveStack) -> bool:
    """Whether the app's page shows ``[sign_in] control``, or a button or link named like
    "Sign in" (what ``app check`` and a failed first sign-in point out)."""
    control = stack.app.profile.sign_in.control
    try:
        if control is not None and control_locator(page, control).is_visible():
            return True
    except PlaywrightError:  # a page navigating meanwhile
        return False
    return sign_in_control_shown(page) is not None
