"""A connection's client record refuses on save what could only fail once a customer signs in:
a Client ID with an invisible character or a full-width digit, the client secret's Secret ID
pasted for its Value, Entra's v1.0 token endpoint over plain http, a name with bidi controls,
and in the JSON admin API a boolean that is not ``true`` or ``false``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import AUTHORIZE, CLIENT_ID, TID, TOKEN
from rp_support import ADMIN_HEADERS, ANY_VERSION, VALID_CONNECTION, RpHarness

from relying_party import Settings, create_app
from relying_party.oidc.discovery import derive_discovery_url

ENTRA = f"https://login.microsoftonline.com/{TID}"
V1 = {"authorization_uri": f"{ENTRA}/oauth2/authorize", "token_url": f"{ENTRA}/oauth2/token"}
V2 = {"authorization_uri": f"{ENTRA}/oauth2/v2.0/authorize",
      "token_url": f"{ENTRA}/oauth2/v2.0/token"}
SECRET_ID = "0b6f7c1e-5a2d-4c3b-9e8f-1a2b3c4d5e6f"
"""What Entra lists as a client secret's Secret ID; its Value is never shaped so."""


def _refused(client: AppClient, **values: Any) -> dict[str, str]:
    response = client.post("/api/admin/connections", json={**VALID_CONNECTION, **values})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert client.get("/api/admin/connections").json() == []
    fields: dict[str, str] = response.json()["fields"]
    return fields


def _saved(client: AppClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/admin/connections", json={**VALID_CONNECTION, **values})
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


@pytest.mark.parametrize(("client_id", "character"), [
    (f"{CLIENT_ID[:8]}\u200b{CLIENT_ID[8:]}", "U+200B, an invisible character"),
    (f"\ufeff{CLIENT_ID}", "U+FEFF, an invisible character"),
    (f"\uff12{CLIENT_ID[1:]}", "U+FF12, a digit that is not an ASCII digit"),
    (f"{CLIENT_ID[:-1]}\u0663", "U+0663, a digit that is not an ASCII digit"),
    ("client-\u0430pp", "U+0430, a character that is not ASCII"),  # Cyrillic a
], ids=["zero-width space", "byte order mark", "full-width 2", "Arabic-Indic 3", "Cyrillic a"])
def test_a_client_id_with_an_invisible_or_lookalike_character_is_refused(
        rp: RpHarness, client_id: str, character: str) -> None:
    fields = _refused(rp.client, **V2, client_id=client_id)
    assert set(fields) == {"client_id"}
    assert fields["client_id"].startswith("must be printable ASCII only (RFC 6749 Appendix A)")
    assert character in fields["client_id"]


def test_the_client_secret_is_printable_ascii_too(rp: RpHarness) -> None:
    fields = _refused(rp.client, client_secret="rp7Q~Value\u200bwith-a-zero-width-space")
    assert set(fields) == {"client_secret"} and "U+200B" in fields["client_secret"]


def test_a_client_id_that_is_not_a_guid_is_kept_for_other_providers(rp: RpHarness) -> None:
    # Keycloak, Okta and others name clients as they like; only the characters are checked.
    assert _saved(rp.client, client_id="helpdesk portal-1")["client_id"] == "helpdesk portal-1"


@pytest.mark.parametrize("urls", [V1, V2, {"authorization_uri": AUTHORIZE, "token_url": TOKEN}],
                         ids=["v1.0", "v2.0", "another host"])
@pytest.mark.parametrize("secret", [SECRET_ID, SECRET_ID.upper()])
def test_the_secret_id_pasted_for_the_value_is_refused_on_entras_endpoints(
        rp: RpHarness, urls: dict[str, str], secret: str) -> None:
    fields = _refused(rp.client, **urls, client_id=CLIENT_ID, client_secret=secret)
    assert set(fields) == {"client_secret"}
    assert fields["client_secret"].startswith("looks like the secret's Secret ID")
    assert "the Value is needed" in fields["client_secret"]


def test_the_secret_id_is_refused_on_an_edit_too(rp: RpHarness) -> None:
    cid = _saved(rp.client, **V2, client_id=CLIENT_ID)["id"]
    response = rp.client.patch(f"/api/admin/connections/{cid}", json={
        **VALID_CONNECTION, **V2, "client_id": CLIENT_ID, "client_secret": SECRET_ID},
        headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"client_secret"}


def test_a_guid_secret_is_kept_for_other_providers(rp: RpHarness) -> None:
    # Keycloak's client secrets were UUIDs before its version 12.
    _saved(rp.client, authorization_uri="https://kc.test/realms/acme/protocol/openid-connect/auth",
           token_url="https://kc.test/realms/acme/protocol/openid-connect/token",
           client_secret=SECRET_ID)


@pytest.mark.parametrize("host", ["http://localhost:8400", "http://127.0.0.1:8400",
                                  "http://LOCALHOST:8400"])
def test_entras_v1_token_endpoint_over_http_is_refused_even_on_loopback(
        rp: RpHarness, host: str) -> None:
    fields = _refused(rp.client, authorization_uri=f"{host}/{TID}/oauth2/authorize",
                      token_url=f"{host}/{TID}/oauth2/token")
    assert set(fields) == {"token_url"}
    problem = fields["token_url"]
    assert problem.startswith("is Entra's v1.0 token endpoint over http")
    assert "unsigned" in problem and "use the https Token URL" in problem
    assert "…/oauth2/v2.0/token" in problem


def test_v1_over_https_and_v2_over_loopback_http_are_saved(rp: RpHarness) -> None:
    _saved(rp.client, **V1)
    _saved(rp.client, authorization_uri=f"http://localhost:8400/{TID}/oauth2/v2.0/authorize",
           token_url=f"http://localhost:8400/{TID}/oauth2/v2.0/token")


@pytest.fixture
def rp_allowing_http(make_settings: Callable[..., Settings], op: Any) -> Iterator[AppClient]:
    app = create_app(make_settings(allow_http_idp=True), http_client=op.http_client())
    with AppClient(app, follow_redirects=False, headers=ADMIN_HEADERS) as client:
        yield client


def test_v1_over_http_is_saved_where_http_providers_are_allowed(
        rp_allowing_http: AppClient) -> None:
    # --allow-http-idp (test setups): a provider that signs its v1 ID tokens (the mock's
    # signV1IdTokens), or the sign-in's own refusal to be seen.
    _saved(rp_allowing_http, authorization_uri=f"http://idp.test/{TID}/oauth2/authorize",
           token_url=f"http://idp.test/{TID}/oauth2/token")


def test_a_mixed_case_v1_path_is_still_entras_v1(rp: RpHarness) -> None:
    """``/OAuth2/Authorize`` is Entra's v1 authorization endpoint: the version check sees it,
    and the discovery document derived from it is the v1 one."""
    mixed = f"{ENTRA}/OAuth2/Authorize"
    fields = _refused(rp.client, authorization_uri=mixed, token_url=V2["token_url"])
    assert set(fields) == {"token_url"} and "v1.0 one" in fields["token_url"]
    assert derive_discovery_url(mixed) == f"{ENTRA}/.well-known/openid-configuration"


@pytest.mark.parametrize("field", ["name", "support_contact"])
@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200f"])
def test_bidi_controls_in_a_name_are_refused(rp: RpHarness, field: str, control: str) -> None:
    fields = _refused(rp.client, **{field: f"Contoso {control}nimda"})
    assert set(fields) == {field}
    assert f"U+{ord(control):04X}" in fields[field] and "bidi" in fields[field]


def test_a_name_in_a_right_to_left_script_is_kept(rp: RpHarness) -> None:
    assert _saved(rp.client, name="שלום Contoso")["name"] == "שלום Contoso"


@pytest.mark.parametrize("value", ["yes", "true", None, 1, "on"])
def test_the_json_api_takes_only_a_boolean_for_enabled(rp: RpHarness, value: Any) -> None:
    fields = _refused(rp.client, enabled=value)
    assert fields == {"enabled": "must be true or false (a JSON boolean)"}
    cid = _saved(rp.client, enabled=False)["id"]
    response = rp.client.patch(f"/api/admin/connections/{cid}",
                               json={**VALID_CONNECTION, "enabled": value}, headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == {"enabled": "must be true or false (a JSON boolean)"}
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["enabled"] is False
