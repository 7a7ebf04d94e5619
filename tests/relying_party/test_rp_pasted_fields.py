"""Values pasted into the wrong field of a connection. On Entra's endpoints they are recognised
offline: the Authorization URI and the Token URL swapped, a Token URL that is the authorization
endpoint, a Token URL or Discovery URL of another tenant than the Authorization URI's, and the
Directory (tenant) ID as the Client ID. The admin form and API refuse each, naming the field;
a connection stored before that ends on the failure page, not stranded at the provider. A
slash after Entra's ``authorize`` or ``token`` is dropped: the endpoint meant is clear."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fake_op import AUTHORIZE, BASE, CLIENT_ID, TID, TOKEN
from rp_support import ANY_VERSION, VALID_CONNECTION, RpHarness, database

from relying_party.connections import entra_problems, without_trailing_slash

OTHER = "a1b2c3d4-0000-4000-8000-000000000001"
ENTRA = f"https://login.microsoftonline.com/{TID}"
V1 = {"authorization_uri": f"{ENTRA}/oauth2/authorize", "token_url": f"{ENTRA}/oauth2/token"}
V2 = {"authorization_uri": f"{ENTRA}/oauth2/v2.0/authorize",
      "token_url": f"{ENTRA}/oauth2/v2.0/token"}


def _problems(**values: str) -> dict[str, str]:
    return entra_problems({"authorization_uri": "", "token_url": "", "discovery_url": "",
                           "client_id": CLIENT_ID, **values})


def _refused(rp: RpHarness, **values: str) -> dict[str, str]:
    response = rp.client.post("/api/admin/connections", json={**VALID_CONNECTION, **values})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert rp.client.get("/api/admin/connections").json() == []
    fields: dict[str, str] = response.json()["fields"]
    return fields


@pytest.mark.parametrize("urls", [V1, V2], ids=["v1.0", "v2.0"])
def test_swapped_endpoints_are_refused_naming_both(rp: RpHarness, urls: dict[str, str]) -> None:
    fields = _refused(rp, authorization_uri=urls["token_url"], token_url=urls["authorization_uri"])
    assert set(fields) == {"authorization_uri", "token_url"}
    assert "token endpoint" in fields["authorization_uri"]
    assert "authorization endpoint" in fields["token_url"]
    assert all("swapped" in problem for problem in fields.values())


def test_a_token_url_that_is_the_authorization_endpoint_is_refused(rp: RpHarness) -> None:
    fields = _refused(rp, **{**V1, "token_url": V1["authorization_uri"]})
    assert set(fields) == {"token_url"}
    assert fields["token_url"].startswith("is Entra's v1.0 authorization endpoint")
    assert "…/oauth2/token URL as the Token URL" in fields["token_url"]


def test_a_token_url_that_is_another_versions_authorization_endpoint_names_the_one_to_enter(
        ) -> None:
    # One refusal names the URL the next save takes: the Authorization URI's version, and no
    # talk of swapped fields when the Authorization URI is right.
    problem = _problems(**{**V2, "token_url": V1["authorization_uri"]})["token_url"]
    assert problem.startswith("is Entra's v1.0 authorization endpoint")
    assert "swapped" not in problem
    assert "…/oauth2/v2.0/token URL as the Token URL" in problem
    assert _problems(**{**V2, "token_url": f"{ENTRA}/oauth2/v2.0/token"}) == {}


def test_an_authorization_uri_that_is_the_token_endpoint_is_refused(rp: RpHarness) -> None:
    fields = _refused(rp, **{**V2, "authorization_uri": V2["token_url"]})
    assert set(fields) == {"authorization_uri"}
    assert "…/oauth2/v2.0/authorize URL as the Authorization URI" in fields["authorization_uri"]


@pytest.mark.parametrize("client_id", [TID, TID.upper()])
def test_the_tenant_id_as_client_id_is_refused(rp: RpHarness, client_id: str) -> None:
    fields = _refused(rp, **V1, client_id=client_id)
    assert set(fields) == {"client_id"}
    assert "Directory (tenant) ID" in fields["client_id"]
    assert "use the Application (client) ID" in fields["client_id"]


@pytest.mark.parametrize(("field", "url"), [
    ("token_url", f"https://login.microsoftonline.com/{OTHER}/oauth2/token"),
    ("discovery_url", f"https://login.microsoftonline.com/{OTHER}"),
    ("discovery_url", f"https://login.microsoftonline.com/{OTHER}/.well-known/"
                      "openid-configuration"),
])
def test_another_tenant_than_the_authorization_uris_is_refused(
        rp: RpHarness, field: str, url: str) -> None:
    fields = _refused(rp, **{**V1, field: url})
    assert set(fields) == {field}
    assert f"names the tenant {OTHER}, but the Authorization URI names the tenant {TID}" in (
        fields[field])


@pytest.mark.parametrize("values", [
    # A domain and a GUID may be one tenant: only Entra knows.
    {**V1, "token_url": "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"},
    {**V1, "token_url": V1["token_url"].replace(TID, TID.upper())},
    {**V1, "client_id": OTHER},
    {"authorization_uri": "https://idp.example.test/oauth2/token",
     "token_url": "https://idp.example.test/oauth2/authorize"},  # not Entra's: not judged
])
def test_what_cannot_be_told_offline_is_taken(values: dict[str, str]) -> None:
    assert _problems(**values) == {}


def test_the_admin_form_names_the_swapped_fields(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections", data={
        **VALID_CONNECTION, "authorization_uri": V1["token_url"],
        "token_url": V1["authorization_uri"], "csrf_token": rp.csrf()})
    assert response.status_code == 400
    assert 'id="new-authorization_uri-error"' in response.text
    assert 'id="new-token_url-error"' in response.text
    assert "swapped" in response.text
    assert rp.client.get("/api/admin/connections").json() == []


def test_an_edit_to_the_tenant_id_as_client_id_is_refused(rp: RpHarness) -> None:
    cid = rp.add_connection()
    response = rp.client.patch(f"/api/admin/connections/{cid}", json={"client_id": TID},
                               headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"client_id"}
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["client_id"] == CLIENT_ID


@pytest.mark.parametrize(("given", "stored"), [
    (f"{ENTRA}/oauth2/token/", f"{ENTRA}/oauth2/token"),
    (f"{ENTRA}/oauth2/v2.0/authorize/", f"{ENTRA}/oauth2/v2.0/authorize"),
    (f"{ENTRA}/oauth2/authorize/?prompt=login", f"{ENTRA}/oauth2/authorize?prompt=login"),
    (f"{ENTRA}/oauth2/token", f"{ENTRA}/oauth2/token"),
    # AD FS documents its token endpoint with the slash
    ("https://adfs.contoso.test/adfs/oauth2/token/", "https://adfs.contoso.test/adfs/oauth2/token/"),
    ("https://idp.example.test/token/", "https://idp.example.test/token/"),
])
def test_a_slash_after_an_entra_endpoint_is_dropped(given: str, stored: str) -> None:
    assert without_trailing_slash(given) == stored


def test_a_connection_is_saved_without_the_slash(rp: RpHarness) -> None:
    cid = rp.add_connection(authorization_uri=AUTHORIZE + "/", token_url=TOKEN + "/")
    stored = rp.client.get(f"/api/admin/connections/{cid}").json()
    assert (stored["authorization_uri"], stored["token_url"]) == (AUTHORIZE, TOKEN)
    assert rp.sign_in().status_code == 303


STORED = {
    "swapped": ({"authorization_uri": TOKEN, "token_url": AUTHORIZE}, "Authorization URI",
                "swapped"),
    "token url is authorize": ({"token_url": AUTHORIZE}, "Token URL", "authorization endpoint"),
    "tenant id as client id": ({"client_id": TID}, "Client ID", "Directory (tenant) ID"),
    "other tenant": ({"token_url": TOKEN.replace(TID, OTHER)}, "Token URL",
                     f"names the tenant {OTHER}"),
}
"""A connection stored before the checks: what it has, the field the hint names, and what it
says of it."""


@pytest.mark.parametrize("case", sorted(STORED))
def test_a_connection_stored_before_ends_on_the_failure_page(rp: RpHarness, case: str) -> None:
    values, label, words = STORED[case]
    good = database(rp).connections.get(rp.add_connection())
    assert good is not None
    stored = replace(good, id="pasted000000", **values)
    database(rp).connections.insert(stored)
    response = rp.client.get(f"/sso/{stored.id}/widget")
    record = rp.assert_failure_page(response, status=503, code="connection_misconfigured")
    hint = str(record["admin_hint"])
    assert hint.startswith(f"The connection's {label} ") and words in hint
    assert hint in response.text.replace("&#39;", "'")
    assert "location" not in response.headers
    assert not [r for r in rp.op.requests if r.url.host == BASE.split("//")[1]]
