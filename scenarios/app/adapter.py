"""The app adapter: the only way scenarios reach the app under test.

:class:`~scenarios.app.interface.AppAdapter` is what a scenario may ask of an app ("open this
sign-in URL", "is this browser signed in?", "does this page show the support contact?", "renew
the client secret"). :class:`ProfileAdapter` answers from an
:class:`~scenarios.app.profile.AppProfile`: its URLs and texts, and its HTTP calls to the app's
own admin interface.

Long because: it is the one implementation of the whole adapter interface, each method a few
lines of profile lookups, kept together so a profile key and its use are side by side.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from scenarios.app.app_session import forget_app_session
from scenarios.app.calls import (
    CallError,
    captured,
    dig,
    holds,
    response_json,
    run_call,
    string_list,
)
from scenarios.app.interface import AppAdapter, Someone, Unsupported
from scenarios.app.page_summary import on_browser_error_page, page_summary
from scenarios.app.profile import AppProfile, HttpCall, PartnerSection
from scenarios.app.sign_in_control import click_sign_in, control_locator, needs_click
from scenarios.app.templating import render
from scenarios.settled_error import until_unless_settled_error

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from scenarios.app.servers import AppServer

__all__ = ["ACCEPTED", "AppAdapter", "NoFailurePage", "ProfileAdapter", "SignedInElsewhere",
           "Someone", "Unsupported"]

ACCEPTED = "the app accepted the sign-in: someone is signed in"
"""How a failure message says that the app signed someone in instead of showing its failure
page (:meth:`ProfileAdapter._instead`)."""
ME_POLL_MS = 100
FIRST_LOOK_MS = 1000
"""How long a text may take to appear on a page still loading, before the page is let settle."""
SETTLED_LOOK_MS = 500
"""How long a text may take to appear once the page has settled (no network for 500 ms)."""
SETTLING_MS = 2000
"""How long a page that ended a sign-in elsewhere than expected may take to settle before it
is judged."""
DOM_QUIET_MS = 500
"""How long a page's document must go unchanged before a page check judges it drawn."""
DOM_QUIET_WITHIN_MS = 2000
"""How long a page check waits for its page's document to go unchanged (a page that keeps
changing, a spinner say, is judged as it stands then)."""
_DOM_QUIET_JS = """(quiet) => {
  const mark = "__ssoHarnessLastChange";
  if (window[mark] === undefined) {
    window[mark] = performance.now();
    new MutationObserver(() => { window[mark] = performance.now(); }).observe(document,
      {subtree: true, childList: true, characterData: true, attributes: true});
  }
  return performance.now() - window[mark] >= quiet;
}"""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class NoFailurePage(AssertionError):
    """The failure page did not appear: ``missing`` is what it lacked (a profile's text, which
    may hold a "; "), the message that, "; " and what the browser showed instead."""

    def __init__(self, missing: str, instead: str) -> None:
        super().__init__(f"{missing}; {instead}")
        self.missing = missing


class SignedInElsewhere(AssertionError):
    """Someone is signed in (``me_url`` answered 2xx), but the browser is not where the profile
    says, the page does not show it, or ``[signed_in.me_json]`` does not name the person."""


class ProfileAdapter:
    """:class:`AppAdapter` for a profile, an app server and the values its templates use."""

    def __init__(self, profile: AppProfile, server: AppServer, values: Mapping[str, str],
                 http: httpx.Client, *, contact: str | None = None) -> None:
        self.profile = profile
        self.server = server
        self.values: dict[str, str] = dict(values)
        self.http = http
        self._contact = contact
        self.addressless: set[str] = set()
        """The people found signed in with no e-mail address (``me_url``'s ``email`` null),
        told by their name (:meth:`_expect_me_json`): what ``run --app`` notes."""

    # -- facts ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def capabilities(self) -> frozenset[str]:
        return self.profile.capabilities

    @property
    def contact(self) -> str:
        if self._contact is not None:
            return self._contact
        return self.profile.failure.contact if self.profile.failure is not None else ""

    def url(self, path: str, **extra: str) -> str:
        filled = render(path, {**self.values, **extra}) if "{" in path else path
        return filled if filled.startswith(("http://", "https://")) else self.base_url + filled

    def _optional_url(self, template: str | None) -> str | None:
        return self.url(template) if template else None

    @property
    def redirect_uri(self) -> str:
        return self.url(self.profile.provider.redirect_uris[0])

    @property
    def redirect_uris(self) -> list[str]:
        return [self.url(template) for template in self.profile.provider.redirect_uris]

    @property
    def post_logout_redirect_uri(self) -> str | None:
        return self._optional_url(self.profile.provider.post_logout_redirect_uri)

    @property
    def backchannel_uri(self) -> str | None:
        return self._optional_url(self.profile.sign_out.backchannel_uri)

    @property
    def frontchannel_uri(self) -> str | None:
        return self._optional_url(self.profile.sign_out.frontchannel_uri)

    @property
    def events_url(self) -> str | None:
        partner = self.profile.partner
        return self.url(partner.events_url) if partner is not None else None

    # -- sign-in ---------------------------------------------------------------------------------
    def sign_in_names(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.profile.sign_in.urls)

    def sign_in_url(self, name: str | None = None) -> str:
        sign_in = self.profile.sign_in
        if name is None:
            if sign_in.urls:
                return self.url(sign_in.urls[0].url)
            if sign_in.protected_urls:
                return self.url(sign_in.protected_urls[0])
            raise Unsupported(f"{self.name}: the profile has no sign-in URL")
        found = sign_in.url(name)
        if found is None:
            names = ", ".join(self.sign_in_names())
            raise Unsupported(f"{self.name}: the profile has no sign-in URL named {name!r} "
                              + (f"(its [sign_in] urls: {names})" if names
                                 else "(its [sign_in] urls name none)"))
        return self.url(found.url)

    def start_sign_in(self, page: Page, url: str) -> bool:
        """After the browser followed ``url``: click ``[sign_in] control`` when ``url`` is one
        of ``[sign_in] urls`` and its page waits for the click (:mod:`.sign_in_control`);
        whether it was clicked."""
        sign_in = self.profile.sign_in
        urls = tuple(self.url(u.url) for u in sign_in.urls)
        control = sign_in.control
        if control is None or not needs_click(control, urls, url):
            return False
        return click_sign_in(page, control, app_base_url=self.base_url, url=url,
                             answered=lambda: self._answered_already(page, control),
                             showing=lambda: self.showing(page))

    def _answered_already(self, page: Page, control: str) -> bool:
        """Whether the page shows someone signed in, or the support contact without
        ``control`` (a failure page in place of a sign-in page): nothing to click through. A
        sign-in page may show the contact beside its control: Flask-AppBuilder sends a failed
        sign-in back to its login page, so that is where a deployment puts it."""
        from playwright.sync_api import Error

        if self.shows_signed_in_now(page):
            return True
        try:
            return (bool(self.contact) and _shown(page, self.contact).count() > 0
                    and control_locator(page, control).count() == 0)
        except Error:  # a page navigating meanwhile
            return False

    def lands_on(self, name: str | None = None) -> str | None:
        sign_in = self.profile.sign_in
        if name is None and not sign_in.urls and sign_in.protected_urls:
            return urlsplit(self.url(sign_in.protected_urls[0])).path
        found = sign_in.urls[0] if name is None and sign_in.urls else sign_in.url(name or "")
        return found.lands_on if found is not None else None

    def protected_urls(self) -> tuple[str, ...]:
        return tuple(self.url(u) for u in self.profile.sign_in.protected_urls)

    def launch_url(self, installation_id: str, user_id: str) -> str:
        partner = self._partner()
        filled = render(partner.launch_url, {**self.values, "installation_id": installation_id,
                                              "user_id": user_id},
                        url_encode=("installation_id", "user_id"))
        return self.url(filled)

    def launch_lands_on(self) -> str | None:
        return self._partner().lands_on

    def _partner(self) -> PartnerSection:
        if self.profile.partner is None:
            raise Unsupported(f"{self.name}: the profile has no [partner] section")
        return self.profile.partner

    # -- signed in or not ------------------------------------------------------------------------
    def _person_values(self, person: Someone) -> dict[str, str]:
        return {"name": person.name, "upn": person.upn,
                "email": getattr(person, "email", None) or person.upn}

    def expect_signed_in(self, page: Page, person: Someone, *, lands_on: str | None = None
                         ) -> None:
        signed_in = self.profile.signed_in
        try:
            self._expect_signed_in_at(page, person, lands_on)
        except AssertionError as exc:
            status = self._me_status_now(page)
            if status is not None and 200 <= status < 300:
                raise SignedInElsewhere(
                    f"{self.url(signed_in.me_url or '')} answered HTTP {status}; {exc}") from exc
            if self._page_shows_signed_in_now(page):
                # Without me_url the profile's page is the session check: the person is in,
                # the page the sign-in landed on is not what the profile says (a dashboard
                # server's index page rather than the app, say).
                raise SignedInElsewhere(
                    f"{self.url(signed_in.page or '')} shows someone signed in; {exc}") from exc
            raise
        if signed_in.me_url:
            status = self._me_status(page, want_success=True)
            assert 200 <= status < 300, (
                f"{self.url(signed_in.me_url)} answered HTTP {status} after the sign-in; the "
                "app did not keep a session")
            self._expect_me_json(page, person)

    def landing(self, path: str) -> str:
        """The URL of the app's page at ``path``: a path under the app's base URL (``/account``
        of an app at ``http://host/app`` is ``http://host/app/account``), or one that names
        that base path already (``/app/account``, as a protected URL's path reads) as it is."""
        parts = urlsplit(self.base_url)
        base = parts.path.rstrip("/")
        if base and (path == base or path.startswith(base + "/")):
            return parts._replace(path="", query="", fragment="").geturl() + path
        return self.base_url + path

    def _expect_signed_in_at(self, page: Page, person: Someone, lands_on: str | None) -> None:
        from playwright.sync_api import expect

        signed_in = self.profile.signed_in
        app_url = re.compile("^" + (
            re.escape(self.landing(lands_on)) + r"([?#].*)?$" if lands_on
            else re.escape(self.base_url) + r"(/.*)?$"))
        where = f"the sign-in did not end at {self.landing(lands_on or '')}"
        try:
            expect(page).to_have_url(app_url, timeout=FIRST_LOOK_MS)
        except AssertionError as exc:
            if self._settled_on_failure_page(page):
                raise AssertionError(f"{where}: the app showed its failure page; "
                                     f"{self.showing(page)}") from exc
            try:  # an error page that stays (a 500 at the callback) ends the wait
                until_unless_settled_error(
                    page, lambda timeout: expect(page).to_have_url(app_url, timeout=timeout))
            except AssertionError as late:
                raise AssertionError(f"{where}; {self.showing(page)}") from late
        if signed_in.text or signed_in.selector:
            self._expect_signed_in_page(page, person)

    def _settled_on_failure_page(self, page: Page) -> bool:
        """Whether the page, once its network is idle, is one of the app's that shows
        ``[failure] text``: a sign-in that ended there will not end signed in, so the check
        need not wait out its timeout (the contact alone may be in every page's footer)."""
        from playwright.sync_api import Error

        failure = self.profile.failure
        if failure is None or not failure.text or _origin(page.url) != _origin(self.base_url):
            return False
        with contextlib.suppress(Error):  # a page that never settles is judged as it stands
            page.wait_for_load_state("networkidle", timeout=SETTLING_MS)
        try:
            return (_origin(page.url) == _origin(self.base_url)
                    and _shown(page, failure.text).is_visible())
        except Error:
            return False

    def _me_status_now(self, page: Page) -> int | None:
        """The ``me_url`` status, asked once; None without ``me_url`` or without an answer."""
        me_url = self.profile.signed_in.me_url
        if not me_url:
            return None
        try:
            return page.request.get(self.url(me_url), max_redirects=0).status
        except Exception:  # a closed page, an app that stopped: the earlier failure stands
            return None

    def _page_shows_signed_in_now(self, page: Page) -> bool:
        """Whether the profile's ``[signed_in] page`` shows someone signed in in this browser,
        for a profile without ``me_url``; False when it cannot tell."""
        signed_in = self.profile.signed_in
        if signed_in.me_url or not signed_in.page or not (signed_in.text or signed_in.selector):
            return False
        try:
            return self.is_signed_in(page)
        except Exception:  # a closed page, an app that stopped: the earlier failure stands
            return False

    def _expect_me_json(self, page: Page, person: Someone) -> None:
        """``[signed_in.me_json]`` ``email`` and ``name`` name ``person``. An app may hold no
        address for its user: one that keeps only an address the provider vouches for (as the
        reference RP does: Entra's ``xms_edov``, :func:`relying_party.callback._email`) has
        none when the app registration does not ask for ``email`` and ``xms_edov``, or when
        the user's mail domain is not one the tenant verified. Then the name tells who signed
        in; an address it holds must be the person's (:func:`_addresses`)."""
        signed_in = self.profile.signed_in
        checked = [key for key in ("email", "name") if key in signed_in.me_json]
        if not checked:
            return
        data = self._me_data(page) if signed_in.me_url else None
        me = self._me_values(data)
        me_url = self.url(signed_in.me_url or "")
        addressless = False
        for key in checked:
            path, got = signed_in.me_json[key], me.get(key)
            if key == "email":
                if got is None and holds(data, path):  # null: it holds none
                    if "name" in checked:
                        addressless = True
                        continue  # the name says who signed in
                    raise AssertionError(
                        f"{me_url} holds no e-mail address for {person.upn} ({key} {path!r} is "
                        "null), and the profile's [signed_in.me_json] names no name to tell "
                        "who signed in: an app that keeps only an address the provider vouches "
                        "for gets one from Entra only when its app registration lists the email "
                        "and xms_edov optional claims (Token configuration) and the user's mail "
                        "domain is verified in the tenant; add name to [signed_in.me_json], or "
                        "those optional claims")
                wanted = _addresses(person)
                same = got is not None and got.strip().casefold() in wanted
                expected = " or ".join(wanted)
            else:
                same, expected = got is not None and got.strip() == person.name, person.name
            where = (f"[signed_in.me_json] {key} = {path!r} of {me_url}"
                     if got is None else f"{key} {path!r}")
            if not same:  # a member missing altogether: signed in, not as the profile says
                raise SignedInElsewhere(f"signed in as {got!r}, expected {expected} "
                                        f"({'nothing at ' if got is None else ''}{where})")
        if addressless:  # the name told who it is
            self.addressless.add(person.upn)

    def _expect_signed_in_page(self, page: Page, person: Someone) -> None:
        from playwright.sync_api import Error, expect

        signed_in = self.profile.signed_in
        text = render(signed_in.text, self._person_values(person)) if signed_in.text else None
        target = page.locator(signed_in.selector) if signed_in.selector else page.locator("body")
        what = (f"the signed-in page does not show {text!r}" if text is not None
                else f"the signed-in page shows no {signed_in.selector}")

        def look(timeout: float) -> None:
            if text is not None:
                expect(target, what).to_contain_text(text, timeout=timeout)
            else:
                expect(target, what).to_be_visible(timeout=timeout)

        try:  # an error page that stays shows no one signed in: it ends the wait
            until_unless_settled_error(page, look)
        except AssertionError as exc:
            missing = False
            with contextlib.suppress(Error):  # a closed page: the failure stands as it is
                missing = bool(signed_in.selector) and target.count() == 0
            if missing:  # the app's page is another, or the profile's selector is mistyped
                raise AssertionError(f"{what}: no element matches [signed_in] selector "
                                     f"{signed_in.selector!r}; {self.showing(page)}\n{exc}"
                                     ) from exc
            raise

    def _me_status(self, page: Page, *, want_success: bool) -> int:
        """The ``me_url`` status in this browser; polled briefly while the app settles."""
        me_url = self.url(self.profile.signed_in.me_url or "")
        deadline_ms = 2000
        while True:
            status = page.request.get(me_url, max_redirects=0).status
            if (200 <= status < 300) == want_success or deadline_ms <= 0:
                return status
            page.wait_for_timeout(ME_POLL_MS)
            deadline_ms -= ME_POLL_MS

    def is_signed_in(self, page: Page) -> bool:
        """Whether this browser is signed in to the app (``me_url``, else ``page``)."""
        signed_in = self.profile.signed_in
        if signed_in.me_url:
            status = page.request.get(self.url(signed_in.me_url), max_redirects=0).status
            if status in (401, 403) or 300 <= status < 400:
                return False
            if 200 <= status < 300:
                return True
            raise AssertionError(f"{self.url(signed_in.me_url)} answered HTTP {status}: "
                                 "neither signed in (2xx) nor signed out (401, 403, redirect)")
        if signed_in.page:
            from playwright.sync_api import Error

            probe = page.context.new_page()
            try:
                probe.goto(self.url(signed_in.page))
                if signed_in.page_ready:  # the app says when its page is drawn
                    with contextlib.suppress(Error):  # never drawn: judged as it stands
                        probe.locator(signed_in.page_ready).first.wait_for(state="attached")
                    return self._shows_signed_in(probe)
                if self._shows_signed_in(probe):
                    return True
                # A single-page app shows who is signed in once its script has done its own
                # work after the page's load (MSAL.js's handleRedirectPromise, a settings
                # fetch): "signed out" is judged once the page has settled.
                with contextlib.suppress(Error):  # a page that never settles, as it stands
                    probe.wait_for_load_state("networkidle")
                if self._shows_signed_in(probe):
                    return True
                # A page drawn over a websocket (Streamlit's: its script runs on the server
                # once the socket is open) is idle on the network before anything is drawn:
                # judged once its document has stopped changing.
                with contextlib.suppress(Error):
                    probe.wait_for_function(_DOM_QUIET_JS, arg=DOM_QUIET_MS,
                                            timeout=DOM_QUIET_WITHIN_MS)
                return self._shows_signed_in(probe)
            finally:
                probe.close()
        raise Unsupported(f"{self.name}: the profile gives no way to tell who is signed in "
                          "([signed_in] me_url or page)")

    def seen_signed_in(self, page: Page) -> bool:
        """:meth:`is_signed_in` where the profile has a session check (``me_url``, or ``page``
        with ``text``/``selector``); else whether the page the browser shows now shows
        ``[signed_in] text``/``selector`` (a profile with neither: ``False``). For the
        findings that explain a failure by someone being signed in (not exercised, an unsent
        nonce): a profile without a session check gets them from what the browser shows,
        rather than an error."""
        if "session-check" in self.capabilities:
            return self.is_signed_in(page)
        signed_in = self.profile.signed_in
        if not (signed_in.text or signed_in.selector):
            return False
        from playwright.sync_api import Error

        try:
            return self._shows_signed_in(page)
        except Error:  # a page closing or navigating meanwhile: nothing seen
            return False

    def shows_signed_in_now(self, page: Page) -> bool:
        """Whether the page the browser shows now shows ``[signed_in] text``/``selector``, or,
        for a profile with neither, whether ``me_url`` answers 2xx: one quick look, for a wait
        that polls (no probe page of its own, as :meth:`is_signed_in` opens)."""
        from playwright.sync_api import Error

        signed_in = self.profile.signed_in
        try:
            if signed_in.text or signed_in.selector:
                return self._shows_signed_in(page)
            status = self._me_status_now(page)
        except Error:  # a page navigating meanwhile: nothing seen yet
            return False
        return status is not None and 200 <= status < 300

    def _shows_signed_in(self, page: Page) -> bool:
        signed_in = self.profile.signed_in
        # Shown means visible, as for a sign-in's check (the profile's "visible on a signed-in
        # page"): a signed-out page may hold the element hidden (a layout's user menu, a
        # template the script fills), and a hidden element's innerText is its whole text
        # (https://html.spec.whatwg.org/multipage/dom.html#dom-innertext: not being rendered).
        # The body itself is not asked to be visible: one whose content is all floated or
        # positioned has no height, which Playwright counts as not visible, and its innerText
        # already leaves out what is hidden in it.
        target = (page.locator(signed_in.selector).filter(visible=True) if signed_in.selector
                  else page.locator("body"))
        if target.count() == 0:
            return False
        if not signed_in.text:
            return True
        content = target.first.inner_text()
        fixed = [p.strip() for p in re.split(r"\{[a-z]+\}", signed_in.text) if p.strip()]
        return all(part in content for part in fixed)

    def expect_signed_out(self, page: Page, *, why: str = "") -> None:
        if self.profile.signed_in.me_url:
            status = self._me_status(page, want_success=False)
            assert not 200 <= status < 300, (
                f"{self.url(self.profile.signed_in.me_url)} answered HTTP {status}: the user "
                f"is still signed in{why}")
            return
        # Without a session check, what the browser shows now (the signed-in text or selector).
        assert not self.seen_signed_in(page), f"the app still shows someone signed in{why}"

    def _me_data(self, page: Page) -> object | None:  # None: me_url did not answer 2xx
        answer = page.request.get(self.url(self.profile.signed_in.me_url or "/"), max_redirects=0)
        return answer.json() if answer.ok else None

    def me(self, page: Page) -> Mapping[str, str | None]:
        signed_in = self.profile.signed_in
        if not signed_in.me_url or not signed_in.me_json:
            return {}
        return self._me_values(self._me_data(page))

    def holds_no_address(self, page: Page) -> bool:
        """Whether the app names the user signed in in this browser with no e-mail address:
        ``[signed_in.me_json] email`` is ``null`` in ``me_url``'s answer, as in an app that
        keeps only an address the provider vouches for and got none (:meth:`_expect_me_json`).
        ``False`` when it holds one, when the member is missing (a misspelt path), without
        ``me_url`` or that path, or when ``me_url`` does not answer 2xx."""
        signed_in = self.profile.signed_in
        path = signed_in.me_json.get("email")
        if not signed_in.me_url or path is None:
            return False
        data = self._me_data(page)
        return data is not None and holds(data, path) and dig(data, path) is None

    def _me_values(self, data: object | None) -> dict[str, str | None]:
        """Each ``[signed_in.me_json]`` value of ``me_url``'s answer ``data`` (``None``: it
        gave none), as text; ``None`` where the answer has nothing there."""
        signed_in = self.profile.signed_in
        if data is None:
            return {name: None for name in signed_in.me_json}
        out: dict[str, str | None] = {}
        for name, path in signed_in.me_json.items():
            value = dig(data, path)
            out[name] = None if value is None else str(value)
        return out

    def groups(self, page: Page) -> tuple[str, ...]:
        signed_in = self.profile.signed_in
        path = signed_in.me_json.get("groups")
        if not signed_in.me_url or path is None:
            raise Unsupported(f"{self.name}: the profile has no [signed_in.me_json] groups")
        data = self._me_data(page)
        assert data is not None, f"{self.url(signed_in.me_url)} failed: not signed in"
        return string_list(dig(data, path), f"{signed_in.me_url} {path!r}")

    def drop_session(self, page: Page) -> None:
        forget_app_session(page, self.base_url)

    # -- the failure page ------------------------------------------------------------------------
    def expect_failure(self, page: Page, kind: str | None = None, *, idp_code: str | None = None,
                       contact: str | None = None) -> str | None:
        from playwright.sync_api import expect

        failure = self.profile.failure
        if failure is None:
            raise Unsupported(f"{self.name}: the profile has no [failure] section")
        expectation = self.profile.expectation(kind) if kind else None
        wanted = contact or (self.profile.contact_for(kind) if kind else None) or self.contact
        body = page.locator("body")
        missing = f"the failure page did not appear: no {failure.text!r}"
        try:
            if failure.text:
                # Judged once the page has settled, like the contact below: an app that signs
                # the user in instead fails here in about two seconds, not the whole timeout.
                _expect_once_settled(page, failure.text)
            missing = f"the failure page does not show the support contact {wanted!r}"
            _expect_once_settled(page, wanted)
        except AssertionError as exc:
            raise NoFailurePage(missing, self._instead(page)) from exc
        # Once the page is known to be the failure page, its other texts get the whole
        # expectation timeout, as a page may add them late (a script, a timer).
        if idp_code and failure.shows_idp_code:
            expect(_shown(page, idp_code), f"the failure page does not name {idp_code}"
                   ).to_be_visible()
        for text in expectation.texts if expectation else ():
            expect(_shown(page, render(text, self.values)),
                   "the failure page does not say so").to_be_visible()
        if failure.error_status:
            status = page.evaluate(
                "() => performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0")
            assert isinstance(status, int) and status >= 400, (
                f"the failure page came with HTTP {status}, not an error status")
        reference = None
        if failure.reference is not None:
            found = failure.reference.search(body.inner_text())
            assert found, (f"the failure page shows no error reference (nothing matches "
                           f"/{failure.reference.pattern}/)")
            reference = found.group(1) if failure.reference.groups else found.group(0)
            self._check_logged(reference, kind)
        if "session-check" in self.capabilities:
            self.expect_signed_out(page, why=" after a failed sign-in")
        return reference

    def showing(self, page: Page) -> str:
        """What the browser shows, for a message: the app's page (:func:`page_summary`, as
        for the browser's own error page when the app gave no answer); a page of another site
        (the browser still at the provider) by its URL, and the provider's error when it shows
        one (:func:`scenarios.flows.page_shows`)."""
        scheme, host = _origin(page.url)
        if scheme in ("http", "https") and (scheme, host) != _origin(self.base_url):
            from scenarios.flows import page_shows

            return page_shows(page)
        return page_summary(page)

    def _instead(self, page: Page) -> str:
        """What the app did instead of its failure page."""
        shown = self.showing(page)
        if "session-check" in self.capabilities:
            with contextlib.suppress(Exception):
                if self.is_signed_in(page):
                    return f"{ACCEPTED}, and {shown}"
        return shown

    def logged_error(self, reference: str) -> Mapping[str, object] | None:
        failure = self.profile.failure
        if failure is None or failure.error_log is None:
            return None
        what = f"error reference {reference} in the app's error log"
        response = self._call(failure.error_log, what, reference=reference)
        data = response_json(response, what)
        return data if isinstance(data, Mapping) else {"": data}

    def _check_logged(self, reference: str, kind: str | None) -> None:
        logged = self.logged_error(reference)
        if logged is None or kind is None:
            return
        expectation = self.profile.expectation(kind)
        for path, wanted in expectation.logged.items():
            got = dig(logged, path)
            assert str(got) == wanted, (
                f"error {reference} was logged with {path} = {got!r}, expected {wanted!r}: "
                f"{dict(logged)}")
        for path, part in expectation.logged_contains.items():
            got = dig(logged, path)
            assert part in str(got or ""), (
                f"error {reference} was logged with {path} = {got!r}, which does not mention "
                f"{part!r}")

    # -- sign-out --------------------------------------------------------------------------------
    def sign_out(self, page: Page) -> None:
        sign_out = self.profile.sign_out
        if sign_out.control:
            from playwright.sync_api import Error, expect

            control = control_locator(page, sign_out.control)
            try:  # no control comes on an error page that stays
                until_unless_settled_error(
                    page, lambda timeout: expect(control).to_be_visible(timeout=timeout))
            except AssertionError as exc:
                raise AssertionError(
                    f"no button or link named [sign_out] control {sign_out.control!r}; "
                    f"{self.showing(page)}") from exc
            try:
                control.click()
            except Error as exc:
                raise AssertionError(
                    f"the [sign_out] control {sign_out.control!r} could not be clicked "
                    f"({type(exc).__name__}); {self.showing(page)}") from exc
        elif sign_out.url:
            page.goto(self.url(sign_out.url))
        else:
            raise Unsupported(f"{self.name}: the profile has no [sign_out] url or control")

    def _sign_out_landed(self) -> re.Pattern[str] | None:
        """The URLs of ``[sign_out] lands_on`` (any query or fragment), when the profile says."""
        lands_on = self.profile.sign_out.lands_on
        if not lands_on:
            return None
        return re.compile("^" + re.escape(self.landing(lands_on)) + r"([?#].*)?$")

    def shows_sign_out_page(self, page: Page) -> bool | None:
        """Whether the browser shows the app's signed-out page now (``[sign_out] lands_on``
        and ``text``, whichever the profile names), without waiting; ``None`` when the profile
        names neither."""
        from playwright.sync_api import Error

        sign_out, landed = self.profile.sign_out, self._sign_out_landed()
        if landed is None and not sign_out.text:
            return None
        if landed is not None and not landed.match(page.url):
            return False
        if not sign_out.text:
            return True
        try:  # between documents there is no body to read yet
            body = page.evaluate("() => document.body ? document.body.innerText : ''")
        except Error:
            return False
        return " ".join(sign_out.text.split()) in " ".join(str(body).split())

    def expect_sign_out_page(self, page: Page) -> None:
        from playwright.sync_api import expect

        sign_out = self.profile.sign_out
        landed = self._sign_out_landed()
        if landed is not None:
            where = self.landing(str(sign_out.lands_on))
            try:  # an error page that stays (a 500 at the sign-out URL) ends the wait
                until_unless_settled_error(
                    page, lambda timeout: expect(page).to_have_url(landed, timeout=timeout))
            except AssertionError as exc:
                raise AssertionError(
                    f"sign-out did not end at [sign_out] lands_on {sign_out.lands_on!r} "
                    f"({where}); {self.showing(page)}") from exc
        if sign_out.text:
            body, text = page.locator("body"), sign_out.text
            try:
                until_unless_settled_error(
                    page, lambda timeout: expect(body).to_contain_text(text, timeout=timeout))
            except AssertionError as exc:
                raise AssertionError(
                    f"the page sign-out ended on does not show [sign_out] text "
                    f"{sign_out.text!r}; {self.showing(page)}") from exc

    # -- what an administrator does --------------------------------------------------------------
    def _call(self, call: HttpCall, what: str, **extra: str) -> httpx.Response:
        return run_call(self.http, call, base_url=self.base_url,
                        values={**self.values, **extra}, what=what)

    def configure(self) -> None:
        """Run the profile's ``[[configure]]`` calls, keeping what they capture."""
        for index, call in enumerate(self.profile.configure):
            what = f"configure call {index + 1} of {len(self.profile.configure)}"
            self.values.update(captured(call, self._call(call, what), what))

    def renew_secret(self, secret: str, expires_on: date) -> None:
        values = {**self.values, "client_secret": secret,
                  "secret_expires_on": expires_on.isoformat()}
        calls = self.profile.admin.renew_secret
        if calls:
            for call in calls:
                run_call(self.http, call, base_url=self.base_url, values=values,
                         what="renewing the client secret")
        elif "admin-renew-secret" in self.capabilities:
            self.server.restart(values)
        else:
            raise Unsupported(f"{self.name}: the profile gives no way to renew the secret")
        self.values = values

    def set_sso_enabled(self, enabled: bool) -> None:
        admin = self.profile.admin
        calls = admin.enable_sso if enabled else admin.disable_sso
        if not calls:
            raise Unsupported(f"{self.name}: the profile has no [admin] disable_sso/enable_sso")
        for call in calls:
            self._call(call, "enabling SSO" if enabled else "disabling SSO")

    def secret_expired(self) -> bool | None:
        status = self.profile.admin.secret_status
        if status is None:
            return None
        what = "the app's client-secret status"
        value = dig(response_json(self._call(status.call, what), what), status.expired)
        if not isinstance(value, bool):
            raise CallError(f"{what}: {status.expired} is {value!r}, not true or false")
        return value

    def installations_text(self) -> str | None:
        partner = self.profile.partner
        if partner is None or partner.installations is None:
            return None
        return self._call(partner.installations, "the app's installations").text

    def add_connection(self, *, client_id: str, client_secret: str, support_contact: str
                       ) -> ProfileAdapter:
        """Configure again with another client: the adapter of that second connection."""
        if "multi-connection" not in self.capabilities:
            raise Unsupported(f"{self.name}: the profile cannot configure a second connection")
        values = {**self.values, "client_id": client_id, "client_secret": client_secret,
                  "support_contact": support_contact}
        second = ProfileAdapter(self.profile, self.server, values, self.http,
                                contact=support_contact)
        second.configure()
        return second


def _shown(page: Page, text: str) -> Locator:
    """The first visible element that says ``text`` (case aside, white space normalised), in
    the page or an open shadow root: text in a hidden element, a comment or a script is not
    shown, while text styled to look otherwise (``text-transform``) still is."""
    return page.get_by_text(text).locator("visible=true").first


def _expect_once_settled(page: Page, text: str, message: str | None = None) -> None:
    """``text`` shown on the page (:func:`_shown`): at once, or once the page has settled. A
    page that shows it late (still redirecting, still fetching) gets until its network is idle
    (the page's default timeout); a settled page without it fails in about two seconds, not the
    full timeout. The browser's own error page (a redirect loop, no answer) shows no text and
    is where the navigation ended: it fails at once (:func:`on_browser_error_page`)."""
    from playwright.sync_api import Error, expect

    shown = _shown(page, text)
    try:
        expect(shown, message).to_be_visible(timeout=FIRST_LOOK_MS)
        return
    except AssertionError:
        if on_browser_error_page(page):
            raise
    with contextlib.suppress(Error):  # a page that never settles is judged as it stands
        page.wait_for_load_state("networkidle")
    expect(shown, message).to_be_visible(timeout=SETTLED_LOOK_MS)


def _addresses(person: Someone) -> tuple[str, ...]:
    """The addresses an app may hold for ``person``, lower-cased: the UPN, and the person's
    mail when it has one of its own (an ``email`` attribute: a user's mail need not be its
    UPN, and the address Entra vouches for is the mail)."""
    email = getattr(person, "email", None)
    found = [person.upn] + ([email] if isinstance(email, str) and email else [])
    return tuple(dict.fromkeys(a.strip().casefold() for a in found))
