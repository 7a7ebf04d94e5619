"""A B2B guest from another organization (a guest with a ``home``): it signs in at the resource
tenant with its home account, and its tokens and ``client_info`` say so, as Entra's do."""

from __future__ import annotations

from dataclasses import replace

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    FABRIKAM_ID,
    TENANT,
    ZED,
    two_organizations_config,
)

from mock_idp import create_app
from mock_idp.config import ConfigError, IdpConfig, UserConfig
from mock_idp.config_fields import stable_oid

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
