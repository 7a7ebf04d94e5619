"""The tests' in-process client (:mod:`asgi_client`) behaves as the tests expect of it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


def _app(events: list[str]) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("started")
        yield
        events.append("stopped")

    async def echo(request: Request) -> Response:
        body = (await request.body()).decode()
        cookie = request.cookies.get("seen", "")
        response = PlainTextResponse(f"{request.method} {request.url} {body} {cookie}")
        response.set_cookie("seen", "yes")
        return response

    async def moved(request: Request) -> Response:
        return RedirectResponse("/echo", status_code=302)

    async def broken(request: Request) -> Response:
        raise ValueError("the app broke")

    async def nested(request: Request) -> Response:
        return PlainTextResponse(AppClient(request.app).get("/echo").text)

    return Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]),
                             Route("/moved", moved), Route("/broken", broken),
                             Route("/nested", nested)],
                     lifespan=lifespan)


def test_requests_reach_the_app_with_body_cookies_and_base_url() -> None:
    with AppClient(_app([])) as client:
        first = client.post("/echo", content=b"hello")
        second = client.get("/echo")
    assert first.text == "POST http://testserver/echo hello "
    assert second.text == "GET http://testserver/echo  yes"


def test_with_runs_the_lifespan_and_requests_need_none() -> None:
    events: list[str] = []
    app = _app(events)
    assert AppClient(app).get("/echo").status_code == 200
    assert events == []
    with AppClient(app):
        assert events == ["started"]
    assert events == ["started", "stopped"]


def test_redirects_are_followed_unless_told_otherwise() -> None:
    app = _app([])
    assert AppClient(app).get("/moved").text.startswith("GET http://testserver/echo")
    kept = AppClient(app, follow_redirects=False).get("/moved")
    assert kept.status_code == 302 and kept.headers["location"] == "/echo"


def test_an_app_exception_is_raised_in_the_test_or_is_a_500() -> None:
    app = _app([])
    with pytest.raises(ValueError, match="the app broke"):
        AppClient(app).get("/broken")
    assert AppClient(app, raise_server_exceptions=False).get("/broken").status_code == 500


def test_clients_on_several_threads_share_the_loop() -> None:
    app = _app([])
    codes: list[int] = []

    def call() -> None:
        codes.append(AppClient(app).get("/echo").status_code)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 4


def test_a_blocking_call_from_the_apps_own_loop_is_refused_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="from its own event loop"):
        AppClient(_app([])).get("/nested")
