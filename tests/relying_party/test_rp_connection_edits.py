"""Admin edits of a connection: the stored client secret never follows an endpoint to another
host, the secret's expiry date is exactly YYYY-MM-DD, and the one-organization guard reads a URL
the way the provider's server does."""

from __future__ import annotations

from typing import Any

import pytest
from fake_op import BASE, TID, TOKEN
from rp_support import ANY_VERSION, OP_CONNECTION, VALID_CONNECTION, RpHarness

from relying_party.connections import LABELS
from relying_party.oidc.discovery import any_organization

COLLECTOR = "https://collector.op.test/t/oauth2/v2.0/token"


def _patch(rp: RpHarness, cid: str, **changes: str) -> tuple[int, dict[str, Any]]:
    response = rp.client.patch(f"/api/admin/connections/{cid}", json=changes, headers=ANY_VERSION)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_an_edit_that_moves_the_token_url_must_give_the_secret_again(rp: RpHarness) -> None:
    cid = rp.add_connection()
    status, body = _patch(rp, cid, token_url=COLLECTOR)
    assert status == 400, body
    assert set(body["fields"]) == {"client_secret"}
    assert "the Token URL is now on another host" in body["fields"]["client_secret"]
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["token_url"] == TOKEN

    # nothing was stored, so the next sign-in posts the secret where it always did
    assert rp.sign_in().status_code == 303
    assert not [r for r in rp.op.requests if r.url.host == "collector.op.test"]

    # the same host keeps the secret; another host with the secret given is taken
    same_host = f"{BASE}/{TID}/oauth2/v2.0/token?x=1"
    assert _patch(rp, cid, token_url=same_host)[0] == 200
    status, body = _patch(rp, cid, token_url=COLLECTOR, client_secret="a-new-secret",
                          secret_expires_on="2027-01-01")
    assert (status, body["token_url"]) == (200, COLLECTOR)


@pytest.mark.parametrize(("field", "url"), [
    ("authorization_uri", "https://evil.op.test/contoso/oauth2/v2.0/authorize"),
    ("discovery_url", "https://evil.op.test/contoso/v2.0"),
    ("token_url", "https://login.op.test:8443/contoso/oauth2/v2.0/token"),
])
def test_every_endpoint_and_a_port_count(rp: RpHarness, field: str, url: str) -> None:
    response = rp.client.post("/api/admin/connections", json=VALID_CONNECTION)
    cid = response.json()["id"]
    status, body = _patch(rp, cid, **{field: url})
    assert status == 400, body
    assert set(body["fields"]) == {"client_secret"}
    assert f"the {LABELS[field]} is now on another host" in body["fields"]["client_secret"]


def test_the_moved_endpoints_are_named_as_the_form_names_them_and_only_those_given(
        rp: RpHarness) -> None:
    """The discovery URL the admin left empty is derived: it moves with the Authorization URI
    and goes unnamed."""
    cid = rp.add_connection()
    moved = {name: rp.client.get(f"/api/admin/connections/{cid}").json()[name].replace(
        "login.op.test", "evil.op.test") for name in ("authorization_uri", "token_url")}
    status, body = _patch(rp, cid, **moved)
    assert status == 400, body
    assert body["fields"]["client_secret"] == (
        "is required again: the Authorization URI and the Token URL are now on another host, "
        "and the stored secret is sent only where it was entered for")


def test_the_admin_form_asks_for_the_secret_again(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    form = {**OP_CONNECTION, "token_url": COLLECTOR, "client_secret": "",
            **rp.form_fields(f"/admin/connections/{cid}/edit", f"/admin/connections/{cid}")}
    response = rp.client.post(f"/admin/connections/{cid}", data=form)
    assert response.status_code == 400, response.text
    assert 'id="client_secret-error"' in response.text
    assert "Client Secret is required again" in response.text
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["token_url"] == TOKEN


@pytest.mark.parametrize("value", ["2026-W01-1", "20260901"])
def test_the_expiry_date_is_exactly_yyyy_mm_dd(rp: RpHarness, value: str) -> None:
    cid = rp.add_connection()
    status, body = _patch(rp, cid, secret_expires_on=value)
    assert status == 400, body
    assert body["fields"] == {"secret_expires_on": "must be a date in the form YYYY-MM-DD"}


@pytest.mark.parametrize(("url", "alias", "tenant"), [
    ("https://login.microsoftonline.com/%63ommon/oauth2/v2.0/authorize", "common",
     "https://login.microsoftonline.com/%63ontoso.com/oauth2/v2.0/authorize"),
    ("https://login.microsoftonline.com//common/oauth2/v2.0/authorize", "common",
     "https://login.microsoftonline.com//contoso.com/oauth2/v2.0/authorize"),
    ("https://login.microsoftonline.com/common", "common",
     "https://login.microsoftonline.com/contoso.com"),
    ("https://login.microsoftonline.com/organizations/", "organizations",
     "https://login.microsoftonline.com/organizations-of-contoso/"),
    ("https://login.microsoftonline.com/%2fconsumers//v2.0", "consumers",
     "https://login.microsoftonline.com/%2fconsumers.example//v2.0"),
])
def test_an_alias_is_recognised_however_it_is_spelt(url: str, alias: str, tenant: str) -> None:
    assert (any_organization(url), any_organization(tenant)) == (alias, None)


def test_the_api_refuses_a_bare_alias_as_issuer(rp: RpHarness) -> None:
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "discovery_url": "https://login.microsoftonline.com/organizations/"})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"discovery_url"}
    assert rp.client.get("/api/admin/connections").json() == []


def test_a_misspelt_member_is_refused_by_name_and_nothing_changes(rp: RpHarness) -> None:
    cid = rp.add_connection()
    before = rp.client.get(f"/api/admin/connections/{cid}").json()
    response = rp.client.patch(f"/api/admin/connections/{cid}", json={
        "clientSecret": "new", "secretExpiresOn": "2030-01-01", "enable": False},
        headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert fields == {
        "clientSecret": "is not a field of a connection (did you mean 'client_secret'?)",
        "secretExpiresOn": "is not a field of a connection (did you mean 'secret_expires_on'?)",
        "enable": "is not a field of a connection (did you mean 'enabled'?)",
    }
    assert rp.client.get(f"/api/admin/connections/{cid}").json() == before
    created = rp.client.post("/api/admin/connections",
                             json={**OP_CONNECTION, "name": "x", "discovery": "y"})
    assert created.status_code == 400 and set(created.json()["fields"]) == {"discovery"}
    assert len(rp.client.get("/api/admin/connections").json()) == 1
