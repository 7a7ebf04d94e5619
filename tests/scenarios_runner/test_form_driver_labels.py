"""A form driver whose ``username_field`` is not among the labels of a sign-in form that has
settled fails in a few seconds, naming the labels the form shows, instead of waiting out its
timeout; a form that renders late, or whose page changes on the way, is still waited for."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page

from scenarios.drivers import FormDriver
from scenarios.form_labels import FORM_SETTLED_MS
from scenarios.runner import expect_timeout

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
URL = "http://127.0.0.2:8597/login"
FORM = ("<h1>Sign-in</h1><form><label>Email <input name=login></label>"
        "<input type=password placeholder=Password><input type=hidden name=csrf value=x>"
        "<button>Sign in</button></form>")
LATE_FORM = FORM.replace("Email", "Username")


def _serve(page: Page, body: str) -> None:
    page.route(URL, lambda route: route.fulfill(content_type="text/html", body=body))
    page.goto(URL)


def test_a_settled_form_without_the_configured_label_fails_early_naming_its_labels(
        page: Page) -> None:
    _serve(page, FORM)
    started = time.monotonic()
    with expect_timeout(TIMEOUT_MS), pytest.raises(AssertionError) as caught:
        FormDriver().expect_sign_in_page(page)
    took = time.monotonic() - started
    assert FORM_SETTLED_MS / 1000 <= took < TIMEOUT_MS / 1000 / 3, took
    message = str(caught.value)
    assert message.startswith(
        "the provider's sign-in form did not appear: no field labelled 'Username' (the page "
        "shows fields labelled 'Email', 'Password'; check [driver] username_field: the label or "
        "placeholder the page shows); "), message
    assert URL in message and "'Sign-in'" in message, message


def test_a_form_that_renders_late_is_still_waited_for(page: Page) -> None:
    """The page loads with a search field and a spinner; the sign-in form comes 1.5 s later."""
    _serve(page, "<input aria-label=Search><div id=app>Loading…</div><script>setTimeout(() => "
                 f"{{ document.getElementById('app').innerHTML = '{LATE_FORM}'; }}, 1500)"
                 "</script>")
    with expect_timeout(TIMEOUT_MS):
        FormDriver().expect_sign_in_page(page)


def test_a_form_still_changing_is_waited_for_past_the_grace(page: Page) -> None:
    """A page that keeps changing (a countdown) is not settled: the right field, 3 s later,
    is found."""
    _serve(page, "<label>Email <input></label><p id=t>0</p><script>let n = 0; const tick = "
                 "setInterval(() => { document.getElementById('t').textContent = ++n; if (n == "
                 f"12) {{ clearInterval(tick); document.body.innerHTML += '{LATE_FORM}'; }} }}, "
                 "250)</script>")
    with expect_timeout(TIMEOUT_MS):
        FormDriver().expect_sign_in_page(page)
