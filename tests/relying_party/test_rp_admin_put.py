"""``PUT /api/admin/connections/{id}`` replaces the whole connection (RFC 9110 §9.3.4): a
required field the body leaves out is refused, 400 naming it, and nothing is stored; an
optional one returns to its default. ``PATCH`` changes only what it sends."""

from __future__ import annotations

import pytest
from rp_support import ANY_VERSION, OP_CONNECTION, RpHarness

API = "/api/admin/connections"
REQUIRED = ("authorization_uri", "token_url", "client_id", "secret_expires_on",
            "support_contact")
KEPT_SECRET = {k: v for k, v in OP_CONNECTION.items() if k != "client_secret"}


def _customised(rp: RpHarness) -> tuple[str, dict[str, object]]:
    """A connection whose optional fields are all off their defaults."""
    cid = rp.add_connection(name="Contoso SSO", client_auth_method="basic")
    response = rp.client.post(f"{API}/{cid}/disable", headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    stored: dict[str, object] = rp.client.get(f"{API}/{cid}").json()
    assert (stored["name"], stored["client_auth_method"], stored["enabled"]) == (
        "Contoso SSO", "basic", False)
    return cid, stored


@pytest.mark.parametrize("left_out", REQUIRED)
def test_a_put_leaving_out_a_required_field_is_refused_naming_it(
        rp: RpHarness, left_out: str) -> None:
    cid, before = _customised(rp)
    body = {k: v for k, v in KEPT_SECRET.items() if k != left_out}
    response = rp.client.put(f"{API}/{cid}", json=body, headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    refused = response.json()
    assert refused["error"] == "invalid_request"
    assert set(refused["fields"]) == {left_out}
    assert "PUT replaces the whole connection" in refused["fields"][left_out]
    assert rp.client.get(f"{API}/{cid}").json() == before


def test_a_put_of_one_field_names_every_required_one_left_out(rp: RpHarness) -> None:
    cid, before = _customised(rp)
    response = rp.client.put(f"{API}/{cid}", json={"name": "Renamed"}, headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == set(REQUIRED)
    assert rp.client.get(f"{API}/{cid}").json() == before


def test_a_put_returns_the_optional_fields_it_leaves_out_to_their_defaults(
        rp: RpHarness) -> None:
    cid, _ = _customised(rp)
    body = {k: v for k, v in KEPT_SECRET.items() if k != "name"}
    response = rp.client.put(f"{API}/{cid}", json=body, headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["name"] == "login.op.test"  # the authorization URI's host
    assert replaced["client_auth_method"] == "post"
    assert replaced["enabled"] is True
    assert replaced["discovery_url"] is None
    assert replaced["client_secret_set"] is True  # never read back, so kept when left out
    assert rp.client.get(f"{API}/{cid}").json() == replaced


def test_a_patch_still_keeps_what_it_leaves_out(rp: RpHarness) -> None:
    cid, before = _customised(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"support_contact": "it@contoso.test"},
                               headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["support_contact"] == "it@contoso.test"
    for kept in ("name", "client_auth_method", "enabled", *REQUIRED[:-1]):
        assert after[kept] == before[kept], kept
