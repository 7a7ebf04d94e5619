"""``lax_allowance.outlast_lax_allowance``: the app's cookies as Chromium holds them once the
two minutes in which it still sends a cookie set without SameSite on a cross-site POST have
passed. One local server plays both sites: the app as ``127.0.0.1`` (it sets the cookies and
echoes those a POST carries), the provider as ``localhost`` (its page posts a form to the app,
as a ``form_post`` answer does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from scenarios.lax_allowance import outlast_lax_allowance

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

SET = ("bare=1; Path=/", "kept=1; Path=/; Max-Age=3600", "lax=1; Path=/; SameSite=Lax",
       "none=1; Path=/; SameSite=None; Secure", "strict=1; Path=/; SameSite=Strict")


class _Sites(Pages):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        port = self.server.server_address[1]
        body = (f'<form method="post" action="http://127.0.0.1:{port}/echo"></form>'
                "<script>document.forms[0].submit()</script>" if self.path == "/post" else "")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        for cookie in SET if self.path == "/set" else ():
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body.encode())

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        sent = sorted(part.split("=")[0] for part in
                      (self.headers.get("Cookie") or "").split("; ") if part)
        body = " ".join(sent).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    with serving(_Sites) as origin:
        yield origin


def _posted(browser: Browser, app: str, *, outlast: bool) -> tuple[str, tuple[str, ...]]:
    """The cookies the provider's cross-site form post carried to the app, and those
    :func:`outlast_lax_allowance` set again (when asked)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app}/set")
        again = outlast_lax_allowance(context, [app]) if outlast else ()
        page.goto(f"{app.replace('127.0.0.1', 'localhost')}/post")
        page.wait_for_url(f"{app}/echo")
        return page.inner_text("body"), again
    finally:
        context.close()


def test_within_two_minutes_a_cookie_set_without_samesite_rides_the_cross_site_post(
        browser: Browser, app: str) -> None:
    posted, _ = _posted(browser, app, outlast=False)
    assert posted == "bare kept none"


def test_after_them_only_the_samesite_none_cookie_does(browser: Browser, app: str) -> None:
    posted, again = _posted(browser, app, outlast=True)
    assert again == ("bare", "kept", "lax")
    assert posted == "none"


def test_the_cookies_set_again_keep_their_kind_and_the_others_are_left_alone(
        browser: Browser, app: str) -> None:
    context = browser.new_context()
    try:
        context.new_page().goto(f"{app}/set")
        before = {c["name"]: c for c in context.cookies(app)}
        outlast_lax_allowance(context, [app])
        after = {c["name"]: c for c in context.cookies(app)}
    finally:
        context.close()
    assert after == before  # as Playwright reports them: Lax already, expiry and flags kept
    assert after["bare"]["expires"] == -1 and after["kept"]["expires"] > 0
    assert (after["none"]["sameSite"], after["strict"]["sameSite"]) == ("None", "Strict")
