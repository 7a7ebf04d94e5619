from __future__ import annotations

import re

from asgi_client import AppClient
from rp_support import ADMIN_HEADERS, ANY_VERSION, VALID_CONNECTION, RpHarness

from relying_party import Settings, create_app


def _create_json(rp: RpHarness, **overrides: str) -> dict[str, object]:
    response = rp.client.post("/api/admin/connections", json={**VALID_CONNECTION, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_json_create_returns_connection_without_secret(rp: RpHarness) -> None:
    body = _create_json(rp)
    assert body["client_id"] == "client-123"
    assert body["client_secret_set"] is True
    assert "s3cret-value" not in str(body)
    assert body["enabled"] is True
    assert body["client_auth_method"] == "post"
    assert body["effective_discovery_url"] == (
        "https://login.op.test/contoso/v2.0/.well-known/openid-configuration"
    )
    cid = body["id"]
    assert body["sign_in_urls"] == {
        "widget": f"http://testserver/sso/{cid}/widget",
        "portal": f"http://testserver/sso/{cid}/portal",
        "kb": f"http://testserver/sso/{cid}/kb",
    }


def test_v1_entra_uri_derives_v1_discovery(rp: RpHarness) -> None:
    body = _create_json(
        rp,
        authorization_uri="https://login.op.test/tenant-x/oauth2/authorize",
        token_url="https://login.op.test/tenant-x/oauth2/token",
    )
    assert body["effective_discovery_url"] == (
        "https://login.op.test/tenant-x/.well-known/openid-configuration"
    )


def test_explicit_issuer_becomes_discovery_url(rp: RpHarness) -> None:
    body = _create_json(rp, discovery_url="https://idp.example.test/realms/acme")
    assert body["effective_discovery_url"] == (
        "https://idp.example.test/realms/acme/.well-known/openid-configuration"
    )


def test_json_validation_names_each_field(rp: RpHarness) -> None:
    response = rp.client.post(
        "/api/admin/connections",
        json={
            **VALID_CONNECTION,
            "authorization_uri": "ftp://nope",
            "token_url": "http://insecure.example.test/token",
            "client_secret": "",
            "secret_expires_on": "next year",
            "support_contact": " ",
            "client_auth_method": "jwt",
        },
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {
        "authorization_uri",
        "token_url",
        "client_secret",
        "secret_expires_on",
        "support_contact",
        "client_auth_method",
    }
    assert "https" in fields["token_url"]
    assert rp.client.get("/api/admin/connections").json() == []


def test_json_rejects_non_object_and_bad_json(rp: RpHarness) -> None:
    assert rp.client.post("/api/admin/connections", json=[1, 2]).status_code == 400
    response = rp.client.post(
        "/api/admin/connections", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    response = rp.client.post(
        "/api/admin/connections", json={**VALID_CONNECTION, "client_id": 42}
    )
    assert response.status_code == 400
    assert "client_id" in response.json()["fields"]


def test_loopback_http_is_allowed(rp: RpHarness) -> None:
    _create_json(
        rp,
        authorization_uri="http://127.0.0.1:8400/contoso/oauth2/v2.0/authorize",
        token_url="http://localhost:8400/contoso/oauth2/v2.0/token",
    )


def test_json_edit_disable_enable_delete(rp: RpHarness) -> None:
    cid = _create_json(rp)["id"]
    url = f"/api/admin/connections/{cid}"
    response = rp.client.patch(url, json={"support_contact": "it@contoso.test"},
                               headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["support_contact"] == "it@contoso.test"
    assert response.json()["client_secret_set"] is True

    response = rp.client.put(url, json={**VALID_CONNECTION, "client_secret": "", "name": "New"},
                             headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert response.json()["name"] == "New"

    bad = rp.client.patch(url, json={"secret_expires_on": "2026-13-45"}, headers=ANY_VERSION)
    assert bad.status_code == 400
    assert "secret_expires_on" in bad.json()["fields"]

    assert rp.client.post(f"{url}/disable", headers=ANY_VERSION).json()["enabled"] is False
    assert rp.client.get(url).json()["enabled"] is False
    assert rp.client.post(f"{url}/enable", json={"version": 4}).json()["enabled"] is True

    assert rp.client.delete(url, headers={"If-Match": '"5"'}).status_code == 204
    assert rp.client.get(url).status_code == 404
    assert rp.client.delete(url, headers=ANY_VERSION).status_code == 404
    assert rp.client.post(f"{url}/enable", headers=ANY_VERSION).status_code == 404


def test_json_api_refuses_cross_origin_writes(rp: RpHarness) -> None:
    response = rp.client.post(
        "/api/admin/connections",
        json=VALID_CONNECTION,
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    cid = _create_json(rp)["id"]
    evil = {"Origin": "https://evil.example"}
    assert rp.client.delete(f"/api/admin/connections/{cid}", headers=evil).status_code == 403
    assert rp.client.post(f"/api/admin/connections/{cid}/disable", headers=evil).status_code == 403
    same = {"Origin": "http://testserver"}
    assert rp.client.post(f"/api/admin/connections/{cid}/disable",
                          headers={**same, **ANY_VERSION}).status_code == 200


def test_health_days_until_expiry_and_warning(rp: RpHarness) -> None:
    # the clock starts at 2026-03-01
    far = _create_json(rp, secret_expires_on="2026-09-01")["health"]
    assert far == {
        "days_until_secret_expiry": 184,
        "secret_expired": False,
        "secret_accepted_after_end_date": False,
        "secret_invalid": False,
        "secret_warning": False,
        "secret_refused": None,
        "secret_saved_at": "2026-03-01T09:00:00+00:00",
        "last_login_at": None,
        "secret_accepted_at": None,
        "recent_errors": [],
        "errors_before_secret": [],
    }
    near = _create_json(rp, secret_expires_on="2026-03-20")["health"]
    assert near["days_until_secret_expiry"] == 19 and near["secret_warning"] is True
    past_id = _create_json(rp, secret_expires_on="2026-03-02")["id"]
    rp.clock.advance(days=3)
    past = rp.client.get(f"/api/admin/connections/{past_id}").json()["health"]
    assert past["secret_expired"] is True and past["days_until_secret_expiry"] == -2
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    assert "Expires in 16 day(s)" in page
    assert "Expired 2 day(s) ago" in page
    rp.clock.advance(days=7)
    near_id = rp.client.get("/api/admin/connections").json()[1]["id"]
    assert rp.client.get(f"/api/admin/connections/{near_id}").json()["health"][
        "days_until_secret_expiry"
    ] == 9


def test_html_form_requires_csrf_token(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections", data=VALID_CONNECTION)
    assert response.status_code == 403
    response = rp.client.post(
        "/admin/connections", data={**VALID_CONNECTION, "csrf_token": "x" * 43}
    )
    assert response.status_code == 403
    assert rp.client.get("/api/admin/connections").json() == []


def test_html_create_edit_disable_delete(rp: RpHarness) -> None:
    rp.admin_sign_in()
    token = rp.csrf()
    hidden = rp.form_fields("/admin", "/admin/connections")
    response = rp.client.post("/admin/connections", data={**VALID_CONNECTION, **hidden})
    assert response.status_code == 303
    [conn] = rp.client.get("/api/admin/connections").json()
    cid = conn["id"]
    assert response.headers["location"] == f"/admin?created={cid}"
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>',
                       rp.client.get(response.headers["location"]).text)
    assert notice and notice.group(1).startswith(f"Connection {conn['name']} ({cid}) added.")
    page = rp.client.get("/admin").text
    assert 'id="notice"' not in page
    assert 'id="notice"' not in rp.client.get("/admin?created=nope").text
    assert f"http://testserver/sso/{cid}/widget" in page
    assert f"http://testserver/sso/{cid}/portal" in page
    assert f"http://testserver/sso/{cid}/kb" in page
    assert "s3cret-value" not in page
    assert '<label for="new-client_id">Client ID (required)</label>' in page

    edit = rp.client.get(f"/admin/connections/{cid}/edit")
    assert edit.status_code == 200
    assert 'value="client-123"' in edit.text
    assert "s3cret-value" not in edit.text
    form = {**VALID_CONNECTION, "client_secret": "new-app-secret", "client_id": "client-456",
            **rp.form_fields(f"/admin/connections/{cid}/edit", f"/admin/connections/{cid}")}
    assert rp.client.post(f"/admin/connections/{cid}", data=form).status_code == 303
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["client_id"] == "client-456"

    for action, enabled in (("disable", False), ("enable", True)):
        toggle = f"/admin/connections/{cid}/{action}"
        response = rp.client.post(toggle, data=rp.form_fields("/admin", toggle))
        assert response.status_code == 303
        assert rp.client.get(f"/api/admin/connections/{cid}").json()["enabled"] is enabled
    assert (
        rp.client.post(f"/admin/connections/{cid}/explode", data={"csrf_token": token}).status_code
        == 404
    )
    assert rp.client.post(f"/admin/connections/{cid}/disable", data={}).status_code == 403
    delete = f"/admin/connections/{cid}/delete"
    response = rp.client.post(delete, data={
        **rp.form_fields(delete, delete), "confirm_name": VALID_CONNECTION["name"]})
    assert response.status_code == 303
    assert rp.client.get("/api/admin/connections").json() == []


def test_html_validation_error_rerenders_with_field_messages(rp: RpHarness) -> None:
    rp.admin_sign_in()
    token = rp.csrf()
    response = rp.client.post(
        "/admin/connections",
        data={**VALID_CONNECTION, "token_url": "not-a-url", "csrf_token": token},
    )
    assert response.status_code == 400
    assert 'id="new-token_url-error"' in response.text
    assert "Token URL must be an absolute https URL" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="client-123"' in response.text  # the admin's input is kept
    assert "s3cret-value" not in response.text  # but not the secret


def test_connections_survive_restart(make_settings: object, rp: RpHarness) -> None:
    cid = _create_json(rp)["id"]
    rp.client.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    assert callable(make_settings)
    settings: Settings = make_settings()
    with AppClient(create_app(settings), headers=ADMIN_HEADERS) as again:
        [conn] = again.get("/api/admin/connections").json()
    assert conn["id"] == cid
    assert conn["enabled"] is False
    assert conn["client_secret_set"] is True


def test_unknown_error_ref_is_404(rp: RpHarness) -> None:
    rp.admin_sign_in()
    assert rp.client.get("/api/admin/errors/RP-NOPE").status_code == 404
    assert rp.client.get("/admin/errors/RP-NOPE").status_code == 404
    assert rp.client.get("/api/admin/errors").json() == []
    assert rp.client.get("/api/admin/errors?source_kind=bad&source_id=x").status_code == 400


def test_security_headers(rp: RpHarness) -> None:
    response = rp.client.get("/admin/sign-in")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and re.search("samesite=strict", cookie, re.I)
