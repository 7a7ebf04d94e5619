"""Running conformance rows in a real browser: one fresh context per row, the row's fault armed
at the provider, the RP's sign-in driven, and what happened recorded for judging."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.rows import (
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    judge,
)
from scenarios.protocol_view import BrowserLog, Collected, collect, exchange_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from scenarios.flows import NavigationLog

__all__ = ["ConformanceOptions", "Progress", "preflight", "run_rows"]

TEXT_LIMIT = 70
SETTLE_MS = 3000


@dataclass(frozen=True, kw_only=True)
class ConformanceOptions:
    rp: str
    """The RP's base URL."""
    idp: str
    """The mock provider's base URL."""
    start: str = "/login"
    check: str = "/api/me"
    backchannel: str | None = None
    tenant: str
    client_id: str
    upn: str
    password: str
    headed: bool = False
    timeout_ms: float = 10_000
    ws_endpoint: str | None = None

    def rp_url(self, path: str) -> str:
        return path if "://" in path else f"{self.rp.rstrip('/')}/{path.lstrip('/')}"


def _squash(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _page_text(page: Page) -> str:
    """What the page says, from its first heading on (skipping navigation), shortened."""
    try:
        text = " ".join(page.locator("body").inner_text(timeout=2000).split())
        headings = page.locator("h1")
        heading = " ".join(headings.first.inner_text(timeout=500).split()) \
            if headings.count() else ""
    except Exception:
        return ""
    if heading and heading in text:
        text = text[text.index(heading):]
    return _squash(text)


def _navigation_log(page: Page) -> NavigationLog:
    from scenarios.flows import NavigationLog

    return NavigationLog(page)


class _Driver:
    """One browser, a fresh context per row."""

    def __init__(self, options: ConformanceOptions, control: MockControl,
                 browser: Browser) -> None:
        self.options = options
        self.control = control
        self.browser = browser
        self.rp_host = urlsplit(options.rp).netloc
        self.collected: Collected | None = None
        """What the last row's exchange is drawn from."""

    @contextlib.contextmanager
    def _context(self) -> Iterator[BrowserContext]:
        context = self.browser.new_context()
        context.set_default_timeout(self.options.timeout_ms)
        log = BrowserLog()
        log.watch(context)
        since = time.time()
        try:
            yield context
        finally:
            sources = replace(self.control.protocol_sources, app_url=self.options.rp)
            self.collected = collect(log, sources, since,
                                     final_pages=sys.exc_info()[0] is not None)
            with contextlib.suppress(Exception):
                context.close()

    def _check(self, context: BrowserContext) -> int:
        return context.request.get(self.options.rp_url(self.options.check),
                                   max_redirects=0, fail_on_status_code=False).status

    def _sign_in(self, page: Page) -> str | None:
        """Start the RP's login, sign in at the provider and wait to be back at the RP;
        ``None`` when done, else why the provider's sign-in page never came."""
        from playwright.sync_api import Error

        from scenarios.drivers import EntraDriver
        from scenarios.pages import IdpUsernamePage

        try:
            page.goto(self.options.rp_url(self.options.start))
            IdpUsernamePage(page).heading.wait_for(state="visible")
            EntraDriver(timeout_ms=self.options.timeout_ms).sign_in(
                page, self.options.upn, self.options.password)
        except Error as exc:
            return _squash(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        with contextlib.suppress(Error):
            page.wait_for_url(lambda url: urlsplit(url).netloc == self.rp_host,
                              wait_until="load")
        return None

    def _settled_check(self, page: Page, context: BrowserContext, log: NavigationLog) -> int:
        """The check URL's status. A "not signed in" on a page that is not an error page is
        asked again once the page's network is idle, so a relying party that finishes its
        sign-in in script is not judged early."""
        from playwright.sync_api import Error

        status = self._check(context)
        error_page = bool(log.documents) and log.documents[-1][1] >= 400
        if not 200 <= status < 300 and not error_page:
            with contextlib.suppress(Error):
                page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
            status = self._check(context)
        return status

    def login_row(self, row: Row) -> LoginObservation:
        with self._context() as context:
            page = context.new_page()
            log = _navigation_log(page)
            fault_id = self.control.arm(row.fault) if row.fault else None
            problem = self._sign_in(page)
            if problem is not None:
                return LoginObservation(reached_sign_in=False, check_status=None,
                                        error=problem, final_url=page.url)
            status = self._settled_check(page, context, log)
            fired = None if fault_id is None else fault_id not in self.control.armed()
            text = "" if 200 <= status < 300 else _page_text(page)
            return LoginObservation(
                reached_sign_in=True, check_status=status, fault_fired=fired,
                final_url=page.url, page_status=log.documents[-1][1] if log.documents else None,
                page_text=text)

    def backchannel_row(self, row: Row) -> BackchannelObservation:
        with self._context() as context:
            page = context.new_page()
            log = _navigation_log(page)
            problem = self._sign_in(page)
            if problem is not None:
                return BackchannelObservation(signed_in_before=False, error=problem)
            if not 200 <= self._settled_check(page, context, log) < 300:
                return BackchannelObservation(signed_in_before=False)
            known = {n["id"] for n in self.control.backchannel_notes()}
            if row.fault:
                self.control.arm(row.fault, endpoint="logout_token")
            # An API request, not a navigation: the signed-out page's front-channel iframes
            # must not log the RP out, so that only the logout token can.
            context.request.get(self.control.logout_url, fail_on_status_code=False)
            new = [n for n in self.control.backchannel_notes() if n["id"] not in known]
            if not new:
                return BackchannelObservation(
                    signed_in_before=True, deliveries=0,
                    error="the provider sent no logout token (is backchannelLogoutUri set?)")
            note = new[0]
            headers = note.get("headers")
            cache = None
            if isinstance(headers, dict):
                cache = next((str(v) for k, v in headers.items()
                              if k.lower() == "cache-control"), None)
            return BackchannelObservation(
                signed_in_before=True, status=note.get("status"),
                delivery_error=note.get("error"), cache_control=cache,
                headers_recorded=isinstance(headers, dict),
                check_status_after=self._check(context), deliveries=len(new))


def preflight(options: ConformanceOptions, control: MockControl) -> None:
    """Check that the provider is the mock (with its control API and the app) and that the
    check URL answers "not signed in" without a session; clear any armed faults."""
    try:
        control.armed()
    except SetupError as exc:
        raise SetupError(f"{options.idp} is not a mock provider with a /_mock/ control API "
                         f"({exc})") from None
    try:
        control.app()
    except SetupError as exc:
        raise SetupError(f"the provider has no app {options.client_id} in tenant "
                         f"{options.tenant} ({exc})") from None
    control.clear()
    url = options.rp_url(options.check)
    try:
        status = httpx.get(url, timeout=10).status_code
    except httpx.HTTPError as exc:
        raise SetupError(f"the RP is not reachable at {url}: {exc}") from None
    if not (status in (401, 403) or 300 <= status < 400):
        raise SetupError(f"--check {url} answered {status} without a session; it must answer "
                         "401, 403 or a redirect when not signed in (and 2xx when signed in)")


@contextlib.contextmanager
def _backchannel_uri(options: ConformanceOptions, control: MockControl) -> Iterator[None]:
    assert options.backchannel is not None
    previous = control.app().get("backchannelLogoutUri")
    control.patch_app({"backchannelLogoutUri": options.rp_url(options.backchannel)})
    try:
        yield
    finally:
        with contextlib.suppress(SetupError):
            control.patch_app({"backchannelLogoutUri": previous})


Progress = Callable[[RowResult], None]


def run_rows(options: ConformanceOptions, rows: Sequence[Row], control: MockControl,
             browser: Browser, progress: Progress | None = None) -> list[RowResult]:
    """Run ``rows`` in order (back-channel rows only with ``options.backchannel``); call
    :func:`preflight` first."""
    driver = _Driver(options, control, browser)
    results: list[RowResult] = []

    def one(row: Row) -> None:
        started = time.monotonic()
        driver.collected = None
        try:
            if row.kind == "login":
                obs: LoginObservation | BackchannelObservation = driver.login_row(row)
            else:
                obs = driver.backchannel_row(row)
        finally:
            control.clear()
        result = RowResult(row=row, verdict=judge(row, obs),
                           seconds=time.monotonic() - started,
                           protocol=exchange_of(driver.collected))
        results.append(result)
        if progress is not None:
            progress(result)

    for row in rows:
        if row.kind == "login":
            one(row)
    logout_rows = [row for row in rows if row.kind == "backchannel"]
    if logout_rows and options.backchannel:
        with _backchannel_uri(options, control):
            for row in logout_rows:
                one(row)
    return results
