"""A B2B guest from another organization (a guest with a ``home``): it signs in at the resource
tenant with its home account, and its tokens and ``client_info`` say so, as Entra's do."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import msal
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    CLIENT_ID,
    FABRIKAM_ID,
    SECRET,
    TENANT,
    ZED,
    auth_params,
    browser_sign_in,
    claims,
    get_code,
    https_idp,
    page_kind,
    paths,
    pick_to_sign_out,
    redeem,
    redirect_params,
    sign_in,
    submit,
    two_organizations_config,
)
from idp_testkit import password as password_of

from mock_idp import create_app, totp
from mock_idp.config import ConfigError, IdpConfig, UserConfig
from mock_idp.config_fields import stable_oid
from mock_idp.signin import ids
from mock_idp.testing import MockIdp

GUEST = "zed_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com"
GUEST_OID = stable_oid(TENANT, GUEST)
ZED_OID = stable_oid(FABRIKAM_ID, ZED)
HOME_IDP = f"https://sts.windows.net/{FABRIKAM_ID}/"
REDIRECT = "http://localhost/auth/callback"


def _config(*, home: str | None = ZED, enabled: bool = True, user_type: str = "Guest",
            password: str = "", lockout_threshold: int = 10) -> IdpConfig:
    """Contoso with Zed of Fabrikam as a guest (assigned to the reference app)."""
    contoso, fabrikam = two_organizations_config("AzureADMyOrg").tenants
    guest = UserConfig(upn=GUEST, name="Zed (guest)", password=password, user_type=user_type,
                       home=home, enabled=enabled)
    apps = tuple(replace(a, assigned=(*a.assigned, GUEST)) if a.client_id == CLIENT_ID else a
                 for a in contoso.apps)
    return IdpConfig(tenants=(replace(contoso, users=(*contoso.users, guest), apps=apps),
                              replace(fabrikam, lockout_threshold=lockout_threshold)))


def _client_info(value: str) -> dict[str, str]:
    out: dict[str, str] = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    return out


def _tokens(client: AppClient, version: str = "2.0") -> dict[str, Any]:
    response = redeem(client, get_code(client, upn=ZED, version=version), version=version,
                      client_info="1")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.idp_config(_config())
def test_the_guest_signs_in_with_its_home_account_and_gets_the_resource_tenants_tokens(
        client: AppClient) -> None:
    body = _tokens(client)
    id_token = claims(body["id_token"])
    assert (id_token["tid"], id_token["oid"]) == (TENANT, GUEST_OID)
    assert id_token["idp"] == HOME_IDP
    assert id_token["preferred_username"] == ZED
    assert id_token["email"] == ZED  # the invited address: the home account's
    assert _client_info(body["client_info"]) == {"uid": ZED_OID, "utid": FABRIKAM_ID}
    access = claims(body["access_token"])  # Microsoft Graph's, a v1 token
    assert (access["tid"], access["oid"], access["idp"]) == (TENANT, GUEST_OID, HOME_IDP)
    assert access["unique_name"] == ZED and "upn" not in access


@pytest.mark.idp_config(_config())
def test_a_v1_id_token_names_the_guest_by_its_home_upn_without_upn(client: AppClient) -> None:
    id_token = claims(_tokens(client, version="1.0")["id_token"])
    assert (id_token["tid"], id_token["oid"], id_token["idp"]) == (TENANT, GUEST_OID, HOME_IDP)
    assert id_token["unique_name"] == ZED and "upn" not in id_token


@pytest.mark.idp_config(_config(password="P@ssw0rd-own", lockout_threshold=2))
def test_the_password_grant_takes_the_home_account_and_its_tenants_lockout(
        client: AppClient) -> None:
    form = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": "openid profile User.Read", "username": ZED, "password": password_of(ZED),
            "client_info": "1"}
    token = paths(TENANT, "2.0")["token"]
    response = client.post(token, data=form)
    assert response.status_code == 200, response.text
    assert claims(response.json()["id_token"])["oid"] == GUEST_OID
    assert _client_info(response.json()["client_info"])["utid"] == FABRIKAM_ID
    # Fabrikam checks the password, by its smart lockout (2 tries; Contoso's is 10).
    wrong = [client.post(token, data={**form, "password": f"wrong-{i}"}).json()["error_codes"]
             for i in range(2)]
    assert wrong == [[50126], [50053]]
    assert client.post(token, data=form).json()["error_codes"] == [50053]


@pytest.mark.idp_config(_config())
def test_a_home_password_that_must_change_is_50055_to_the_password_grant(
        client: AppClient, idp_app: Any) -> None:
    idp_app.state.idp.store.tenants[FABRIKAM_ID].find_user(ZED).force_change_password = True
    response = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": "openid User.Read", "username": ZED, "password": password_of(ZED)})
    assert response.json()["error_codes"] == [50055], response.text


@pytest.mark.idp_config(_config(enabled=False))
def test_a_disabled_guest_object_is_refused_50057(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params={
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s"})
    assert page_kind(page) == "username"
    refused = sign_in(client, page, ZED)
    assert "AADSTS50057" in refused.text


@pytest.mark.idp_config(_config(home=None, password=password_of(GUEST)))
def test_a_guest_without_a_home_stays_an_account_of_its_tenant(client: AppClient) -> None:
    grant = get_code(client, upn=GUEST)
    body = redeem(client, grant, client_info="1").json()
    assert _client_info(body["client_info"]) == {"uid": GUEST_OID, "utid": TENANT}
    id_token = claims(body["id_token"])
    assert "idp" not in id_token and id_token["preferred_username"] == GUEST
    # and Zed, with no guest object here, is still a stranger (AADSTS50020)
    page = client.get(paths(TENANT, "2.0")["authorize"], params={
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s", "prompt": "login"})
    assert "AADSTS50020" in sign_in(client, page, ZED).text


AUTHORIZE = paths(TENANT, "2.0")["authorize"]
FABRIKAM_GRAPH = f"/graph/{FABRIKAM_ID}/v1.0/users/{ZED_OID}"


def _signed_in_guest(client: AppClient) -> dict[str, Any]:
    """Sign Zed in as Contoso's guest; the token response."""
    body: dict[str, Any] = redeem(client, get_code(client, upn=ZED)).json()
    return body


@pytest.mark.idp_config(_config())
def test_a_guest_signs_in_again_with_its_home_password_after_max_age(client: AppClient) -> None:
    _signed_in_guest(client)
    page = client.get(AUTHORIZE, params=auth_params(max_age="0"))
    assert page_kind(page) == "password"
    assert 'value="zed@fabrikam.onmicrosoft.com"' in page.text and "#EXT#" not in page.text
    done = sign_in(client, page, ZED)
    assert "code" in redirect_params(done), done.text[:300]


@pytest.mark.idp_config(_config())
def test_a_guests_tile_shows_its_home_upn_and_asks_the_home_password(client: AppClient) -> None:
    _signed_in_guest(client)
    picker = client.get(AUTHORIZE, params=auth_params(prompt="select_account", max_age="0"))
    assert page_kind(picker) == "picker"
    assert 'data-test-id="zed@fabrikam.onmicrosoft.com"' in picker.text
    assert "#EXT#" not in picker.text and "#ext#" not in picker.text
    page = submit(client, picker, account=GUEST_OID)
    assert page_kind(page) == "password" and 'value="zed@fabrikam.onmicrosoft.com"' in page.text
    assert "code" in redirect_params(sign_in(client, page, ZED))
    # and the sign-out picker's tile is the home UPN too
    out = client.get(f"/{TENANT}/oauth2/v2.0/logout")
    assert pick_to_sign_out(client, out, ZED).status_code in (200, 302)


@pytest.mark.idp_config(_config())
@pytest.mark.parametrize("hint", [ZED, ZED.upper(), GUEST])
def test_silent_sso_takes_the_guests_home_upn_as_login_hint(client: AppClient,
                                                            hint: str) -> None:
    _signed_in_guest(client)
    silent = redirect_params(client.get(AUTHORIZE, params=auth_params(prompt="none",
                                                                      login_hint=hint)))
    assert "code" in silent, silent
    body = redeem(client, get_code(client, upn=ZED, prompt="none", login_hint=hint)).json()
    assert claims(body["id_token"])["oid"] == GUEST_OID


@pytest.mark.idp_config(_config())
@pytest.mark.parametrize("change", ["disable", "delete"])
def test_a_guest_whose_home_account_is_disabled_or_deleted_is_refused(
        client: AppClient, change: str) -> None:
    refresh = _signed_in_guest(client)["refresh_token"]
    done = (client.patch(FABRIKAM_GRAPH, json={"accountEnabled": False}) if change == "disable"
            else client.delete(FABRIKAM_GRAPH))
    assert done.status_code == 204
    refused = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh, "scope": "openid"})
    assert refused.json()["error_codes"] == [50057], refused.text
    silent = redirect_params(client.get(AUTHORIZE, params=auth_params(prompt="none")))
    assert silent["error"] == "login_required"


@pytest.mark.idp_config(_config())
def test_a_home_account_disabled_while_a_consent_page_is_open_is_50057(
        client: AppClient) -> None:
    page = sign_in(client, client.get(AUTHORIZE, params=auth_params(prompt="consent")), ZED)
    assert page_kind(page) == "need_admin"
    assert client.patch(FABRIKAM_GRAPH, json={"accountEnabled": False}).status_code == 204
    refused = submit(client, page, answer="Accept")
    assert "AADSTS50057" in refused.text and "AADSTS9002313" not in refused.text


@pytest.mark.idp_config(_config())
def test_no_test_session_is_made_for_a_guest_whose_home_account_is_disabled(
        client: AppClient) -> None:
    assert client.patch(FABRIKAM_GRAPH, json={"accountEnabled": False}).status_code == 204
    refused = client.post("/_mock/sessions", json={"user": GUEST})
    assert refused.status_code == 409, refused.text
    assert "AADSTS50057" in refused.json()["error"]["message"]


@pytest.mark.idp_config(_config())
def test_a_home_password_that_must_change_is_changed_on_browser_sign_in(
        client: AppClient, idp_app: Any) -> None:
    zed = idp_app.state.idp.store.tenants[FABRIKAM_ID].find_user(ZED)
    zed.force_change_password = True
    page = sign_in(client, client.get(AUTHORIZE, params=auth_params()), ZED)
    assert page_kind(page) == "new_password", page.text[:300]
    new = "N3w-home-passw0rd!"
    done = submit(client, page, **{ids.CURRENT_PASSWORD_NAME: password_of(ZED),
                                   ids.NEW_PASSWORD_NAME: new, ids.CONFIRM_PASSWORD_NAME: new})
    if page_kind(done) == "kmsi":
        done = submit(client, done, answer="No")
    assert "code" in redirect_params(done), done.text[:300]
    assert (zed.password, zed.force_change_password) == (new, False)


@pytest.mark.idp_config(_config())
def test_a_guest_owes_its_home_accounts_authenticator_code(client: AppClient,
                                                            idp_app: Any) -> None:
    state = idp_app.state.idp
    state.store.tenants[FABRIKAM_ID].find_user(ZED).totp_secret = ALICE_SECRET
    page = sign_in(client, client.get(AUTHORIZE, params=auth_params()), ZED)
    assert page_kind(page) == "totp", page.text[:300]
    done = submit(client, page, otc=totp.code_at(ALICE_SECRET, state.clock.now()))
    if page_kind(done) == "kmsi":
        done = submit(client, done, answer="No")
    assert "code" in redirect_params(done), done.text[:300]


@pytest.mark.parametrize(("config", "problem"), [
    (_config(home="nobody@fabrikam.onmicrosoft.com"),
     "tenants[0].users[4].home: no user 'nobody@fabrikam.onmicrosoft.com' in another"),
    (_config(home=ALICE), "tenants[0].users[4].home: 'alice@contoso.onmicrosoft.com' is a "
                          "user of this tenant"),
    (_config(user_type="Member"), 'tenants[0].users[4].home: only a guest (user_type = '
                                  '"Guest")'),
])
def test_a_home_that_is_no_member_of_another_tenant_is_a_config_error(
        config: IdpConfig, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(config)
    assert str(caught.value).startswith(problem), caught.value


def test_a_home_that_is_itself_a_guest_or_taken_twice_is_a_config_error() -> None:
    contoso, fabrikam = _config().tenants
    outsider = UserConfig(upn="yan@fabrikam.onmicrosoft.com", name="Yan", password="x",
                          user_type="Guest")
    second = UserConfig(upn="zed2_x#EXT#@contoso.onmicrosoft.com", name="Zed again",
                        password="", user_type="Guest", home=ZED)
    with pytest.raises(ConfigError, match=r"users\[4\]\.home: 'yan@fabrikam.onmicrosoft.com' "
                                          r"is a guest in fabrikam"):
        create_app(IdpConfig(tenants=(
            replace(contoso, users=(*contoso.users[:4], replace(contoso.users[4],
                                                                 home=outsider.upn))),
            replace(fabrikam, users=(*fabrikam.users, outsider)))))
    with pytest.raises(ConfigError, match=r"users\[5\]\.home: .* already the home of "
                                          r"tenants\[0\]\.users\[4\]"):
        create_app(IdpConfig(tenants=(replace(contoso, users=(*contoso.users, second)),
                                      fabrikam)))


def test_idp_toml_takes_a_home_and_no_password_for_such_a_guest() -> None:
    config = IdpConfig.from_mapping({"tenants": [
        {"id": TENANT, "domain": "contoso.onmicrosoft.com", "users": [
            {"upn": GUEST, "name": "Zed (guest)", "user_type": "Guest", "home": ZED}]},
        {"id": FABRIKAM_ID, "domain": "fabrikam.onmicrosoft.com", "users": [
            {"upn": ZED, "name": "Zed", "password": "pw"}]}]})
    guest = config.tenants[0].users[0]
    assert (guest.home, guest.password, guest.email) == (ZED, "", None)
    store = create_app(config).state.idp.store
    assert store.tenants[TENANT].find_user(GUEST).home.user.upn == ZED


@pytest.mark.idp_config(two_organizations_config)
def test_mock_tenants_links_a_new_tenants_guest_to_an_existing_account(
        client: AppClient) -> None:
    tenant = {"id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "domain": "tailspin.onmicrosoft.com",
              "users": [{"upn": "zed_fabrikam.onmicrosoft.com#EXT#@tailspin.onmicrosoft.com",
                         "name": "Zed", "user_type": "Guest", "home": "zed@nowhere.test"}]}
    refused = client.post("/_mock/tenants", json=tenant)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["field"] == "users[0].home"
    tenant["users"][0]["home"] = ZED
    assert client.post("/_mock/tenants", json=tenant).status_code == 201


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(_config(), tmp_path, monkeypatch) as running:
        yield running


@pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")
def test_msal_keeps_the_guest_under_its_home_account(live: MockIdp) -> None:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=live.authority,
        validate_authority=False, instance_discovery=False, verify=str(live.ca_file))
    try:
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
        result = app.acquire_token_by_auth_code_flow(
            flow, browser_sign_in(live, flow["auth_uri"], REDIRECT, ZED))
        assert "access_token" in result, result
        id_token = result["id_token_claims"]
        assert (id_token["tid"], id_token["oid"]) == (TENANT, GUEST_OID)
        [account] = app.get_accounts()
        assert account["home_account_id"] == f"{ZED_OID}.{FABRIKAM_ID}"
        assert account["home_account_id"] != f"{id_token['oid']}.{id_token['tid']}"
        assert account["username"] == ZED
        silent = app.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
        assert silent and "access_token" in silent, silent
    finally:
        app.http_client.close()
