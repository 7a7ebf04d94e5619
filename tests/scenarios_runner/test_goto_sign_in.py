"""``flows.goto_sign_in``: a sign-in URL followed through the provider and back to the app,
where the app's callback may give no answer at all (a connection dropped as the app's call to
the provider fails). Answered by redirect, ``page.goto`` raises for it; answered by the
provider's ``form_post`` page it cannot (the post comes after the page loaded), so the helper
leaves the browser on its error page in both cases, for the scenario to judge the app's answer.
One local server plays both sites: the app as ``127.0.0.1``, the provider as ``localhost``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scenarios.flows import goto_sign_in
from scenarios.goto import AppTimeout, goto_app, open_sign_in
from scenarios.live import LiveStack

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

ENTRA = "https://login.microsoftonline.com"


class _Sites(Pages):
    """``/login`` -> the provider's ``/authorize`` -> the app's ``/callback``, which drops the
    connection; ``/dead-login`` drops it at once; ``/login-dead-provider`` is sent to a
    provider URL that drops it."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        port = self.server.server_address[1]
        app, provider = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        hops = {"/login": f"{provider}/authorize", "/authorize": f"{app}/callback",
                "/login-dead-provider": f"{provider}/dead",
                "/login-at-entra": f"{ENTRA}/contoso/oauth2/v2.0/authorize?client_id=c",
                "/login-stale-localhost": "http://localhost:5000/callback?code=c",
                "/login-stale-twin": "http://127.0.0.1:5000/callback?code=c",
                "/login-stale-ipv6": "http://[::1]:5000/callback?code=c",
                "/login-stale-provider": "http://localhost:5000/contoso/oauth2/v2.0/authorize"
                                         "?client_id=c",
                "/login-federated": f"{provider}/federate",
                "/federate": f"{ENTRA}/federated/saml2"}
        if self.path not in hops:  # /callback, /dead-login, /dead: no answer at all
            self.close_connection = True
            return
        self.send_response(302)
        self.send_header("Location", hops[self.path])
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    with serving(_Sites) as origin:
        yield origin


def _stack(app: str) -> LiveStack:
    provider = app.replace("127.0.0.1", "localhost")
    return cast(LiveStack, SimpleNamespace(app=SimpleNamespace(base_url=app),
                                           idp=SimpleNamespace(base_url=provider)))


def test_a_callback_that_gives_no_answer_is_left_for_the_scenario_to_judge(
        page: Page, app: str) -> None:
    with pytest.raises(PlaywrightError, match="ERR_EMPTY_RESPONSE"):
        page.goto(f"{app}/login")  # what the helper is for
    goto_sign_in(page, _stack(app), f"{app}/login")
    assert page.url.startswith("chrome-error://"), page.url


@pytest.mark.parametrize("path", ["/dead-login", "/login-dead-provider"])
def test_a_sign_in_url_or_a_provider_that_gives_no_answer_still_raises(
        page: Page, app: str, path: str) -> None:
    with pytest.raises(PlaywrightError, match="ERR_EMPTY_RESPONSE"):
        goto_sign_in(page, _stack(app), f"{app}{path}")


def test_a_sign_in_url_the_app_never_answers_names_the_app_and_the_url(
        page: Page, app: str) -> None:
    """An app that hangs on its sign-in URL (waiting on a call of its own: a discovery
    document it cannot reach, say) is named, with the URL, not as a bare navigation timeout."""
    page.route(f"{app}/hanging-login*", lambda route: None)  # never answered
    page.set_default_timeout(1000)
    with pytest.raises(PlaywrightTimeoutError) as caught:
        goto_sign_in(page, _stack(app), f"{app}/hanging-login?next=%2F")
    assert str(caught.value) == ("the app did not answer in time (1 s): the browser was still "
                                 f"waiting for {app}/hanging-login")
    assert isinstance(caught.value, AppTimeout), "the app's hang is a verdict, not an error"



def test_a_page_that_came_but_never_finished_loading_is_named_as_such(
        page: Page, app: str) -> None:
    """``goto`` waits for the ``load`` event: a page whose image never comes did answer, and
    the timeout says so and names what it still waited for, not that the app did not answer."""
    page.route(f"{app}/slow-page*", lambda route: route.fulfill(
        status=200, content_type="text/html", body='<h1>Hello</h1><img src="/never.png?v=1">'))
    page.route(f"{app}/never.png*", lambda route: None)  # never answered
    page.set_default_timeout(1000)
    with pytest.raises(PlaywrightTimeoutError) as caught:
        goto_sign_in(page, _stack(app), f"{app}/slow-page?next=%2F")
    assert str(caught.value) == (
        f"the app's page {app}/slow-page answered but did not finish loading in time (1 s): "
        f"the browser was still waiting for {app}/never.png")
    assert isinstance(caught.value, AssertionError), "the runner's FAIL, not its ERROR"


def test_a_provider_that_never_answers_is_not_the_apps_failure(page: Page, app: str) -> None:
    """Only the app's own hang is a verdict about it: a page elsewhere that never answers (the
    provider here) stays a timeout, which the runner reports as ERROR."""
    page.route("http://localhost:*/hanging*", lambda route: None)  # never answered
    page.set_default_timeout(1000)
    port = app.rsplit(":", 1)[1]
    with pytest.raises(PlaywrightTimeoutError) as caught:
        goto_sign_in(page, _stack(app), f"http://localhost:{port}/hanging")
    assert str(caught.value).startswith("no answer came in time (1 s)"), caught.value
    assert not isinstance(caught.value, AssertionError)


@pytest.mark.parametrize("follow", [goto_sign_in, open_sign_in, goto_app])
def test_an_app_that_sends_the_browser_to_another_provider_fails_saying_so(
        page: Page, app: str, follow: Callable[[Page, LiveStack, str], object]) -> None:
    """An app that writes Entra's host itself sends the browser to login.microsoftonline.com,
    which a machine without internet access cannot resolve: the app is pointed at another
    provider, a failure of the app (the runner's FAIL), named as ``app check`` names it, not
    Chromium's error at the app's own sign-in URL (the runner's ERROR)."""
    page.route(f"{ENTRA}/**", lambda route: route.abort("namenotresolved"))
    with pytest.raises(AssertionError) as caught:
        follow(page, _stack(app), f"{app}/login-at-entra")
    provider = app.replace("127.0.0.1", "localhost")
    assert str(caught.value).startswith(
        f"the app sent the browser from {app}/login-at-entra to {ENTRA} "
        f"(net::ERR_NAME_NOT_RESOLVED), not to the mock provider at {provider}: the app is "
        "pointed at another provider (check which settings it reads"), caught.value


@pytest.mark.parametrize(("path", "target"), [
    ("/login-stale-localhost", "http://localhost:5000/callback"),
    ("/login-stale-twin", "http://127.0.0.1:5000/callback"),
    ("/login-stale-ipv6", "http://[::1]:5000/callback"),
])
def test_an_app_that_sends_the_browser_to_a_stale_local_address_is_told_its_own_url(
        page: Page, app: str, path: str, target: str) -> None:
    """A local address that is neither the app's nor the mock's (a base URL or port setting
    left from the app's own setup, its twin ``localhost`` on another port) is no other
    provider: the app is told which profile placeholders hand it its own URL."""
    page.route(lambda url: ":5000/" in url, lambda route: route.abort("connectionrefused"))
    with pytest.raises(AssertionError) as caught:
        goto_app(page, _stack(app), f"{app}{path}")
    provider = app.replace("127.0.0.1", "localhost")
    assert str(caught.value) == (
        f"the app sent the browser from {app}{path} to {target} "
        f"(net::ERR_CONNECTION_REFUSED), a local address that is neither the app at {app} nor "
        f"the mock provider at {provider}: a base URL or port setting of the app is not where "
        "the harness serves it (hand the app its own URL: {base_url} or {port}, and "
        "{redirect_uri}, in [app.env] or its command)")


def test_an_app_that_sends_the_browser_to_a_stale_local_provider_is_told_the_mocks_url(
        page: Page, app: str) -> None:
    """An authorization endpoint on a local address that is not the mock's is a provider
    setting of the app's left from another set-up (a mock on its default port): the app is
    told which placeholders hand it the mock's URL, not its own."""
    page.route(lambda url: ":5000/" in url, lambda route: route.abort("connectionrefused"))
    with pytest.raises(AssertionError) as caught:
        goto_app(page, _stack(app), f"{app}/login-stale-provider")
    provider = app.replace("127.0.0.1", "localhost")
    assert str(caught.value) == (
        f"the app sent the browser from {app}/login-stale-provider to "
        "http://localhost:5000/contoso/oauth2/v2.0/authorize (net::ERR_CONNECTION_REFUSED), a "
        f"local address that is neither the app at {app} nor the mock provider at {provider}: "
        "an authority, issuer or discovery URL setting of the app is not where the mock provider "
        "runs (hand the app the mock's: {authority}, or {issuer} or {discovery_url}, in "
        "[app.env] or its command)")


def test_a_provider_that_sends_the_browser_on_elsewhere_is_not_the_apps_failure(
        page: Page, app: str) -> None:
    """Only the app's own redirect is its pointing: a hop the provider sends on (to a
    federated provider) that fails stays the browser's error."""
    page.route(f"{ENTRA}/**", lambda route: route.abort("namenotresolved"))
    with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED") as caught:
        goto_sign_in(page, _stack(app), f"{app}/login-federated")
    assert not isinstance(caught.value, AssertionError)
