"""Reusable journeys: plain functions over a page and a live stack, for scenarios and tests.

Everything about the app under test goes through ``stack.app`` (its profile's adapter).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mock_idp.signin import ids
from mock_idp.testing import path_segment
from scenarios.app.adapter import SignedInElsewhere
from scenarios.app.page_summary import READ_MS, browser_error
from scenarios.app.process import OUTPUT_TAIL_LINES
from scenarios.app_exit import shielded
from scenarios.drivers import EntraDriver
from scenarios.goto import goto_sign_in
from scenarios.lax_allowance import strict_cookies_note
from scenarios.live import LiveStack, Person
from scenarios.masking import quoted
from scenarios.navigation_log import NavigationLog as NavigationLog  # the journeys' log, kept here
from scenarios.navigation_log import shown_url
from scenarios.pages import IdpPasswordPage, IdpStaySignedInPage, IdpUsernamePage
from scenarios.refusals import with_name_cause, with_refusal, with_sign_in_cause
from scenarios.sign_in_elsewhere import NoSignInPage, why_not_shown

PROVIDER_ERRORS = tuple(f"#{name}" for name in (ids.PASSWORD_ERROR, ids.USERNAME_ERROR,
                                               ids.CODE_ERROR, ids.SERVICE_EXCEPTION))
"""Where Entra's sign-in pages (and the mock's) say why a sign-in stopped."""
SHOWN_TEXT = 160
"""Characters of a page's text (or of a provider's error) a failure message quotes."""
SHOWN_LINES = 3
SCRIPT_START_POLL_MS = 250
"""How long each look for a script-started sign-in waits for the provider before the app's page
is asked whether it shows someone signed in."""

_SHOWN_JS = """(a) => {
  const visible = (el) => { const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  const squash = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const errors = a.errors.flatMap((selector) => [...document.querySelectorAll(selector)]
    .filter(visible).map((el) => [selector, squash(el.innerText)]))
    .filter(([, text]) => text);
  const heading = [...document.querySelectorAll("h1, h2, [role=heading]")].filter(visible)
    .map((el) => squash(el.innerText)).find((text) => text) || "";
  const main = document.querySelector("main, [role=main]") || document.body;
  const lines = (main ? main.innerText : "").split("\\n").map(squash)
    .filter((line) => line && line !== heading).slice(0, a.lines);
  return {errors, heading, lines};
}"""


def sign_in_at_idp(page: Page, person: Person, driver: EntraDriver | None = None) -> None:
    """Expect the provider's sign-in pages and sign in on them (Entra's: username, password,
    "Stay signed in?" answered No, consent accepted if asked)."""
    (driver or EntraDriver()).sign_in(page, person.upn, person.password)


def sign_in_at_company(page: Page, stack: LiveStack, person: Person) -> None:
    """``person`` has signed in at the provider earlier (a session started through the mock's
    ``POST /_mock/sessions``): the browser holds the provider's session cookie, as a
    customer's browser at work does, so a sign-in URL needs no password."""
    started = page.context.request.post(stack.idp_url("/_mock/sessions"),
                                         data={"user": person.upn, "tenant": stack.tenant_id})
    assert started.status == 201, (
        f"the provider did not start a session for {person.upn}: {started.status} "
        f"{started.text()[:300]}")


def sign_in_if_asked(page: Page, stack: LiveStack, person: Person) -> None:
    """Answer the provider's sign-in pages as :func:`sign_in_at_idp` does, if it shows one;
    return once the browser has left the provider."""
    provider = urlsplit(stack.idp.base_url).netloc
    EntraDriver().sign_in_if_asked(page, provider, person.upn, person.password)


def follow_signed_in_at_company(page: Page, stack: LiveStack, person: Person,
                                app: str | None = None, *, url: str | None = None) -> None:
    """Sign ``person`` in at the company (:func:`sign_in_at_company`), then follow ``url`` (by
    default the app's sign-in URL ``app``, the profile's first when not named): the provider
    answers the app at once, without a page. Should it still ask (an app that sends
    ``prompt=login``, say), its pages are answered (:func:`sign_in_if_asked`)."""
    sign_in_at_company(page, stack, person)
    log = NavigationLog(page)
    goto_sign_in(page, stack, url or stack.app.sign_in_url(app))
    await_scripted_sign_in(page, stack, log)
    sign_in_if_asked(page, stack, person)


def await_scripted_sign_in(page: Page, stack: LiveStack, log: NavigationLog) -> None:
    """After following a sign-in URL that the app answered with a page of its own, no document
    of the provider's in ``log``: a page whose script starts the sign-in once it runs
    (Streamlit's ``st.login()``, drawn over a websocket; next-auth v4's ``signIn()``; a
    single-page app) is still the app's while that script works. Wait until the browser is at
    the provider or the app shows someone signed in (a session it still held), at most the
    driver's timeout, so that a provider that asks (``prompt=select_account``, Streamlit's
    default) has its pages answered rather than being taken to have asked nothing."""
    provider = urlsplit(stack.idp.base_url).netloc
    if _went_to(log, provider) and not _page_of(log, provider):
        return  # the provider answered by redirects (or its page posted on), as most do
    deadline = time.monotonic() + EntraDriver().timeout_ms / 1000
    pending = False
    while time.monotonic() < deadline:
        try:
            page.wait_for_url(lambda url: urlsplit(url).netloc == provider,
                              wait_until="commit", timeout=SCRIPT_START_POLL_MS)
            return
        except PlaywrightTimeoutError:
            pass
        # The log is read on every round: a provider that answers by redirects alone (a
        # session it holds) commits no URL of its own, so only the log tells that the
        # script's sign-in went there and came back. A page of the provider's that is the
        # log's last document gets one more look for its URL to commit, so that its pages
        # are answered rather than taken for a browser that left; one that never commits
        # (its form posted on, to an app that dropped the connection) ends the wait then.
        if _went_to(log, provider):
            if pending or not _page_of(log, provider):
                return
            pending = True
            continue
        if stack.app.shows_signed_in_now(page):
            return


def _went_to(log: NavigationLog, provider: str) -> bool:
    return any(urlsplit(url).netloc == provider for url, _ in log.documents)


def _page_of(log: NavigationLog, provider: str) -> bool:
    """Whether the log's last document is a page (not a redirect) of ``provider``'s."""
    if not log.documents:
        return False
    url, status = log.documents[-1]
    return urlsplit(url).netloc == provider and not 300 <= status < 400


def first_login_at_company(page: Page, stack: LiveStack, person: Person,
                           app: str | None = None) -> None:
    """:func:`first_login` for someone already signed in at the company: follow the sign-in
    URL (by name; default the profile's first), land on the app, without a page at the
    provider. For scenarios whose subject comes after the sign-in."""
    follow_signed_in_at_company(page, stack, person, app)
    expect_signed_in(page, stack, person, path=stack.app.lands_on(app))


PAGE_PROMPTS = ("login", "select_account", "consent")
"""``prompt`` values Entra answers with a page whatever session the browser holds: "forces the
user to enter their credentials", "interrupts single sign-on" with the account picker, shows
the consent dialog (Microsoft identity platform, "OAuth 2.0 authorization code flow", the
``prompt`` parameter of the authorization request)."""


def asked_prompt(log: NavigationLog, provider_base_url: str) -> str | None:
    """The first of :data:`PAGE_PROMPTS` that an authorization request in ``log`` carried (in
    its query, or in the form it posted), else ``None``."""
    host = urlsplit(provider_base_url).netloc
    for (url, _), posted in zip(log.documents, log.posted, strict=True):
        parts = urlsplit(url)
        if parts.netloc != host or not parts.path.endswith("/authorize"):
            continue
        params = parse_qs(parts.query)
        for name, values in parse_qs(posted or "").items():
            params.setdefault(name, values)
        prompt = next(iter(params.get("prompt", [])), None)
        if prompt in PAGE_PROMPTS:
            return prompt
    return None


def _prompted(prompt: str) -> str:
    return (f"the app's authorization request asked prompt={prompt}, which Entra answers with a "
            "page whatever session the browser holds (select_account: \"Pick an account\"), "
            "so no sign-in of this app is single sign-on; an app that wants it sends no prompt "
            "(Streamlit's st.login sends prompt=select_account by default)")


def _waits_for_click(page: Page, stack: LiveStack, log: NavigationLog) -> str:
    """Why a sign-in by redirects never reached the provider, when the app's page waits for a
    click (:func:`~scenarios.sign_in_elsewhere.why_not_shown`: a partner launch page, a
    sign-in page whose button the profile does not name), else ``""``."""
    if _went_to(log, urlsplit(stack.idp.base_url).netloc):
        return ""
    return why_not_shown(page, stack)[0].removeprefix("; ")


def sign_in_by_redirects(page: Page, stack: LiveStack, person: Person, url: str, *,
                         path: str | None, answer_prompt: bool = False) -> NavigationLog:
    """Follow ``url`` holding the provider's session: ``person`` lands on ``path`` signed in,
    with no click (but ``[sign_in] control``'s) and no page in between
    (:meth:`NavigationLog.expect_no_page_between`; for a single-page app, ``[provider]
    platform = "spa"``, its page at the redirect URI is a hand-off, and so is the page whose
    control was clicked). An app whose authorization request asks a ``prompt`` Entra always
    answers with a page (:data:`PAGE_PROMPTS`) fails, saying so; with ``answer_prompt`` (a
    scenario whose subject is not single sign-on itself) those pages are answered and allowed.
    Returns the log of the documents, for checks of one's own."""
    log = NavigationLog(page)
    clicked = goto_sign_in(page, stack, url)
    if answer_prompt:
        await_scripted_sign_in(page, stack, log)
        if asked_prompt(log, stack.idp.base_url) is not None:
            sign_in_if_asked(page, stack, person)
            expect_signed_in(page, stack, person, path=path)
            return log
    try:
        expect_signed_in(page, stack, person, path=path)
    except AssertionError as exc:
        prompt = asked_prompt(log, stack.idp.base_url)
        cause = _prompted(prompt) if prompt is not None else _waits_for_click(page, stack, log)
        if not cause:
            raise
        first, _, rest = str(exc).partition("\n")  # the cause under the verdict, not the log
        raise AssertionError("\n".join(filter(None, (first, cause, rest)))) from exc
    spa = stack.app.profile.provider.platform == "spa"
    log.expect_no_page_between(stack.idp.base_url,
                               single_page_app_at=stack.app.redirect_uri if spa else None,
                               clicked_through=clicked)
    return log


def up_to_stay_signed_in(page: Page, upn: str, password: str) -> IdpStaySignedInPage:
    """Answer the provider's username and password pages and stop at "Stay signed in?", whose
    answer sends the browser back to the app: for tests that watch or hold that step. A page
    that is not the provider's, or a step that does not come, fails with what the page shows."""
    from playwright.sync_api import Error

    EntraDriver().expect_sign_in_page(page)
    kmsi = IdpStaySignedInPage(page)
    step = "the username page"
    try:
        IdpUsernamePage(page).enter(upn)
        step = "the password page"
        IdpPasswordPage(page).enter(password)
        step = '"Stay signed in?"'
        expect(kmsi.heading).to_be_visible()
    except (AssertionError, Error) as exc:
        raise AssertionError(f"the provider's sign-in stopped before {step} was answered: "
                             f"{page_shows(page)}") from exc
    return kmsi


def page_shows(page: Page) -> str:
    """What the page shows, in a line for a failure message: the provider's error when one
    of :data:`PROVIDER_ERRORS` is visible (``the provider shows an error: '…' (#passwordError,
    at <url>)``), else the page's URL (without its query, which may carry a code), its main
    heading and the first lines of its main text. Reads within :data:`READ_MS`; never raises
    (it runs while another failure is being reported). The browser's own error page is said
    as :func:`~scenarios.app.page_summary.browser_error` says it (a redirect loop, no answer)."""
    if (said := browser_error(page)) is not None:
        return said
    url = shown_url(page.url)
    try:
        with shielded():  # read for a report, also as the app exits
            shown = page.wait_for_function(
                _SHOWN_JS, arg={"errors": list(PROVIDER_ERRORS), "lines": SHOWN_LINES},
                timeout=READ_MS).json_value()
        errors = [(str(selector), str(text)) for selector, text in shown["errors"]]
        heading, lines = str(shown["heading"]), " / ".join(map(str, shown["lines"]))
    except Exception as exc:  # a closed page, a navigation that never commits, a page's script
        return f"the page at {url} could not be read ({type(exc).__name__})"
    if errors:
        selector, text = errors[0]
        return f"the provider shows an error: {quoted(text, SHOWN_TEXT)} ({selector}, at {url})"
    if lines:
        shows = f", heading {quoted(heading, SHOWN_TEXT)}: " if heading else ": "
        return f"the page at {url} shows{shows}{quoted(lines, SHOWN_TEXT)}"
    return (f"the page at {url} shows only the heading {quoted(heading, SHOWN_TEXT)}" if heading
            else f"the page at {url} shows no text")


def expect_signed_in(page: Page, stack: LiveStack, person: Person, *,
                     path: str | None = None) -> None:
    """The app shows ``person`` signed in (and the browser is at ``path``, when given). On
    failure the message says first what the page shows instead (:func:`page_shows`: the
    provider's error, the app's failure page...), then why the check failed. When the app
    says the person is signed in (``me_url`` answered 2xx), the message says so: the page or
    the URL did not match the profile."""
    try:
        stack.app.expect_signed_in(page, person, lands_on=path)
    except SignedInElsewhere as exc:  # the person's name missing: perhaps never asked for
        said = f"{person.upn} is signed in, but not as the profile says: {page_shows(page)}\n{exc}"
        raise AssertionError(_naming_refusal(stack, said, name=person.name in str(exc))) from exc
    except AssertionError as exc:
        raise AssertionError(_naming_refusal(
            stack, f"{person.upn} is not signed in: {page_shows(page)}"
            f"{strict_cookies_note(page, stack)}\n{exc}", signing_in=True)) from exc


def _naming_refusal(stack: LiveStack, message: str, *, signing_in: bool = False,
                    name: bool = False) -> str:
    """``message`` of a failed check of the app's page, with the first of the app's requests
    the provider refused since the browser last followed a sign-in URL (:mod:`.refusals`), the
    cause a bare 500 hides, else Graph's own host in the app's output; for a sign-in that did
    not sign the person in (``signing_in``) also v1's unsigned ID token (``with_sign_in_cause``);
    the ``name`` missing: a scope without ``profile`` besides (``with_name_cause``)."""
    try:
        # From the last sign-in on (a millisecond early: the log rounds its times): refusals
        # of an earlier part (a secret that expired and was renewed since) did not end this.
        since = stack.sign_in_started - 0.001
        entries = [entry for entry in stack.provider_requests()
                   if not isinstance(wall := entry.get("wall"), float | int) or wall >= since]
    except Exception:  # never in the way of the failure itself
        return message
    if name:  # a refusal still named when the name is missing
        return with_name_cause(with_refusal(message, entries), entries)
    try:  # what the app printed last: none from an app the harness did not start
        output = stack.app_output(OUTPUT_TAIL_LINES)
    except Exception:  # nor from a stand-in without it
        output = ""
    if not signing_in:  # a failure page: no v1 or tenant note, only Graph's own host
        return with_refusal(message, entries, output)
    return with_sign_in_cause(message, entries, output, getattr(stack.app, "profile", None))


def sign_in_at_provider(page: Page, stack: LiveStack, person: Person,
                        driver: EntraDriver | None = None) -> None:
    """:func:`sign_in_at_idp` (with ``driver``) after a sign-in URL; when the provider's pages
    do not come (the app's own error page instead), the message says what the provider refused
    the app, or why the app may have refused to start it (:func:`.refusals.with_sign_in_cause`)."""
    try:
        sign_in_at_idp(page, person, driver)
    except AssertionError as exc:
        message = exc.fitting(stack) if isinstance(exc, NoSignInPage) else str(exc)
        raise AssertionError(_naming_refusal(stack, message, signing_in=True)) from exc


def first_login(page: Page, stack: LiveStack, person: Person, app: str | None = None) -> None:
    """Follow a sign-in URL (by name; default the profile's first), sign in once at the
    provider, land on the app."""
    goto_sign_in(page, stack, stack.app.sign_in_url(app))
    sign_in_at_provider(page, stack, person)
    expect_signed_in(page, stack, person, path=stack.app.lands_on(app))


def expect_failure(page: Page, stack: LiveStack, kind: str | None = None, *,
                   idp_code: str | None = None, contact: str | None = None) -> str | None:
    """Expect the app's failure page (and whatever the profile adds for ``kind``); return its
    error reference when the profile finds one. A failure's message names the first of the
    app's requests the provider refused, as :func:`expect_signed_in`'s does."""
    try:
        return stack.app.expect_failure(page, kind, idp_code=idp_code, contact=contact)
    except AssertionError as exc:
        message = str(exc)
        named = _naming_refusal(stack, message)
        if named == message:
            raise
        raise AssertionError(named) from exc


def expect_signed_out(page: Page, stack: LiveStack, *, why: str = "") -> None:
    stack.app.expect_signed_out(page, why=why)


def oid_of(stack: LiveStack, person: Person) -> str:
    """The person's user object id at the provider (the platform's user id)."""
    return str(stack.graph("GET", f"users/{path_segment(person.upn)}")["id"])


def launch_and_sign_in(page: Page, stack: LiveStack, installation_id: str,
                       person: Person) -> None:
    """Open the standalone URL as ``person`` with no IdP session: sign in once, land in the
    app."""
    page.goto(stack.app.launch_url(installation_id, oid_of(stack, person)))
    sign_in_at_provider(page, stack, person)
    expect_signed_in(page, stack, person, path=stack.app.launch_lands_on())


def launch_signed_in_at_company(page: Page, stack: LiveStack, installation_id: str,
                                person: Person) -> None:
    """Open the standalone URL as ``person``, signed in at the company already: no page at
    the provider, straight into the app."""
    url = stack.app.launch_url(installation_id, oid_of(stack, person))
    follow_signed_in_at_company(page, stack, person, url=url)
    expect_signed_in(page, stack, person, path=stack.app.launch_lands_on())


def drop_app_session(page: Page, stack: LiveStack) -> None:
    """Sign out of the app locally: forget its cookies and web storage, keep the IdP's."""
    stack.app.drop_session(page)


def idp_logout_url(stack: LiveStack) -> str:
    """The provider's v2 end-session endpoint, as a user signing out at the IdP would open it."""
    return stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/logout")


def confirm_sign_out_at_idp(page: Page, person: Person) -> None:
    """Pick ``person``'s account if the end-session endpoint asks "Pick an account" (Entra's
    v2.0 one does unless the app sent ``logout_hint``); return when it does not ask."""
    EntraDriver().confirm_sign_out(page, person.upn)


def sign_out_at_idp(page: Page, stack: LiveStack, person: Person) -> None:
    """Sign ``person`` out at the provider: open its v2 end-session endpoint with no hint, as a
    user does, and pick the account on "Pick an account"."""
    page.goto(idp_logout_url(stack))
    confirm_sign_out_at_idp(page, person)
