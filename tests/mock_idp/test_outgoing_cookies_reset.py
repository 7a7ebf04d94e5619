"""The provider's own calls (back-channel logout, platform events) are made with one HTTP
client for its whole life. A cookie the app set in its answer to one scenario's call must not
be sent with the next scenario's calls after ``POST /_mock/reset``, as a freshly started
provider sends none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, TENANT
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp import create_app
from mock_idp.config import IdpConfig
from mock_idp.testing import run_in_thread


@pytest.fixture(scope="module")
def events_url() -> Iterator[tuple[str, list[str]]]:
    """An app's events endpoint that sets a cookie on every answer; the Cookie headers of
    the calls it received ("" for none)."""
    heard: list[str] = []

    async def events(request: Request) -> Response:
        heard.append(request.headers.get("cookie", ""))
        response = Response(status_code=200)
        response.set_cookie("app_session", "from-an-earlier-call", max_age=3600)
        return response

    app = Starlette(routes=[Route("/events", events, methods=["POST"])])
    with run_in_thread(app) as served:
        yield f"http://127.0.0.1:{served.port}/events", heard


def _install(client: AppClient, url: str) -> None:
    """Install the app for Contoso: ``app.installed`` is sent to ``url``."""
    made = client.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": url})
    assert made.status_code == 201, made.text


def test_a_cookie_an_app_set_on_a_call_is_not_sent_after_a_reset(
        events_url: tuple[str, list[str]]) -> None:
    url, heard = events_url
    with AppClient(create_app(IdpConfig.default()), follow_redirects=False) as fresh:
        _install(fresh, url)
    freshly_started = heard[:]
    heard.clear()
    with AppClient(create_app(IdpConfig.default()), follow_redirects=False) as used:
        _install(used, url)  # the earlier scenario's call, answered with a cookie
        assert used.post("/_mock/reset", json={"clock": True}).status_code == 200
        heard.clear()
        _install(used, url)
    assert heard == freshly_started == [""]
