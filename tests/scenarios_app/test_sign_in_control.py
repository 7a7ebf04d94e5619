"""``[sign_in] control``: read from the profile, followed by ``app check`` as far as a check
that runs no browser can (a link of that name, or a button's POST form, not a script's button),
and noted beside a run's results."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scenarios.app import load_profile
from scenarios.app.check import check_profile
from scenarios.app.servers import AppLaunch
from scenarios.app.sign_in_control import control_hint, control_link, control_target, needs_click
from scenarios.app_notes import app_notes
from scenarios_app.test_profile import MINIMAL, _problems

WITH_CONTROL = MINIMAL.replace('urls = { login = "/login" }\n',
                               'urls = { login = "/login" }\ncontrol = "Sign in with Microsoft"\n')


def test_the_control_is_read_with_the_sign_in_urls(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(WITH_CONTROL, encoding="utf-8")
    assert load_profile(path).sign_in.control == "Sign in with Microsoft"


def test_a_control_with_no_sign_in_url_to_click_it_on_is_a_problem(tmp_path: Path) -> None:
    text = WITH_CONTROL.replace('urls = { login = "/login" }\n', 'protected_urls = ["/a"]\n')
    problems = _problems(tmp_path, text)
    assert any("sign_in.control: is clicked on the page a sign-in URL opens: give [sign_in] "
               "urls too" in p for p in problems), problems


def test_the_control_applies_to_the_sign_in_urls_alone() -> None:
    urls = ("http://app.test/login",)
    assert needs_click("Sign in", urls, "http://app.test/login?next=/a")
    assert not needs_click("Sign in", urls, "http://app.test/launch?installation_id=1")
    assert not needs_click(None, urls, "http://app.test/login")


def test_a_link_is_found_by_its_text_and_a_button_is_not() -> None:
    page = ('<a href="/help">Help</a><a class="x" href="/auth?a=1&amp;b=2">\n <b>Sign in</b>\n'
            '</a><button>Log in</button>')
    assert control_link(page, "Sign in") == "/auth?a=1&b=2"
    assert control_link(page, "Log in") is None


def button_app(launch: AppLaunch) -> Starlette:
    """A sign-in page whose ``Sign in with Microsoft`` is a button (``LINK=0``) or a link to
    ``/start``, which sends the browser to the provider; with ``LINK=direct``, a link to the
    provider's authorize URL itself, as a page that renders the URL MSAL Python's
    ``initiate_auth_code_flow`` gives (its ``auth_uri``) as its link."""
    name = "Sign in with Microsoft"
    authorize = (f"{launch.env['AUTHORIZE']}?client_id={launch.env['CLIENT_ID']}"
                 f"&redirect_uri={launch.env['REDIRECT_URI']}&response_type=code")
    body = {"1": f'<a href="/start">{name}</a>',
            "direct": f'<a href="{html.escape(authorize)}">{name}</a>',
            "script": f"<button onclick=\"location.href='/start'\">{name}</button>"}.get(
        launch.env["LINK"], f'<form method="post" action="/start"><button>{name}</button></form>')

    async def login(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<h1>Welcome</h1>{body}")

    async def start(request: Request) -> Response:
        return RedirectResponse(authorize, status_code=302)

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login),
                             Route("/start", start, methods=["GET", "POST"]),
                             Route("/me", me)])


def _check(tmp_path: Path, *, link: bool, control: bool, direct: bool = False,
           script: bool = False) -> tuple[int, list[str]]:
    path = tmp_path / "button.toml"
    path.write_text(f"""\
[app]
asgi = "scenarios_app.test_sign_in_control:button_app"
[app.env]
LINK = "{'direct' if direct else 'script' if script else int(link)}"
AUTHORIZE = "{{authority}}/oauth2/v2.0/authorize"
CLIENT_ID = "{{client_id}}"
REDIRECT_URI = "{{redirect_uri}}"
[provider]
redirect_uris = ["{{base_url}}/callback"]
[sign_in]
urls = {{ login = "/login" }}
{'control = "Sign in with Microsoft"' if control else ""}
[signed_in]
me_url = "/me"
""", encoding="utf-8")
    out = io.StringIO()
    code = check_profile(path, out=out)
    return code, [line for line in out.getvalue().splitlines() if "sign-in URL 'login'" in line]


def test_check_says_it_cannot_click_a_scripts_button_as_a_note(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, link=False, control=True, script=True)
    assert len(lines) == 1 and code == 0, lines
    assert re.fullmatch(
        r"note     sign-in URL 'login' \(http://127\.0\.0\.1:\d+/login\) is a page whose "
        r"\[sign_in\] control 'Sign in with Microsoft' the scenarios' browser clicks: the check "
        r"runs no browser and cannot follow a click \(it follows only a link of that name, or "
        r"posts the form of a button of that name, with no script\)", lines[0]), lines


def test_check_posts_the_form_of_a_button_named_as_the_control(tmp_path: Path) -> None:
    """OmniAuth 2's sign-in page: its button's form posts to the request phase."""
    code, lines = _check(tmp_path, link=False, control=True)
    assert lines == ["ok       sign-in URL 'login' starts the sign-in at the mock provider "
                     "(client id and redirect URI as registered)"], lines
    assert code == 0


def test_check_follows_a_link_named_as_the_control(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, link=True, control=True)
    assert lines == ["ok       sign-in URL 'login' starts the sign-in at the mock provider "
                     "(client id and redirect URI as registered)"], lines
    assert code == 0


def test_check_follows_a_link_named_as_the_control_straight_to_the_provider(
        tmp_path: Path) -> None:
    """The link is the authorize URL itself: the check judges it as the sign-in's start, not
    the provider's sign-in page it would fetch as a page of the app's."""
    code, lines = _check(tmp_path, link=True, control=True, direct=True)
    assert lines == ["ok       sign-in URL 'login' starts the sign-in at the mock provider "
                     "(client id and redirect URI as registered)"], lines
    assert code == 0


@pytest.mark.parametrize("link", [True, False], ids=["link", "button"])
def test_without_the_control_a_page_that_waits_for_a_click_is_still_a_problem(
        tmp_path: Path, link: bool) -> None:
    """And it says which line of the profile names the click, as a run's failure does."""
    code, lines = _check(tmp_path, link=link, control=False)
    assert code == 1 and lines[0].startswith("PROBLEM  "), lines
    assert lines[0].endswith(
        "(the scenarios expect a redirect: no click on a page in between); it shows a 'Sign in "
        f"with Microsoft' {'link' if link else 'button'}: for a customer sign-in page that waits "
        "for that click, name it in the profile as [sign_in] control = \"Sign in with "
        "Microsoft\""), lines


def test_a_run_notes_that_its_sign_in_took_a_click(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(WITH_CONTROL, encoding="utf-8")
    notes = app_notes((), load_profile(path))
    assert notes == ("Tiny app's sign-in starts with one click on its [sign_in] control "
                     "'Sign in with Microsoft': the auto-login scenarios passed with that click, "
                     "and prove no page at the provider and none after it, not a login with no "
                     "click at all (partner launches are never clicked through)",), notes


def test_a_page_that_cannot_be_fetched_again_has_no_control_target() -> None:
    """``app check`` fetches the sign-in page a second time to find the control's link: an app
    that stopped in between is no link, not a traceback."""
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        assert control_target(http, "http://app.test/login", "Sign in") is None


FAB_LOGIN = """<nav><a href="/">Home</a><a href="/login/">Login</a></nav>
<h2>Sign In</h2><div><a data-href="/x" onclick="signin('azure')"> Sign In with azure </a></div>"""
"""Flask-AppBuilder's OAuth login page (its templates' ``login_oauth.html``): a navigation
bar's "Login" link to the page itself, and the provider's control an ``<a>`` without ``href``
that a script makes a button."""


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/login/",
                                 "http://127.0.0.1:8080/login/?next=/"])
def test_app_check_names_the_control_a_run_would_not_the_link_to_the_page_itself(
        url: str) -> None:
    """The ``[sign_in] control`` line ``app check`` suggests is the one a run's failure gives
    (``scenarios.sign_in_elsewhere``): not the link to the page itself, which starts nothing,
    but the href-less anchor the scenarios' browser finds (``control_locator``)."""
    assert control_hint(FAB_LOGIN, url) == (
        "; it shows a 'Sign In with azure' button: for a customer sign-in page that waits for "
        "that click, name it in the profile as [sign_in] control = \"Sign In with azure\"")


def test_app_check_names_a_link_to_another_page_or_with_a_query_of_its_own() -> None:
    page = '<a href="/login/">Log in</a><a href="/login/?provider=azure">Log in with azure</a>'
    assert "'Log in with azure' link" in control_hint(page, "http://127.0.0.1:8080/login/")
    assert "'Log in' link" in control_hint(page, "http://127.0.0.1:8080/")


def test_app_check_names_a_scripted_anchor_with_an_href_a_link() -> None:
    """``<a href="#">`` has the link role (the browser finds it as one, and a run's failure
    names it a link): only an ``<a>`` without ``href`` is a button."""
    assert "'Sign in' link" in control_hint('<a href="#" onclick="go()">Sign in</a>',
                                            "http://127.0.0.1:8080/login")


OMNIAUTH_LOGIN = """<form method="post" action="/auth/openid_connect">
<input type="hidden" name="authenticity_token" value="t0k&amp;en">
<button type="submit">Sign in with <b>Microsoft</b></button></form>"""
"""An OmniAuth 2 app's sign-in page (Rails' ``button_to``): a button whose form posts the
session's authenticity token to the request phase, with no script."""


def test_a_button_of_a_post_form_is_posted_as_its_click_would() -> None:
    posted: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/auth/openid_connect":
            posted.append(request.content)
            return httpx.Response(302, headers={"location": "http://idp.test/t/authorize?x=1"})
        return httpx.Response(200, html=OMNIAUTH_LOGIN)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        assert control_target(http, "http://app.test/login", "Sign in with Microsoft") == (
            "http://idp.test/t/authorize?x=1")
        assert posted == [b"authenticity_token=t0k%26en"]
        assert control_target(http, "http://app.test/login", "Sign on") is None
