"""Dropping the app's session in a browser: its cookies and its pages' web storage go, where a
single-page app keeps its tokens; the provider's cookies and storage stay."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route

from scenarios.app.app_session import cookie_domain, forget_app_session

pytestmark = pytest.mark.browser

APP, IDP = "http://app.test", "http://idp.test"
STORE = """() => {
  localStorage.setItem("tokens", "kept-here");
  sessionStorage.setItem("tokens", "kept-here");
  document.cookie = "session=1; path=/";
}"""
HELD = "() => [localStorage.length, sessionStorage.length, document.cookie]"


def _page(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body="<p>a page</p>")


def _open(browser: Browser) -> tuple[Page, Page]:
    context = browser.new_context()
    context.route(f"{APP}/**", _page)
    context.route(f"{IDP}/**", _page)
    app, idp = context.new_page(), context.new_page()
    for page, url in ((app, APP), (idp, IDP)):
        page.goto(f"{url}/")
        page.evaluate(STORE)
    return app, idp


def test_the_app_forgets_its_cookies_and_web_storage_and_the_provider_keeps_its(
        browser: Browser) -> None:
    app, idp = _open(browser)
    forget_app_session(app, APP)
    assert app.evaluate(HELD) == [0, 0, ""]
    assert idp.evaluate(HELD) == [1, 1, "session=1"]
    app.reload()
    assert app.evaluate(HELD) == [0, 0, ""], "nothing comes back with the next document"
    app.context.close()


def test_another_tab_of_the_app_forgets_its_storage_too(browser: Browser) -> None:
    app, idp = _open(browser)
    second = app.context.new_page()
    second.goto(f"{APP}/account")
    second.evaluate("() => sessionStorage.setItem('tokens', 'this tab')")
    forget_app_session(idp, APP)  # asked through a page at the provider
    assert second.evaluate(HELD) == [0, 0, ""]
    assert app.evaluate(HELD) == [0, 0, ""]
    assert idp.evaluate(HELD) == [1, 1, "session=1"]
    app.context.close()


def test_the_apps_local_storage_goes_with_no_tab_on_the_app(browser: Browser) -> None:
    app, idp = _open(browser)
    app.goto(f"{IDP}/elsewhere")  # the app's origin keeps its localStorage, shown nowhere
    forget_app_session(idp, APP)
    app.goto(f"{APP}/")
    assert app.evaluate("() => localStorage.length") == 0
    assert idp.evaluate(HELD) == [1, 1, "session=1"]
    app.context.close()


@pytest.mark.parametrize("base_url", ["http://[::1]:8599/app", "http://[::1]:8599"])
def test_an_app_on_an_ipv6_address_forgets_its_cookies(browser: Browser, base_url: str) -> None:
    """Chromium files the cookies of ``http://[::1]:8599`` under the domain ``[::1]``, with its
    brackets: the app's session cookie (here on its path prefix) goes, the provider's stays."""
    context = browser.new_context()
    context.route("http://[::1]:8599/**", _page)
    context.route(f"{IDP}/**", _page)
    app, idp = context.new_page(), context.new_page()
    app.goto("http://[::1]:8599/app/account")
    app.evaluate("() => { document.cookie = 'session=1; path=/app'; }")
    idp.goto(f"{IDP}/")
    idp.evaluate(STORE)
    assert [c["domain"] for c in context.cookies("http://[::1]:8599/app/")] == ["[::1]"]
    forget_app_session(app, base_url)
    assert context.cookies("http://[::1]:8599/app/") == [], "the app's session is still there"
    assert idp.evaluate(HELD) == [1, 1, "session=1"]
    context.close()


def test_the_cookie_domain_of_a_url() -> None:
    assert cookie_domain("http://[::1]:8000/app") == "[::1]"
    assert cookie_domain("https://App.Example:8443/") == "app.example"
