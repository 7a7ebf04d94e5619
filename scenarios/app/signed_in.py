"""Whether someone is signed in to the app under test, and who: the ``[signed_in]`` checks of
:class:`~scenarios.app.adapter.ProfileAdapter` (its ``me_url``, its ``page``, the text or
element a signed-in page shows). What ``me_url``'s answer says of the person is
:mod:`scenarios.app.me_answer`'s.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from scenarios.app.interface import Someone, Unsupported
from scenarios.app.me_answer import SignedInElsewhere, expect_me_json
from scenarios.app.page_looks import FIRST_LOOK_MS, expect_or_say, origin, shown_element
from scenarios.app.templating import render
from scenarios.settled_error import until_unless_settled_error

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter

ME_POLL_MS = 100
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


def expect_signed_in(app: ProfileAdapter, page: Page, person: Someone, *,
                     lands_on: str | None = None) -> None:
    signed_in = app.profile.signed_in
    try:
        _expect_signed_in_at(app, page, person, lands_on)
    except AssertionError as exc:
        status = _me_status_now(app, page)
        if status is not None and 200 <= status < 300:
            raise SignedInElsewhere(
                f"{app.url(signed_in.me_url or '')} answered HTTP {status}; {exc}") from exc
        if _page_shows_signed_in_now(app, page):
            # Without me_url the profile's page is the session check: the person is in, the
            # page the sign-in landed on is not what the profile says (a dashboard server's
            # index page rather than the app, say).
            raise SignedInElsewhere(
                f"{app.url(signed_in.page or '')} shows someone signed in; {exc}") from exc
        raise
    if signed_in.me_url:
        status = _me_status(app, page, want_success=True)
        assert 200 <= status < 300, (
            f"{app.url(signed_in.me_url)} answered HTTP {status} after the sign-in; the "
            "app did not keep a session")
        expect_me_json(app, page, person)


def _expect_signed_in_at(app: ProfileAdapter, page: Page, person: Someone,
                         lands_on: str | None) -> None:
    from playwright.sync_api import expect

    signed_in = app.profile.signed_in
    app_url = re.compile("^" + (
        re.escape(app.landing(lands_on)) + r"([?#].*)?$" if lands_on
        else re.escape(app.base_url) + r"(/.*)?$"))
    where = f"the sign-in did not end at {app.landing(lands_on or '')}"
    try:
        expect(page).to_have_url(app_url, timeout=FIRST_LOOK_MS)
    except AssertionError as exc:
        if _settled_on_failure_page(app, page):
            raise AssertionError(f"{where}: the app showed its failure page; "
                                 f"{app.showing(page)}") from exc
        # An error page that stays (a 500 at the callback) ends the wait.
        expect_or_say(page, lambda timeout: expect(page).to_have_url(app_url, timeout=timeout),
                      where, app.base_url)
    if signed_in.text or signed_in.selector:
        _expect_signed_in_page(app, page, person)


def _settled_on_failure_page(app: ProfileAdapter, page: Page) -> bool:
    """Whether the page, once its network is idle, is one of the app's that shows
    ``[failure] text``: a sign-in that ended there will not end signed in, so the check
    need not wait out its timeout (the contact alone may be in every page's footer)."""
    from playwright.sync_api import Error

    failure = app.profile.failure
    if failure is None or not failure.text or origin(page.url) != origin(app.base_url):
        return False
    with contextlib.suppress(Error):  # a page that never settles is judged as it stands
        page.wait_for_load_state("networkidle", timeout=SETTLING_MS)
    try:
        return (origin(page.url) == origin(app.base_url)
                and shown_element(page, failure.text).is_visible())
    except Error:
        return False


def _me_status_now(app: ProfileAdapter, page: Page) -> int | None:
    """The ``me_url`` status, asked once; None without ``me_url`` or without an answer."""
    me_url = app.profile.signed_in.me_url
    if not me_url:
        return None
    try:
        return page.request.get(app.url(me_url), max_redirects=0).status
    except Exception:  # a closed page, an app that stopped: the earlier failure stands
        return None


def _page_shows_signed_in_now(app: ProfileAdapter, page: Page) -> bool:
    """Whether the profile's ``[signed_in] page`` shows someone signed in in this browser, for
    a profile without ``me_url``; False when it cannot tell."""
    signed_in = app.profile.signed_in
    if signed_in.me_url or not signed_in.page or not (signed_in.text or signed_in.selector):
        return False
    try:
        return app.is_signed_in(page)
    except Exception:  # a closed page, an app that stopped: the earlier failure stands
        return False


def _expect_signed_in_page(app: ProfileAdapter, page: Page, person: Someone) -> None:
    from playwright.sync_api import Error, expect

    signed_in = app.profile.signed_in
    text = render(signed_in.text, _person_values(person)) if signed_in.text else None
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
                                 f"{signed_in.selector!r}; {app.showing(page)}\n{exc}"
                                 ) from exc
        raise


def _me_status(app: ProfileAdapter, page: Page, *, want_success: bool) -> int:
    """The ``me_url`` status in this browser; polled briefly while the app settles."""
    me_url = app.url(app.profile.signed_in.me_url or "")
    deadline_ms = 2000
    while True:
        status = page.request.get(me_url, max_redirects=0).status
        if (200 <= status < 300) == want_success or deadline_ms <= 0:
            return status
        page.wait_for_timeout(ME_POLL_MS)
        deadline_ms -= ME_POLL_MS


def is_signed_in(app: ProfileAdapter, page: Page) -> bool:
    """Whether this browser is signed in to the app (``me_url``, else ``page``)."""
    signed_in = app.profile.signed_in
    if signed_in.me_url:
        status = page.request.get(app.url(signed_in.me_url), max_redirects=0).status
        if status in (401, 403) or 300 <= status < 400:
            return False
        if 200 <= status < 300:
            return True
        raise AssertionError(f"{app.url(signed_in.me_url)} answered HTTP {status}: "
                             "neither signed in (2xx) nor signed out (401, 403, redirect)")
    if signed_in.page:
        from playwright.sync_api import Error

        probe = page.context.new_page()
        try:
            probe.goto(app.url(signed_in.page))
            if signed_in.page_ready:  # the app says when its page is drawn
                with contextlib.suppress(Error):  # never drawn: judged as it stands
                    probe.locator(signed_in.page_ready).first.wait_for(state="attached")
                return _shows_signed_in(app, probe)
            if _shows_signed_in(app, probe):
                return True
            # A single-page app shows who is signed in once its script has done its own
            # work after the page's load (MSAL.js's handleRedirectPromise, a settings
            # fetch): "signed out" is judged once the page has settled.
            with contextlib.suppress(Error):  # a page that never settles, as it stands
                probe.wait_for_load_state("networkidle")
            if _shows_signed_in(app, probe):
                return True
            # A page drawn over a websocket (Streamlit's: its script runs on the server
            # once the socket is open) is idle on the network before anything is drawn:
            # judged once its document has stopped changing.
            with contextlib.suppress(Error):
                probe.wait_for_function(_DOM_QUIET_JS, arg=DOM_QUIET_MS,
                                        timeout=DOM_QUIET_WITHIN_MS)
            return _shows_signed_in(app, probe)
        finally:
            probe.close()
    raise Unsupported(f"{app.name}: the profile gives no way to tell who is signed in "
                      "([signed_in] me_url or page)")


def seen_signed_in(app: ProfileAdapter, page: Page) -> bool:
    """:func:`is_signed_in` where the profile has a session check (``me_url``, or ``page``
    with ``text``/``selector``); else whether the page the browser shows now shows
    ``[signed_in] text``/``selector`` (a profile with neither: ``False``). For the
    findings that explain a failure by someone being signed in (not exercised, an unsent
    nonce): a profile without a session check gets them from what the browser shows,
    rather than an error."""
    if "session-check" in app.capabilities:
        return app.is_signed_in(page)
    signed_in = app.profile.signed_in
    if not (signed_in.text or signed_in.selector):
        return False
    from playwright.sync_api import Error

    try:
        return _shows_signed_in(app, page)
    except Error:  # a page closing or navigating meanwhile: nothing seen
        return False


def shows_signed_in_now(app: ProfileAdapter, page: Page) -> bool:
    """Whether the page the browser shows now shows ``[signed_in] text``/``selector``, or,
    for a profile with neither, whether ``me_url`` answers 2xx: one quick look, for a wait
    that polls (no probe page of its own, as :func:`is_signed_in` opens)."""
    from playwright.sync_api import Error

    signed_in = app.profile.signed_in
    try:
        if signed_in.text or signed_in.selector:
            return _shows_signed_in(app, page)
        status = _me_status_now(app, page)
    except Error:  # a page navigating meanwhile: nothing seen yet
        return False
    return status is not None and 200 <= status < 300


def _shows_signed_in(app: ProfileAdapter, page: Page) -> bool:
    signed_in = app.profile.signed_in
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


def expect_signed_out(app: ProfileAdapter, page: Page, *, why: str = "") -> None:
    if app.profile.signed_in.me_url:
        status = _me_status(app, page, want_success=False)
        assert not 200 <= status < 300, (
            f"{app.url(app.profile.signed_in.me_url)} answered HTTP {status}: the user "
            f"is still signed in{why}")
        return
    # Without a session check, what the browser shows now (the signed-in text or selector).
    assert not app.seen_signed_in(page), f"the app still shows someone signed in{why}"


def _person_values(person: Someone) -> dict[str, str]:
    return {"name": person.name, "upn": person.upn,
            "email": getattr(person, "email", None) or person.upn}


