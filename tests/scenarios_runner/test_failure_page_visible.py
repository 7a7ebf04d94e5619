"""The failure page's checks read what the user sees: the support contact, ``[failure] text``,
a kind's ``texts`` and the provider's code count only when visible (as the error reference is
read), never from a hidden element, a comment or a script."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import httpx
import pytest
from playwright.sync_api import Page

from scenarios.app import parse_profile
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.servers import AppServer
from scenarios.ca_trust import public_trust
from scenarios.runner import expect_timeout

pytestmark = pytest.mark.browser

PROFILE = """\
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{base_url}/cb"
[sign_in]
urls = { login = "/login" }
[signed_in]
text = "Signed in as {name}"
[failure]
contact = "support@app.example"
text = "Sign-in failed"
shows_idp_code = true
reference = "Reference: (ERR-[0-9]+)"
[failure.expect.invalid-secret]
texts = ["client secret"]
"""
PARTS = {
    "text": "<h1>Sign-in failed</h1>",
    "contact": "<p>Contact support@app.example</p>",
    "code": "<p>AADSTS7000215</p>",
    "texts": "<p>The client secret is wrong.</p>",
}
HIDING = {
    "hidden attribute": "<div hidden>{}</div>",
    "display none": '<div style="display: none">{}</div>',
    "comment": "<!-- {} -->",
    "script": "<script>window.shown = {!r};</script>",
}
SAYS = {
    "text": "the failure page did not appear: no 'Sign-in failed'",
    "contact": "the failure page does not show the support contact 'support@app.example'",
    "code": "the failure page does not name AADSTS7000215",
    "texts": "the failure page does not say so",
}


@pytest.fixture
def adapter() -> ProfileAdapter:
    server = cast(AppServer, SimpleNamespace(base_url="http://127.0.0.1:9"))
    return ProfileAdapter(parse_profile(PROFILE, path=Path("app.toml")), server, {},
                          httpx.Client(verify=public_trust()))


def _page(page: Page, hidden: str = "", how: str = "") -> None:
    body = "".join(HIDING[how].format(html) if part == hidden else html
                   for part, html in PARTS.items())
    page.set_content(f"<main>{body}<p>Reference: ERR-42</p></main>")


def test_a_failure_page_that_shows_everything_passes(page: Page,
                                                     adapter: ProfileAdapter) -> None:
    _page(page)
    assert adapter.expect_failure(page, "invalid-secret", idp_code="AADSTS7000215") == "ERR-42"


@pytest.mark.parametrize(("hidden", "how"), [
    *(("contact", how) for how in HIDING),
    ("text", "hidden attribute"), ("code", "display none"), ("texts", "script"),
])
def test_what_the_user_cannot_see_is_not_shown(page: Page, adapter: ProfileAdapter,
                                               hidden: str, how: str) -> None:
    _page(page, hidden, how)
    # A text the failure page must name gets the whole expectation timeout: 1 s here, not 5.
    with pytest.raises(AssertionError) as caught, expect_timeout(1000):
        adapter.expect_failure(page, "invalid-secret", idp_code="AADSTS7000215")
    assert str(caught.value).startswith(SAYS[hidden]), str(caught.value)


SHOWN_OTHERWISE = {
    "in a shadow root": '<div id="host"></div><script>document.getElementById("host")'
                        '.attachShadow({{mode: "open"}}).innerHTML = {!r};</script>',
    "styled in capitals": '<div style="text-transform: uppercase">{}</div>',
    "split over elements": "<p>{}</p>",
}


@pytest.mark.parametrize("how", SHOWN_OTHERWISE)
@pytest.mark.parametrize("part", ["text", "contact"])
def test_what_the_user_sees_is_shown_however_it_is_made(page: Page, adapter: ProfileAdapter,
                                                        part: str, how: str) -> None:
    html = PARTS[part] if how != "split over elements" else (
        "Contact <b>support@app.example</b>" if part == "contact"
        else "<span>Sign-in</span> failed")
    body = "".join(SHOWN_OTHERWISE[how].format(html) if name == part else other
                   for name, other in PARTS.items())
    page.set_content(f"<main>{body}<p>Reference: ERR-42</p></main>")
    assert adapter.expect_failure(page, "invalid-secret", idp_code="AADSTS7000215") == "ERR-42"


def test_a_text_the_page_adds_late_is_waited_for(page: Page, adapter: ProfileAdapter) -> None:
    body = "".join(html for name, html in PARTS.items() if name != "code")
    page.set_content(f"<main>{body}<p>Reference: ERR-42</p><p id='late'></p></main>"
                     "<script>setTimeout(() => { document.getElementById('late').textContent"
                     " = 'AADSTS7000215'; }, 1500);</script>")
    assert adapter.expect_failure(page, "invalid-secret", idp_code="AADSTS7000215") == "ERR-42"
