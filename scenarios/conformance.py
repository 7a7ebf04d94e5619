"""``python -m scenarios conformance``: the relying-party check catalogue against any RP.

The command makes the mock provider misbehave on purpose, one catalogue row at a time, signs in
to the relying party under test in a real browser, and reports per row whether the RP did what
the OpenID certification catalogue requires: REJECT rows pass when the RP is not signed in
afterwards, ACCEPT rows when it is. The rows and their judging are in
:mod:`scenarios.conformance_rows`.

Setting up the RP under test
----------------------------
The RP must use the mock provider as its OpenID provider: authority ``<mock>/<tenant>`` (v2
issuer ``<mock>/<tenant>/v2.0``), the mock's reference app (client id and secret printed by the
command), and a redirect URI registered for that app (``http://localhost/...`` and
``http://127.0.0.1/...`` with any port and path ``/auth/callback`` are; ``--redirect-uri`` adds
another). Point the command at a running mock with ``--idp`` (``python -m mock_idp --port 8400``),
or let it start one on ``--idp-port`` and print what to configure (``--pause`` waits for Enter).

Each row
--------
1. Arm the row's fault (``POST /_mock/faults``, scoped to the client id, for one use).
2. Open a fresh browser context (no IdP or RP session), go to ``--rp`` + ``--start``, sign in
   at the provider's sign-in page as ``--user``, and wait until the browser is back at the RP.
3. Ask ``--check`` with the browser's cookies: 2xx is signed in; 401, 403 or a redirect (to a
   login page) is not.
4. Judge. A row whose fault never fired fails (the RP never got that far), except userinfo's,
   which is skipped when the RP signed in without calling userinfo.
5. Clear all faults.

Back-channel logout rows (with ``--backchannel``): the app's ``backchannelLogoutUri`` is set to
that URL (Graph PATCH; restored afterwards). For each row a fresh browser signs in, the row's
``lt_*`` fault is armed, and the browser's provider session is ended at the provider's logout
endpoint. The provider signs and POSTs the (tampered) logout token; the RP's HTTP status is read
from ``/_mock/notifications``. A valid token must get 200 and end the session, every bad one 400.

Rows run in catalogue order and share the provider's keys: the key rows (kid absent, rotation)
come first because they leave extra or rotated keys published for the rows after them.
Front-channel-only rows (missing at_hash / c_hash, implicit and hybrid response types) are not
staged: the RP is driven through whatever flow it starts, normally the code flow, where those
hashes are optional.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from scenarios.conformance_rows import (
    ROWS,
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    SelectionError,
    format_progress,
    format_table,
    judge,
    select_rows,
    summary_counts,
    to_json,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from scenarios.flows import NavigationLog

__all__ = [
    "HELP",
    "ROWS",
    "ConformanceOptions",
    "MockControl",
    "SetupError",
    "configure",
    "handle",
    "preflight",
    "run_rows",
]

HELP = "run the relying-party check catalogue against any RP, through the mock provider"
EXIT_FAILED = 1
EXIT_SETUP = 2
TEXT_LIMIT = 70
SETTLE_MS = 3000


class SetupError(RuntimeError):
    """The provider or the RP is not usable for a conformance run; the message says why."""


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


class MockControl:
    """The provider's test-control and management APIs, as this command uses them."""

    def __init__(self, base_url: str, *, tenant: str, client_id: str,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.client_id = client_id
        self._http = http or httpx.Client(timeout=15)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise SetupError(f"{method} {url}: {exc}") from exc
        if response.is_error:
            raise SetupError(f"{method} {url} -> {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def arm(self, kind: str, **scope: Any) -> str:
        body = {"kind": kind, "app": self.client_id, "times": 1, **scope}
        return str(self._call("POST", "/_mock/faults", json=body)["id"])

    def armed(self) -> set[str]:
        return {str(f["id"]) for f in self._call("GET", "/_mock/faults")["faults"]}

    def clear(self) -> None:
        self._call("DELETE", "/_mock/faults")

    def _app_path(self) -> str:
        return f"/graph/{self.tenant}/v1.0/applications(appId='{quote(self.client_id)}')"

    def app(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", self._app_path())
        return found

    def patch_app(self, patch: dict[str, Any]) -> None:
        self._call("PATCH", self._app_path(), json=patch)

    def backchannel_notes(self) -> list[dict[str, Any]]:
        body = self._call("GET", "/_mock/notifications", params={"kind": "backchannel"})
        return [n for n in body["notifications"] if n.get("client_id") == self.client_id]

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant}"

    @property
    def logout_url(self) -> str:
        return f"{self.authority}/oauth2/v2.0/logout"


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

    @contextlib.contextmanager
    def _context(self) -> Iterator[BrowserContext]:
        context = self.browser.new_context()
        context.set_default_timeout(self.options.timeout_ms)
        try:
            yield context
        finally:
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
        try:
            if row.kind == "login":
                obs: LoginObservation | BackchannelObservation = driver.login_row(row)
            else:
                obs = driver.backchannel_row(row)
        finally:
            control.clear()
        result = RowResult(row=row, verdict=judge(row, obs),
                           seconds=time.monotonic() - started)
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


# -- command line ---------------------------------------------------------------------------------

_EPILOG = """\
The RP under test must use the mock provider as its OpenID provider: authority
<mock>/<tenant> (issuer <mock>/<tenant>/v2.0), the mock's reference app client id and secret
(printed when this command starts the mock), and a registered redirect URI (any
http://localhost or http://127.0.0.1 port with path /auth/callback; --redirect-uri adds one).

Each row arms one fault at the provider, signs in with a fresh browser context (no IdP or RP
session) at --start, then asks --check: REJECT rows pass when the RP is not signed in, ACCEPT
rows when it is. --backchannel adds the logout-token rows: the provider POSTs a valid or
tampered logout token when the browser's provider session ends; 200 and 400 are expected.

Exit status: 0 when no row fails, 1 when one does, 2 when the set-up is unusable.

Example (the reference RP):
  python -m scenarios conformance --rp http://127.0.0.1:8000 --idp http://127.0.0.1:8400 \\
      --start /sso/<connection-id>/widget --backchannel /auth/backchannel-logout
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
    from scenarios.browser import WS_ENDPOINT_ENV

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("--rp", metavar="URL", help="the RP's base URL (required to run)")
    parser.add_argument("--start", default="/login", metavar="PATH",
                        help="path that starts a login (default: /login; the reference RP: "
                        "/sso/<connection>/widget, or /widget with one connection)")
    parser.add_argument("--check", default="/api/me", metavar="PATH",
                        help="answers 2xx when signed in, 401/403 or a redirect when not "
                        "(default: /api/me)")
    parser.add_argument("--backchannel", metavar="PATH",
                        help="the RP's back-channel logout endpoint; adds the logout-token rows")
    parser.add_argument("--idp", metavar="URL",
                        help="a running mock provider (default: start one and print the "
                        "settings the RP needs)")
    parser.add_argument("--idp-port", type=int, default=0, metavar="PORT",
                        help="port of the mock this command starts (default: a free one)")
    parser.add_argument("--pause", action="store_true",
                        help="after starting the mock, wait for Enter (time to configure the RP)")
    parser.add_argument("--redirect-uri", action="append", default=[], metavar="URI",
                        help="register this redirect URI for the app first (repeatable)")
    parser.add_argument("--tenant", default=DEFAULT_TENANT_ID, help="tenant id or domain")
    parser.add_argument("--client-id", default=REFERENCE_RP_CLIENT_ID,
                        help="the RP's client id at the mock (default: the reference app)")
    parser.add_argument("--user", default="alice",
                        help="who signs in: a first name of the mock's directory or a UPN "
                        "(default: alice)")
    parser.add_argument("--password", help="the user's password (default: P@ssw0rd-<name>)")
    parser.add_argument("--only", action="append", default=[], metavar="ROWS",
                        help="row ids or globs, comma-separated or repeated")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout (progress goes to stderr)")
    parser.add_argument("--headed", action="store_true", help="show the browser")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="timeout of each browser action (default: 10)")
    parser.add_argument("--browser-ws-endpoint", metavar="URL",
                        help=f"a remote Playwright browser server (env {WS_ENDPOINT_ENV})")


def _person(user: str, password: str | None) -> tuple[str, str]:
    from mock_idp.config import DEFAULT_DOMAIN

    if "@" in user:
        return user, password or f"P@ssw0rd-{user.split('@')[0].lower()}"
    return f"{user.lower()}@{DEFAULT_DOMAIN}", password or f"P@ssw0rd-{user.lower()}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_settings(control: MockControl, secret: str | None) -> None:
    app = control.app()
    lines = [f"Mock provider running at {control.base_url}",
             "Configure the relying party under test with:",
             f"  authority       {control.authority}",
             f"  issuer          {control.authority}/v2.0",
             f"  discovery       {control.authority}/v2.0/.well-known/openid-configuration",
             f"  client id       {control.client_id}"]
    if secret:
        lines.append(f"  client secret   {secret}")
    for uri in app.get("web", {}).get("redirectUris", []):
        lines.append(f"  redirect URI    {uri}")
    _say("\n".join(lines))


def _register_redirects(control: MockControl, uris: Sequence[str]) -> None:
    if not uris:
        return
    existing = list(control.app().get("web", {}).get("redirectUris", []))
    control.patch_app({"web": {"redirectUris": existing + [u for u in uris if u not in existing]}})


def handle(args: argparse.Namespace) -> int:
    from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET

    try:
        rows = select_rows(args.only)
    except SelectionError as exc:
        _say(f"scenarios conformance: {exc}")
        return EXIT_SETUP
    if args.list:
        for row in rows:
            print(f"{row.id}\t{row.expect}\t{row.fault or '-'}\t{row.what}")
        return 0
    if not args.rp:
        _say("scenarios conformance: --rp URL is required")
        return EXIT_SETUP
    if not args.backchannel:
        rows = tuple(r for r in rows if r.kind == "login")
    if not rows:
        _say("scenarios conformance: no rows to run (the logout-token rows need --backchannel)")
        return EXIT_SETUP
    upn, password = _person(args.user, args.password)
    with contextlib.ExitStack() as stack:
        idp_url = args.idp
        if idp_url is None:
            from mock_idp import IdpConfig, MockIdp

            try:
                mock = stack.enter_context(MockIdp(IdpConfig.default(), port=args.idp_port))
            except OSError as exc:
                _say(f"scenarios conformance: cannot start the mock provider on port "
                     f"{args.idp_port}: {exc.strerror or exc}")
                return EXIT_SETUP
            idp_url = mock.url
        options = ConformanceOptions(
            rp=args.rp.rstrip("/"), idp=idp_url.rstrip("/"), start=args.start, check=args.check,
            backchannel=args.backchannel, tenant=args.tenant, client_id=args.client_id,
            upn=upn, password=password, headed=args.headed, timeout_ms=args.timeout * 1000,
            ws_endpoint=args.browser_ws_endpoint)
        http = stack.enter_context(httpx.Client(timeout=15))
        control = MockControl(options.idp, tenant=options.tenant, client_id=options.client_id,
                              http=http)
        try:
            _register_redirects(control, args.redirect_uri)
            if args.idp is None:
                secret = REFERENCE_RP_SECRET if args.client_id == REFERENCE_RP_CLIENT_ID else None
                _print_settings(control, secret)
                if args.pause:
                    input("Press Enter when the RP is configured... ")
            preflight(options, control)
            results = _run_with_browser(options, rows, control)
        except SetupError as exc:
            _say(f"scenarios conformance: {exc}")
            return EXIT_SETUP
    if args.json:
        print(json.dumps(to_json(results, rp=options.rp, provider=options.idp,
                                 client_id=options.client_id), indent=2))
    else:
        print()
        print(format_table(results))
    return EXIT_FAILED if summary_counts(results)["failed"] else 0


def _run_with_browser(options: ConformanceOptions, rows: Sequence[Row],
                      control: MockControl) -> list[RowResult]:
    from playwright.sync_api import Error, sync_playwright

    from scenarios.browser import BrowserUnavailable, launch, resolve

    try:
        choice = resolve(ws_endpoint=options.ws_endpoint)
    except BrowserUnavailable as exc:
        raise SetupError(str(exc)) from None
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright, choice, headed=options.headed)
        except Error as exc:
            raise SetupError(f"cannot start {choice.describe()}: {exc}") from None
        try:
            return run_rows(options, rows, control, browser,
                            progress=lambda r: _say(format_progress(r)))
        finally:
            browser.close()

