"""Running conformance rows in a real browser: one fresh context per row, the row's fault armed
at the provider, the RP's sign-in driven, and what happened recorded for judging."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.evidence import ProviderEvidence, evidence_of
from scenarios.conformance.judging import Refusal
from scenarios.conformance.options import CLOCK_TOLERANCE, ConformanceOptions
from scenarios.conformance.output import RowOutput
from scenarios.conformance.refusals import refused_user, sent_refusal, shown_refusal
from scenarios.conformance.rows import (
    LOGIN_ROWS,
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    Verdict,
    judge,
)
from scenarios.max_failures import skip_reason
from scenarios.protocol_view import BrowserLog, Collected, collect, exchange_of

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
                return (f"the sign-in page is at {_where(page.url)}, not at this mock provider "
                        f"({self.options.idp})")
            EntraDriver(timeout_ms=self.options.timeout_ms).sign_in(
                page, self.options.upn, self.options.password)
        except (SecondFactorRequired, PasswordChangeRequired) as exc:
            return Refusal(where="account", text=str(exc))
        except Error as exc:
            return _squash(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
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
                                        error=problem, final_url=page.url)
            status = self._settled_check(page, context, log)
            fired = None if fault_id is None else fault_id not in self.control.armed()
            text = "" if 200 <= status < 300 else _page_text(page)
            return LoginObservation(
                reached_sign_in=True, check_status=status, fault_fired=fired,
                final_url=page.url, page_status=log.documents[-1][1] if log.documents else None,
                page_text=text, refusal=problem or sent_refusal(
                    url for url in (*log.redirects, *(u for u, _ in log.documents))
                    if same_server(url, self.options.rp)))

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


def _clock_skew(response: httpx.Response, control: MockControl) -> float | None:
    """Seconds the app's clock (its ``Date`` header) is ahead of the provider's; ``None`` when
    the app sends no usable ``Date``. ``Date`` counts whole seconds, so the app's time was
    somewhere in the second it names: its middle is the estimate."""
    try:
        app_time = parsedate_to_datetime(response.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return app_time + 0.5 - control.now()


def preflight(options: ConformanceOptions, control: MockControl) -> None:
    """Check that the provider is the mock (with its control API and the app), that the check
    URL answers "not signed in" without a session and that the app's clock agrees with the
    provider's; clear any armed faults. :func:`run_rows` then signs in once before any row."""
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
        response = httpx.get(url, timeout=10, verify=False)
    except httpx.HTTPError as exc:
        raise SetupError(f"the RP is not reachable at {url}: {exc}") from None
    status = response.status_code
    if not (status in (401, 403) or 300 <= status < 400):
        raise SetupError(f"--check {url} answered {status} without a session; it must answer "
                         "401, 403 or a redirect when not signed in (and 2xx when signed in)")
    skew = _clock_skew(response, control)
    if skew is not None and abs(skew) > options.clock_tolerance:
        raise SetupError(
            f"the app's clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the "
            f"provider's (its Date header against {options.idp}/_mock/clock; tolerance "
            f"{options.clock_tolerance:g} s): every token would look expired or not yet valid "
            "to it. Move the provider's clock back (POST /_mock/clock) or fix the app's")


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def same_server(url: str, base_url: str) -> bool:
    """Whether ``url`` is on the server at ``base_url`` (loopback names are one host)."""
    a, b = urlsplit(url), urlsplit(base_url)
    hosts = {a.hostname, b.hostname}
    return a.scheme == b.scheme and a.port == b.port and (
        a.hostname == b.hostname or hosts <= _LOOPBACK)


def _sign_in_problem(options: ConformanceOptions, obs: LoginObservation,
                     evidence: ProviderEvidence | None) -> str:
    """Why the preflight's plain sign-in did not sign the app in, in one line."""
    start = options.rp_url(options.start)
    if obs.refusal is not None and (refused := refused_user(options.upn, obs.refusal)):
        return refused
    if obs.error is not None or not obs.reached_sign_in:
        ended = obs.final_url
        if ended.startswith("http") and not same_server(ended, options.idp) and not \
                same_server(ended, options.rp_url("/")):
            return (f"the app sent the browser from {start} to {_where(ended)}, not to this mock "
                    f"provider at {options.idp}: the app is pointed at another provider (check "
                    "its authority, issuer or discovery URL)")
        return (f"{start} did not lead to this mock provider's sign-in page (ended at "
                f"{ended or 'an unknown page'}: {obs.error or 'no sign-in page'})")
    said = "" if evidence is None or not evidence.token_answers else (
        f"; the provider's token endpoint answered {', '.join(evidence.token_answers)}")
    if evidence is not None and not evidence.token_answers:
        said = "; the app never called this provider's token endpoint"
    if obs.signed_in is None:
        return (f"after a plain sign-in the check URL {options.rp_url(options.check)} answered "
                f"{obs.check_status}, neither 2xx (signed in) nor 401, 403 or a redirect{said}")
    page = f" (page HTTP {obs.page_status}: \"{obs.page_text}\")" if obs.page_text else ""
    if obs.refusal is not None:
        page += f"; the provider said \"{obs.refusal.text}\""
    return (f"a plain sign-in at this mock provider did not sign the app in{page}{said}: an app "
            "that refuses a valid sign-in would seem to pass every REJECT row. Check its client "
            "id and secret, redirect URI, issuer and CA file")


def _other_client(options: ConformanceOptions, evidence: ProviderEvidence) -> str | None:
    """The client id the app's authorization request named, when not the one the faults are
    armed for (``None``: the same one, or no request seen)."""
    return next((c for c in evidence.client_ids if c.lower() != options.client_id.lower()),
                None)


Progress = Callable[[RowResult], None]


def run_rows(options: ConformanceOptions, rows: Sequence[Row], control: MockControl,
             browser: Browser, progress: Progress | None = None,
             output: RowOutput | None = None) -> list[RowResult]:
    """Sign in once without a fault (the preflight: a :class:`SetupError` when that fails),
    then run ``rows`` in order (back-channel rows only with ``options.backchannel``); call
    :func:`preflight` first. ``output``: the app's, kept for each row that failed."""
    driver = _Driver(options, control, browser)
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
                          else None)
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
    if evidence is not None and (other := _other_client(options, evidence)) is not None:
        raise SetupError(f"preflight: the app signs in as client {other}, but the faults "
                         f"target client {options.client_id}: give --client-id {other} (or "
                         f"point the app at client {options.client_id})")
    if plain.verdict.result != "PASS":
        assert isinstance(plain_obs, LoginObservation)
        raise SetupError("preflight: " + _sign_in_problem(options, plain_obs, evidence))
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
