"""The test-control API takes no change from a page of another origin: a state-changing call
under /_mock/ whose Origin (or, without one, Sec-Fetch-Site) says another page sent it is
refused with 403 naming ``origin``, a body other than JSON with 415 naming ``content-type``;
HTTP clients, which send neither header, and the mock's own pages keep working."""

from __future__ import annotations

import re

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from starlette.routing import Route
from test_control import error_of

from mock_idp.endpoints.cross_site import foreign_page, origin_of

OWN = "http://testserver"
CHANGES = ("POST", "PUT", "PATCH", "DELETE")
EMPTY_POSTS = ["/_mock/reset", "/_mock/keys/rotate", "/_mock/keys/publish-extra",
               "/_mock/events/run", "/_mock/event-keys/rotate", "/_mock/events/x/redeliver"]
"""Calls that a POST without a body makes."""


def control_paths(app: Starlette) -> list[str]:
    """Every JSON route under /_mock/ (not the catch-all, nor the console, a page with forms
    that refuses another site's on its own), its parameters filled in."""
    return [re.sub(r"\{[^}]+\}", "x", r.path) for r in app.router.routes
            if isinstance(r, Route) and r.path.startswith("/_mock/")
            and "{rest" not in r.path and not r.path.startswith("/_mock/console")]


def active_key(client: AppClient) -> str:
    key: str = client.get("/_mock/keys").json()["active"]
    return key


@pytest.mark.parametrize("origin", ["http://127.0.0.1:18601", "null", "https://testserver",
                                    "http://testserver.evil.test", "not a url"])
def test_a_post_from_another_origin_changes_nothing(client: AppClient, origin: str) -> None:
    before = active_key(client)
    for path in EMPTY_POSTS:
        message = error_of(client.post(path, headers={"Origin": origin}), 403, "origin")
        assert "another origin" in message
    keys = client.get("/_mock/keys").json()
    assert keys["active"] == before and len(keys["keys"]) == 1  # not rotated, none published


def test_no_state_changing_call_under_mock_is_taken_from_another_origin(
        client: AppClient, idp_app: Starlette) -> None:
    paths = control_paths(idp_app)
    assert "/_mock/reset" in paths and "/_mock/installations" in paths
    for path in paths:
        for method in CHANGES:
            response = client.request(method, path, headers={"Origin": "http://evil.test"})
            if response.status_code != 405:  # a method the route does not take
                error_of(response, 403, "origin")


@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
def test_without_an_origin_a_cross_site_fetch_metadata_is_refused(client: AppClient,
                                                                 site: str) -> None:
    before = active_key(client)
    error_of(client.post("/_mock/keys/rotate", headers={"Sec-Fetch-Site": site}), 403, "origin")
    assert active_key(client) == before


@pytest.mark.parametrize("headers", [
    {}, {"Origin": OWN}, {"Origin": "http://testserver:80"}, {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"}, {"Origin": OWN, "Sec-Fetch-Site": "same-origin"},
])
def test_http_clients_and_the_mocks_own_pages_are_taken(client: AppClient,
                                                        headers: dict[str, str]) -> None:
    before = active_key(client)
    assert client.post("/_mock/keys/rotate", headers=headers).status_code == 200
    assert active_key(client) != before


def test_reads_from_another_origin_are_answered(client: AppClient) -> None:
    response = client.get("/_mock/keys", headers={"Origin": "http://evil.test",
                                                  "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.idp_config(public_url="https://idp.example.test")
def test_behind_a_proxy_the_public_url_is_the_mocks_origin(client: AppClient) -> None:
    assert client.post("/_mock/reset", headers={"Origin": "https://idp.example.test"}
                       ).status_code == 200
    assert client.post("/_mock/reset", headers={"Origin": "https://idp.example.test:443"}
                       ).status_code == 200
    assert client.post("/_mock/reset", headers={"Origin": OWN}).status_code == 200
    error_of(client.post("/_mock/reset", headers={"Origin": "http://idp.example.test"}),
             403, "origin")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_call_refuses_a_body_other_than_json_even_one_that_reads_none(client: AppClient,
                                                        content_type: str) -> None:
    before = active_key(client)
    for path in EMPTY_POSTS:
        message = error_of(client.post(path, content=b"a=b", headers={
            "Content-Type": content_type}), 415, "content-type")
        assert content_type.split(";")[0] in message
    assert active_key(client) == before


def test_every_state_changing_call_refuses_a_form_body(client: AppClient,
                                                       idp_app: Starlette) -> None:
    for path in control_paths(idp_app):
        for method in CHANGES:
            response = client.request(method, path, content=b"a=b", headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            assert response.status_code in (405, 415), (method, path, response.text)


def test_a_json_body_or_none_is_taken(client: AppClient) -> None:
    assert client.post("/_mock/events/run").status_code == 200
    assert client.post("/_mock/events/run", content=b"", headers={
        "Content-Type": "application/json; charset=utf-8"}).status_code == 200
    assert client.post("/_mock/reset", json={"clock": True}).status_code == 200


def test_no_preflight_lets_another_origin_send_json(client: AppClient,
                                                    idp_app: Starlette) -> None:
    for path in control_paths(idp_app):
        response = client.options(path, headers={
            "Origin": "http://evil.test", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert response.status_code >= 400, path
        assert not any(name.startswith("access-control-") for name in response.headers), path


def test_origins_are_compared_as_a_browser_spells_them() -> None:
    assert origin_of("HTTP://LocalHost:8400/") == "http://localhost:8400"
    assert origin_of("https://idp.example:443") == "https://idp.example"
    assert origin_of("http://[::1]:80") == "http://[::1]"
    assert origin_of("http://[::1]:8400") == "http://[::1]:8400"
    for opaque in ("null", "", "file:///x", "http://", "http://h:99999", "data:,x"):
        assert origin_of(opaque) is None
    own = {"http://localhost:8400"}
    assert not foreign_page(None, None, own)
    assert not foreign_page("http://localhost:8400", "cross-site", own)  # Origin decides
    assert foreign_page("http://127.0.0.1:8400", None, own)
    assert foreign_page("null", "same-origin", own)
    assert foreign_page(None, "something-new", own)
