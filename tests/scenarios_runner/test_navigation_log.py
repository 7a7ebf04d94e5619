"""``NavigationLog``'s check that a sign-in went by redirects alone, which the catalogue's
and ``run --idp``'s automatic login both make: fed responses in-process, no browser."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from scenarios.flows import NavigationLog

IDP = "https://login.example.test"
APP = "http://127.0.0.1:8000"
FRAME = object()


class _Page:
    """What ``NavigationLog`` uses of a page: its main frame, its response and request events."""

    main_frame = FRAME

    def __init__(self) -> None:
        self.handlers: list[Callable[[object], None]] = []
        self.request_handlers: list[Callable[[object], None]] = []

    def on(self, event: str, handler: Callable[[object], None]) -> None:
        assert event in ("response", "request")
        (self.handlers if event == "response" else self.request_handlers).append(handler)

    def fetch(self, url: str, *, body: str | None = None, kind: str = "fetch") -> None:
        """The page's script requests ``url`` (``fetch`` or XHR)."""
        request = SimpleNamespace(url=url, resource_type=kind, frame=FRAME, post_data=body)
        for handler in self.request_handlers:
            handler(request)

    def receive(self, url: str, status: int, location: str | None = None, *,
                method: str = "GET", body: str | None = None) -> None:
        response = SimpleNamespace(
            url=url, status=status, headers={"location": location} if location else {},
            request=SimpleNamespace(resource_type="document", frame=FRAME, method=method,
                                    post_data=body))
        for handler in self.handlers:
            handler(response)


def _signed_in(*between: tuple[str, int], opened: tuple[str, int] = (f"{APP}/widget/login", 302),
               callback: int = 302) -> NavigationLog:
    """A log of following the widget's sign-in URL with a provider session: the ``opened``
    sign-in URL, redirects to the provider and back through the callback, with ``between``
    before the app's page."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(*opened, f"{IDP}/authorize")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/auth/callback?code=c")
    page.receive(f"{APP}/auth/callback?code=c", callback, "/widget")
    for url, status in between:
        page.receive(url, status)
    page.receive(f"{APP}/widget", 200)
    return log


def test_redirects_alone_to_the_app_page_pass() -> None:
    _signed_in().expect_no_page_between(IDP)


def test_a_page_of_the_apps_own_on_the_way_fails_and_is_named() -> None:
    log = _signed_in((f"{APP}/auth/finishing?to=%2Fwidget", 200))
    assert log.pages_shown_from(IDP) == []
    with pytest.raises(AssertionError) as caught:
        log.expect_no_page_between(IDP)
    message = str(caught.value)
    assert message.startswith(f"a page was shown on the way to {APP}/widget: "
                              f"{APP}/auth/finishing?… (HTTP 200); "), message
    assert "code=c" not in message, "a message must not quote an authorization code"


def test_a_page_at_a_server_side_apps_callback_fails() -> None:
    with pytest.raises(AssertionError, match=r"on the way to .*/widget: .*/auth/callback\?… "
                       r"\(HTTP 200\)"):
        _signed_in(callback=200).expect_no_page_between(IDP)


def test_a_page_of_another_site_on_the_way_fails() -> None:
    with pytest.raises(AssertionError, match=r"on the way to .*: https://ads.example.test/x"):
        _signed_in(("https://ads.example.test/x", 200)).expect_no_page_between(IDP)


def test_a_page_that_sends_the_browser_straight_to_the_provider_is_a_hand_off() -> None:
    """Microsoft's ``identity`` package answers its sign-in URL with a meta refresh to the
    provider, and a single-page app's page starts MSAL.js's ``loginRedirect``."""
    _signed_in(opened=(f"{APP}/widget/login", 200)).expect_no_page_between(IDP)


def test_a_single_page_apps_page_at_its_redirect_uri_is_a_hand_off() -> None:
    log = _signed_in(opened=(f"{APP}/widget/login", 200), callback=200)
    log.expect_no_page_between(IDP, single_page_app_at=f"{APP}/auth/callback")
    with pytest.raises(AssertionError, match=r"on the way to .*/widget: .*/auth/finishing"):
        _signed_in((f"{APP}/auth/finishing", 200), callback=200).expect_no_page_between(
            IDP, single_page_app_at=f"{APP}/auth/callback")


def test_a_page_of_the_providers_fails() -> None:
    with pytest.raises(AssertionError, match=r"the provider showed https://login.example.test/kmsi"
                       r": the browser went .*/widget/login 302 -> "):
        _signed_in((f"{IDP}/kmsi", 200)).expect_no_page_between(IDP)


def test_a_navigation_that_rendered_nothing_fails() -> None:
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/widget/login", 302, f"{IDP}/authorize")
    with pytest.raises(AssertionError, match="no page rendered: the browser went "):
        log.expect_no_page_between(IDP)


def _form_post(*, posted_to: str) -> NavigationLog:
    """Following the sign-in URL of an app that asks for ``response_mode=form_post``: the
    provider answers authorize with a page whose form posts itself to ``posted_to``."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/widget/login", 302, f"{IDP}/authorize")
    page.receive(f"{IDP}/authorize?response_mode=form_post", 200)
    page.receive(posted_to, 302, "/widget", method="POST", body="code=c&state=s")
    page.receive(f"{APP}/widget", 200)
    return log


def test_the_providers_form_post_answer_is_a_hand_off_not_a_page_shown() -> None:
    """ASP.NET Core's OpenID Connect handler asks for ``form_post`` by default: Entra answers
    with a page that posts the code to the app as it loads, and no one clicks."""
    log = _form_post(posted_to=f"{APP}/signin-oidc")
    assert log.pages_shown_from(IDP) == [] and log.pages_opened_from(IDP) == []
    log.expect_no_page_between(IDP)


def test_a_provider_page_posted_back_to_the_provider_is_still_a_page_shown() -> None:
    log = _form_post(posted_to=f"{IDP}/kmsi")
    assert log.pages_shown_from(IDP) == [f"{IDP}/authorize?response_mode=form_post"]
    with pytest.raises(AssertionError, match="the provider showed .*/authorize"):
        log.expect_no_page_between(IDP)


def test_the_form_a_document_was_posted_is_kept_beside_it() -> None:
    """The provider's ``form_post`` answer is in the body the browser posted, not in a URL:
    the log keeps it, for what reads the answer (``conformance`` names an error sent there)."""
    log = _form_post(posted_to=f"{APP}/signin-oidc")
    assert log.posted == [None, None, "code=c&state=s", None]


def _posted_sign_in(answer: tuple[int, str | None]) -> NavigationLog:
    """Following the sign-in URL of an app whose sign-in starts only by a POST carrying its
    CSRF token (Auth.js's ``/auth/signin/<provider>``): its page posts that form as it loads,
    and the app answers the post with ``answer`` (a status and where it sends the browser)."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login", 200)
    page.receive(f"{APP}/auth/signin/entra", *answer, method="POST", body="csrfToken=t")
    if answer[1] is not None and answer[1].startswith(IDP):
        page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/auth/callback?code=c")
        page.receive(f"{APP}/auth/callback?code=c", 302, "/account")
    page.receive(f"{APP}/account", 200)
    return log


def test_a_page_that_posts_its_form_to_the_app_which_sends_it_to_the_provider_is_a_hand_off(
        ) -> None:
    """As a page whose script fetches that post's answer and sends the browser to the
    provider itself (Auth.js's client ``signIn``): the scenarios click nothing on it."""
    _posted_sign_in((302, f"{IDP}/authorize")).expect_no_page_between(IDP)


def test_a_posted_page_answered_by_anything_but_a_redirect_to_the_provider_is_still_shown(
        ) -> None:
    with pytest.raises(AssertionError, match=r"on the way to .*/account: .*/login \(HTTP 200\)"):
        _posted_sign_in((302, f"{APP}/account")).expect_no_page_between(IDP)
    with pytest.raises(AssertionError, match=r"on the way to .*/account: .*/login \(HTTP 200\), "
                       r"then .*/auth/signin/entra \(HTTP 200\)"):
        _posted_sign_in((200, None)).expect_no_page_between(IDP)


def _fragment_answer(*, posts_back: bool = True, to: str = "/protected/redirect_uri"
                     ) -> NavigationLog:
    """A hybrid sign-in (response_type=code id_token) answered in the fragment, as
    mod_auth_openidc asks it: its redirect URI answers a page whose script posts the fragment's
    values to it, which redirects to the page the sign-in started from."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/protected/page", 302, f"{IDP}/authorize")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}{to}#code=c&id_token=t&state=s")
    page.receive(f"{APP}{to}", 200)
    if posts_back:
        page.receive(f"{APP}{to}", 302, "/protected/page", method="POST",
                     body="code=c&id_token=t&state=s&response_mode=fragment")
    else:
        page.receive(f"{APP}/protected/page", 200)
        return log
    page.receive(f"{APP}/protected/page", 200)
    return log


def test_an_apps_page_that_posts_back_the_answer_in_its_fragment_is_a_hand_off() -> None:
    _fragment_answer().expect_no_page_between(IDP)


def test_a_page_the_fragment_answer_reached_that_posts_nothing_is_a_page_shown() -> None:
    with pytest.raises(AssertionError, match=r"on the way to .*/protected/page: "
                       r".*/protected/redirect_uri \(HTTP 200\)"):
        _fragment_answer(posts_back=False).expect_no_page_between(IDP)


def test_a_page_answered_in_the_query_that_posts_to_the_app_is_a_page_shown() -> None:
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/protected/page", 302, f"{IDP}/authorize")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/cb?code=c&state=s")
    page.receive(f"{APP}/cb?code=c&state=s", 200)
    page.receive(f"{APP}/cb", 302, "/protected/page", method="POST", body="consent=yes")
    page.receive(f"{APP}/protected/page", 200)
    with pytest.raises(AssertionError, match=r"a page was shown on the way"):
        log.expect_no_page_between(IDP)


def _front_end_callback(fetch: str | None) -> NavigationLog:
    """fastapi-users with a front end's ``redirect_url``: the provider's answer lands on the
    front end's page, whose script calls the router's ``/callback`` with the query (answered
    with the session cookie, a 204) and then goes to the account page."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login", 200)
    page.fetch(f"{APP}/auth/microsoft/authorize")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/oauth-callback?code=c0de&state=s")
    page.receive(f"{APP}/oauth-callback?code=c0de&state=s", 200)
    if fetch is not None:
        page.fetch(fetch)
    page.receive(f"{APP}/account", 200)
    return log


def test_a_front_end_page_that_hands_the_code_to_its_server_is_a_hand_off() -> None:
    _front_end_callback(f"{APP}/auth/microsoft/callback?code=c0de&state=s"
                        ).expect_no_page_between(IDP)


def test_a_front_end_that_hands_the_code_to_its_api_on_another_port_is_a_hand_off() -> None:
    """A front end's dev server (port 3000) and its API (port 8000) on one host: the API's
    session cookie is the host's, whatever the port."""
    _front_end_callback("http://127.0.0.1:3000/auth/microsoft/callback?code=c0de&state=s"
                        ).expect_no_page_between(IDP)


def test_a_page_that_sends_the_code_to_the_provider_on_its_host_is_shown() -> None:
    """The provider on the app's host (the mock beside the app): the page's script redeeming
    the code there hands nothing to the app's server."""
    provider = "http://127.0.0.1:9000"
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login", 302, f"{provider}/authorize?client_id=x")
    page.receive(f"{provider}/authorize?client_id=x", 302, f"{APP}/oauth-callback?code=c0de")
    page.receive(f"{APP}/oauth-callback?code=c0de", 200)
    page.fetch(f"{provider}/token", body="grant_type=authorization_code&code=c0de")
    page.receive(f"{APP}/account", 200)
    with pytest.raises(AssertionError, match=r"/oauth-callback\?… \(HTTP 200\)"):
        log.expect_no_page_between(provider)


def test_a_request_without_a_frame_is_left_out() -> None:
    """A service worker's own request: Playwright raises when asked for its frame."""
    page = _Page()
    log = NavigationLog(cast(Page, page))

    class _WorkerRequest:
        url, resource_type, post_data = f"{APP}/cb?code=c0de", "fetch", None

        @property
        def frame(self) -> object:
            raise PlaywrightError("Service Worker requests do not have an associated frame.")

    for handler in page.request_handlers:
        handler(_WorkerRequest())
    assert log.fetched == []


@pytest.mark.parametrize("fetch", [None, f"{APP}/api/track?page=callback",
                                   "https://ads.example.test/x?code=c0de"])
def test_a_page_at_the_redirect_uri_that_sends_the_code_nowhere_of_its_own_is_shown(
        fetch: str | None) -> None:
    """A page that sends no code, or sends it to another site, shows itself on the way."""
    with pytest.raises(AssertionError, match=r"on the way to .*/account: .*/oauth-callback\?… "
                       r"\(HTTP 200\)"):
        _front_end_callback(fetch).expect_no_page_between(IDP)


def test_the_fragment_answer_posted_back_is_one_answer_at_the_callback() -> None:
    log = _fragment_answer()
    callback = f"{APP}/protected/redirect_uri"
    assert log.visited(callback) == [callback, callback]
    assert log.answers_at(callback, IDP) == [callback]
    assert _signed_in().answers_at(f"{APP}/auth/callback", IDP) == [
        f"{APP}/auth/callback?code=c"]


def test_a_reset_log_judges_the_next_sign_in_alone() -> None:
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/protected/page", 302, "/elsewhere")
    log.reset()
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/cb#code=c&state=s")
    page.receive(f"{APP}/cb", 200)
    page.receive(f"{APP}/cb", 302, "/protected/page", method="POST", body="code=c&state=s")
    page.receive(f"{APP}/protected/page", 200)
    log.expect_no_page_between(IDP)
    assert log.answers_at(f"{APP}/cb", IDP) == [f"{APP}/cb"]


def test_a_sign_in_url_that_is_also_the_callback_is_no_return_from_the_provider() -> None:
    # Panel's /login starts the sign-in and takes the provider's answer: the browser leaving
    # through it is not the provider sending it back.
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login", 302, f"{IDP}/authorize?client_id=x")
    page.receive(f"{IDP}/authorize?client_id=x", 400)
    assert log.visited(f"{APP}/login") == [f"{APP}/login"]
    assert log.answers_at(f"{APP}/login", IDP) == []
    log.expect_no_return(IDP, f"{APP}/login")


def test_the_providers_redirect_or_form_post_to_the_callback_is_a_return() -> None:
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login", 302, f"{IDP}/authorize?client_id=x")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/login?error=access_denied")
    page.receive(f"{APP}/login?error=access_denied", 401)
    with pytest.raises(AssertionError, match=r"sent the browser back to the app's redirect URI"
                                             r" \(http://127.0.0.1:8000/login\?…\)"):
        log.expect_no_return(IDP, f"{APP}/login")
    posted = _Page()
    log = NavigationLog(cast(Page, posted))
    posted.receive(f"{IDP}/login", 200)
    posted.receive(f"{APP}/cb", 302, "/", method="POST", body="code=c")
    assert log.answers_at(f"{APP}/cb", IDP) == [f"{APP}/cb"]


def test_one_answer_at_a_callback_that_is_also_the_sign_in_url() -> None:
    # failure.state-replayed counts the answers of one sign-in: Panel's /login is both.
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/login?next=/app", 302, f"{IDP}/authorize?client_id=x")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/login?code=c&state=s")
    page.receive(f"{APP}/login?code=c&state=s", 302, "/app")
    page.receive(f"{APP}/app", 200)
    assert log.answers_at(f"{APP}/login", IDP) == [f"{APP}/login?code=c&state=s"]
