"""The public URL as browsers see it: a default port written out (``:443``, ``:80``) is not
part of the origin browsers send, and an internationalised host arrives IDNA-encoded in
``Host`` and ``Origin``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgi_client import AppClient
from rp_support import ADMIN_TOKEN
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from relying_party import Settings, create_app
from relying_party.middleware import TrustedHost
from relying_party.settings import origin_of


@pytest.mark.parametrize(
    ("public_url", "base", "origin"),
    [
        ("https://rp.test:443", "https://rp.test", "https://rp.test"),
        ("http://rp.test:80", "http://rp.test", "http://rp.test"),
        ("https://RP.test", "https://rp.test", "https://rp.test"),
        ("https://bücher.test", "https://xn--bcher-kva.test", "https://xn--bcher-kva.test"),
    ],
)
def test_browser_forms_are_accepted_from_the_origin_browsers_send(
    make_settings: Callable[..., Settings], public_url: str, base: str, origin: str
) -> None:
    app = create_app(make_settings(public_url=public_url))
    with AppClient(app, base_url=base, follow_redirects=False) as client:
        assert client.get("/admin/sign-in").status_code == 200
        csrf = client.cookies.get("__Host-rp_csrf") or client.cookies.get("rp_csrf")
        response = client.post(
            "/admin/sign-in",
            data={"csrf_token": csrf or "", "admin_token": ADMIN_TOKEN, "next": "/admin"},
            headers={"Origin": origin},
        )
        assert response.status_code == 303, response.text
        foreign = client.post("/admin/sign-in", data={"csrf_token": csrf or ""},
                              headers={"Origin": "https://evil.test"})
        assert foreign.status_code == 403


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://rp.test:443/app", "https://rp.test"),
        ("https://rp.test:8443", "https://rp.test:8443"),
        ("http://rp.test:443", "http://rp.test:443"),
        ("HTTP://[::1]:80", "http://[::1]"),
        ("https://Bücher.test.", "https://xn--bcher-kva.test"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_an_invalid_international_host_is_refused_at_start(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ValueError, match="host"):
        create_app(make_settings(public_url="https://" + "ü" * 70 + ".test"))


@pytest.mark.parametrize("public_url", [
    "http://exa mple.com", "https://rp.example/app?x=1", "https://rp.example/#top",
    "https://admin:pw@rp.example", "https://rp.example:99999", "ftp://rp.example",
    "https://rp.example/a\\b",
])
def test_a_public_url_that_is_no_base_for_the_app_s_urls_is_refused_at_start(
    make_settings: Callable[..., Settings], public_url: str,
) -> None:
    """The redirect URI is the public URL + ``/auth/callback``: ``…?x=1/auth/callback`` is not
    a URL of this app."""
    with pytest.raises(ValueError, match="public_url"):
        create_app(make_settings(public_url=public_url))


@pytest.mark.parametrize("graph_url", [
    "https://graph.example/v1.0?x=1", "https://graph.example/#top", "ftp://graph.example",
    "https://user:pw@graph.example", "http://graph.example", "https://graph .example",
    "https://graph.example:0",
])
def test_a_graph_url_that_is_no_base_for_graph_s_urls_is_refused_at_start(
    make_settings: Callable[..., Settings], graph_url: str,
) -> None:
    """The groups overage is asked at ``graph_url + /v1.0/users/{oid}/getMemberObjects`` with
    the user's token: an https base (http only on a loopback host), nothing appended after it
    could move."""
    with pytest.raises(ValueError, match="graph_url"):
        create_app(make_settings(graph_url=graph_url))


@pytest.mark.parametrize("graph_url", [
    "https://graph.microsoft.us", "http://127.0.0.1:9000/graph/t", "http://localhost/graph/t/",
])
def test_a_graph_url_is_taken(make_settings: Callable[..., Settings], graph_url: str) -> None:
    app = create_app(make_settings(graph_url=graph_url))
    with AppClient(app, base_url="http://testserver") as client:  # closes its database
        assert client.get("/admin/sign-in").status_code == 200


@pytest.mark.parametrize(("public_url", "host"), [
    ("http://testserver", "testserver"),
    ("https://RP.test:8443/app", "rp.test"),
    ("https://Bücher.test.", "xn--bcher-kva.test"),
    ("http://[::1]:8500", "::1"),
])
def test_the_only_host_the_app_answers_is_its_public_host(
    make_settings: Callable[..., Settings], public_url: str, host: str
) -> None:
    settings = make_settings(public_url=public_url)
    assert settings.public_host == host
    with AppClient(create_app(settings), follow_redirects=False) as client:
        named = f"[{host}]" if ":" in host else host
        assert client.get("/", headers={"Host": f"{named.upper()}:1234"}).status_code == 200
        assert client.get("/", headers={"Host": "evil.test"}).status_code == 400


def test_trusted_host_refuses_any_host_but_the_one_it_is_given() -> None:
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", ok)], middleware=[Middleware(TrustedHost, host="rp.test")])
    with AppClient(app, follow_redirects=False) as client:
        assert client.get("/", headers={"Host": "RP.test:8443"}).status_code == 200
        assert client.get("/", headers={"Host": "testserver"}).status_code == 400
