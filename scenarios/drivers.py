"""Sign-in page drivers: how a scenario gets through a provider's own sign-in pages.

A driver knows one provider's pages (their labels and buttons), never the scenario's intent:

- :class:`EntraDriver`: Microsoft Entra ID's pages (and the mock's, which have their structure):
  username then **Next**, password then **Sign in**, then "Stay signed in?" answered **No** (or
  **Yes**); "Pick an account", when shown, is answered by picking the account (on sign-out
  too); consent by **Accept**.
- :class:`FormDriver`: any single- or two-step form (Keycloak, node oidc-provider, ...),
  configured by the visible labels or placeholders of its fields and the names of its buttons.

Passwords are typed into ``type=password`` fields only, which screenshots mask. An
authenticator app's code is typed once per time step in a run (:class:`CodeSteps`).

Long because: the drivers share the reading of a provider's pages (the scripts that find the
step a page is at and wait for it to move on, what a page shows instead), and the Entra
driver's authenticator codes need the record of the steps already used, which only it reads.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mock_idp import totp
from mock_idp.signin import ids
from scenarios import devtools, form_labels, settled_error
from scenarios.app.page_summary import READ_MS, browser_error
from scenarios.app_exit import shielded
from scenarios.doctor.config import Secret
from scenarios.failure_query import query_shown
from scenarios.goto import AppTimeout
from scenarios.sign_in_elsewhere import NoSignInPage, why_not_shown

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Request

__all__ = ["DRIVER_OPTIONS", "CodeSteps", "EntraDriver", "FormDriver", "PasswordChangeRequired",
           "SecondFactorRequired", "SignInDriver", "Waiting", "driver_from_config"]

Waiting = Callable[[str], AbstractContextManager[object]]
"""Wraps a wait the driver must make, named for the step log (a scenario's ``ctx.step``)."""


class SecondFactorRequired(RuntimeError):
    """The provider asks for a second factor the driver cannot give: an authenticator app's
    code without its secret ("Enter code"), a sign-in request to approve in the Authenticator
    app ("Approve sign in request"), or a choice of method ("Verify your identity")."""


class PasswordChangeRequired(RuntimeError):
    """The provider asks the account for a new password ("Update your password"), which a test
    run should not set on its own."""


@runtime_checkable
class SignInDriver(Protocol):
    @property
    def name(self) -> str: ...

    def sign_in(self, page: Page, username: str, password: str, *,
                waiting: Waiting | None = None) -> None:
        """Expect the provider's sign-in page and complete it; a wait the driver has to make
        (for a fresh authenticator code) runs inside ``waiting(description)``."""

    def expect_sign_in_page(self, page: Page) -> None:
        """Assert the provider's sign-in page is showing (nothing is typed)."""

    @property
    def can_cancel(self) -> bool: ...

    def cancel(self, page: Page) -> None:
        """Leave the sign-in page by its cancel control (only when ``can_cancel``)."""

    def confirm_sign_out(self, page: Page, username: str | None = None, *,
                         end_session: str | None = None) -> None:
        """Answer the provider's sign-out confirmation, if it asks one (for ``username``'s
        account, when it asks which). It may be called on the app's page before the sign-out
        navigation has left it, or once the browser is back. ``end_session``: the provider's
        end-session endpoint (its discovery document's), when the caller knows it."""


def _field(page: Page, text: str) -> Locator:
    """A text field by its label, or failing that its placeholder."""
    return page.get_by_label(text, exact=True).or_(page.get_by_placeholder(text, exact=True))


def _control(page: Page, name: str) -> Locator:
    """A button or link by its accessible name."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.get_by_role("button", name=exact).or_(page.get_by_role("link", name=exact))


@dataclass(frozen=True, kw_only=True)
class FormDriver:
    """A generic sign-in form, by the texts a person sees.

    ``username_field`` / ``password_field``: label or placeholder text. ``next_button``: for
    two-step forms (username, then password on the next page). ``consent_button``: clicked when
    the provider asks for consent after sign-in. ``cancel_control``: a button or link that
    cancels sign-in. ``sign_out_button``: the provider's sign-out confirmation.
    """

    username_field: str = "Username"
    password_field: str = "Password"
    submit_button: str = "Sign in"
    next_button: str | None = None
    consent_button: str | None = None
    cancel_control: str | None = None
    sign_out_button: str | None = None
    name: str = "form"

    def expect_sign_in_page(self, page: Page) -> None:
        """The username field; an error page that stays
        (:func:`~scenarios.settled_error.until_unless_settled_error`) fails without waiting out
        the timeout: no sign-in form comes after it, and so does a browser already back at the
        app (:func:`_came_back`: a provider that signs in without a form), and a settled form
        whose fields carry other labels (:func:`~scenarios.form_labels.settled_other_labels`).
        The failure says what the browser shows instead (its URL, heading and first lines, the
        labels of its fields) and the ``[driver]`` key to check."""
        from playwright.sync_api import expect

        field = _field(page, self.username_field)

        def over() -> bool:
            return _came_back(page) or form_labels.settled_other_labels(
                page, self.username_field, settled_error.LOOK_MS) is not None

        try:
            settled_error.until_unless_settled_error(
                page, lambda timeout: expect(field).to_be_visible(timeout=timeout), over=over)
        except AssertionError:
            raise AssertionError(self._not_shown(page)) from None

    def _not_shown(self, page: Page) -> str:
        from scenarios.flows import page_shows

        if _came_back(page):
            return ("the provider's sign-in form did not appear: the browser is back at the "
                    "app, which the provider answered without a form (it signs in without "
                    "asking; [driver] kind = \"form\" needs a form with [driver] "
                    f"username_field {self.username_field!r}); {page_shows(page)}")
        if settled_error.settled_error(page):
            return ("the provider's sign-in form did not appear: the browser shows an error "
                    f"page instead ({page_shows(page)}); a sign-in form with [driver] "
                    f"username_field {self.username_field!r} never follows it")
        labels = form_labels.field_labels(page)
        shown = f"the page shows fields labelled {form_labels.named(labels)}; " if labels else ""
        return ("the provider's sign-in form did not appear: no field labelled "
                f"{self.username_field!r} ({shown}check [driver] username_field: the label or "
                f"placeholder the page shows); {page_shows(page)}")

    def sign_in(self, page: Page, username: str, password: str, *,
                waiting: Waiting | None = None) -> None:
        self.expect_sign_in_page(page)
        _field(page, self.username_field).fill(username)
        if self.next_button:
            _control(page, self.next_button).click()
        _field(page, self.password_field).fill(password)
        if self.consent_button:
            start = page.url
            _control(page, self.submit_button).click()
            _answer_if_shown(page, _control(page, self.consent_button), leaving=start)
        else:
            _control(page, self.submit_button).click()

    @property
    def can_cancel(self) -> bool:
        return self.cancel_control is not None

    def cancel(self, page: Page) -> None:
        if self.cancel_control is None:
            raise RuntimeError("this form driver has no cancel_control configured")
        _control(page, self.cancel_control).click()

    def confirm_sign_out(self, page: Page, username: str | None = None, *,
                         end_session: str | None = None) -> None:
        """Click ``sign_out_button`` when the provider's sign-out page shows it; called on the
        app's page before its sign-out has left it, wait for the provider's page first
        (:func:`_answer_on_sign_out`). A page the browser was redirected to through
        ``end_session`` (the provider asked nothing) is not waited on."""
        if not self.sign_out_button:
            return
        if end_session is not None and _redirected_through(page, _is_endpoint(end_session)):
            return
        _answer_on_sign_out(page, _control(page, self.sign_out_button),
                            end_session=end_session)


def _came_back(page: Page) -> bool:
    """Whether the page the browser shows was reached by redirects that left its origin and came
    back to it: the app sent the browser to the provider, which sent it straight back (a
    provider that signs in without a page, or refuses at once). Read from the page's last
    requests, as :func:`_redirected_through` does; never raises."""
    from playwright.sync_api import Error

    shown = urlsplit(page.url)._replace(fragment="").geturl()
    home = urlsplit(shown).netloc
    try:
        for request in reversed(page.requests()):
            if (request.url == shown and request.is_navigation_request()
                    and request.frame == page.main_frame):
                hosts = []
                hop = request.redirected_from
                while hop is not None:
                    hosts.append(urlsplit(hop.url).netloc)
                    hop = hop.redirected_from
                return bool(hosts) and hosts[-1] == home and any(h != home for h in hosts)
    except Error:  # a request of a frame gone meanwhile
        pass
    return False


def _is_endpoint(endpoint: str) -> Callable[[str], bool]:
    """Whether a URL is ``endpoint``'s, whatever its query."""
    where = urlsplit(endpoint)
    return lambda url: (urlsplit(url).netloc, urlsplit(url).path) == (where.netloc, where.path)


def _answer_if_shown(page: Page, control: Locator, *, leaving: str, timeout_ms: float = 10_000
                     ) -> None:
    """Click ``control`` if it appears before the browser has left the provider's host."""
    host = urlsplit(leaving).netloc
    deadline = timeout_ms
    step = 100
    while deadline > 0:
        if control.count() and control.first.is_visible():
            control.first.click()
            return
        if urlsplit(page.url).netloc not in ("", host):
            return
        page.wait_for_timeout(step)
        deadline -= step


def _answer_on_sign_out(page: Page, control: Locator, *, end_session: str | None = None,
                        timeout_ms: float = 10_000) -> None:
    """Click ``control`` once the provider's sign-out page shows it. As
    :meth:`EntraDriver.confirm_sign_out` waits on the end-session endpoint's pages, this waits
    while the browser is on the page it started on (the app's, when its sign-out has not left
    it yet: one the app starts by script, say) or on the provider's host, and returns once the
    browser is on any other page (a provider that asks nothing sends it straight back to the
    app) or shows an error page that stays (:func:`~scenarios.settled_error.settled_error`),
    or after ``timeout_ms`` when nothing moves.

    Given ``end_session``, the provider's host is that endpoint's, and the app's own pages on
    the way there (a "Signing out…" page) are waited through too, until the browser has been at
    the provider or came back through the endpoint by redirects. Without it, the provider's
    host is the first host other than the start's the browser goes to: called on a page of the
    provider's that asks nothing, this waits ``timeout_ms`` once the browser is back at the
    app, which it takes for the provider's."""
    from playwright.sync_api import Error

    start = page.url
    home = urlsplit(start).netloc
    idp_host = urlsplit(end_session).netloc if end_session else None
    through_endpoint = _is_endpoint(end_session) if end_session else None
    been_at_provider = False
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        try:
            if control.count() and control.first.is_visible():
                control.first.click()
                return
        except Error:
            pass  # between documents
        if settled_error.settled_error(page):
            return  # an error page that stays (the app's sign-out failed): nothing to answer
        url = page.url
        host = urlsplit(url).netloc
        if idp_host is None and host not in ("", home):
            idp_host = host  # from the app's page, the provider's
        if host and host == idp_host:
            been_at_provider = True
        elif url != start and host:
            if through_endpoint is None or host != home or been_at_provider:
                return
            if _redirected_through(page, through_endpoint):
                return  # the provider asked nothing
        page.wait_for_timeout(100)


def _redirected_through(page: Page, is_end_session: Callable[[str], bool]) -> bool:
    """Whether the page the browser shows was reached by redirects through the end-session
    endpoint (``is_end_session`` of a URL): the provider signed the account out without a page,
    and the sign-out is over. Read from the page's last requests, which Playwright keeps."""
    from playwright.sync_api import Error

    shown = urlsplit(page.url)._replace(fragment="").geturl()
    try:
        for request in reversed(page.requests()):
            if (request.url == shown and request.is_navigation_request()
                    and request.frame == page.main_frame):
                hop = request.redirected_from
                while hop is not None:
                    if is_end_session(hop.url):
                        return True
                    hop = hop.redirected_from
                return False
    except Error:  # a request of a frame gone meanwhile
        pass
    return False


def _left_end_session(page: Page) -> bool:
    """Whether the page the browser shows is the document loaded right after one of the
    end-session endpoint's (any hop of that navigation) on another host: the provider's page
    asked nothing and sent the browser on by its script (the mock's front-channel logout page
    does, once its iframes have loaded), so the sign-out is over. An app's own page at that
    path (django-auth-adfs serves its sign-out at ``/oauth2/logout``) is on the app's host.
    Read from the page's last requests, as :func:`_redirected_through` does; never raises."""
    from playwright.sync_api import Error

    shown = urlsplit(page.url)._replace(fragment="").geturl()
    if _END_SESSION.search(urlsplit(shown).path):
        return False
    try:
        documents = [request for request in page.requests()
                     if request.is_navigation_request() and request.frame == page.main_frame]
        if len(documents) < 2 or documents[-1].url != shown:
            return False
        hop: Request | None = documents[-2]
        while hop is not None:
            where = urlsplit(hop.url)
            if _END_SESSION.search(where.path) and where.netloc != urlsplit(shown).netloc:
                return True
            hop = hop.redirected_from
    except Error:  # a request of a frame gone meanwhile
        pass
    return False


@dataclass
class _LastStep:
    step: int | None


def _lock_exclusively(fd: int) -> None:
    """Hold an exclusive lock on the open file ``fd`` until it is closed (POSIX; elsewhere a
    run's one process is alone with the file anyway)."""
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


class CodeSteps:
    """The time steps (RFC 6238) whose authenticator codes were typed in this run, so that no
    code is typed twice.

    A provider takes one code per step: once it has accepted a code it refuses every code of
    that step or an earlier one (RFC 6238 §5.2; Entra does, and so does the mock, which also
    takes the step before or after its own for clock skew). Every scenario signs in from
    scratch, so a second sign-in within the same 30 seconds must wait for the next step. With
    ``path`` the last step typed is kept in that file, under an exclusive lock held through
    the wait, so that the worker processes of a run share it; without, in this object.
    ``now`` (seconds since the epoch) and ``sleep`` are the time source: a test passes a mock
    provider's clock, which it moves instead of sleeping.
    """

    def __init__(self, path: Path | None = None, *, now: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 step_seconds: int = totp.STEP_SECONDS) -> None:
        self.path = path
        self.now = now
        self.sleep = sleep
        self.step_seconds = step_seconds
        self._last: int | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _current(self) -> int:
        return int(self.now()) // self.step_seconds

    def take(self, waiting: Waiting | None = None) -> int:
        """The step whose code to type now: the current one, or when its code was typed
        already, the next one, waited for (inside ``waiting(description)``, for the step
        log). The step is recorded as used before this returns."""
        with self._recorded() as record:
            current = self._current()
            last = record.step
            if last is not None and current <= last <= current + 1:
                # (a record further ahead than the provider would take is not this clock's)
                wait = (last + 1) * self.step_seconds - self.now()
                with (waiting or contextlib.nullcontext)(
                        f"wait {max(wait, 0):.0f} s for a new authenticator code (the provider "
                        f"takes one code per {self.step_seconds}-second step, and this step's "
                        "was used in this run)"):
                    while (current := self._current()) <= last:
                        self.sleep(max((last + 1) * self.step_seconds - self.now(), 0.01))
            record.step = current
            return current

    @contextlib.contextmanager
    def _recorded(self) -> Iterator[_LastStep]:
        with self._lock:
            if self.path is None:
                record = _LastStep(self._last)
                yield record
                self._last = record.step
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            with os.fdopen(fd, "r+", encoding="ascii") as handle:
                _lock_exclusively(fd)
                text = handle.read().strip()
                record = _LastStep(int(text) if text.isdigit() else None)
                yield record
                handle.seek(0)
                handle.truncate()
                handle.write(f"{record.step}\n" if record.step is not None else "")


@dataclass(frozen=True, kw_only=True)
class EntraDriver:
    """Microsoft Entra ID's sign-in pages, on login.microsoftonline.com or on the mock.

    It finds the pages by the ids and names Entra's own pages carry (the table in
    :mod:`mock_idp.signin.ids`): "Pick an account" (the tile of ``username``, else "Use another
    account"), the username and **Next**, the password and **Sign in**, "Stay signed in?"
    (**No**, or **Yes** with ``stay_signed_in``) and, when asked, consent (**Accept**, unless
    ``accept_consent`` is off: then it stops on that page). With ``totp_secret`` it types an
    authenticator app's code on "Enter code" (Entra shows it after the password when the
    account's default sign-in method is an authenticator app's code): the code of the current
    time step, or when ``code_steps`` says this run typed that one already (a provider takes
    each code once), the next step's, once it has begun. Without a secret it raises
    :class:`SecondFactorRequired`, as it does at once on "Approve sign in request" (a
    notification to approve in the Authenticator app) and "Verify your identity" (a choice of
    method), which it cannot answer. An account whose password must change ("Update your
    password") raises :class:`PasswordChangeRequired`: the driver does not choose passwords
    for it. It returns once the browser has left the provider, when the provider shows an
    error, or at a device-code sign-in's "Are you trying to sign in to …?" (the caller checks
    which). A click whose navigation never commits says whose answer it waited for: the app's
    callback or the provider.
    """

    stay_signed_in: bool = False
    """Answer "Stay signed in?" with Yes instead of No."""
    accept_consent: bool = True
    """Accept "Permissions requested"; ``False`` stops there (to cancel, say)."""
    timeout_ms: float = 10_000
    name: str = "entra"
    totp_secret: Secret | None = field(default=None, repr=False)
    """The base32 secret of the account's authenticator app (it prints masked)."""
    code_steps: CodeSteps = field(default_factory=CodeSteps, repr=False, compare=False)
    """The time steps whose codes were typed already (share one across a run's sign-ins)."""

    def expect_sign_in_page(self, page: Page) -> None:
        """The account picker, the username or the password: a sign-in may open on the
        password view (a username posted without the page's script, or a provider that skips
        the username for a ``login_hint``). An error page that stays (HTTP 4xx or 5xx, loaded
        :data:`~scenarios.settled_error.SETTLED_MS` ago, longer with scripts) fails at once
        rather than after ``timeout_ms``: no sign-in page comes after it."""
        try:
            found = devtools.wait_until(page, _SIGN_IN_OR_ERROR_JS, _SIGN_IN_OR_ERROR_ARG,
                                        self.timeout_ms)
        except PlaywrightTimeoutError:
            found = "timeout"
        if found != "sign-in":
            shown = _shown_instead(page)
            why, waiting = ("", None) if shown.startswith("the provider's error") else (
                why_not_shown(page))
            raise NoSignInPage(f"the provider's sign-in page did not appear: the browser "
                               f"shows {shown} instead", why, waiting)

    def sign_in(self, page: Page, username: str, password: str, *,
                waiting: Waiting | None = None) -> None:
        self.expect_sign_in_page(page)
        host = urlsplit(page.url).netloc
        done: set[str] = set()
        while True:
            step = _entra_step(page, host, self.timeout_ms)
            if step in ("left", "error", "device-confirm") or step in done:
                return
            done.add(step)
            selector = dict(_STEPS).get(step, "")
            if step == "picker":
                tile = page.locator(f'#{ids.TILES} [{ids.TILE_ATTRIBUTE}="{username}" i]')
                target = tile if tile.count() else page.locator(f"#{ids.OTHER_TILE}")
            elif step == "username":
                _visible_username(page).fill(username)
                target = page.locator(f"#{ids.PRIMARY_BUTTON}")
            elif step == "password":
                page.locator(selector).fill(password)
                target = page.locator(f"#{ids.PRIMARY_BUTTON}")
            elif step == "code":
                if self.totp_secret is None:
                    raise SecondFactorRequired(
                        f"{username} must type an authenticator app's code (\"{ids.CODE_HEADING}"
                        "\"), and the driver was given no secret to make it from")
                counter = self.code_steps.take(waiting)
                page.locator(selector).fill(totp.code_for_counter(
                    totp.decode_secret(self.totp_secret.reveal()), counter))
                target = page.locator(f"#{ids.CODE_SUBMIT}")
            elif step in _SECOND_FACTOR:
                raise SecondFactorRequired(f"{username} must {_SECOND_FACTOR[step]}, which the "
                                           "driver cannot")
            elif step == "new-password":
                raise PasswordChangeRequired(
                    f"{username} must choose a new password (\"Update your password\"): sign "
                    f"in once by hand, then give the new one to the run")
            elif step == "kmsi":
                target = page.locator(
                    f"#{ids.PRIMARY_BUTTON if self.stay_signed_in else ids.SECONDARY_BUTTON}")
            else:  # consent
                if not self.accept_consent:
                    return
                target = page.locator(f"#{ids.PRIMARY_BUTTON}")
                selector = f"#{ids.PRIMARY_BUTTON}"
            _click_and_wait(page, target, selector, self.timeout_ms)

    def sign_in_if_asked(self, page: Page, provider_host: str, username: str,
                         password: str, *, waiting: Waiting | None = None) -> bool:
        """Wait until the browser has left ``provider_host`` or shows one of its sign-in
        pages, and answer those pages as :meth:`sign_in` does. ``True`` when a page was
        answered; an account already signed in at the provider usually sees none."""
        if _entra_step(page, provider_host, self.timeout_ms) in ("left", "error",
                                                                 "device-confirm"):
            return False
        self.sign_in(page, username, password, waiting=waiting)
        return True

    @property
    def can_cancel(self) -> bool:
        # Entra's pages cancel only on the consent page, which a consented app never shows.
        return False

    def cancel(self, page: Page) -> None:
        """Cancel on the consent page ("Permissions requested")."""
        page.locator(f"#{ids.SECONDARY_BUTTON}").click()

    def confirm_sign_out(self, page: Page, username: str | None = None, *,
                         end_session: str | None = None) -> None:
        """Pick ``username``'s tile (else the only one) when the end-session endpoint shows
        "Pick an account": Entra's v2.0 one does, even for the browser's only account, unless
        the app sent ``logout_hint`` ("ESTS always prompts the user to select the account for
        /v2/logout endpoint if no account is passed",
        AzureAD/microsoft-authentication-library-for-js PR #7736). Returns once the picker is
        answered, when the provider says the account signed out, or when the browser has moved
        on from where it was to a page that is not the end-session endpoint's, or shows an error
        page that stays (:func:`~scenarios.settled_error.settled_error`); at once when the
        browser was redirected through that endpoint to the page it shows (the provider asked
        nothing). The endpoint is known by its path: ``end_session`` is not needed. A page of
        the endpoint's own was not redirected through it, whatever hops came before: an app
        may serve its sign-out at ``/oauth2/logout`` (django-auth-adfs does)."""
        from playwright.sync_api import Error

        if not _END_SESSION.search(urlsplit(page.url).path) and _redirected_through(
                page, lambda url: bool(_END_SESSION.search(urlsplit(url).path))):
            return
        if _left_end_session(page):  # sent on from its page by script: it asked nothing
            return
        start = page.url
        tiles = page.locator(f"#{ids.TILES} [{ids.TILE_ATTRIBUTE}]")
        signed_out = page.get_by_role("heading", name=ids.SIGNED_OUT_HEADING)
        waited = 0.0
        while waited < self.timeout_ms:
            try:
                if tiles.count() and tiles.first.is_visible():
                    break
                if signed_out.count() or (page.url != start and not _END_SESSION.search(
                        urlsplit(page.url).path)) or settled_error.settled_error(page):
                    return  # an error page that stays asks nothing either
            except Error:
                pass  # between documents
            page.wait_for_timeout(100)
            waited += 100
        else:
            return
        tile = (page.locator(f'#{ids.TILES} [{ids.TILE_ATTRIBUTE}="{username}" i]')
                if username else tiles)
        if tile.count() != 1:
            raise AssertionError(
                f"\"Pick an account\" on sign-out shows no single tile for "
                f"{username or 'the only account'}: {tiles.count()} tile(s)")
        _click_and_wait(page, tile, f"#{ids.TILES}", self.timeout_ms)


_SHOWN_JS = """(errorId) => {
  const status = performance.getEntriesByType("navigation")[0]?.responseStatus ?? 0;
  const heading = [...document.querySelectorAll("h1, h2, [role=heading]")]
    .map((el) => el.innerText.replace(/\\s+/g, " ").trim()).find((text) => text)
    || document.title.trim();
  const error = document.getElementById(errorId)?.innerText.replace(/\\s+/g, " ").trim() || "";
  return [status, heading.slice(0, 80), error.slice(0, 300)];
}"""


_END_SESSION = re.compile(r"/oauth2/(v2\.0/)?logout$")
"""The paths of Entra's end-session endpoints (v2.0 and v1)."""


def _shown_instead(page: Page) -> str:
    """``HTTP 404 at <url> ('Not Found')``: what a page that is not the provider's sign-in
    page shows, read within :data:`READ_MS` (the query, which may carry a code, left out).
    The provider's own error page leads with its message (``AADSTS50011: …``, cut at a word
    past :data:`_ERROR_CHARS`), then where it was: the console shows a message's first 200
    characters, and an authorize URL's path alone (a tenant's GUID) takes half of them. The
    browser's own error page is said as :func:`~scenarios.app.page_summary.browser_error` says
    it (a redirect loop, no answer)."""
    if (said := browser_error(page)) is not None:
        return said
    parts = urlsplit(page.url)
    url = parts._replace(query="", fragment="").geturl() + query_shown(page.url)
    try:
        with shielded():  # read for a report, also as the app exits
            status, heading, error = page.wait_for_function(
                _SHOWN_JS, arg=ids.SERVICE_EXCEPTION, timeout=READ_MS).json_value()
    except Exception:  # a navigation that never commits, a closed page
        return f"a page at {url} that could not be read"
    shown = f"HTTP {status} at {url}" if status else f"the page at {url}"
    if re.match(r"AADSTS\d+", error):
        # The provider's own error page: its message, code first, as the page shows it.
        return f"the provider's error {_cut(error)} ({shown}" + (
            f", {heading!r})" if heading else ")")
    return shown + (f" ({heading!r})" if heading else "")


_ERROR_CHARS = 240
"""How much of a provider's error message is kept: its code and its first sentence or two."""


def _cut(text: str) -> str:
    """``text``, or its first :data:`_ERROR_CHARS` characters to the end of a word, and "…"."""
    if len(text) <= _ERROR_CHARS:
        return text
    return text[:_ERROR_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _visible_username(page: Page) -> Locator:
    return page.locator(f"input[name={ids.USERNAME_NAME}]:not(.{ids.OFF_SCREEN})")


_STEPS = (
    ("error", f"#{ids.SERVICE_EXCEPTION}, #{ids.USERNAME_ERROR}, #{ids.PASSWORD_ERROR}, "
              f"#{ids.CODE_ERROR}"),
    ("kmsi", f"#{ids.KMSI_DESCRIPTION}"),
    ("code", f"#{ids.CODE_INPUT}"),
    ("approve", f"#{ids.APPROVE_TITLE}, #{ids.APPROVE_DESCRIPTION}, #{ids.APPROVE_NUMBER}"),
    ("verify", f"#{ids.PROOFS}"),
    ("new-password", f"#{ids.NEW_PASSWORD_INPUT}"),
    ("picker", f"#{ids.TILES}"),
    ("password", f"input[name={ids.PASSWORD_NAME}]:not(.{ids.OFF_SCREEN})"),
    ("username", f"input[name={ids.USERNAME_NAME}]:not(.{ids.OFF_SCREEN})"),
)


_SECOND_FACTOR = {
    "approve": f"approve the sign-in in the Authenticator app (\"{ids.APPROVE_HEADING}\")",
    "verify": f"choose a second factor (\"{ids.VERIFY_HEADING}\")",
}
"""What the account must do on the second-factor pages the driver stops at."""

_DEVICE_CONFIRM = re.compile(r"^Are you trying to sign in to ")
_MARK = "__ssoHarnessDriverStep"

# Both waits below are one ``devtools.wait_until`` each: the browser evaluates the predicate on
# every animation frame (and again in each new document), so the driver moves on within a frame
# of the page being ready instead of polling from here (a round trip per selector, and a
# 50-100 ms sleep between looks); through the page's DevTools session, which spares each page
# Playwright's main-world script (its actions inject the other one anyway). "Visible" is
# Playwright's: a non-empty box and not ``visibility: hidden``.
_VISIBLE_JS = """
const visible = (selector) => [...document.querySelectorAll(selector)].some((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
});
const headings = () => [...document.querySelectorAll("h1,h2,h3,h4,h5,h6,[role=heading]")]
  .filter((el) => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0; })
  .map((el) => el.textContent.replace(/\\s+/g, " ").trim());
"""

_STEP_JS = "(a) => {" + _VISIBLE_JS + """
  if (location.host !== a.host && location.href !== "about:blank") return "left";
  if (!document.body) return false;
  for (const [name, selector] of a.steps) if (visible(selector)) return name;
  const shown = headings();
  if (shown.some((t) => t.toLowerCase().includes(a.consent.toLowerCase()))) return "consent";
  if (shown.some((t) => new RegExp(a.device).test(t))) return "device-confirm";
  return false;
}"""

_SIGN_IN_OR_ERROR_JS = "(a) => {" + _VISIBLE_JS + settled_error.SETTLED_ERROR_JS + """
  if (a.sign_in.some((selector) => visible(selector))) return "sign-in";
  return settledError(a) && "error";
}"""

_SIGN_IN_OR_ERROR_ARG = {"sign_in": [dict(_STEPS)[name] for name in ("picker", "username",
                                                                      "password")],
                         **settled_error.SETTLED_ARG}

_STEP_ARG = {"steps": [list(step) for step in _STEPS], "consent": ids.CONSENT_HEADING,
             "device": _DEVICE_CONFIRM.pattern}

_MOVED_ON_JS = "(a) => {" + _VISIBLE_JS + """
  return window[a.mark] !== true || !visible(a.step) || visible(a.error);
}"""


def _click_and_wait(page: Page, target: Locator, step_selector: str, timeout_ms: float) -> None:
    """Click ``target``, then wait until the page has moved on: a new document (between
    pages), or the same one without this step's input (the username step, which Entra and the
    mock both answer by swapping in the password view), or an error shown."""
    page.evaluate(f"() => {{ window.{_MARK} = true; }}")
    navigations: list[str] = []

    def note(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            navigations.append(request.url)

    page.on("request", note)
    try:
        target.click()
    except PlaywrightTimeoutError as exc:
        raise _unanswered(page, navigations, exc) from None
    finally:
        page.remove_listener("request", note)
    try:
        devtools.wait_until(page, _MOVED_ON_JS, {"mark": _MARK, "step": step_selector,
                                                 "error": _STEPS[0][1]}, timeout_ms)
    except PlaywrightTimeoutError:
        raise PlaywrightTimeoutError(
            f"the provider did not move on within {timeout_ms:g} ms (at {page.url})") from None


def _unanswered(page: Page, navigations: list[str], exc: PlaywrightTimeoutError
                ) -> PlaywrightTimeoutError:
    """A click that timed out waiting for the navigation it started, said as whose answer never
    came: the app's, once the provider has sent the browser back to it (its redirect URI,
    which a relying party answers only after calling the provider's token endpoint), or the
    provider's."""
    if not navigations:
        return exc
    limit = re.search(r"Timeout (\d+(?:\.\d+)?)ms exceeded", str(exc))
    seconds = f" ({float(limit.group(1)) / 1000:g} s)" if limit else ""
    parts = urlsplit(navigations[-1])
    waited = parts._replace(query="", fragment="").geturl()
    if parts.netloc != urlsplit(page.url).netloc:
        return AppTimeout(
            f"the app did not answer its callback in time{seconds}: the browser was still "
            f"waiting for {waited}")
    return PlaywrightTimeoutError(
        f"the provider did not answer in time{seconds}: the browser was still waiting for "
        f"{waited}")


def _entra_step(page: Page, host: str, timeout_ms: float) -> str:
    """The page the provider shows now (waited for until one appears), or ``left`` once the
    browser is on another host."""
    arg = {"host": host, **_STEP_ARG}
    try:
        found = devtools.wait_until(page, _STEP_JS, arg, timeout_ms)
    except PlaywrightTimeoutError:
        raise PlaywrightTimeoutError(
            f"no Entra sign-in page, error or redirect within {timeout_ms:g} ms (at {page.url})"
        ) from None
    return str(found)


DRIVER_OPTIONS: dict[str, frozenset[str]] = {
    "entra": frozenset({"stay_signed_in"}),
    "form": frozenset({"username_field", "password_field", "submit_button", "next_button",
                       "consent_button", "cancel_control", "sign_out_button"}),
}
"""The options of the ``[driver]`` table (beside ``kind``) for each kind of driver."""


def driver_from_config(table: dict[str, object]) -> SignInDriver:
    """A driver from the ``[driver]`` table of an ``--idp`` config (``kind`` names it)."""
    kind = str(table.get("kind", "form"))
    options = {k.replace("-", "_"): v for k, v in table.items() if k != "kind"}
    if kind not in DRIVER_OPTIONS:
        raise ValueError(f"[driver] kind must be 'entra' or 'form', not {kind!r}")
    unknown = sorted(set(options) - DRIVER_OPTIONS[kind])
    if unknown:
        raise ValueError(f"unknown [driver] option(s) for {kind}: {', '.join(unknown)}")
    if kind == "entra":
        stay = str(options.get("stay_signed_in", "no")).lower() in ("yes", "true", "1")
        return EntraDriver(stay_signed_in=stay)
    return FormDriver(**{k: str(v) for k, v in options.items()})
