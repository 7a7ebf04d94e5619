"""In a real browser, a page of another origin cannot change the mock through its test-control
API (the no-cors fetches and the form a browser sends without asking first are refused), while a
page of the mock's own origin and Playwright's request context still can."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Response, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig

pytestmark = pytest.mark.browser


@pytest.fixture
def idp() -> Iterator[httpx.Client]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def keys(http: httpx.Client) -> list[str]:
    return [key["kid"] for key in http.get("/_mock/keys").json()["keys"]]


def test_a_page_of_another_origin_cannot_reset_the_mock_or_rotate_its_keys(
        page: Page, idp: httpx.Client) -> None:
    mock = str(idp.base_url).rstrip("/")
    idp.post("/_mock/sessions", json={"user": "alice@contoso.onmicrosoft.com"}
             ).raise_for_status()

    async def attack(request: Request) -> HTMLResponse:
        return HTMLResponse(
            f'<form id="f" method="post" action="{mock}/_mock/keys/publish-extra" target="t">'
            '</form><iframe name="t"></iframe><script>'
            'document.getElementById("f").submit();'
            'Promise.allSettled(['
            f'fetch("{mock}/_mock/keys/rotate", {{method: "POST", mode: "no-cors"}}),'
            f'fetch("{mock}/_mock/reset", {{method: "POST", mode: "no-cors"}}),'
            f'fetch("{mock}/_mock/events/run", {{method: "POST", mode: "no-cors", '
            'body: "x", headers: {"Content-Type": "text/plain"}})'
            ']).then(() => { document.title = "sent"; });</script>')

    before = keys(idp)
    answers: list[Response] = []
    page.on("response", lambda r: answers.append(r) if "/_mock/" in r.url else None)
    with run_in_thread(Starlette(routes=[Route("/", attack)]), log_level="critical") as evil, \
            page.expect_response(f"{mock}/_mock/keys/publish-extra"):
        page.goto(evil.base_url)
        expect(page).to_have_title("sent")
    assert sorted((r.url.removeprefix(mock), r.status) for r in answers) == [
        ("/_mock/events/run", 403), ("/_mock/keys/publish-extra", 403),
        ("/_mock/keys/rotate", 403), ("/_mock/reset", 403)]
    assert keys(idp) == before
    assert len(idp.get("/_mock/sessions").json()["sessions"]) == 1  # not reset either


def test_the_mocks_own_pages_and_playwrights_request_context_still_drive_it(
        page: Page, idp: httpx.Client) -> None:
    mock = str(idp.base_url).rstrip("/")
    before = keys(idp)
    page.goto(f"{mock}/_mock/health")
    status = page.evaluate('fetch("/_mock/keys/rotate", {method: "POST"}).then(r => r.status)')
    assert status == 200  # a same-origin fetch, which carries the mock's own Origin
    assert len(keys(idp)) == len(before) + 1
    assert page.context.request.post(f"{mock}/_mock/keys/publish-extra").status == 200
    assert page.context.request.post(f"{mock}/_mock/reset", data={"keys": True}).status == 200
    assert len(keys(idp)) == 1 and keys(idp)[0] not in before
