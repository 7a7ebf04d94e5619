"""``idp.toml`` for groups, app roles with ids, assignments, optional claims and directory
extensions: what it builds, and every bad reference refused with the key's path."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from mock_idp.clock import MockClock
from mock_idp.config import ConfigError, IdpConfig
from mock_idp.directory import is_assigned, role_values, transitive_member_of
from mock_idp.store import Store

TID = "0b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e"
APP = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE_ID = "5d3a7c9e-1f2b-4c6d-8e0a-9b8c7d6e5f4a"


def tenant(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": TID, "domain": "fabrikam.onmicrosoft.com", "name": "Fabrikam",
        "users": [{"upn": "ann@fabrikam.onmicrosoft.com", "password": "pw-ann",
                   "groups": ["Agents", "4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b"]},
                  {"upn": "bo@fabrikam.onmicrosoft.com", "password": "pw-bo"}],
        "groups": [{"name": "Agents"}, {"name": "Managers", "members": ["Agents"]}],
        "apps": [{"client_id": APP, "name": "Helpdesk",
                  "app_roles": ["Agent", {"value": "Admin", "id": ROLE_ID,
                                          "display_name": "Administrators"}],
                  "assignments": [{"principal": "Managers", "role": "Admin"},
                                  {"principal": "bo@fabrikam.onmicrosoft.com"}],
                  "assigned": ["ann@fabrikam.onmicrosoft.com"],
                  "extension_properties": [{"name": "skypeId"}],
                  "optional_claims": {"id_token": ["email", {"name": "groups",
                                                   "additional_properties": ["emit_as_roles"]}]},
                  "group_membership_claims": "securitygroup, applicationgroup"}],
    }
    for key, value in extra.items():
        base[key] = value
    return base


def build(data: dict[str, Any]) -> Any:
    config = IdpConfig.from_mapping({"tenants": [data]})
    store = Store.from_config(config, MockClock().now())
    return store.tenants[TID]


def test_builds_the_directory() -> None:
    t = build(tenant())
    app = t.apps[APP]
    ann = t.find_user("ann@fabrikam.onmicrosoft.com")
    bo = t.find_user("bo@fabrikam.onmicrosoft.com")
    assert [(r.value, r.display_name) for r in app.app_roles] == [
        ("Agent", "Agent"), ("Admin", "Administrators")]
    assert app.app_roles[1].id == ROLE_ID
    assert app.group_membership_claims == "SecurityGroup, ApplicationGroup"
    assert [c.name for c in app.optional_claims.id_token] == ["email", "groups"]
    # A group named only by a user's ``groups`` is made (with that id).
    assert t.groups["4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b"].security_enabled
    assert {g.display_name for g in transitive_member_of(t, ann.id)} == {
        "Agents", "Managers", "4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b"}
    # Admin through Managers? No: group assignment does not cascade to nested groups.
    assert role_values(t, app, ann) == []
    assert is_assigned(t, app, ann) and is_assigned(t, app, bo)


def test_roles_through_an_assigned_group() -> None:
    data = tenant()
    data["apps"][0]["assignments"][0]["principal"] = "Agents"
    t = build(data)
    ann = t.find_user("ann@fabrikam.onmicrosoft.com")
    assert role_values(t, t.apps[APP], ann) == ["Admin"]


def test_extension_values_on_users() -> None:
    data = tenant()
    data["users"][0]["extensions"] = {"skypeId": "ann.a"}
    data["users"][1]["extensions"] = {f"extension_{APP.replace('-', '')}_skypeid": "bo.b"}
    t = build(data)
    name = f"extension_{APP.replace('-', '')}_skypeId"
    assert t.find_user("ann@fabrikam.onmicrosoft.com").extensions == {name: "ann.a"}
    assert t.find_user("bo@fabrikam.onmicrosoft.com").extensions == {name: "bo.b"}


ORDERS = "3c9e1a7b-2d4f-4e6a-8b0c-1d2e3f4a5b6c"


def test_admin_consent_grants_the_configured_api_permissions() -> None:
    data = tenant()
    data["apps"][0].update(api_permissions=[
        "Mail.Read", "https://graph.microsoft.com/Calendars.Read", "api://orders/Orders.Read",
        f"{ORDERS}/Orders.Write", "User.Read"])
    data["apps"].append({"client_id": ORDERS, "name": "Orders API",
                         "identifier_uris": ["api://orders"]})
    grants = {(g.client_id, g.resource_id, g.consent_type): g.scopes for g in build(data).grants}
    assert grants == {
        (APP, "00000003-0000-0000-c000-000000000000", "AllPrincipals"): [
            "openid", "profile", "email", "offline_access", "User.Read", "Mail.Read",
            "Calendars.Read"],
        (APP, ORDERS, "AllPrincipals"): ["Orders.Read", "Orders.Write"],
        (ORDERS, "00000003-0000-0000-c000-000000000000", "AllPrincipals"): [
            "openid", "profile", "email", "offline_access", "User.Read"],
    }
    data["apps"][0]["admin_consented"] = False
    assert [g.client_id for g in build(data).grants] == [ORDERS]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["groups"][1].update(members=["Nobody"]),
     "tenants[0].groups[1].members[0]: no user or group 'Nobody'"),
    (lambda d: d["apps"][0]["assignments"][0].update(role="Owner"),
     "tenants[0].apps[0].assignments[0].role: 'Owner' is not an app role"),
    (lambda d: d["apps"][0]["assignments"][0].update(principal="ghost@x"),
     "tenants[0].apps[0].assignments[0].principal: no user or group"),
    (lambda d: d["apps"][0].update(assigned=["ghost@fabrikam.onmicrosoft.com"]),
     "tenants[0].apps[0].assigned[0]"),
    (lambda d: d["users"][0].update(extensions={"shoeSize": 9}),
     "tenants[0].users[0].extensions.shoeSize: no app"),
    (lambda d: d["users"][0].update(extensions={"skypeId": 9}),
     "tenants[0].users[0].extensions.skypeId must be a string"),
    (lambda d: d["apps"][0].update(group_membership_claims="Everything"),
     "tenants[0].apps[0].group_membership_claims"),
    (lambda d: d["apps"][0].update(app_roles=["A", "A"]), "two roles have the same value"),
    (lambda d: d["apps"][0].update(app_roles=[{"value": "A", "id": "x"}]),
     "tenants[0].apps[0].app_roles[0].id must be a GUID"),
    (lambda d: d["apps"][0].update(app_roles=[{"value": "A",
                                               "allowed_member_types": ["Robot"]}]),
     "allowed_member_types"),
    (lambda d: d["apps"][0].update(optional_claims={"id_token": [{"name": "x",
                                                                  "source": "group"}]}),
     "tenants[0].apps[0].optional_claims.id_token[0].source"),
    (lambda d: d["apps"][0].update(optional_claims={"jwt": []}),
     "tenants[0].apps[0].optional_claims: unknown key 'jwt'"),
    (lambda d: d["apps"][0].update(extension_properties=[{"name": "1x"}]),
     "tenants[0].apps[0].extension_properties[0].name"),
    (lambda d: d["apps"][0].update(extension_properties=[{"name": "x", "data_type": "Text"}]),
     "data_type must be one of"),
    (lambda d: d["apps"][0].update(access_token_version=3), "access_token_version"),
    (lambda d: d["apps"][0].update(access_token_version=2.0), "access_token_version"),
    (lambda d: d.update(groups=[{"name": "A"}, {"name": "a"}]), "two groups have the same name"),
    (lambda d: d.update(groups=[{"name": "A", "id": "g"}]), "tenants[0].groups[0].id"),
    (lambda d: d.update(groups=[{"name": "A", "types": ["Static"]}]), "types"),
    (lambda d: d.update(groups="Agents"), "tenants[0].groups must be an array of tables"),
    (lambda d: d["users"][0].update(user_type="Admin"), "tenants[0].users[0].user_type"),
    (lambda d: d["apps"][0].update(api_permissions=["api://nowhere/Read"]),
     "tenants[0].apps[0].api_permissions[0]: no resource 'api://nowhere'"),
    (lambda d: d["apps"][0].update(api_permissions=["Mail.Read", "openid"]),
     "tenants[0].apps[0].api_permissions[1]: 'openid' is not a delegated permission"),
    (lambda d: d["apps"][0].update(api_permissions=["https://graph.microsoft.com/.default"]),
     "api_permissions[0]: 'https://graph.microsoft.com/.default' is not a delegated"),
    (lambda d: d["apps"][0].update(api_permissions=["Mail.Read Mail.Send"]),
     "api_permissions[0]: 'Mail.Read Mail.Send' is not a delegated"),
    (lambda d: d["apps"][0].update(api_permissions="Mail.Read"),
     "tenants[0].apps[0].api_permissions must be a list of strings"),
])
def test_bad_references_name_their_key(change: Any, message: str) -> None:
    data = tenant()
    change(data)
    with pytest.raises(ConfigError) as raised:
        IdpConfig.from_mapping({"tenants": [data]})
    assert message in str(raised.value)


def test_readme_example_parses() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("### `idp.toml`", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    config = IdpConfig.from_mapping(_without_certificates(tomllib.loads(block)))
    assert config.tenants[0].groups and config.tenants[0].apps[0].optional_claims.id_token
    tenant, app, user = config.tenants[0], config.tenants[0].apps[0], config.tenants[0].users[0]
    assert (tenant.region, tenant.country) == ("EU", "FR")
    assert app.identifier_uris == ("api://helpdesk",) and app.frontchannel_logout_iss is False
    extension = app.extension_properties[0]
    assert (extension.target_objects, extension.multi_valued) == (("User",), False)
    assert (user.given_name, user.family_name, user.email) == (
        "Ann", "Archer", "ann.archer@fabrikam.example")


def test_readme_gives_the_default_users_passwords_as_the_mock_holds_them() -> None:
    from pathlib import Path

    from mock_idp.config import default_tenant

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| users (password"))
    users = default_tenant().users
    assert users[0].upn.startswith("alice@") and f"`{users[0].password}`" in row
    assert all(user.password == "P@ssw0rd-" + user.upn.split("@")[0] for user in users)
    assert "in lower case" in row


def _without_certificates(data: dict[str, Any]) -> dict[str, Any]:
    for t in data["tenants"]:
        for app in t.get("apps", []):
            app.pop("certificates", None)
    return data
