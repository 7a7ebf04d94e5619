"""The load generator's lean client, against a real server on an ephemeral port."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from bench.wire import Connection, Reply, cookie_header


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received; ``/bye`` closes the connection after."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        seen = {"method": self.command, "target": self.path,
                "body": self.rfile.read(length).decode(),
                "cookie": self.headers.get("cookie"),
                "authorization": self.headers.get("authorization"),
                "type": self.headers.get("content-type"),
                "port": self.client_address[1]}
        data = json.dumps(seen).encode()
        self.send_response(302 if self.path.startswith("/redirect") else 200)
        self.send_header("Location", "http://127.0.0.1/cb?code=c")
        self.send_header("Content-Length", str(len(data)))
        if self.path.startswith("/bye"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_get_encodes_the_params_after_the_urls_own_query(origin: str) -> None:
    wire = Connection(origin, cookies="a=1; b=2")
    reply = wire.get(f"{origin}/authorize?x=1", params={"state": "s t", "scope": "openid email"})
    seen = reply.json()
    assert seen["method"] == "GET"
    assert seen["target"] == "/authorize?x=1&state=s+t&scope=openid+email"
    assert seen["cookie"] == "a=1; b=2"
    wire.close()


def test_post_sends_a_form_with_basic_auth_and_keeps_the_connection(origin: str) -> None:
    wire = Connection(origin)
    first = wire.post(f"{origin}/token", data={"code": "c&d", "grant_type": "authorization_code"},
                      auth=("id", "s:e"))
    second = wire.post(f"{origin}/redirect", data={}).json()
    seen = first.json()
    assert seen["body"] == "code=c%26d&grant_type=authorization_code"
    assert seen["type"] == "application/x-www-form-urlencoded"
    assert seen["authorization"] == "Basic " + base64.b64encode(b"id:s:e").decode()
    assert seen["cookie"] is None
    assert second["port"] == seen["port"]  # the same kept-alive connection
    wire.close()


def test_a_redirect_reads_as_status_and_location(origin: str) -> None:
    wire = Connection(origin)
    reply = wire.get(f"{origin}/redirect", params={})
    assert (reply.status_code, reply.location) == (302, "http://127.0.0.1/cb?code=c")
    wire.close()


def test_a_closed_connection_is_opened_again(origin: str) -> None:
    wire = Connection(origin)
    before = wire.get(f"{origin}/bye", params={}).json()["port"]
    after = wire.get(f"{origin}/again", params={}).json()["port"]
    assert after != before
    wire.close()


def test_the_cookies_of_a_signed_in_client_make_one_header() -> None:
    client = httpx.Client()
    client.cookies.set("ESTSAUTH", "v1", domain="127.0.0.1")
    client.cookies.set("x-ms-gateway", "v2", domain="127.0.0.1")
    assert cookie_header(client) == "ESTSAUTH=v1; x-ms-gateway=v2"
    client.close()


def test_a_reply_of_an_httpx_response() -> None:
    reply = Reply.of(httpx.Response(303, headers={"location": "/x"}, content=b'{"a": 1}'))
    assert (reply.status_code, reply.location, reply.json(), reply.text) == (
        303, "/x", {"a": 1}, '{"a": 1}')


@pytest.mark.parametrize("url", ["https://127.0.0.1:1", "127.0.0.1:80", "http://"])
def test_only_plain_http_origins(url: str) -> None:
    with pytest.raises(ValueError, match="plain-http origin"):
        Connection(url)
