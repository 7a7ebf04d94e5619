"""``idp.toml`` entries the provider took and then mishandled: ids in another GUID spelling,
redirect URIs Entra and the mock's Graph refuse (``javascript:``, too long, too many, wildcards,
fragments, ``[::1]``), identifier URIs and app roles Graph refuses, one ``client_id`` in two
tenants, groups that replace one another or a user, a typo in a user's ``roles``, a secret's
dates and key ids, country codes, and files that are not TOML the loader can walk. Each is
refused naming its key; what Entra accepts still loads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from cryptography.hazmat.primitives import serialization
from idp_testkit import make_certificate, non_rsa_certificate

from mock_idp.config import ConfigError, IdpConfig
from mock_idp.registration_rules import identifier_uri_problem, redirect_uri_problem

TID = "0b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e"
APP = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_APP = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DOMAIN = "fabrikam.onmicrosoft.com"
ANN = f"ann@{DOMAIN}"
GUID_1 = "11111111-1111-1111-1111-111111111111"


def tenant(**extra: Any) -> dict[str, Any]:
    return {"id": TID, "domain": DOMAIN, **extra}


def app(**extra: Any) -> dict[str, Any]:
    return {"client_id": APP, "name": "Helpdesk", **extra}


def user(upn: str = ANN, **extra: Any) -> dict[str, Any]:
    return {"upn": upn, "password": "pw", **extra}


def refused(data: dict[str, Any], needle: str) -> str:
    with pytest.raises(ConfigError) as caught:
        IdpConfig.from_mapping(data)
    message = str(caught.value)
    assert message.startswith(needle), message
    return message


def loads(data: dict[str, Any]) -> IdpConfig:
    return IdpConfig.from_mapping(data)


# --- ids ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [f"{{{TID}}}", f"urn:uuid:{TID}", TID.replace("-", "")])
def test_a_tenant_id_in_another_guid_spelling_is_refused(spelling: str) -> None:
    refused({"tenants": [tenant(id=spelling)]}, "tenants[0].id must be a GUID")


def test_group_and_role_ids_take_only_the_usual_spelling() -> None:
    braced = f"{{{GUID_1}}}"
    refused({"tenants": [tenant(groups=[{"name": "A", "id": braced}])]},
            "tenants[0].groups[0].id must be a GUID")
    refused({"tenants": [tenant(apps=[app(app_roles=[{"value": "A", "id": braced}])])]},
            "tenants[0].apps[0].app_roles[0].id must be a GUID")


# --- redirect URIs and identifier URIs ----------------------------------------------------------

@pytest.mark.parametrize(("key", "uri", "why"), [
    ("redirect_uris", "javascript:location=name", "must use http or https, not 'javascript'"),
    ("redirect_uris", "msal7a1b2c3d://auth", "must use http or https"),
    ("redirect_uris", "file:///etc/passwd", "must use http or https"),
    ("spa_redirect_uris", "myapp://cb", "must use http or https"),
    ("spa_redirect_uris", "ftp://spa.example/", "must use http or https"),
    ("redirect_uris", "https://helpdesk.example/" + "a" * 232, "is longer than 256"),
    ("redirect_uris", "https://*.helpdesk.example/cb", "must not contain a wildcard"),
    ("redirect_uris", "https://helpdesk.example/cb#done", "must not contain a fragment"),
    ("redirect_uris", "http://[::1]:5000/cb", "uses the IPv6 loopback address [::1]"),
    ("spa_redirect_uris", "https://[0:0:0:0:0:0:0:1]/", "uses the IPv6 loopback address"),
])
def test_redirect_uris_entra_refuses_are_refused(key: str, uri: str, why: str) -> None:
    message = refused({"tenants": [tenant(apps=[app(**{key: [uri]})])]},
                      f"tenants[0].apps[0].{key}[0] ")
    assert why in message


def test_the_redirect_uris_entra_takes_still_load() -> None:
    uris = ["https://helpdesk.example/" + "a" * 231, "http://localhost:5000/cb",
            "http://127.0.0.1/cb", "https://localhost/cb", "https://[2001:db8::1]/cb",
            "https://helpdesk.example/cb?tenant=1"]
    config = loads({"tenants": [tenant(apps=[app(redirect_uris=uris,
                                                  spa_redirect_uris=["https://h.example/"])])]})
    assert config.tenants[0].apps[0].redirect_uris == tuple(uris)
    assert len(uris[0]) == 256


def test_at_most_256_redirect_uris_in_a_work_or_school_app() -> None:
    web = [f"https://h.example/{i}" for i in range(200)]
    spa = [f"https://s.example/{i}" for i in range(56)]
    loads({"tenants": [tenant(apps=[app(redirect_uris=web, spa_redirect_uris=spa)])]})
    message = refused({"tenants": [tenant(apps=[app(redirect_uris=web,
                                                     spa_redirect_uris=[*spa, "https://s/x"])])]},
                      "tenants[0].apps[0].redirect_uris ")
    assert "at most 256" in message
    personal = app(redirect_uris=web[:101], sign_in_audience="AzureADandPersonalMicrosoftAccount")
    assert "at most 100" in refused({"tenants": [tenant(apps=[personal])]},
                                    "tenants[0].apps[0].redirect_uris ")


@pytest.mark.parametrize("value", ["not a uri", "", "orders", "api://" + "o" * 251])
def test_an_identifier_uri_that_is_not_one_is_refused(value: str) -> None:
    refused({"tenants": [tenant(apps=[app(identifier_uris=[value])])]},
            "tenants[0].apps[0].identifier_uris[0] ")


def test_one_identifier_uri_on_two_apps_is_refused() -> None:
    apps = [app(identifier_uris=["api://orders"]),
            {"client_id": OTHER_APP, "identifier_uris": ["API://orders/"]}]
    message = refused({"tenants": [tenant(apps=apps)]},
                      "tenants[0].apps[1].identifier_uris[0] 'API://orders/' is already "
                      "apps[0].identifier_uris[0]")
    assert "tenants[0].apps[0]" not in message  # the management API strips the tenant's path


def test_the_rules_say_the_same_as_graph_does_for_its_own_refusals() -> None:
    assert redirect_uri_problem("javascript:alert(1)") == "must use http or https, not 'javascript'"
    assert identifier_uri_problem("api://orders") is None


# --- app roles --------------------------------------------------------------------------------

@pytest.mark.parametrize(("roles", "needle"), [
    (["Help Desk"], "tenants[0].apps[0].app_roles[0] must not contain spaces"),
    ([{"value": "Help Desk"}], "tenants[0].apps[0].app_roles[0].value must not contain spaces"),
    (["A" * 121], "tenants[0].apps[0].app_roles[0] is longer than 120"),
    ([".Agent"], "tenants[0].apps[0].app_roles[0] must not start with ."),
    (['Say"hi"'], "tenants[0].apps[0].app_roles[0] may hold only"),
    ([{"value": "A", "id": GUID_1}, {"value": "B", "id": GUID_1.upper()}],
     "tenants[0].apps[0].app_roles[1].id"),
])
def test_app_roles_graph_refuses_are_refused(roles: list[Any], needle: str) -> None:
    refused({"tenants": [tenant(apps=[app(app_roles=roles)])]}, needle)


def test_a_role_id_equal_to_another_roles_derived_id_is_refused() -> None:
    derived = loads({"tenants": [tenant(apps=[app(app_roles=["Agent"])])]})
    from mock_idp.directory_config import role_id_of
    agent_id = role_id_of(APP, derived.tenants[0].apps[0].app_roles[0])
    refused({"tenants": [tenant(apps=[app(app_roles=["Agent", {"value": "B", "id": agent_id}])])]},
            "tenants[0].apps[0].app_roles[1].id")


def test_role_values_graph_takes_still_load() -> None:
    values = ["Orders.Read.All", "a:b/c#d$e%f&g'h(i)j*k+l,m-n;o<p=q>r?s@t[u]v^w_x`y{z|}~!",
              "A" * 120]
    config = loads({"tenants": [tenant(apps=[app(app_roles=values)])]})
    assert config.tenants[0].apps[0].app_roles == tuple(values)


# --- apps across tenants, groups, users' roles --------------------------------------------------

def test_one_client_id_in_two_tenants_is_refused() -> None:
    second = {"id": "1b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e", "domain": "other.onmicrosoft.com",
              "apps": [{"client_id": APP.upper()}]}
    message = refused({"tenants": [tenant(apps=[app()]), second]},
                      f"tenants[1].apps[0].client_id '{APP}' is already tenants[0].apps[0]")
    assert "unique across tenants" in message


@pytest.mark.parametrize(("data", "needle"), [
    (tenant(groups=[{"name": "A", "id": GUID_1}, {"name": "B", "id": GUID_1.upper()}]),
     f"tenants[0].groups[1].id '{GUID_1.upper()}' is already groups[0].id"),
    (tenant(users=[user(oid=GUID_1)], groups=[{"name": "A", "id": GUID_1}]),
     f"tenants[0].groups[0].id '{GUID_1}' is already the oid of users[0]"),
    (tenant(users=[user(oid=GUID_1), user(f"bo@{DOMAIN}", groups=[GUID_1])]),
     f"tenants[0].users[1].groups[0]: '{GUID_1}' is the oid of users[0]"),
    (tenant(users=[user(groups=[""])]), "tenants[0].users[0].groups[0] must name a group"),
    (tenant(users=[user(groups=["Support", "  "])]),
     "tenants[0].users[0].groups[1] must name a group"),
    (tenant(groups=[{"name": " "}]), "tenants[0].groups[0].name must not be blank"),
])
def test_groups_that_would_replace_another_object_or_have_no_name_are_refused(
        data: dict[str, Any], needle: str) -> None:
    refused({"tenants": [data]}, needle)


def test_a_role_no_assigned_app_defines_is_refused() -> None:
    helpdesk = app(assigned=[ANN], app_roles=["Agent", "Admin"])
    message = refused({"tenants": [tenant(apps=[helpdesk], users=[user(roles=["Agnet"])])]},
                      "tenants[0].users[0].roles[0]: 'Agnet' is not an app role")
    assert "(roles there: Admin, Agent)" in message
    unassigned = app(app_roles=["Agent"])
    assert "roles there: none" in refused(
        {"tenants": [tenant(apps=[unassigned], users=[user(roles=["Agent"])])]},
        "tenants[0].users[0].roles[0]")


def test_a_role_of_any_app_the_user_is_assigned_to_loads() -> None:
    apps = [app(assigned=[ANN], app_roles=["Agent"]),
            {"client_id": OTHER_APP, "assigned": [ANN], "app_roles": ["Approver"]}]
    config = loads({"tenants": [tenant(apps=apps, users=[user(roles=["Agent", "Approver"])])]})
    assert config.tenants[0].users[0].roles == ("Agent", "Approver")


# --- secrets and countries --------------------------------------------------------------------

def secret_refused(entry: dict[str, Any], needle: str) -> str:
    secret = {"value": "abc8Q~an-example-secret-value", **entry}
    return refused({"tenants": [tenant(apps=[app(secrets=[secret])])]},
                   f"tenants[0].apps[0].secrets[0].{needle}")


@pytest.mark.parametrize(("entry", "needle"), [
    ({"end": "2099-01-01"}, "end is not an ISO 8601 date-time with a time"),
    ({"start": "2030-01-01"}, "start is not an ISO 8601 date-time with a time"),
    ({"end": "2027-06-30T00:00:00Z", "expires_in_days": 30},
     "expires_in_days cannot be given with end"),
    ({"key_id": "not-a-guid"}, "key_id must be a GUID"),
    ({"key_id": f"{{{GUID_1}}}"}, "key_id must be a GUID"),
])
def test_secret_entries_that_were_taken_silently_are_refused(entry: dict[str, Any],
                                                             needle: str) -> None:
    secret_refused(entry, needle)


def test_two_credentials_of_an_app_with_one_key_id_are_refused() -> None:
    secrets = [{"value": "first-secret-value-0000", "key_id": GUID_1},
               {"value": "second-secret-value-000", "key_id": GUID_1.upper()}]
    refused({"tenants": [tenant(apps=[app(secrets=secrets)])]},
            f"tenants[0].apps[0].secrets[1].key_id '{GUID_1.upper()}' is already "
            "apps[0].secrets[0].key_id")


def test_a_secret_end_with_a_time_still_loads() -> None:
    secrets = [{"value": "v-000000000000000", "end": "2027-06-30T00:00:00Z", "key_id": GUID_1},
               {"value": "w-000000000000000", "end": "2027-06-30 12:30:00+02:00"}]
    config = loads({"tenants": [tenant(apps=[app(secrets=secrets)])]})
    ends = [s.end.isoformat() for s in config.tenants[0].apps[0].secrets if s.end]
    assert ends == ["2027-06-30T00:00:00+00:00", "2027-06-30T10:30:00+00:00"]


def test_a_country_is_a_two_letter_code() -> None:
    refused({"tenants": [tenant(country="France")]}, "tenants[0].country must be a two-letter")
    refused({"tenants": [tenant(users=[user(country="France")])]},
            "tenants[0].users[0].country must be a two-letter")
    config = loads({"tenants": [tenant(country="fr", users=[user(country="FR")])]})
    assert (config.tenants[0].country, config.tenants[0].users[0].country) == ("FR", "FR")


# --- the file ---------------------------------------------------------------------------------

TENANT_TOML = f'[[tenants]]\nid = "{TID}"\ndomain = "{DOMAIN}"\n'


@pytest.mark.parametrize("toml", ["tenants = 5\n", 'tenants = "x"\n',
                                  f'[tenants]\nid = "{TID}"\ndomain = "{DOMAIN}"\n'])
def test_tenants_that_are_not_an_array_of_tables_say_so(tmp_path: Path, toml: str) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^tenants must be an array of tables"):
        IdpConfig.from_toml(path)


@pytest.mark.parametrize(("value", "key"), [
    ("[" * 500 + "]" * 500, "x"),
    ("{a=" * 40 + "1" + "}" * 40, "x"),
])
def test_values_nested_too_deep_name_their_key_and_line(tmp_path: Path, value: str,
                                                        key: str) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(f'# a [[comment]] "\n{TENANT_TOML}[[tenants.users]]\nname = "[[["\n'
                    f"{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^tenants\.users\.x \(line 7\): arrays and inline "
                                          r"tables nested more than 32 deep"):
        IdpConfig.from_toml(path)


def test_nesting_inside_strings_is_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(f'{TENANT_TOML}name = """{"[" * 40}\n{"{" * 40}"""\n'
                    f"region = '{'[' * 40}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"region must be at most 16 characters"):
        IdpConfig.from_toml(path)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "idp.toml"
    path.write_bytes(TENANT_TOML.encode() + 'name = "Fäbrikam"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"line 4, column 10: byte 0xe4 is not UTF-8"):
        IdpConfig.from_toml(path)


def test_a_relative_pem_file_is_read_beside_the_config(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "client-cert.pem").write_text(make_certificate().pem)
    path = tmp_path / "conf" / "idp.toml"
    path.write_text(f'{TENANT_TOML}[[tenants.apps]]\nclient_id = "{APP}"\n'
                    '[[tenants.apps.certificates]]\npem_file = "client-cert.pem"\n')
    monkeypatch.chdir(tmp_path)  # the README's example, run from another directory
    config = IdpConfig.from_toml(path)
    assert config.tenants[0].apps[0].certificates[0].pem.startswith("-----BEGIN CERTIFICATE")
    (tmp_path / "conf" / "client-cert.pem").unlink()
    with pytest.raises(ConfigError, match=r"pem_file: cannot read 'client-cert.pem' \(.*conf"):
        IdpConfig.from_toml(path)


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
def test_a_certificate_whose_key_is_not_rsa_is_refused(kind: str) -> None:
    pem = non_rsa_certificate(kind).public_bytes(serialization.Encoding.PEM).decode()
    refused({"tenants": [tenant(apps=[app(certificates=[{"pem": pem}])])]},
            "tenants[0].apps[0].certificates[0].pem must hold an RSA")


def test_dates_a_certificate_would_give_outside_1971_to_9000_are_refused() -> None:
    pem = make_certificate("long lived", not_before=datetime(1950, 1, 1, tzinfo=UTC),
                           not_after=datetime(9999, 12, 31, tzinfo=UTC)).pem
    where = "tenants[0].apps[0].certificates[0]"
    refused({"tenants": [tenant(apps=[app(certificates=[{"pem": pem}])])]},
            f"{where}.start would be the certificate's notBefore (1950-01-01")
    later = {"pem": pem, "start": "2020-01-01T00:00:00Z"}
    refused({"tenants": [tenant(apps=[app(certificates=[later])])]},
            f"{where}.end would be the certificate's notAfter (9999-12-31")
    both = {**later, "end": "2040-01-01T00:00:00Z"}
    [cert] = loads({"tenants": [tenant(apps=[app(certificates=[both])])]}
                   ).tenants[0].apps[0].certificates
    assert cert.start is not None and cert.start.year == 2020


# --- over HTTP: POST /_mock/tenants reads a tenant the same way ---------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"apps": [app(redirect_uris=["javascript:location=name"])]}, "apps[0].redirect_uris[0]"),
    ({"apps": [app(app_roles=["Agent"], assigned=[ANN])], "users": [user(roles=["Agnet"])]},
     "users[0].roles[0]"),
    ({"groups": [{"name": "A", "id": GUID_1}, {"name": "B", "id": GUID_1}]}, "groups[1].id"),
])
def test_create_tenant_refuses_the_same_entries(client: AppClient, changes: dict[str, Any],
                                                field: str) -> None:
    body = {"id": "55555555-4444-4444-4444-444444444444", "domain": DOMAIN, **changes}
    response = client.post("/_mock/tenants", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
def test_create_tenant_refuses_a_certificate_whose_key_is_not_rsa(client: AppClient,
                                                                  kind: str) -> None:
    pem = non_rsa_certificate(kind).public_bytes(serialization.Encoding.PEM).decode()
    body = {"id": "55555555-4444-4444-4444-444444444444", "domain": DOMAIN,
            "apps": [app(certificates=[{"pem": pem}])]}
    response = client.post("/_mock/tenants", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == "apps[0].certificates[0].pem" and "RSA" in error["message"]
    assert client.get("/_mock/tenants").json()["tenants"][-1]["id"] != body["id"]


def test_create_tenant_refuses_a_certificate_date_outside_1971_to_9000(
        client: AppClient) -> None:
    pem = make_certificate("long lived", not_before=datetime(1950, 1, 1, tzinfo=UTC),
                           not_after=datetime(9999, 12, 31, tzinfo=UTC)).pem
    body = {"id": "55555555-4444-4444-4444-444444444444", "domain": DOMAIN,
            "apps": [app(certificates=[{"pem": pem}])]}
    response = client.post("/_mock/tenants", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "apps[0].certificates[0].start"
