"""A profile's HTTP calls to the app: templates filled, statuses checked, values captured."""

from __future__ import annotations

import json

import httpx
import pytest

from scenarios.app import parse_profile
from scenarios.app.calls import CallError, captured, dig, fill_json, run_call

PROFILE = """\
[app]
base_url = "http://app.test"
[provider]
redirect_uris = "{base_url}/cb"
[[configure]]
url = "/admin/clients?tenant={tenant_id}"
headers = { Authorization = "Bearer {admin_token}" }
json = { authority = "{authority}", ids = ["{client_id}", 3], nested = { on = true } }
expect_status = 201
capture = { connection_id = "data.id", enabled = "data.enabled" }
[[configure]]
method = "PUT"
url = "/admin/clients/{connection_id}/secret"
form = { secret = "{client_secret}" }
[sign_in]
urls = { login = "/sso/{connection_id}" }
[signed_in]
me_url = "/me"
"""

VALUES = {"tenant_id": "t1", "admin_token": "tok", "authority": "http://idp/t1",
          "client_id": "c1", "client_secret": "s&1"}


def _client(seen: list[httpx.Request], answers: list[httpx.Response]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_configure_calls_fill_send_and_capture() -> None:
    create, put = parse_profile(PROFILE).configure
    seen: list[httpx.Request] = []
    http = _client(seen, [httpx.Response(201, json={"data": {"id": 42, "enabled": True}}),
                          httpx.Response(204)])
    response = run_call(http, create, base_url="http://app.test", values=VALUES, what="create")
    found = captured(create, response, "create")
    assert found == {"connection_id": "42", "enabled": "true"}
    run_call(http, put, base_url="http://app.test", values={**VALUES, **found}, what="put")
    first, second = seen
    assert str(first.url) == "http://app.test/admin/clients?tenant=t1"
    assert first.headers["authorization"] == "Bearer tok"
    assert json.loads(first.content) == {"authority": "http://idp/t1", "ids": ["c1", 3],
                                         "nested": {"on": True}}
    assert (second.method, str(second.url)) == ("PUT", "http://app.test/admin/clients/42/secret")
    assert second.content == b"secret=s%261"


def test_an_unexpected_status_names_the_call() -> None:
    create = parse_profile(PROFILE).configure[0]
    http = _client([], [httpx.Response(200, text="created twice")])
    with pytest.raises(CallError, match=r"create: POST http://app.test/admin/clients\?tenant=t1 "
                       r"answered HTTP 200 \(expected 201\): created twice"):
        run_call(http, create, base_url="http://app.test", values=VALUES, what="create")


def test_an_unreachable_app_and_a_missing_capture() -> None:
    create = parse_profile(PROFILE).configure[0]

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(CallError, match="create: POST .* failed: connection refused"):
        run_call(httpx.Client(transport=httpx.MockTransport(refuse)), create,
                 base_url="http://app.test", values=VALUES, what="create")
    with pytest.raises(CallError, match=r"no value at 'data.id' for \{connection_id\}"):
        captured(create, httpx.Response(201, json={"id": 1}), "create")
    with pytest.raises(CallError, match="did not answer JSON"):
        captured(create, httpx.Response(201, text="<html>",
                                        request=httpx.Request("POST", "http://app.test/")),
                 "create")


def test_dig_and_fill() -> None:
    data = {"items": [{"id": "a"}, {"id": "b"}], "n": 0}
    assert dig(data, "items.1.id") == "b"
    assert dig(data, "n") == 0
    assert dig(data, "items.5.id") is None and dig(data, "x.y") is None
    assert fill_json({"a": ["{x}", {"b": "{x}!"}], "c": 1}, {"x": "X"}) == {
        "a": ["X", {"b": "X!"}], "c": 1}
