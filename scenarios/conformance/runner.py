"""Running conformance rows in a real browser: one fresh context per row, the row's fault armed
at the provider, the RP's sign-in driven, and what happened recorded for judging."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.evidence import ProviderEvidence, evidence_of
from scenarios.conformance.judging import Refusal
from scenarios.conformance.options import CLOCK_TOLERANCE, ConformanceOptions
from scenarios.conformance.output import RowOutput
from scenarios.conformance.readiness import (
    other_client,
    preflight,
    same_server,
    sign_in_problem,
    where,
)
from scenarios.conformance.refusals import driver_refusal, sent_refusal, shown_refusal
from scenarios.conformance.rows import (
    LOGIN_ROWS,
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    Verdict,
    judge,
)
from scenarios.masking import masked_text
from scenarios.max_failures import skip_reason
from scenarios.protocol_view import BrowserLog, Collected, collect, exchange_of
from scenarios.protocol_view.tokens import value_mask

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from scenarios.flows import NavigationLog

__all__ = ["CLOCK_TOLERANCE", "PLAIN_ROW", "ConformanceOptions", "Progress", "preflight",
           "run_rows"]

TEXT_LIMIT = 70
SETTLE_MS = 3000
PLAIN_ROW = LOGIN_ROWS[0]
"""The plain code flow, which the preflight signs in with before any row."""


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


Known = Callable[[], Mapping[str, str]]
"""The secret values the run knows, each with what it is shown as
(:func:`~scenarios.protocol_view.known.known_values`), read when they are needed: the
provider issues codes and tokens as the rows run."""


class _Driver:
    """One browser, a fresh context per row."""

    def __init__(self, options: ConformanceOptions, control: MockControl,
                 browser: Browser, known: Known = dict) -> None:
        self.options = options
        self.control = control
        self.browser = browser
        self.known = known
        self.rp_host = urlsplit(options.rp).netloc
        self.collected: Collected | None = None
        """What the last row's exchange is drawn from."""

    @contextlib.contextmanager
    def _context(self) -> Iterator[BrowserContext]:
        context = self.browser.new_context(**self.options.context_options)
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

    def masked(self, text: str) -> str:
        """``text`` (what an app's page said, a URL) as the results may show it: masked by
        name and by the values the run knows, control characters escaped."""
        return masked_text(text, value_mask(self.known())) or ""

    def evidence(self) -> ProviderEvidence | None:
        """What the provider's log says about the last row (``None``: it was not read)."""
        provider = self.collected.provider if self.collected is not None else None
        return evidence_of(provider.get("requests", ())) if provider is not None else None

    def _check(self, context: BrowserContext) -> int:
        return context.request.get(self.options.rp_url(self.options.check),
                                   max_redirects=0, fail_on_status_code=False).status

    def _sign_in(self, page: Page) -> str | Refusal | None:
        """Start the RP's login, sign in at the provider and wait to be back at the RP;
        ``None`` when done, the provider's refusal of the user when its page shows one, else
        why the provider's sign-in page never came."""
        from playwright.sync_api import Error

        from scenarios.drivers import EntraDriver, PasswordChangeRequired, SecondFactorRequired
        from scenarios.pages import IdpUsernamePage

        try:
            page.goto(self.options.rp_url(self.options.start))
            IdpUsernamePage(page).heading.wait_for(state="visible")
            if not same_server(page.url, self.options.idp):
                return (f"the sign-in page is at {where(page.url)}, not at this mock provider "
                        f"({self.options.idp})")
            EntraDriver(timeout_ms=self.options.timeout_ms).sign_in(
                page, self.options.upn, self.options.password)
        except (SecondFactorRequired, PasswordChangeRequired) as exc:
            return driver_refusal(exc)
        except Error as exc:
            return _squash(self.masked(str(exc).splitlines()[0]) if str(exc)
                           else type(exc).__name__)
        if same_server(page.url, self.options.idp) and (shown := shown_refusal(page)):
            return shown
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
            if isinstance(problem, str):
                return LoginObservation(reached_sign_in=False, check_status=None,
                                        error=problem, final_url=self.masked(page.url))
            status = self._settled_check(page, context, log)
            fired = None if fault_id is None else fault_id not in self.control.armed()
            text = "" if 200 <= status < 300 else _squash(self.masked(_page_text(page)))
            return LoginObservation(
                reached_sign_in=True, check_status=status, fault_fired=fired,
                final_url=self.masked(page.url),
                page_status=log.documents[-1][1] if log.documents else None,
                page_text=text, refusal=problem or sent_refusal(
                    (url for url in (*log.redirects, *(u for u, _ in log.documents))
                     if same_server(url, self.options.rp)),
                    (body for (url, _), body in zip(log.documents, log.posted, strict=True)
                     if body is not None and same_server(url, self.options.rp))))

    def backchannel_row(self, row: Row) -> BackchannelObservation:
        with self._context() as context:
            page = context.new_page()
            log = _navigation_log(page)
            problem = self._sign_in(page)
            if isinstance(problem, Refusal):
                problem = f"the provider refused the sign-in: {problem.text}"
            if problem is not None:
                return BackchannelObservation(signed_in_before=False, error=problem)
            if not 200 <= self._settled_check(page, context, log) < 300:
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
                check_status_after=self._check(context), deliveries=len(new))


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
             browser: Browser, progress: Progress | None = None,
             output: RowOutput | None = None, known: Known = dict) -> list[RowResult]:
    """Sign in once without a fault (the preflight: a :class:`SetupError` when that fails),
    then run ``rows`` in order (back-channel rows only with ``options.backchannel``); call
    :func:`preflight` first. ``output``: the app's, kept for each row that failed; ``known``:
    the secrets masked wherever the results quote the app (its pages, its URLs)."""
    driver = _Driver(options, control, browser, known)
    results: list[RowResult] = []
    keys_before = 0

    def observe(row: Row) -> tuple[RowResult, LoginObservation | BackchannelObservation,
                                   ProviderEvidence | None]:
        nonlocal keys_before
        started = time.monotonic()
        driver.collected = None
        if output is not None:
            output.mark()
        try:
            if row.kind == "login":
                obs: LoginObservation | BackchannelObservation = driver.login_row(row)
            else:
                obs = driver.backchannel_row(row)
        finally:
            control.clear()
        evidence = driver.evidence()
        if isinstance(obs, LoginObservation):
            obs = replace(obs, over_tls=options.over_tls, key_fetches_before=keys_before,
                          key_fetches=evidence.key_fetches if evidence is not None else None,
                          response_type=evidence.response_type if evidence is not None
                          else None,
                          sent_nonce=evidence.sent_nonce if evidence is not None else None,
                          sent_pkce=evidence.sent_pkce if evidence is not None else None)
        keys_before += evidence.key_fetches if evidence is not None else 0
        result = RowResult(row=row, verdict=judge(row, obs),
                           seconds=time.monotonic() - started,
                           protocol=exchange_of(driver.collected))
        return (output.keep(result) if output is not None else result), obs, evidence

    limit = options.max_failures

    def one(row: Row) -> None:
        if limit is not None and sum(r.verdict.result == "FAIL" for r in results) >= limit:
            result = RowResult(row=row, verdict=Verdict(result="SKIP", did="not run",
                                                        reason=skip_reason(limit, "row")),
                               seconds=0.0)
        else:
            result, _, _ = observe(row)
        results.append(result)
        if progress is not None:
            progress(result)

    plain, plain_obs, evidence = observe(PLAIN_ROW)
    if evidence is not None and (other := other_client(options, evidence)) is not None:
        raise SetupError(f"preflight: the app signs in as client {other}, but the faults "
                         f"target client {options.client_id}: give --client-id {other} (or "
                         f"point the app at client {options.client_id})")
    if plain.verdict.result != "PASS":
        assert isinstance(plain_obs, LoginObservation)
        raise SetupError("preflight: " + driver.masked(
            sign_in_problem(options, plain_obs, evidence)))
    for row in rows:
        if row is PLAIN_ROW:
            results.append(plain)
            if progress is not None:
                progress(plain)
        elif row.kind == "login":
            one(row)
    logout_rows = [row for row in rows if row.kind == "backchannel"]
    if logout_rows and options.backchannel:
        with _backchannel_uri(options, control):
            for row in logout_rows:
                one(row)
    return results
