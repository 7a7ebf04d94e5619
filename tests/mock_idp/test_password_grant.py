"""The password grant (ROPC), smart lockout on it and on the sign-in page, and home realm
discovery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import msal
import pytest
import requests
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CAROL,
    CLIENT_ID,
    DAVE,
    FABRIKAM_ID,
    SECRET,
    TENANT,
    ZED,
    auth_params,
    claims,
    https_idp,
    page_kind,
    password,
    paths,
    shown_html,
    submit,
    two_organizations_config,
    verified,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, ConfigError, IdpConfig, default_tenant
from mock_idp.signin import ids
from mock_idp.testing import MockIdp

CLI_ID = "7c2e9a41-3d5b-4f68-9a0c-1e2d3c4b5a69"
TOKEN = paths(TENANT, "2.0")["token"]
TOKEN_V1 = paths(TENANT, "1.0")["token"]
SCOPES = "User.Read openid profile offline_access"


def _cli(**overrides: Any) -> AppConfig:
    return AppConfig(client_id=CLI_ID, name="Contoso CLI", public_client=True, **overrides)


def _config(**cli: Any) -> IdpConfig:
    tenant = default_tenant()
    return IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, _cli(**cli))),))


def _organizations_config() -> IdpConfig:
    contoso, fabrikam = two_organizations_config().tenants
    cli = _cli(sign_in_audience="AzureADMultipleOrgs")
    return IdpConfig(tenants=(replace(contoso, apps=(*contoso.apps, cli)), fabrikam))


def _ropc(client: AppClient, username: str = ALICE, secret: str | None = None, *,
          path: str = TOKEN, **extra: str) -> httpx.Response:
    data = {"grant_type": "password", "client_id": CLI_ID, "scope": SCOPES,
            "username": username, "password": secret if secret is not None else password(username),
            **extra}
    return client.post(path, data={k: v for k, v in data.items() if v != ""})


def _error(response: httpx.Response) -> tuple[int, str, list[int]]:
    body = response.json()
    return response.status_code, body["error"], body["error_codes"]


pytestmark = pytest.mark.idp_config(_config())


def test_a_public_client_gets_tokens_for_a_users_password(client: AppClient) -> None:
    response = _ropc(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert body["scope"] == "User.Read profile openid email"
    id_token = verified(client, body["id_token"], audience=CLI_ID)
    assert id_token["preferred_username"] == ALICE and id_token["tid"] == TENANT
    access = claims(body["access_token"])
    assert access["aud"] == "00000003-0000-0000-c000-000000000000"
    assert access["upn"] == ALICE and access["appidacr"] == "0"
    # The refresh token it gave works like any other.
    refreshed = client.post(TOKEN, data={"grant_type": "refresh_token", "client_id": CLI_ID,
                                         "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_without_openid_or_offline_access_only_the_access_token_comes(
        client: AppClient) -> None:
    body = _ropc(client, scope="User.Read").json()
    assert set(body) == {"token_type", "scope", "expires_in", "ext_expires_in", "access_token"}


def test_a_confidential_client_authenticates_as_usual(client: AppClient) -> None:
    asked = {"client_id": CLIENT_ID, "scope": "openid"}
    assert _error(_ropc(client, **asked)) == (401, "invalid_client", [7000218])
    assert _ropc(client, **asked, client_secret=SECRET).status_code == 200
    # The reference RP's app requires assignment, and Dave is not assigned.
    assert _error(_ropc(client, DAVE, **asked, client_secret=SECRET)) == (
        400, "interaction_required", [50105])
    # A public client sends no secret.
    assert _error(_ropc(client, client_secret=SECRET)) == (401, "invalid_client", [700025])


@pytest.mark.parametrize(("username", "secret", "code"), [
    (ALICE, "not-her-password", 50126),
    ("nobody@contoso.onmicrosoft.com", "whatever", 50034),
    (CAROL, password(CAROL), 50057),
])
def test_failed_sign_ins_are_invalid_grant(client: AppClient, username: str, secret: str,
                                           code: int) -> None:
    assert _error(_ropc(client, username, secret)) == (400, "invalid_grant", [code])


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(), apps=(
    *default_tenant().apps, _cli()), users=tuple(
        replace(u, password=f" {u.password} ") if u.upn == BOB else u
        for u in default_tenant().users)),)))
def test_a_password_with_spaces_around_it_does_not_pass_the_grant(client: AppClient) -> None:
    # The ROPC reference: such passwords are not supported by the grant; the page takes them.
    spaced = f" {password(BOB)} "
    for _ in range(12):
        assert _error(_ropc(client, BOB, spaced)) == (400, "invalid_grant", [50126])
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(login_hint=BOB))
    assert page_kind(submit(client, page, loginfmt=BOB, passwd=spaced)) == "kmsi"


@pytest.mark.parametrize("field", ["username", "password", "scope"])
def test_a_missing_field_is_named(client: AppClient, field: str) -> None:
    response = _ropc(client, **{field: ""})
    assert _error(response) == (400, "invalid_request", [900144])
    assert f"'{field}'" in response.json()["error_description"]


@pytest.mark.parametrize("segment", ["common", "consumers"])
def test_v2_refuses_common_and_consumers(client: AppClient, segment: str) -> None:
    response = _ropc(client, path=paths(segment, "2.0")["token"])
    assert _error(response) == (400, "invalid_request", [9001023])


def test_v1_takes_a_resource(client: AppClient) -> None:
    response = _ropc(client, path=TOKEN_V1, scope="", resource="https://graph.microsoft.com")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == "https://graph.microsoft.com" and body["refresh_token"]
    assert claims(body["access_token"])["upn"] == ALICE
    missing = _ropc(client, path=TOKEN_V1, scope="")
    assert _error(missing) == (400, "invalid_request", [900144])
    assert "'resource'" in missing.json()["error_description"]


@pytest.mark.idp_config(_config(admin_consented=False))
def test_scopes_nobody_consented_to_are_consent_required(client: AppClient) -> None:
    response = _ropc(client)
    assert _error(response) == (400, "invalid_grant", [65001])
    assert response.json()["suberror"] == "consent_required"


@pytest.mark.idp_config(_organizations_config())
def test_through_organizations_a_user_of_another_organization_signs_in_at_home(
        client: AppClient, idp_app: Starlette) -> None:
    organizations = paths("organizations", "2.0")["token"]
    # Nobody in Fabrikam has consented to the app yet: no one can be asked here.
    assert _error(_ropc(client, ZED, path=organizations)) == (400, "invalid_grant", [65001])
    # Fabrikam's administrator consents for everyone (the admin consent endpoint's effect).
    idp_app.state.idp.store.tenants[FABRIKAM_ID].grant_consent(CLI_ID, None, SCOPES)
    response = _ropc(client, ZED, path=organizations)
    assert response.status_code == 200, response.text
    assert claims(response.json()["id_token"])["tid"] == FABRIKAM_ID
    # At Contoso's own endpoint, Zed is a stranger.
    assert _error(_ropc(client, ZED)) == (400, "invalid_request", [50020])


@pytest.mark.idp_config(_organizations_config())
def test_v1_takes_common_for_a_multi_tenant_app(client: AppClient) -> None:
    response = _ropc(client, ZED, path=paths("common", "1.0")["token"], scope="",
                     resource="https://graph.microsoft.com")
    assert _error(response) == (400, "invalid_grant", [65001])  # at home, in Fabrikam
    response = _ropc(client, ALICE, path=paths("common", "1.0")["token"], scope="",
                     resource="https://graph.microsoft.com")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["tid"] == TENANT


def test_ten_wrong_passwords_lock_the_account_until_the_clock_moves(
        client: AppClient, clock: MockClock) -> None:
    codes = [_error(_ropc(client, secret=f"guess-{i}"))[2][0] for i in range(10)]
    assert codes == [50126] * 9 + [50053]
    locked = _ropc(client)
    assert _error(locked) == (400, "invalid_grant", [50053])
    assert "tried to sign in too many times" in locked.json()["error_description"]
    clock.advance(timedelta(seconds=60))
    assert _ropc(client).status_code == 200


def test_the_same_wrong_password_again_does_not_lock(client: AppClient) -> None:
    for _ in range(15):
        assert _error(_ropc(client, secret="the-same-typo"))[2] == [50126]
    assert _ropc(client).status_code == 200


def test_a_lockout_reaches_the_sign_in_page(client: AppClient, clock: MockClock) -> None:
    client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 2})
    for guess in ("one", "two"):
        _ropc(client, BOB, guess)
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(login_hint=BOB))
    assert page_kind(page) == "password", page.text[:300]  # the hint names a known user
    page = submit(client, page, loginfmt=BOB, passwd=password(BOB))
    assert page_kind(page) == "password"
    assert ids.ACCOUNT_LOCKED in shown_html(page.text) and "AADSTS50053" in page.text
    clock.advance(timedelta(minutes=1))
    page = submit(client, page, loginfmt=BOB, passwd=password(BOB))
    assert page_kind(page) == "kmsi", page.text[:300]


def test_wrong_passwords_on_the_page_lock_the_password_grant(client: AppClient) -> None:
    client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 3})
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(login_hint=ALICE))
    for guess in ("one", "two", "three"):
        page = submit(client, page, loginfmt=ALICE, passwd=guess)
    assert ids.ACCOUNT_LOCKED in shown_html(page.text)
    assert _error(_ropc(client))[2] == [50053]


def test_an_administrators_password_reset_unlocks(client: AppClient) -> None:
    client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 1})
    assert _error(_ropc(client, secret="nope"))[2] == [50053]
    reset = client.patch(f"/graph/{TENANT}/v1.0/users/{ALICE}",
                         json={"passwordProfile": {"password": "N3w-Passw0rd!"}})
    assert reset.status_code == 204, reset.text
    assert _ropc(client, secret="N3w-Passw0rd!").status_code == 200


def test_the_lockout_settings_are_the_tenants(client: AppClient, clock: MockClock) -> None:
    shown = client.get("/_mock/tenants").json()["tenants"][0]
    assert (shown["lockout_threshold"], shown["lockout_duration_seconds"]) == (10, 60)
    changed = client.patch(f"/_mock/tenants/{TENANT}",
                           json={"lockout_threshold": 2, "lockout_duration_seconds": 5})
    assert changed.json()["lockout_duration_seconds"] == 5
    assert [_error(_ropc(client, secret=s))[2][0] for s in ("a", "b")] == [50126, 50053]
    clock.advance(timedelta(seconds=5))
    assert _ropc(client).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"lockout_threshold": 0}, "lockout_threshold"),
    ({"lockout_threshold": 2.5}, "lockout_threshold"),
    ({"lockout_threshold": True}, "lockout_threshold"),
    ({"lockout_duration_seconds": 86401}, "lockout_duration_seconds"),
    ({"lockout_duration_seconds": "60"}, "lockout_duration_seconds"),
])
def test_bad_lockout_settings_are_refused_naming_the_field(
        client: AppClient, body: dict[str, Any], field: str) -> None:
    response = client.patch(f"/_mock/tenants/{TENANT}",
                            json={**body, "allow_user_consent": False})
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    shown = client.get("/_mock/tenants").json()["tenants"][0]
    assert shown["lockout_threshold"] == 10 and shown["allow_user_consent"] is True


def test_idp_toml_takes_the_lockout_settings() -> None:
    tenant = {"id": TENANT, "domain": "contoso.onmicrosoft.com"}
    config = IdpConfig.from_mapping({"tenants": [{**tenant, "lockout_threshold": 3,
                                                  "lockout_duration_seconds": 120}]})
    assert (config.tenants[0].lockout_threshold,
            config.tenants[0].lockout_duration_seconds) == (3, 120)
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.lockout_threshold"):
        IdpConfig.from_mapping({"tenants": [{**tenant, "lockout_threshold": 0}]})


@pytest.mark.parametrize(("path", "answer"), [
    (f"/common/userrealm/{ALICE}?api-version=1.0",
     {"ver": "1.0", "account_type": "Managed", "domain_name": "contoso.onmicrosoft.com",
      "cloud_instance_name": "microsoftonline.com",
      "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
    ("/common/UserRealm/Someone@CONTOSO.onmicrosoft.com?api-version=1.0",
     {"ver": "1.0", "account_type": "Managed", "domain_name": "contoso.onmicrosoft.com",
      "cloud_instance_name": "microsoftonline.com",
      "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
    ("/common/userrealm/someone@example.org?api-version=1.0",
     {"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com",
      "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
])
def test_home_realm_discovery(client: AppClient, path: str, answer: dict[str, str]) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert list(response.json().items()) == list(answer.items())


# -- with MSAL, over HTTPS ---------------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(_config(), tmp_path, monkeypatch) as running:
        yield running


class _KeepPort(requests.Session):
    """MSAL Python asks home realm discovery at port 443 of the authority's host, whatever the
    authority's port (MSAL Python #259, azure-cli #29709); this session sends those requests to
    the provider's port, as an app testing against the mock on another port would."""

    def __init__(self, idp: MockIdp) -> None:
        super().__init__()
        self.verify = str(idp.ca_file)
        self._bare = f"https://{urlsplit(idp.url).hostname}/"
        self._base = f"{idp.url}/"

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        text = url.decode() if isinstance(url, bytes) else url
        if text.startswith(self._bare):
            text = self._base + text[len(self._bare):]
        response: requests.Response = super().get(text, **kwargs)
        return response


def _realm_lookups(idp: MockIdp) -> list[str]:
    log = idp.http.get("/_mock/requests", params={"limit": "500"}).json()["requests"]
    return [entry["path"] for entry in log if "/userrealm/" in entry["path"].lower()]


# MSAL deprecates the password grant for public clients, and says so on every call.
@pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
def test_msal_public_client_signs_in_with_a_password_until_the_account_locks(
        live: MockIdp) -> None:
    app = msal.PublicClientApplication(CLI_ID, authority=live.authority,
                                       validate_authority=False, instance_discovery=False,
                                       http_client=_KeepPort(live))
    try:
        result = app.acquire_token_by_username_password(ALICE, password(ALICE), ["User.Read"])
        assert "access_token" in result, result
        assert result["id_token_claims"]["preferred_username"] == ALICE
        assert [a["username"] for a in app.get_accounts()] == [ALICE]
        assert _realm_lookups(live) == [f"/common/userrealm/{ALICE}"]  # MSAL asked first
        # MSAL serves a 400 to an identical request from its cache for a minute, so every
        # attempt below differs from the others.
        answers = [app.acquire_token_by_username_password(ALICE, f"guess-{i}", ["User.Read"])
                   for i in range(10)]
        assert [a.get("error_codes") for a in answers] == [[50126]] * 9 + [[50053]]
        assert answers[-1]["error"] == "invalid_grant"
        live.advance(seconds=60)
        again = app.acquire_token_by_username_password(ALICE, password(ALICE), ["Mail.Read"])
        assert "access_token" in again, again
    finally:
        app.http_client.close()


def test_msal_confidential_client_signs_in_with_a_password(live: MockIdp) -> None:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=live.authority,
        validate_authority=False, instance_discovery=False, http_client=_KeepPort(live))
    try:
        result = app.acquire_token_by_username_password(BOB, password(BOB), ["User.Read"])
        assert "access_token" in result, result
        assert claims(result["access_token"])["appidacr"] == "1"
        refused = app.acquire_token_by_username_password(DAVE, password(DAVE), ["User.Read"])
        assert refused.get("error_codes") == [50105], refused
    finally:
        app.http_client.close()


@pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
def test_msal_is_told_a_password_must_change_50055(live: MockIdp) -> None:
    assert live.http.patch(f"/graph/{live.tenant_id}/v1.0/users/{ALICE}", json={
        "passwordProfile": {"forceChangePasswordNextSignIn": True}}).status_code == 204
    app = msal.PublicClientApplication(CLI_ID, authority=live.authority,
                                       validate_authority=False, instance_discovery=False,
                                       http_client=_KeepPort(live))
    try:
        result = app.acquire_token_by_username_password(ALICE, password(ALICE), ["User.Read"])
        assert (result.get("error"), result.get("error_codes")) == (
            "user_password_expired", [50055]), result
        assert result["suberror"] == "user_password_expired"
        assert result["password_change_url"].endswith("/ChangePassword.aspx")
        assert app.get_accounts() == []
    finally:
        app.http_client.close()
