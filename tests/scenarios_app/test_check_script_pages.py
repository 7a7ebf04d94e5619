"""``app check`` on a sign-in page that starts the sign-in from a script with no form in the
page, as next-auth v4's ``signIn()`` does (it fetches the CSRF token, POSTs it with fetch and
then sets ``window.location``): the scenarios' browser follows it, the check cannot."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from scenarios.app.check import check_profile
from scenarios.app.servers import AppLaunch

_SIGN_IN = ('<script>fetch("/api/auth/csrf").then(r => r.json()).then(j => fetch('
            '"/api/auth/signin/azure-ad", {method: "POST", body: new URLSearchParams('
            '{csrfToken: j.csrfToken, json: "true"})})).then(r => r.json())'
            '.then(j => { window.location.href = j.url; });</script>')


def script_sign_in_app(launch: AppLaunch) -> Starlette:
    """A page that starts the sign-in by script (``SCRIPT=1``) or shows a link to click."""
    body = _SIGN_IN if launch.env["SCRIPT"] == "1" else '<a href="/api/auth/signin">Sign in</a>'

    async def login(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<p>Redirecting…</p>{body}")

    async def account(request: Request) -> HTMLResponse:
        return HTMLResponse("", status_code=307, headers={"location": "/login"})

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login), Route("/account", account),
                             Route("/api/me", me)])


@pytest.mark.parametrize(("script", "level"), [("1", "note"), ("0", "PROBLEM")],
                         ids=["started-by-its-script", "waiting-for-a-click"])
def test_a_page_whose_script_may_start_the_sign_in_is_a_note(
        tmp_path: Path, script: str, level: str) -> None:
    path = tmp_path / "script.toml"
    path.write_text(f"""\
[app]
asgi = "scenarios_app.test_check_script_pages:script_sign_in_app"
[app.env]
SCRIPT = "{script}"
[provider]
redirect_uris = ["{{base_url}}/api/auth/callback/azure-ad"]
[sign_in]
urls = {{ login = "/login" }}
protected_urls = ["/account"]
[signed_in]
me_url = "/api/me"
""", encoding="utf-8")
    out = io.StringIO()
    code = check_profile(path, out=out)
    lines = out.getvalue().splitlines()
    found = [line for line in lines if "sign-in URL 'login'" in line or "protected URL" in line]
    assert len(found) == 2, lines
    for line in found:
        assert line.startswith(f"{level:<8} "), lines
    if level == "note":
        assert code == 0, lines
        for line in found:
            assert re.search(
                r"\(http://127\.0\.0\.1:\d+/(login|account)\) is a page whose script may start "
                r"the sign-in as it loads \(next-auth v4's signIn\(\), MSAL\.js\): the check runs "
                r"no script and cannot follow it, the scenarios' browser does \(a page that "
                r"waits for a click fails them\)$", line), line
    else:
        assert code == 1, lines
        # The sign-in URL's page names the profile line for its link; a protected URL, which
        # is never clicked through, does not.
        login, protected = found
        assert login.endswith("(the scenarios expect a redirect: no click on a page in between); "
                              "it shows a 'Sign in' link: for a customer sign-in page that waits "
                              "for that click, name it in the profile as [sign_in] control = "
                              "\"Sign in\""), login
        assert protected.endswith("(the scenarios expect a redirect: no click on a page in "
                                  "between)"), protected


def test_the_failure_page_note_says_the_check_could_not_follow_a_script(tmp_path: Path) -> None:
    # fastapi-users' front end starts the sign-in by script: the note said that no sign-in URL
    # starts a sign-in, right under the note that its page's script may start one.
    path = tmp_path / "script.toml"
    path.write_text("""\
[app]
asgi = "scenarios_app.test_check_script_pages:script_sign_in_app"
[app.env]
SCRIPT = "1"
[provider]
redirect_uris = ["{base_url}/api/auth/callback/azure-ad"]
[sign_in]
urls = { login = "/login" }
[signed_in]
me_url = "/api/me"
[failure]
contact = "helpdesk@contoso.example"
""", encoding="utf-8")
    out = io.StringIO()
    assert check_profile(path, out=out) == 0, out.getvalue()
    assert ("note     failure page not checked: no sign-in URL starts a sign-in the check can "
            "follow without running its page's script; the failure scenarios check the page"
            ) in out.getvalue().splitlines(), out.getvalue()
