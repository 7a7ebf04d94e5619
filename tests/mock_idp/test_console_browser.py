"""The console in a real browser: its buttons move the clock and arm and clear faults, its page
source holds no secret, and a form on another site cannot press its buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from idp_testkit import ALICE, SECRET, get_code, password, redeem
from playwright.sync_api import Browser, Locator, Page, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Servers:
    idp: str
    http: httpx.Client

    @property
    def console(self) -> str:
        return f"{self.idp}/_mock/console"

    def clock(self) -> datetime:
        return datetime.fromisoformat(self.http.get("/_mock/clock").json()["now"])


@pytest.fixture
def servers() -> Iterator[Servers]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as idp, \
            httpx.Client(base_url=idp.base_url, timeout=10) as http:
        http.post("/_mock/clock", json={"freeze": True}).raise_for_status()
        yield Servers(idp.base_url, http)


def test_buttons_move_the_clock_and_arm_and_clear_faults(page: Page, servers: Servers) -> None:
    page.goto(servers.console)
    expect(page.get_by_role("heading", name="Mock provider console")).to_be_visible()
    start = servers.clock()
    page.locator("#advance-1d").click()
    expect(page.locator("#done")).to_contain_text("clock:")
    assert servers.clock() - start == timedelta(days=1)
    expect(page.locator("#clock-now")).to_have_text(servers.http.get("/_mock/clock").json()["now"])

    page.locator("#arm-kind").select_option("wrong_nonce")
    page.locator("#arm").click()
    expect(page.locator("#done")).to_contain_text("armed wrong_nonce")
    expect(page.locator("#faults table")).to_contain_text("wrong_nonce")
    assert [f["kind"] for f in servers.http.get("/_mock/faults").json()["faults"]] == [
        "wrong_nonce"]
    page.locator("#clear-faults").click()
    expect(page.locator("#faults")).to_contain_text("No fault is armed.")
    assert servers.http.get("/_mock/faults").json()["faults"] == []


def in_view(page: Page, message: Locator) -> None:
    """``message`` is in the viewport and not under the header (sticky on a wide page)."""
    expect(message).to_be_in_viewport()
    box, header = message.bounding_box(), page.locator("header").bounding_box()
    assert box is not None and header is not None and page.viewport_size is not None
    assert box["y"] >= max(0.0, header["y"] + header["height"]), (box, header)
    assert box["y"] + box["height"] <= page.viewport_size["height"], box


@pytest.mark.parametrize("width", [1280, 600])  # a sticky header; one that scrolls away
def test_an_action_lower_on_the_page_says_what_it_did_where_the_user_is(
        page: Page, servers: Servers, width: int) -> None:
    faults = [servers.http.post("/_mock/faults", json={"kind": "wrong_nonce"}).json()
              for _ in range(8)]  # a long page
    page.set_viewport_size({"width": width, "height": 600})
    page.goto(servers.console)
    page.locator("#rotate-keys").click()  # the last section's button
    expect(page.locator("#keys #done")).to_contain_text("active signing key")
    in_view(page, page.locator("#done"))
    expect(page.locator("#done")).to_have_attribute("role", "status")
    servers.http.delete(f"/_mock/faults/{faults[-1]['id']}").raise_for_status()
    page.get_by_role("button", name=f"Clear wrong_nonce fault {faults[-1]['id']}").click()
    expect(page.locator("#faults #error")).to_contain_text("no armed fault")
    in_view(page, page.locator("#error"))
    in_view(page, page.locator("#faults h2"))  # and the section it is about


@pytest.mark.parametrize(("typed", "named"), [
    ({"kind": "throttle", "endpoint": "token", "retry_after": "soon"}, "retry_after"),
    ({"kind": "error", "endpoint": "token", "code": "not a code"}, "code"),
    ({"kind": "throttle", "endpoint": "token", "code": "50126"}, "code"),  # not the kind's
    ({"kind": "throttle"}, "endpoint"),
])
def test_a_refused_arm_form_focuses_the_field_it_names(
        page: Page, servers: Servers, typed: dict[str, str], named: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(servers.console)
    for name, value in typed.items():
        if name in ("kind", "endpoint"):
            page.locator(f"#arm-{name}").select_option(value)
        else:
            page.locator(f"#arm-{name}").fill(value)
    page.locator("#arm").click()
    expect(page.locator("#faults #error")).to_contain_text(f"field: {named}")
    field = page.locator(f"#arm-{named}")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    in_view(page, field)
    assert page.locator("[autofocus]").count() == 1
    if named != "endpoint":  # what is typed next goes into the field
        page.keyboard.press("Control+A")
        page.keyboard.type("5")
        expect(field).to_have_value("5")
    assert servers.http.get("/_mock/faults").json()["faults"] == []


def test_an_arm_form_refused_for_no_field_of_its_own_focuses_the_message(
        page: Page, servers: Servers) -> None:
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(servers.console)
    page.locator("#arm-form [name=csrf]").evaluate("input => { input.value = 'stale'; }")
    page.locator("#arm-kind").select_option("wrong_nonce")
    page.locator("#arm").click()
    message = page.locator("#faults #error")
    expect(message).to_contain_text("reload the console")
    expect(message).to_be_focused()
    in_view(page, message)
    expect(page.locator("[aria-invalid]")).to_have_count(0)


def test_the_page_source_holds_no_secret(page: Page, servers: Servers) -> None:
    grant = get_code(servers.http)  # type: ignore[arg-type]
    issued = redeem(servers.http, grant).json()  # type: ignore[arg-type]
    page.goto(servers.console)
    expect(page.locator("#requests table")).to_contain_text("/oauth2/v2.0/token")
    expect(page.locator("#sessions table")).to_contain_text(ALICE)
    source = page.content()
    for secret in (SECRET, password(ALICE), grant.code, grant.verifier,
                   issued["refresh_token"], issued["id_token"], issued["access_token"]):
        assert secret not in source


def test_a_form_on_another_site_cannot_press_a_button(page: Page, servers: Servers) -> None:
    token = re.search(r'name="csrf" value="([0-9a-f]+)"',
                      servers.http.get("/_mock/console").text)
    assert token is not None

    async def attack(request: object) -> HTMLResponse:
        # Even holding the token, a form posted from another origin is refused.
        return HTMLResponse(
            f'<form id="f" method="post" action="{servers.console}/clock">'
            f'<input name="csrf" value="{token.group(1)}"><input name="advance" value="30d">'
            '</form><script>document.getElementById("f").submit()</script>')

    start = servers.clock()
    with run_in_thread(Starlette(routes=[Route("/", attack)]), log_level="critical") as evil:
        with page.expect_response(f"{servers.console}/clock") as answer:
            page.goto(evil.base_url)
        assert answer.value.status == 403
    expect(page.locator("#error")).to_contain_text("another site")
    assert servers.clock() == start


def test_reset_stands_apart_says_what_it_drops_and_asks_first_without_javascript(
        browser: Browser, servers: Servers) -> None:
    servers.http.post("/_mock/faults", json={"kind": "wrong_nonce"}).raise_for_status()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(servers.console)
        section = page.locator("#reset-provider")
        expect(section.get_by_role("heading")).to_have_text("Reset the whole provider")
        expect(section).to_contain_text("AADSTS7000215")
        expect(page.locator("#clock #reset")).to_have_count(0)
        page.locator("#reset").click()  # not ticked: the browser keeps the form
        expect(page.locator("#done")).to_have_count(0)
        assert page.url == servers.console
        assert len(servers.http.get("/_mock/faults").json()["faults"]) == 1
        page.locator("#reset-confirm").check()
        page.locator("#reset").click()
        expect(page.locator("#reset-provider #done")).to_contain_text("provider reset")
        in_view(page, page.locator("#done"))
        assert servers.http.get("/_mock/faults").json()["faults"] == []
    finally:
        context.close()


CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let back = el;
  while (getComputedStyle(back).backgroundColor === "rgba(0, 0, 0, 0)") back = back.parentElement;
  const [a, b] = [lum(rgb(getComputedStyle(el).color)),
                  lum(rgb(getComputedStyle(back).backgroundColor))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_the_page_is_readable_and_each_button_named_for_what_it_does(
        page: Page, servers: Servers) -> None:
    wrong = servers.http.post("/_mock/faults", json={"kind": "wrong_nonce"}).json()
    aud = servers.http.post("/_mock/faults", json={"kind": "wrong_aud"}).json()
    page.goto(servers.console)
    # WCAG 2 AA: 4.5:1 for text of this size.
    assert page.locator("#clock-state").evaluate(CONTRAST) >= 4.5
    for fault in (wrong, aud):
        button = page.get_by_role("button", name=f"Clear {fault['kind']} fault {fault['id']}")
        expect(button).to_have_count(1)
    headers = page.locator("th").all_inner_texts()
    assert headers and all(text.strip() for text in headers), headers
    page.get_by_role("button", name=f"Clear wrong_aud fault {aud['id']}").click()
    expect(page.locator("#done")).to_contain_text("cleared 1 fault")
    assert [f["id"] for f in servers.http.get("/_mock/faults").json()["faults"]] == [wrong["id"]]
