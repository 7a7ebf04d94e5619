"""A user's and a group's ``mailNickname``: kept as given (Graph's ``POST``/``PATCH``,
``idp.toml``, the control API's new tenants), defaulted in ``idp.toml`` as the Entra admin
center derives it, required and checked by Graph's rules on ``POST users``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette

from mock_idp.config import DEFAULT_DOMAIN, ConfigError, IdpConfig
from mock_idp.endpoints import control, graph
from mock_idp.state import IdpState

G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
TID = "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"
FABRIKAM = "fabrikam.onmicrosoft.com"
F = f"/graph/{FABRIKAM}/v1.0"


def fabrikam(**extra: Any) -> dict[str, Any]:
    return {"id": TID, "domain": FABRIKAM, "name": "Fabrikam",
            "users": [{"upn": f"ann@{FABRIKAM}", "password": "pw", "mail_nickname": "ann.archer"},
                      {"upn": f"bo@{FABRIKAM}", "password": "pw"}],
            "groups": [{"name": "Équipe Nord"},
                       {"name": "Sales", "mail_nickname": "sales-team", "mail_enabled": True,
                        "types": ["Unified"]}], **extra}


def connect(config: IdpConfig) -> AppClient:
    app = Starlette(routes=[*control.routes, *graph.routes])
    app.state.idp = IdpState.create(config)
    return AppClient(app)


@pytest.fixture
def client() -> Iterator[AppClient]:
    with connect(IdpConfig.default()) as c:
        yield c


def nickname(client: AppClient, path: str) -> str:
    found = client.get(f"{path}?$select=id,mailNickname")
    assert found.status_code == 200, found.text
    value: str = found.json()["mailNickname"]
    return value


def new_user(**extra: Any) -> dict[str, Any]:
    return {"accountEnabled": True, "displayName": "Erin", "userPrincipalName":
            f"erin@{DEFAULT_DOMAIN}", "passwordProfile": {"password": "Str0ng!Passw0rd"},
            **extra}


def test_graph_keeps_the_nickname_a_user_is_created_with(client: AppClient) -> None:
    created = client.post(f"{G}/users", json=new_user(mailNickname="erin.evans"))
    assert created.status_code == 201, created.text
    assert nickname(client, f"{G}/users/{created.json()['id']}") == "erin.evans"
    changed = client.patch(f"{G}/users/erin@{DEFAULT_DOMAIN}", json={"mailNickname": "ee"})
    assert changed.status_code == 204, changed.text
    assert nickname(client, f"{G}/users/erin@{DEFAULT_DOMAIN}") == "ee"
    listed = client.get(f"{G}/users?$select=userPrincipalName,mailNickname").json()["value"]
    assert {u["userPrincipalName"]: u["mailNickname"] for u in listed}[
        f"erin@{DEFAULT_DOMAIN}"] == "ee"


def test_graph_requires_a_users_nickname_as_graph_does(client: AppClient) -> None:
    for body in (new_user(), new_user(mailNickname=""), new_user(mailNickname=None)):
        refused = client.post(f"{G}/users", json=body)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["target"], error["message"]) == (
            "Request_BadRequest", "mailNickname",
            "Property mailNickname value is required but is empty or missing.")
    assert client.get(f"{G}/users/erin@{DEFAULT_DOMAIN}").status_code == 404


@pytest.mark.parametrize("value", ["erin evans", "erin@x", "érin", "a,b", "x" * 65, "(e)"])
def test_graph_refuses_a_nickname_its_rules_refuse(client: AppClient, value: str) -> None:
    for response in (client.post(f"{G}/users", json=new_user(mailNickname=value)),
                     client.patch(f"{G}/users/bob@{DEFAULT_DOMAIN}",
                                  json={"mailNickname": value})):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["message"] == \
            "Invalid value specified for property 'mailNickname' of resource 'User'."
        assert error["details"] == [{"target": "mailNickname", "code": "InvalidValue"}]
    assert nickname(client, f"{G}/users/bob@{DEFAULT_DOMAIN}") == "bob"


def test_idp_toml_nicknames_default_to_the_upns_local_part_and_the_groups_name() -> None:
    with connect(IdpConfig.from_mapping({"tenants": [fabrikam()]})) as client:
        assert nickname(client, f"{F}/users/ann@{FABRIKAM}") == "ann.archer"
        assert nickname(client, f"{F}/users/bo@{FABRIKAM}") == "bo"
        groups = {g["displayName"]: g for g in client.get(f"{F}/groups").json()["value"]}
        assert groups["Équipe Nord"]["mailNickname"] == "quipeNord"
        assert (groups["Sales"]["mailNickname"], groups["Sales"]["mail"]) == (
            "sales-team", f"sales-team@{FABRIKAM}")


@pytest.mark.parametrize(("where", "value"), [("users", "ann archer"), ("groups", "é"),
                                              ("users", ""), ("groups", 7)])
def test_idp_toml_refuses_a_nickname_graph_would(where: str, value: Any) -> None:
    data = fabrikam()
    data[where][0]["mail_nickname"] = value
    with pytest.raises(ConfigError, match=rf"tenants\[0\]\.{where}\[0\]\.mail_nickname"):
        IdpConfig.from_mapping({"tenants": [data]})


def test_the_control_api_takes_nicknames_for_a_new_tenant(client: AppClient) -> None:
    created = client.post("/_mock/tenants", json=fabrikam())
    assert created.status_code == 201, created.text
    assert nickname(client, f"{F}/users/ann@{FABRIKAM}") == "ann.archer"
    assert nickname(client, f"{F}/users/bo@{FABRIKAM}") == "bo"
    bad = fabrikam(id="1c7d4e3b-8e52-4fac-9b46-d3e2f1a0b985", domain="other.onmicrosoft.com")
    bad["users"] = [{"upn": "ann@other.onmicrosoft.com", "password": "pw",
                     "mail_nickname": "a:b"}]
    refused = client.post("/_mock/tenants", json=bad)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["field"] == "users[0].mail_nickname"
