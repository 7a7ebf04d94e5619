"""Response headers: HSTS under an https public URL, forms that may post (and be redirected)
only where the app sends them, and nothing of the admin pages or APIs kept by a cache."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import fake_op
import pytest
from asgi_client import AppClient
from fake_op import BASE
from rp_support import ADMIN_HEADERS, ANY_VERSION, RpHarness

from relying_party import Settings, create_app


@pytest.mark.parametrize(("public_url", "hsts"), [
    ("https://rp.test", "max-age=31536000"), ("http://rp.test", None),
    # HSTS is per host whatever the port: on localhost it would turn every plain-http
    # development server there to https for a year
    ("https://localhost:8443", None), ("https://127.0.0.1:8443", None)])
def test_an_https_public_url_sends_strict_transport_security(
    make_settings: Callable[..., Settings], public_url: str, hsts: str | None
) -> None:
    with AppClient(create_app(make_settings(public_url=public_url)), base_url=public_url,
                   headers=ADMIN_HEADERS) as client:
        for path in ("/admin/sign-in", "/api/admin/connections", "/nope"):
            assert client.get(path).headers.get("strict-transport-security") == hsts


def _csp(response: object) -> str:
    value: str = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return value


def test_forms_post_to_the_app_and_sign_out_goes_on_to_the_provider(rp: RpHarness) -> None:
    assert "form-action 'self';" in _csp(rp.client.get("/admin/sign-in"))
    assert "form-action 'self';" in _csp(rp.client.get("/logout"))  # nobody signed in
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    for path in ("/", "/widget", "/logout"):  # each holds the sign-out form
        response = rp.client.get(path)
        assert response.status_code == 200
        assert f"form-action 'self' {BASE};" in _csp(response), path
        assert response.headers.get_list("content-security-policy") == [_csp(response)]
    location = rp.client.post("/logout", data={"csrf_token": rp.csrf()}).headers["location"]
    assert location.startswith(f"{BASE}/")


def test_admin_pages_and_json_are_never_cached(rp: RpHarness) -> None:
    rp.add_connection()
    rp.admin_sign_in()
    for path in ("/api/admin/connections", "/api/admin/errors", "/api/admin/installations",
                 "/admin", "/admin/connections/nope/edit", "/admin/errors/RP-NOPE"):
        response = rp.client.get(path)
        assert response.headers.get_list("cache-control") == ["no-store"], path


@pytest.mark.parametrize("edit", [False, True])
def test_sign_out_may_go_on_to_an_end_session_endpoint_on_another_origin(
        rp: RpHarness, monkeypatch: pytest.MonkeyPatch, edit: bool) -> None:
    """The end-session origin comes from the discovery document, fetched again when an edit
    of the connection (or a restart) dropped it: browsers check form-action along the sign-out
    form's redirect."""
    monkeypatch.setattr(fake_op, "END_SESSION", "https://logout.op.test/signout")
    connection = rp.add_connection()
    assert rp.sign_in(f"/sso/{connection}/widget").status_code == 303
    if edit:
        assert rp.client.patch(f"/api/admin/connections/{connection}",
                               json={"support_contact": "it@contoso.test"},
                               headers=ANY_VERSION).status_code == 200
    policy = _csp(rp.client.get("/"))
    target = urlsplit(rp.logout().headers["location"])
    assert f"{target.scheme}://{target.netloc}" == "https://logout.op.test"
    assert "https://logout.op.test" in policy.split("form-action", 1)[1].split(";")[0]
