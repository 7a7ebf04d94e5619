"""Entries an ``idp.toml`` (or ``POST /_mock/tenants``) could get silently wrong: a second
tenant, app or user with the same id, client id or UPN replacing the first; ids Graph cannot
address; a UPN outside the tenant; a secret ending before it starts or past the accepted years;
a ``public_url`` that is not one. Each is refused naming its key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient

from mock_idp.__main__ import parse_args
from mock_idp.config import ConfigError, IdpConfig, SecretConfig
from mock_idp.directory_build import build_app
from mock_idp.store import Tenant

TID = "11111111-1111-1111-1111-111111111111"
APP = "22222222-2222-2222-2222-222222222222"
DOMAIN = "fabrikam.example"
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def empty_tenant() -> Tenant:
    return Tenant(id=TID, domain=DOMAIN, name="Fabrikam", region="NA")


def tenant(**extra: Any) -> dict[str, Any]:
    return {"id": TID, "domain": DOMAIN, **extra}


def user(upn: str, **extra: Any) -> dict[str, Any]:
    return {"upn": upn, "password": "pw", **extra}


def secret(**extra: Any) -> dict[str, Any]:
    return {"value": "abc8Q~an-example-secret-value", **extra}


def refused(data: dict[str, Any], needle: str) -> str:
    with pytest.raises(ConfigError) as caught:
        IdpConfig.from_mapping(data)
    message = str(caught.value)
    assert message.startswith(needle), message
    return message


@pytest.mark.parametrize(("data", "needle"), [
    ({"tenants": [tenant(), tenant(domain="other.example")]}, "tenants[1].id"),
    ({"tenants": [tenant(), tenant(id="33333333-3333-3333-3333-333333333333",
                                   domain="FABRIKAM.example")]}, "tenants[1].domain"),
    ({"tenants": [tenant(apps=[{"client_id": APP, "name": "First"},
                               {"client_id": APP.upper(), "name": "Second"}])]},
     "tenants[0].apps[1].client_id"),
    ({"tenants": [tenant(users=[user(f"a@{DOMAIN}"), user(f"A@{DOMAIN}")])]},
     "tenants[0].users[1].upn"),
    ({"tenants": [tenant(users=[user(f"a@{DOMAIN}", oid=APP), user(f"b@{DOMAIN}", oid=APP)])]},
     "tenants[0].users[1].oid"),
    ({"tenants": [tenant(apps=[{"client_id": "not-a-guid"}])]}, "tenants[0].apps[0].client_id"),
    ({"tenants": [tenant(apps=[{"client_id": APP.replace("-", "")}])]},
     "tenants[0].apps[0].client_id"),
    ({"tenants": [tenant(users=[user(f"a@{DOMAIN}", oid="zzz")])]}, "tenants[0].users[0].oid"),
    ({"tenants": [tenant(users=[user("a@other.example")])]}, "tenants[0].users[0].upn"),
    ({"tenants": [tenant(users=[user("alice")])]}, "tenants[0].users[0].upn"),
    ({"tenants": [tenant(users=[user(f"a\u0001\u202e@{DOMAIN}")])]}, "tenants[0].users[0].upn"),
    ({"tenants": [tenant(users=[user(f"zoë@{DOMAIN}")])]}, "tenants[0].users[0].upn"),
    ({"tenants": [tenant(users=[user(f"a@{DOMAIN}", email="@")])]},
     "tenants[0].users[0].email"),
    ({"tenants": [tenant(users=[user(f"a@{DOMAIN}", name="\u0000")])]},
     "tenants[0].users[0].name"),
    ({"tenants": [tenant(name="Fab\u202erikam\u0007")]}, "tenants[0].name"),
    ({"public_url": "ftp://x", "tenants": [tenant()]}, "public_url"),
    ({"public_url": "http://x:99999", "tenants": [tenant()]}, "public_url"),
    ({"public_url": "https://idp.example/?q=1", "tenants": [tenant()]}, "public_url"),
    ({"public_url": 5, "tenants": [tenant()]}, "public_url"),
])
def test_entries_that_would_be_lost_or_unreachable_are_refused(data: dict[str, Any],
                                                                needle: str) -> None:
    refused(data, needle)


@pytest.mark.parametrize(("entry", "needle"), [
    (secret(start=datetime(8999, 6, 1, tzinfo=UTC), expires_in_days=36500),
     "tenants[0].apps[0].secrets[0].expires_in_days"),
    (secret(start=datetime(2027, 6, 1, tzinfo=UTC), expires_in_days=-1),
     "tenants[0].apps[0].secrets[0].expires_in_days"),
    (secret(start="2027-06-01T00:00:00Z", end="2026-01-01T00:00:00Z"),
     "tenants[0].apps[0].secrets[0].end"),
    (secret(start="2027-06-01T00:00:00Z", end="2027-06-01T00:00:00Z"),
     "tenants[0].apps[0].secrets[0].end"),
])
def test_a_secret_that_ends_before_its_start_or_too_late_is_refused(
        entry: dict[str, Any], needle: str) -> None:
    refused({"tenants": [tenant(apps=[{"client_id": APP, "secrets": [entry]}])]}, needle)


def test_a_secret_with_a_start_ends_counted_from_its_start() -> None:
    start = datetime(8999, 6, 1, tzinfo=UTC)
    config = IdpConfig.from_mapping({"tenants": [tenant(apps=[{
        "client_id": APP, "secrets": [secret(start=start, expires_in_days=30)]}])]})
    configured = config.tenants[0].apps[0].secrets[0]
    assert (configured.start, configured.end) == (start, start + timedelta(days=30))
    built = build_app(config.tenants[0].apps[0], empty_tenant(), NOW)
    assert (built.secrets[0].start, built.secrets[0].end) == (start, start + timedelta(days=30))


def test_a_programmatic_secret_with_a_start_ends_counted_from_it() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    config = IdpConfig.from_mapping({"tenants": [tenant(apps=[{"client_id": APP}])]})
    app = config.tenants[0].apps[0]
    app = type(app)(client_id=app.client_id, name=app.name, secrets=(
        SecretConfig(value="v", start=start, expires_in=timedelta(days=10)),))
    built = build_app(app, empty_tenant(), NOW)
    assert (built.secrets[0].start, built.secrets[0].end) == (start, start + timedelta(days=10))


def test_a_secret_without_a_start_that_already_ended_starts_at_its_end() -> None:
    config = IdpConfig.from_mapping({"tenants": [tenant(apps=[{
        "client_id": APP, "secrets": [secret(expires_in_days=-1)]}])]})
    built = build_app(config.tenants[0].apps[0], empty_tenant(), NOW)
    assert built.secrets[0].start == built.secrets[0].end == NOW - timedelta(days=1)


def test_the_accepted_forms_still_load() -> None:
    config = IdpConfig.from_mapping({"public_url": "https://idp.example/", "tenants": [
        tenant(apps=[{"client_id": APP.upper(), "secrets": [secret(end="2027-06-30T00:00:00Z")]}],
               users=[user(f"ann@{DOMAIN.upper()}", email="ann.archer@mail.example",
                           oid=APP.upper()),
                      user(f"o'brien.b-c_d!e#f^g~h@{DOMAIN}")]),
        tenant(id="33333333-3333-3333-3333-333333333333", domain="other.example",
               apps=[{"client_id": "44444444-4444-4444-4444-444444444444"}])]})
    assert config.public_url == "https://idp.example"
    assert config.tenants[0].apps[0].client_id == APP
    assert config.tenants[0].users[0].oid == APP


def test_a_toml_file_names_the_key(tmp_path: Any) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(f'[[tenants]]\nid = "{TID}"\ndomain = "{DOMAIN}"\n'
                    f'[[tenants.users]]\nupn = "a@{DOMAIN}"\npassword = "x"\n'
                    f'[[tenants.users]]\nupn = "A@{DOMAIN}"\npassword = "y"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^tenants\[0\]\.users\[1\]\.upn 'A@"):
        IdpConfig.from_toml(path)


# --- over HTTP -------------------------------------------------------------------------------

FABRIKAM = {"id": "55555555-4444-4444-4444-444444444444", "domain": "y.example"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"apps": [{"client_id": "66666666-4444-4444-4444-444444444444", "name": "one"},
               {"client_id": "66666666-4444-4444-4444-444444444444", "name": "two"}]},
     "apps[1].client_id"),
    ({"apps": [{"client_id": "x"}]}, "apps[0].client_id"),
    ({"users": [{"upn": "u@y.example", "password": "p"},
                {"upn": "U@Y.example", "password": "q"}]}, "users[1].upn"),
    ({"users": [{"upn": "u@z.example", "password": "p"}]}, "users[0].upn"),
    ({"users": [{"upn": "u@y.example", "password": "p", "oid": "zzz"}]}, "users[0].oid"),
    ({"apps": [{"client_id": "99999999-4444-4444-4444-444444444444", "secrets": [
        {"value": "v", "start": "8999-01-01T00:00:00Z", "expires_in_days": 36500}]}]},
     "apps[0].secrets[0].expires_in_days"),
])
def test_create_tenant_refuses_entries_that_would_be_lost(
        client: AppClient, changes: dict[str, Any], field: str) -> None:
    response = client.post("/_mock/tenants", json={**FABRIKAM, **changes})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert "tenants[0]" not in error["message"]
    assert [t["domain"] for t in client.get("/_mock/tenants").json()["tenants"]] == [
        "contoso.onmicrosoft.com"]
    assert client.get("/_mock/console").status_code == 200


@pytest.mark.parametrize("value", ["ftp://x", "http://x:99999", "https://idp.example/#f",
                                   "http://x/\u202e"])
def test_the_cli_refuses_a_public_url_the_config_would(
        capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--public-url", value])
    assert exited.value.code == 2
    assert "--public-url must be an absolute http(s) URL" in capsys.readouterr().err


def test_the_cli_takes_a_public_url_without_its_trailing_slash() -> None:
    assert parse_args(["--public-url", "https://idp.example/"]).public_url == (
        "https://idp.example")


@pytest.mark.parametrize("data", [
    {"tenant": [tenant()]},  # [[tenant]]: the section's name mistyped
    {"tenants": [], "tenant": [tenant()]},
    {"tenants": [tenant(), tenant()], "tenant": [tenant()]},  # the same tenant twice, too
])
def test_an_unknown_top_level_key_is_named_before_anything_else(data: dict[str, Any]) -> None:
    """``[[tenant]]`` was reported as a config with no ``[[tenants]]`` entry, which hid the
    typo: the unknown key is named whatever else the file holds."""
    with pytest.raises(ConfigError, match=r"^unknown top-level key 'tenant'$"):
        IdpConfig.from_mapping(data)
