"""What a person does with an example app in the browser, and where they end up."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from example_apps import ExampleStack
from playwright.sync_api import Page, Request, Response, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scenarios.drivers import EntraDriver

ALICE = "alice@contoso.onmicrosoft.com"
ALICE_PASSWORD = "P@ssw0rd-alice"
ALICE_NAME = "Alice Adams"


def provider_driver(page: Page) -> EntraDriver:
    """The driver for the provider's sign-in pages (Entra's structure), once they show."""
    driver = EntraDriver()
    driver.expect_sign_in_page(page)
    return driver


def expect_provider_sign_in(page: Page, stack: ExampleStack) -> None:
    """The browser shows the provider's sign-in page."""
    expect(page).to_have_url(re.compile("^" + re.escape(stack.idp.url) + "/"))
    provider_driver(page)


@dataclass
class Navigations:
    """Every main-frame document request the page makes and response it receives, in order."""

    page: Page
    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", self._sent)
        self.page.on("response", self._seen)

    def _main(self, request: Request) -> bool:
        return request.is_navigation_request() and request.frame == self.page.main_frame

    def _sent(self, request: Request) -> None:
        if self._main(request):
            self.requests.append(request)

    def _seen(self, response: Response) -> None:
        if self._main(response.request):
            self.responses.append(response)

    def last_status(self) -> int:
        final = [r for r in self.responses if not 300 <= r.status < 400]
        return final[-1].status if final else 0


@dataclass(frozen=True)
class Landing:
    """Where a sign-in attempt ended: the app page's URL, HTTP status and visible text, and
    what the app's ``me`` endpoint answered afterwards."""

    url: str
    status: int
    text: str
    me_status: int

    @property
    def signed_in(self) -> bool:
        return self.me_status == 200


def sign_in(page: Page, stack: ExampleStack, *, start: str | None = None,
            upn: str = ALICE, password: str = ALICE_PASSWORD) -> Landing:
    """Open the app's protected page (or ``start``), sign in at the provider, and report where
    the browser lands back at the app."""
    navigations = Navigations(page)
    page.goto(stack.url(start or stack.example.protected))
    provider_driver(page).sign_in(page, upn, password)
    return landing(page, stack, navigations)


def landing(page: Page, stack: ExampleStack, navigations: Navigations) -> Landing:
    page.wait_for_url(re.compile("^" + re.escape(stack.app.base_url) + "/"))
    page.wait_for_load_state()
    me = page.request.get(stack.url(stack.example.me))
    return Landing(url=page.url, status=navigations.last_status(),
                   text=page.locator("body").inner_text(), me_status=me.status)


def sign_in_unanswered(page: Page, stack: ExampleStack, *, wait_ms: float = 5000) -> bool:
    """Sign in, expecting the app never to answer its callback: ``True`` when the browser
    requested the callback and got no response within ``wait_ms``."""
    navigations = Navigations(page)
    callback = stack.url(stack.example.callback) + "?"
    page.goto(stack.url(stack.example.protected))
    provider_driver(page)
    page.set_default_timeout(wait_ms)
    with contextlib.suppress(PlaywrightTimeoutError):  # the last click waits for the callback
        EntraDriver(timeout_ms=wait_ms).sign_in(page, ALICE, ALICE_PASSWORD)
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_event("response", lambda r: r.url.startswith(callback), timeout=wait_ms)
    sent = any(r.url.startswith(callback) for r in navigations.requests)
    answered = any(r.url.startswith(callback) for r in navigations.responses)
    return sent and not answered
