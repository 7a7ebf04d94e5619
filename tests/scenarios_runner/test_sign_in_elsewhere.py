"""A sign-in URL that leaves the browser on the app's page: the failure says where the sign-in
went instead (a popup window, MSAL.js's ``loginPopup`` shape) or what the page waits for (a
click), not only that the provider's page did not appear."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from scenarios import Registry, ScenarioContext, WorkerInfo
from scenarios.app.sign_in_control import control_locator
from scenarios.drivers import EntraDriver
from scenarios.sign_in_elsewhere import NoSignInPage
from scenarios.worker import RunOptions, run_scenario

pytestmark = pytest.mark.browser

APP = "http://127.0.0.1:8599"
LEAD = "the provider's sign-in page did not appear: the browser shows "


def _serve(page: Page, pages: dict[str, tuple[int, str]]) -> None:
    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(APP).split("?")[0]
        status, body = pages.get(path, (404, "<h1>Not Found</h1>"))
        route.fulfill(status=status, content_type="text/html", body=body)

    page.context.route(f"{APP}/**", answer)  # the context's: a popup's requests too


def _failure(page: Page) -> str:
    with pytest.raises(AssertionError) as caught:
        EntraDriver(timeout_ms=1500).expect_sign_in_page(page)
    return str(caught.value)


def test_a_sign_in_opened_in_a_popup_window_is_named(page: Page) -> None:
    _serve(page, {
        "/login": (200, '<h1>Welcome</h1><script>window.open('
                        '"/authorize?client_id=c&state=secret", "signin", "width=480")</script>'),
        "/authorize": (200, "<h1>Sign in</h1>")})
    with page.context.expect_page():
        page.goto(f"{APP}/login")
    message = _failure(page)
    assert message.startswith(f"{LEAD}HTTP 200 at {APP}/login ('Welcome') instead; it opened a "
                              f"popup window at {APP}/authorize?…, where the scenarios do not "
                              "follow a sign-in"), message
    assert "secret" not in message and "loginRedirect rather than loginPopup" in message
    assert "oidc-client-ts: signinRedirect rather than signinPopup" in message


@pytest.mark.parametrize(("status", "body", "said", "key"), [
    (200, '<h1>Welcome</h1><form action="/go"><button>Sign in</button></form>',
     "'Sign in' button", '"Sign in"'),
    (401, '<h1>Unauthorized</h1><p>Please <a href="/go">log in</a></p>', "'log in' link",
     '"log in"'),
])
def test_a_page_that_waits_for_a_click_says_which(page: Page, status: int, body: str,
                                                   said: str, key: str) -> None:
    _serve(page, {"/login": (status, body)})
    page.goto(f"{APP}/login")
    message = _failure(page)
    assert message.endswith(f" instead; the page waits for a click on its {said}: a sign-in "
                            "URL must send the browser to the provider by itself (a redirect, "
                            "a refresh or a script); for a customer sign-in page that waits "
                            f"for it, name it in the profile as [sign_in] control = {key}, "
                            "which is clicked on the pages of [sign_in] urls only (a protected "
                            "URL must start the sign-in by itself, and a partner launch URL is "
                            "never clicked through: partner-app SSO starts at once)"), message


def test_a_page_with_no_such_control_keeps_the_plain_message(page: Page) -> None:
    _serve(page, {"/login": (200, '<h1>Welcome</h1><a href="/help">Help</a>'
                                  '<button style="display:none">Sign in</button>')})
    page.goto(f"{APP}/login")
    assert _failure(page) == f"{LEAD}HTTP 200 at {APP}/login ('Welcome') instead"


FAB_LOGIN = ('<nav><a href="/login/">Login</a></nav><h1>Sign In</h1>'
             '<a id="btn-signin-azure" class="btn" type="submit">Sign In with azure</a>'
             '<script>document.getElementById("btn-signin-azure").addEventListener("click", '
             '() => { window.location.href = "/login/azure"; })</script>')
"""Flask-AppBuilder's OAuth login page (``login_oauth.html``), where its protected pages send
the browser: the navigation bar's "Login" links to the page itself, and the provider's button
is an ``<a>`` without ``href`` that its script makes a button."""


def test_a_link_to_the_page_itself_is_not_the_control_an_href_less_anchor_is(
        page: Page) -> None:
    _serve(page, {"/login/": (200, FAB_LOGIN)})
    page.goto(f"{APP}/login/?next=%2Fusers%2Fuserinfo%2F")
    message = _failure(page)
    assert "the page waits for a click on its 'Sign In with azure' button" in message, message
    assert '[sign_in] control = "Sign In with azure", which is clicked on the pages of ' in (
        message)
    assert "'Login'" not in message, message


def test_a_control_named_for_an_href_less_anchor_is_found_and_clicked(page: Page) -> None:
    _serve(page, {"/login/": (200, FAB_LOGIN), "/login/azure": (200, "<h1>Started</h1>")})
    page.goto(f"{APP}/login/")
    control = control_locator(page, "Sign In with azure")
    assert control.count() == 1
    control.click()
    page.wait_for_url(f"{APP}/login/azure")


def test_a_script_link_and_a_link_with_a_query_of_its_own_are_still_controls(
        page: Page) -> None:
    for href in ("#", "/login?provider=azure"):
        _serve(page, {"/login": (200, f'<h1>Welcome</h1><a href="{href}">Sign in</a>')})
        page.goto(f"{APP}/login")
        assert "waits for a click on its 'Sign in' link" in _failure(page), href


def _stack(control: str | None, clicked: bool) -> Any:
    """What :meth:`NoSignInPage.fitting` reads of a live stack: the profile's ``[sign_in]
    control`` and whether it was clicked on the page the browser opened."""
    sign_in = SimpleNamespace(control=control)
    return SimpleNamespace(app=SimpleNamespace(profile=SimpleNamespace(sign_in=sign_in)),
                           sign_in_clicked=clicked)


@pytest.mark.parametrize(("named", "clicked", "said"), [
    (None, False, 'name it in the profile as [sign_in] control = "Sign in", which is clicked'),
    ("Sign in", True, "[sign_in] control 'Sign in' was clicked, but the browser stayed on the "
     "app, whose page still shows it: the click must send the browser to the provider"),
    ("Continue", True, "[sign_in] control 'Continue' was clicked, but the browser stayed on the "
     "app, whose page waits for a click on its 'Sign in' button: the click must send"),
    ("Sign in", False, "the page waits for a click on its 'Sign in' button, which no scenario "
     "gives here: [sign_in] control 'Sign in' is clicked only on the page a scenario opens by "
     "following one of [sign_in] urls"),
])
def test_the_advice_on_a_page_that_waits_for_a_click_fits_the_profile(
        page: Page, named: str | None, clicked: bool, said: str) -> None:
    """A profile that names its control already is told whether it was clicked, never to
    name it."""
    _serve(page, {"/login": (200, '<h1>Welcome</h1><form action="/go"><button>Sign in'
                                  "</button></form>")})
    page.goto(f"{APP}/login")
    with pytest.raises(NoSignInPage) as caught:
        EntraDriver(timeout_ms=1500).expect_sign_in_page(page)
    message = caught.value.fitting(_stack(named, clicked))
    assert message.startswith(f"{LEAD}HTTP 200 at {APP}/login ('Welcome') instead; "), message
    assert said in message, message
    assert ("name it in the profile" in message) == (named is None), message


def test_a_scenario_s_own_driver_call_gets_the_advice_that_fits_its_profile(
        browser: Browser, tmp_path: Path) -> None:
    """A scenario that calls the driver with no stack (``sign_in_at_idp`` after
    ``expect_sign_in_asked``) is told, like :meth:`NoSignInPage.fitting` says, that the
    profile's ``[sign_in] control`` was clicked: never to name it."""
    registry = Registry()

    @registry.scenario(id="advice.probe", title="probe", proves="advice fits")
    def probe(ctx: ScenarioContext[Any]) -> None:
        _serve(ctx.page, {"/login": (200, '<h1>Welcome</h1><form action="/go"><button>'
                                          "Sign in</button></form>")})
        ctx.page.goto(f"{APP}/login")
        EntraDriver(timeout_ms=1500).expect_sign_in_page(ctx.page)

    result = run_scenario(registry.get("advice.probe"), browser=browser,
                          worker_env=_stack("Sign in", True), registry=registry,
                          options=RunOptions(report_dir=tmp_path, trace="off"),
                          worker=WorkerInfo(index=0, count=1))
    assert result.status == "failed", result.message
    assert "[sign_in] control 'Sign in' was clicked, but the browser stayed" in (
        result.message or ""), result.message
    assert "name it in the profile" not in (result.message or ""), result.message
