"""Text from outside: control characters and characters that reorder text are refused in names
and other display text, user principal names follow Entra's character rules, and URLs carry no
invisible format character. Each refusal is a 400 naming the field, with nothing stored; the
texts that legitimately hold more (a password, a PEM certificate, a description) still do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import DOMAIN, make_certificate

from mock_idp.config import REFERENCE_RP_CLIENT_ID
from mock_idp.endpoints.graph_model import UPN_REFUSAL
from mock_idp.text_policy import mail_problem, text_problem, upn_problem

G = f"/graph/{DOMAIN}/v1.0"
GOOD_PASSWORD = "Str0ng!Passw0rd"
FABRIKAM: dict[str, Any] = {"id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874",
                            "domain": "fabrikam.onmicrosoft.com", "name": "Fabrikam"}
BAD_TEXT = ["a\u0000b", "a\nb", "a\tb", "a\u0007", "a\u0085b", "a\u202eb", "a\u202ab",
            "a\u2066b", "a\u2069", "a\u2028b"]


def new_user(upn: str = f"erin@{DOMAIN}", **extra: Any) -> dict[str, Any]:
    return {"accountEnabled": True, "displayName": "Erin", "mailNickname": "erin",
            "userPrincipalName": upn, "passwordProfile": {"password": GOOD_PASSWORD}, **extra}


def graph_refused(response: httpx.Response, target: str) -> str:
    assert response.status_code == 400, response.text[:300]
    error = response.json()["error"]
    assert error["target"] == target, error
    message: str = error["message"]
    return message


def user_count(client: AppClient) -> int:
    return len(client.get(f"{G}/users").json()["value"])


def app_path(client: AppClient) -> str:
    app = client.get(f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')").json()
    return f"{G}/applications/{app['id']}"


# --- the shared checks, alone ----------------------------------------------------------------

@pytest.mark.parametrize("value", BAD_TEXT)
def test_text_problem_names_what_is_wrong(value: str) -> None:
    problem = text_problem(value)
    assert problem is not None and "U+" in problem


@pytest.mark.parametrize("value", ["Ann Archer", "Zoë Ŝmith", "山田 太郎", "עברית", "a\u200db",
                                   "<b>&amp;</b>", "O'Brien"])
def test_ordinary_text_passes(value: str) -> None:
    assert text_problem(value) is None


def test_multiline_text_takes_line_breaks_only() -> None:
    assert text_problem("line one\r\nline two\tend", multiline=True) is None
    assert text_problem("a\u0000b", multiline=True) is not None
    assert text_problem("a\u202eb", multiline=True) is not None


@pytest.mark.parametrize("value", [
    f"ann@{DOMAIN}", f"Ann.Archer@{DOMAIN}", f"o'brien@{DOMAIN}", f"a-b_c!d#e^f~g@{DOMAIN}",
    f"jane_contoso.com#EXT#@{DOMAIN}", f"{'a' * 64}@{DOMAIN}",
])
def test_upns_entra_takes(value: str) -> None:
    assert upn_problem(value) is None


@pytest.mark.parametrize("value", [
    f"u\u0001x@{DOMAIN}", f"u\u202ex@{DOMAIN}", f"u\u00e9@{DOMAIN}", f'a"b@{DOMAIN}',
    f"a b@{DOMAIN}", f"a&b@{DOMAIN}", f"a+b@{DOMAIN}", f"ann.@{DOMAIN}", f"a@b@{DOMAIN}",
    "no-at-sign", f"@{DOMAIN}", "ann@", f"{'a' * 65}@{DOMAIN}", "ann@exa mple.com",
    f"{'a' * 60}@{'b' * 50}.example",
])
def test_upns_entra_refuses(value: str) -> None:
    assert upn_problem(value) is not None


@pytest.mark.parametrize(("value", "ok"), [
    ("ann@contoso.com", True), ("first.last+tag@mail.contoso.com", True), ("@", False),
    ("a b@c", False), ("a@c\u0000", False), ("zoë@contoso.com", False), ("ann@", False),
    ("@contoso.com", False), ("ann", False),
])
def test_mail_problem(value: str, ok: bool) -> None:
    assert (mail_problem(value) is None) is ok


# --- Graph users --------------------------------------------------------------------------

@pytest.mark.parametrize("value", BAD_TEXT)
@pytest.mark.parametrize("member", ["displayName", "givenName", "surname", "country"])
def test_graph_user_text_with_control_or_reordering_characters_is_refused(
        client: AppClient, member: str, value: str) -> None:
    before = user_count(client)
    body = new_user(**{member: value})
    message = graph_refused(client.post(f"{G}/users", json=body), member)
    assert "U+" in message
    assert user_count(client) == before


@pytest.mark.parametrize("value", [
    f"u\u0001x@{DOMAIN}", f"u\u202ex@{DOMAIN}", f"u\u00e9@{DOMAIN}", f'a"b@{DOMAIN}',
    f"a+b@{DOMAIN}", f"ann.@{DOMAIN}",
])
def test_graph_refuses_a_upn_with_characters_entra_does_not_take(
        client: AppClient, value: str) -> None:
    before = user_count(client)
    message = graph_refused(client.post(f"{G}/users", json=new_user(value)), "userPrincipalName")
    assert message == UPN_REFUSAL
    alice = client.get(f"{G}/users").json()["value"][0]["id"]
    patched = client.patch(f"{G}/users/{alice}", json={"userPrincipalName": value})
    assert graph_refused(patched, "userPrincipalName") == UPN_REFUSAL
    assert user_count(client) == before


def test_graph_takes_a_upn_with_the_documented_symbols(client: AppClient) -> None:
    upn = f"o'brien.a-b_c!d#e^f~g@{DOMAIN}"
    created = client.post(f"{G}/users", json=new_user(upn))
    assert created.status_code == 201, created.text
    assert created.json()["userPrincipalName"] == upn


@pytest.mark.parametrize("mail", ["@", "a b@c\u0000", "ann", "zoë@contoso.com", "ann@"])
def test_graph_refuses_a_mail_that_is_not_an_address(client: AppClient, mail: str) -> None:
    before = user_count(client)
    graph_refused(client.post(f"{G}/users", json=new_user(mail=mail)), "mail")
    assert user_count(client) == before


def test_a_password_is_judged_by_the_password_policy_alone(client: AppClient) -> None:
    """Any character the policy allows is kept; a control character gets Graph's own password
    message, not the text check's."""
    taken = client.post(f"{G}/users", json=new_user(
        passwordProfile={"password": "Aa1 @#$%^&*-_!+=[]{}|\\:',.?/`~\"();<>"}))
    assert taken.status_code == 201, taken.text
    refused = client.post(f"{G}/users", json=new_user(
        f"zed@{DOMAIN}", passwordProfile={"password": "Str0ng!Pass\u0000word"}))
    message = graph_refused(refused, "passwordProfile.password")
    assert message.startswith("The specified password does not comply")


# --- Graph applications ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["s\u0000", "s\u202e1", "a\u0000\u202e" * 10])
def test_add_password_refuses_a_display_name_with_control_characters(
        client: AppClient, name: str) -> None:
    path = app_path(client)
    before = client.get(path).json()["passwordCredentials"]
    response = client.post(f"{path}/addPassword",
                           json={"passwordCredential": {"displayName": name}})
    graph_refused(response, "passwordCredential.displayName")
    assert client.get(path).json()["passwordCredentials"] == before


@pytest.mark.parametrize("uri", [
    "https://ok.example/cb\u202e", "https://ok.example/\u200bcb", "https://ok.example/c\u00a0b",
    "https://ok\u2066.example/cb", "https://ok.example/cb\ufeff",
])
def test_a_redirect_uri_with_an_invisible_character_is_refused(
        client: AppClient, uri: str) -> None:
    path = app_path(client)
    before = client.get(path).json()["web"]["redirectUris"]
    response = client.patch(path, json={"web": {"redirectUris": ["https://ok.example/a", uri]}})
    assert "U+" in graph_refused(response, "web.redirectUris[1]")
    assert client.get(path).json()["web"]["redirectUris"] == before


def test_a_redirect_uri_with_other_unicode_is_kept(client: AppClient) -> None:
    path = app_path(client)
    uri = "https://books.example/rückruf/本"
    assert client.patch(path, json={"web": {"redirectUris": [uri]}}).status_code == 204
    assert client.get(path).json()["web"]["redirectUris"] == [uri]


def test_an_app_name_with_a_control_character_is_refused(client: AppClient) -> None:
    path = app_path(client)
    name = client.get(path).json()["displayName"]
    graph_refused(client.patch(path, json={"displayName": "Z\u0000"}), "displayName")
    assert client.get(path).json()["displayName"] == name


def test_an_app_role_description_may_span_lines(client: AppClient) -> None:
    path = app_path(client)
    role = {"value": "Reader", "displayName": "Reader", "allowedMemberTypes": ["User"],
            "description": "Reads.\nNothing more.", "isEnabled": True,
            "id": "5d3a7c9e-1f2b-4c6d-8e0a-9b8c7d6e5f4a"}
    kept = client.get(path).json()["appRoles"]  # an enabled role may not be dropped
    assert client.patch(path, json={"appRoles": [*kept, role]}).status_code == 204
    bad = {**role, "description": "Reads\u202e."}
    graph_refused(client.patch(path, json={"appRoles": [*kept, bad]}),
                  f"appRoles[{len(kept)}].description")


# --- the control API ------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "X\u0000\u202e"}, "name"),
    ({"name": "Fab\u202erikam"}, "name"),
    ({"region": "N\u0007A"}, "region"),
    ({"users": [{"upn": "a\u0001@fabrikam.onmicrosoft.com", "password": "pw"}]},
     "users[0].upn"),
    ({"users": [{"upn": "a@fabrikam.onmicrosoft.com", "password": "pw", "name": "\u0000"}]},
     "users[0].name"),
    ({"apps": [{"client_id": "66666666-4444-4444-4444-444444444444", "name": "A\nB"}]},
     "apps[0].name"),
    ({"apps": [{"client_id": "66666666-4444-4444-4444-444444444444",
                "redirect_uris": ["https://a.example/cb\u202e"]}]}, "apps[0].redirect_uris[0]"),
])
def test_a_tenant_with_bad_text_is_refused(client: AppClient, changes: dict[str, Any],
                                           field: str) -> None:
    response = client.post("/_mock/tenants", json={**FABRIKAM, **changes})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert len(client.get("/_mock/tenants").json()["tenants"]) == 1


def test_a_tenant_keeps_a_pem_certificate_with_its_line_breaks(client: AppClient) -> None:
    pem = make_certificate().pem
    assert "\n" in pem
    app = {"client_id": "66666666-4444-4444-4444-444444444444", "certificates": [{"pem": pem}]}
    response = client.post("/_mock/tenants", json={**FABRIKAM, "apps": [app]})
    assert response.status_code == 201, response.text
