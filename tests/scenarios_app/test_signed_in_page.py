"""Who is signed in, read from a page (``[signed_in] page``, no ``me_url``): a single-page app
that shows it only after its script's own work after the page's load is not judged signed out
too early."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import cast

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from scenarios.app import load_profile
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.servers import AppServer

pytestmark = pytest.mark.browser

APP = "http://app.test"
PROFILE = """\
name = "A page that shows who is signed in"

[app]
base_url = "http://app.test"

[provider]
redirect_uris = "{base_url}/callback"
platform = "spa"

[sign_in]
urls = { login = "/login" }

[signed_in]
page = "/"
selector = "#signed-in-as"
text = "{name}"
"""
LATE = """<p id="status">Loading...</p>
<script>
  // As a single-page app does: its own work once the page has loaded, then who is signed in.
  addEventListener("load", () => setTimeout(() => {
    fetch("/settings.json").then((r) => r.json()).then((settings) => {
      if (settings.user) document.body.insertAdjacentHTML(
        "beforeend", `<p>Signed in as <strong id="signed-in-as">${settings.user}</strong></p>`);
    });
  }, 100));
</script>"""


class _Server:
    base_url = APP


def _adapter(tmp_path: Path) -> ProfileAdapter:
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE), encoding="utf-8")
    return ProfileAdapter(load_profile(path), cast(AppServer, _Server()), {}, httpx.Client())


def _page(browser: Browser, user: str | None) -> Page:
    context = browser.new_context()
    context.set_default_timeout(5000)

    def serve(route: Route) -> None:
        if route.request.url.endswith("/settings.json"):
            body = '{"user": %s}' % (f'"{user}"' if user else "null")
            route.fulfill(status=200, content_type="application/json", body=body)
        else:
            route.fulfill(status=200, content_type="text/html", body=LATE)

    context.route(f"{APP}/**", serve)
    return context.new_page()


def test_a_page_that_shows_the_user_after_a_fetch_is_signed_in(browser: Browser,
                                                                tmp_path: Path) -> None:
    page = _page(browser, "Alice Adams")
    assert _adapter(tmp_path).is_signed_in(page) is True
    page.context.close()


def test_a_page_that_shows_nobody_once_settled_is_signed_out(browser: Browser,
                                                             tmp_path: Path) -> None:
    page = _page(browser, None)
    assert _adapter(tmp_path).is_signed_in(page) is False
    page.context.close()


@pytest.mark.parametrize(("text", "shown"), [
    ("", '<p id="signed-in-as" hidden></p>'),
    ('text = "{name}"', '<span id="signed-in-as" style="display:none">Alice Adams</span>'),
])
def test_a_signed_out_page_holding_the_selector_hidden_is_signed_out(
        browser: Browser, tmp_path: Path, text: str, shown: str) -> None:
    """A layout that keeps its user menu (or the template a script fills) hidden while nobody
    is signed in: the selector matches, but nothing is shown, so nobody is signed in."""
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE).replace('text = "{name}"', text), encoding="utf-8")
    adapter = ProfileAdapter(load_profile(path), cast(AppServer, _Server()), {}, httpx.Client())
    context = browser.new_context()
    context.set_default_timeout(5000)
    context.route(f"{APP}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=f"<h1>Welcome, guest</h1>{shown}"))
    assert adapter.is_signed_in(context.new_page()) is False
    context.close()


def test_a_page_whose_body_has_no_height_still_shows_who_is_signed_in(
        browser: Browser, tmp_path: Path) -> None:
    """A standards-mode page whose content is all floated or positioned has a body of no height,
    which Playwright counts as not visible: the signed-in text it shows still says who is
    signed in, as the sign-in's own check reads it, and a signed-out check must not miss it."""
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE).replace('selector = "#signed-in-as"\n', "")
                    .replace('text = "{name}"', 'text = "Signed in as {name}"'), encoding="utf-8")
    adapter = ProfileAdapter(load_profile(path), cast(AppServer, _Server()), {}, httpx.Client())
    context = browser.new_context()
    context.set_default_timeout(5000)
    context.route(f"{APP}/**", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body='<!DOCTYPE html><div style="float: left">Signed in as Alice Adams</div>'))
    assert adapter.is_signed_in(context.new_page()) is True
    context.close()


DRAWN_OVER_A_SOCKET = """<p id="status">Connecting</p>
<script>
  // As Streamlit's page does: its script runs on the server once the page's websocket is open,
  // and what it draws arrives over that socket, after the network has gone idle; meanwhile the
  // page's status changes.
  addEventListener("load", () => {
    const status = document.getElementById("status");
    const busy = setInterval(() => { status.textContent += "."; }, 100);
    setTimeout(() => {
      clearInterval(busy);
      status.insertAdjacentHTML("afterend", '<p id="signed-in-as">Alice Adams</p>');
    }, 1200);
  });
</script>"""


def test_a_page_drawn_over_a_websocket_after_the_network_is_idle_is_signed_in(
        browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context()
    context.set_default_timeout(5000)
    context.route(f"{APP}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=DRAWN_OVER_A_SOCKET))
    try:
        assert _adapter(tmp_path).is_signed_in(context.new_page()) is True
    finally:
        context.close()


DRAWN_LATE_AND_MARKED = """<p>Connecting</p>
<script>
  // Nothing changes on the page until the script's output arrives, later than the page's
  // document has gone quiet; then it marks itself drawn, as Streamlit's app root does with
  // data-test-script-state="notRunning".
  addEventListener("load", () => setTimeout(() => {
    document.body.insertAdjacentHTML("beforeend",
      '<p id="signed-in-as">Alice Adams</p><div data-script-state="notRunning"></div>');
  }, 2500));
</script>"""


def test_a_page_marked_drawn_is_judged_once_the_mark_is_there(browser: Browser,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE) + 'page_ready = "[data-script-state=notRunning]"\n',
                    encoding="utf-8")
    adapter = ProfileAdapter(load_profile(path), cast(AppServer, _Server()), {}, httpx.Client())
    context = browser.new_context()
    context.set_default_timeout(5000)
    context.route(f"{APP}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=DRAWN_LATE_AND_MARKED))
    try:
        assert adapter.is_signed_in(context.new_page()) is True
    finally:
        context.close()
