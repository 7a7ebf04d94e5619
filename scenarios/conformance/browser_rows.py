"""One conformance row in a real browser: a fresh context, the row's fault armed at the
provider, the RP's sign-in driven, and what happened recorded for judging
(:class:`RowDriver`).

A REJECT row the RP refused is followed, in the same browser, by a plain sign-in with no fault
armed (the browser's session at the provider answers it at once, so it costs a few redirects,
not a second sign-in): a refusal counts for the row only when the RP would have signed in with
a correct answer at that point (:attr:`LoginObservation.plain_after`). A row that cannot finish
(the check URL does not answer, the app's process exits under it) raises :class:`RowStopped`,
or :class:`~scenarios.app_exit.AppExited` as the app exits, for the runner to report.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mock_idp.faults import USERINFO_KINDS
from scenarios.app.page_summary import BROWSER_ERROR_PAGE
from scenarios.app_exit import ended_by_app_exit
from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.evidence import ProviderEvidence, evidence_of
from scenarios.conformance.hashes import hash_endpoint
from scenarios.conformance.judging import Refusal
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.readiness import PROVIDER_ERROR_PAGE, same_server, where
from scenarios.conformance.refusals import driver_refusal, sent_refusal, shown_refusal
from scenarios.conformance.rows import BackchannelObservation, LoginObservation, Row
from scenarios.conformance.setup import same_site
from scenarios.conformance.userinfo_answer import dropped_userinfo
from scenarios.goto import AppTimeout, failed_navigations
from scenarios.masking import masked_text
from scenarios.protocol_view import BrowserLog, Collected, collect
from scenarios.protocol_view.tokens import value_mask

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from scenarios.flows import NavigationLog

__all__ = ["Known", "RowDriver", "RowStopped", "back_at"]

TEXT_LIMIT = 70
SETTLE_MS = 3000
SHOWN = 200
NOT_SHOWN = 401
"""What a check by a page counts as: the check URL's 2xx (signed in) and 401 (not)."""

Known = Callable[[], Mapping[str, str]]
"""The secret values the run knows, each with what it is shown as
(:func:`~scenarios.protocol_view.known.known_values`), read when they are needed: the
provider issues codes and tokens as the rows run."""


class RowStopped(RuntimeError):
    """The row could not finish; the message says why, masked, in one line."""


def back_at(page: Page, host: str) -> None:
    """Wait (the context's default timeout) until the browser shows a loaded page of ``host``'s
    or the browser's own error page, where a navigation that got no answer or went round in a
    loop of redirects ended: no page of the RP's comes after it, and the row judges what it
    shows (its check URL says no one signed in). Never raises."""
    from playwright.sync_api import Error

    with contextlib.suppress(Error):
        page.wait_for_url(lambda url: urlsplit(url).netloc == host
                          or url.startswith(BROWSER_ERROR_PAGE), wait_until="load")


def _squash(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _page_text(page: Page) -> str:
    """What the page says, from its first heading on (skipping navigation), in one line."""
    try:
        text = " ".join(page.locator("body").inner_text(timeout=2000).split())
        headings = page.locator("h1")
        heading = " ".join(headings.first.inner_text(timeout=500).split()) \
            if headings.count() else ""
    except Exception:
        return ""
    if heading and heading in text:
        text = text[text.index(heading):]
    return text


def _navigation_log(page: Page) -> NavigationLog:
    from scenarios.flows import NavigationLog

    return NavigationLog(page)


def _first_line(exc: BaseException) -> str:
    """A Playwright error's first line, without the API call it names (its call log, below,
    quotes the request's headers, cookies included)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    api, _, rest = text.partition(": ")
    return rest if rest and "." in api and " " not in api else text


class RowDriver:
    """One browser, a fresh context per row; ``app``: the environment whose app's exit ends a
    row at once (a :class:`~scenarios.live.LiveStack` with an app started as a command)."""

    def __init__(self, options: ConformanceOptions, control: MockControl,
                 browser: Browser, known: Known = dict, app: object | None = None) -> None:
        self.options = options
        self.control = control
        self.browser = browser
        self.known = known
        self.app = app
        self.rp_host = urlsplit(options.rp).netloc
        self.collected: Collected | None = None
        """What the last row's exchange is drawn from."""
        self.response_type: str | None = None
        """The app's flow, as its plain sign-in asked for it (``None``: not known): which ID
        token a hash row breaks (:func:`~scenarios.conformance.hashes.hash_endpoint`)."""
        self._log: tuple[BrowserLog, float] | None = None
        self._strict: tuple[str, ...] = ()
        """The RP's ``SameSite=Strict`` cookies as the last sign-in reached the provider."""
        self.sent_to: str | None = None  # where an RP's redirect the browser could not follow led

    @contextlib.contextmanager
    def _context(self) -> Iterator[BrowserContext]:
        context = self.browser.new_context(**self.options.context_options)
        context.set_default_timeout(self.options.timeout_ms)
        log = BrowserLog()
        log.watch(context)
        self._log = (log, time.time())
        try:
            yield context
        finally:
            self._collect(final_pages=sys.exc_info()[0] is not None)
            with contextlib.suppress(Exception):
                context.close()

    def _collect(self, *, final_pages: bool = False) -> None:
        """The row's exchange, read once: what the browser and the provider did up to now."""
        if self._log is None:
            return
        (log, since), self._log = self._log, None
        sources = replace(self.control.protocol_sources, app_url=self.options.rp)
        self.collected = collect(log, sources, since, final_pages=final_pages)

    def masked(self, text: str) -> str:
        """``text`` (what an app's page said, a URL) as the results may show it: masked by
        name and by the values the run knows, control characters escaped."""
        return masked_text(text, value_mask(self.known())) or ""

    def stopped(self, exc: BaseException) -> str:
        """Why a row stopped on ``exc`` (a Playwright error, :class:`RowStopped`), in one
        masked line."""
        return str(exc) if isinstance(exc, RowStopped) else \
            _squash(self.masked(_first_line(exc)), 200)

    def evidence(self) -> ProviderEvidence | None:
        """What the provider's log says about the last row (``None``: it was not read)."""
        provider = self.collected.provider if self.collected is not None else None
        return evidence_of(provider.get("requests", ())) if provider is not None else None

    def _check(self, page: Page) -> int:
        """The check URL's status in ``page``'s browser; for an app told signed in by a page
        (:attr:`~ConformanceOptions.shown_signed_in`), :data:`SHOWN` or :data:`NOT_SHOWN` as
        that page, opened beside ``page``, shows someone signed in or not."""
        from playwright.sync_api import Error

        url = self.options.rp_url(self.options.check)
        shown = self.options.shown_signed_in
        try:
            if shown is not None:
                return SHOWN if shown(page) else NOT_SHOWN
            return page.context.request.get(url, max_redirects=0,
                                            fail_on_status_code=False).status
        except Error as exc:
            what = "[signed_in] page" if shown is not None else "check URL"
            raise RowStopped(f"the {what} {url} did not answer: "
                             f"{self.stopped(exc)}") from None

    def signed_out_at_start(self) -> None:
        """For an app told signed in by a page: a :class:`SetupError` when that page shows
        someone signed in to a browser with no session, where it tells nothing (every ACCEPT
        row would pass, every REJECT row fail)."""
        if self.options.shown_signed_in is None:
            return
        with self._context() as context:
            page = context.new_page()
            shown = self._check(page) == SHOWN
        self.collected = None
        if shown:
            raise SetupError(
                f"preflight: the [signed_in] page {self.options.rp_url(self.options.check)} shows "
                "someone signed in to a browser that has signed in nowhere: its selector or "
                "text must be shown only while signed in")

    def _sign_in(self, page: Page) -> str | Refusal | None:
        """Start the RP's login, sign in at the provider and wait to be back at the RP;
        ``None`` when done, the provider's refusal of the user when its page shows one, else
        why the provider's sign-in page never came (its error page's words, when it showed
        one instead)."""
        from playwright.sync_api import Error

        from scenarios.drivers import EntraDriver, PasswordChangeRequired, SecondFactorRequired
        from scenarios.pages import IdpUsernamePage

        try:
            self._open_start(page)
            IdpUsernamePage(page).heading.wait_for(state="visible")
            if not same_server(page.url, self.options.idp):
                return (f"the sign-in page is at {where(page.url)}, not at this mock provider "
                        f"({self.options.idp})")
            self._strict = self._strict_cookies(page.context)
            EntraDriver(timeout_ms=self.options.timeout_ms).sign_in(
                page, self.options.upn, self.options.password)
        except (SecondFactorRequired, PasswordChangeRequired) as exc:
            return driver_refusal(exc)
        except AppTimeout as exc:  # the RP's callback never answered: said as the browser's
            return _squash(self.masked(str(exc).splitlines()[0]))
        except AssertionError as exc:  # the driver's: no sign-in page came
            return self._no_sign_in_page(page, exc)
        except Error as exc:
            return _squash(self.masked(str(exc).splitlines()[0]) if str(exc)
                           else type(exc).__name__)
        if same_server(page.url, self.options.idp) and (shown := shown_refusal(page)):
            return shown
        self._back_at_rp(page)
        return None

    def _no_sign_in_page(self, page: Page, exc: AssertionError) -> str:
        """Why the provider's sign-in page did not come: the error its page shows instead (an
        ``AADSTS`` code refusing the app's authorization request: an unknown client id,
        AADSTS700016, an unregistered redirect URI, AADSTS50011), else what the driver saw."""
        shown = shown_refusal(page)
        if shown is None or shown.where != "page":
            return _squash(self.masked(str(exc)), 300)
        return (f"{PROVIDER_ERROR_PAGE}, not its sign-in page: \"{self.masked(shown.text)}\" "
                "(check the client id, redirect URI and tenant the app signs in with)")

    def _strict_cookies(self, context: BrowserContext) -> tuple[str, ...]:
        """The names of the RP's cookies the browser holds with ``SameSite=Strict``, when the
        provider is another site than the RP (``()`` on one site, where they do come back)."""
        if same_site(self.options.idp, self.options.rp):
            return ()
        return tuple(sorted({cookie["name"] for cookie in context.cookies(self.options.rp)
                             if cookie.get("sameSite") == "Strict"}))

    def _back_at_rp(self, page: Page) -> None:
        back_at(page, self.rp_host)

    def _settled_check(self, page: Page, log: NavigationLog) -> int:
        """The check URL's status. A "not signed in" on a page that is not an error page is
        asked again once the page's network is idle, so a relying party that finishes its
        sign-in in script is not judged early."""
        from playwright.sync_api import Error

        status = self._check(page)
        error_page = bool(log.documents) and log.documents[-1][1] >= 400
        if not 200 <= status < 300 and not error_page:
            with contextlib.suppress(Error):
                page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
            status = self._check(page)
        return status

    def _open_start(self, page: Page) -> None:
        """Go to the start URL and click its ``start_control``, when the options name one."""
        from playwright.sync_api import Error

        from scenarios.app.page_summary import page_summary
        from scenarios.app.sign_in_control import click_sign_in

        start = self.options.rp_url(self.options.start)
        self.sent_to = None
        with failed_navigations(page) as failed:
            try:
                page.goto(start)
            except Error:  # the page stays blank: the preflight names where it was sent
                self.sent_to = next((r.url for r in failed if r.redirected_from and same_server(
                    r.redirected_from.url, self.options.rp)), None)
                raise
        if self.options.start_control:
            click_sign_in(page, self.options.start_control, app_base_url=self.options.rp,
                          url=start, answered=lambda: False, showing=lambda: page_summary(page))

    def _plain_sign_in(self, page: Page, context: BrowserContext) -> tuple[bool, str]:
        """Whether the RP signs in now with a correct answer, no fault armed: the row's
        browser starts its sign-in again, which the browser's session at the provider answers
        (or its sign-in pages, when the provider asks again); and, when it did not, what the
        page said."""
        from scenarios.drivers import EntraDriver

        log = _navigation_log(page)
        try:
            self._open_start(page)
            EntraDriver(timeout_ms=self.options.timeout_ms).sign_in_if_asked(
                page, urlsplit(self.options.idp).netloc, self.options.upn,
                self.options.password)
        except Exception as exc:  # a Playwright error, a page the driver cannot answer
            return False, self.stopped(exc)
        self._back_at_rp(page)
        if 200 <= self._settled_check(page, log) < 300:
            return True, ""
        return False, _squash(self.masked(_page_text(page)))

    def arm(self, row: Row) -> str | None:
        """Arm ``row``'s fault at the provider (its id; ``None``: the row arms none), for the
        first ID token issued, or for the one a hash row breaks in the app's flow."""
        if not row.fault:
            return None
        where = (hash_endpoint(row.hash_claim, self.response_type)
                 if row.hash_claim is not None else None)
        return self.control.arm(row.fault, **({"endpoint": where} if where else {}))

    def login_row(self, row: Row) -> LoginObservation:
        with self._context() as context:
            page = context.new_page()
            with ended_by_app_exit(self.app, page):  # not its step's whole timeout
                return self._login(row, page, context)

    def _login(self, row: Row, page: Page, context: BrowserContext) -> LoginObservation:
        log = _navigation_log(page)
        fault_id = self.arm(row)
        self._strict = ()
        problem = self._sign_in(page)
        if isinstance(problem, str):
            return LoginObservation(reached_sign_in=False, check_status=None, error=problem,
                                    final_url=self.masked(self.sent_to or page.url))
        status = self._settled_check(page, log)
        fired = None if fault_id is None else fault_id not in self.control.armed()
        text = "" if 200 <= status < 300 else _squash(self.masked(_page_text(page)))
        obs = LoginObservation(
            reached_sign_in=True, check_status=status, fault_fired=fired,
            final_url=self.masked(page.url),
            page_status=log.documents[-1][1] if log.documents else None,
            page_text=text, strict_cookies=self._strict, refusal=problem or sent_refusal(
                (url for url in (*log.redirects, *(u for u, _ in log.documents))
                 if same_server(url, self.options.rp)),
                (body for (url, _), body in zip(log.documents, log.posted, strict=True)
                 if body is not None and same_server(url, self.options.rp))))
        if row.fault in USERINFO_KINDS and fired and obs.signed_in:
            shown = _page_text(page)
            with contextlib.suppress(Exception):  # what the check URL says of the user
                shown += context.request.get(self.options.rp_url(self.options.check),
                                             max_redirects=0).text()
            return replace(obs, dropped_userinfo=dropped_userinfo(shown, self.options.upn))
        if row.expect != "REJECT" or not fired or obs.signed_in is not False:
            return obs
        self._collect()  # the row's exchange ends here, before the plain sign-in
        self.control.clear()
        signed_in, said = self._plain_sign_in(page, context)
        return replace(obs, plain_after=signed_in, plain_after_text=said)

    def backchannel_row(self, row: Row) -> BackchannelObservation:
        with self._context() as context:
            page = context.new_page()
            with ended_by_app_exit(self.app, page):
                return self._backchannel(row, page, context)

    def _backchannel(self, row: Row, page: Page,
                     context: BrowserContext) -> BackchannelObservation:
        log = _navigation_log(page)
        problem = self._sign_in(page)
        if isinstance(problem, Refusal):
            problem = f"the provider refused the sign-in: {problem.text}"
        if problem is not None:
            return BackchannelObservation(signed_in_before=False, error=problem)
        if not 200 <= self._settled_check(page, log) < 300:
            return BackchannelObservation(signed_in_before=False)
        known = {n["id"] for n in self.control.backchannel_notes()}
        if row.fault:
            self.control.arm(row.fault, endpoint="logout_token")
        self.control.end_session({c["name"]: c["value"]
                                  for c in context.cookies(self.control.logout_url)
                                  if "name" in c and "value" in c})
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
            check_status_after=self._check(page), deliveries=len(new),
            by_page=self.options.shown_signed_in is not None)
