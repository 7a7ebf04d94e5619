"""The scopes a device code asks for, checked at ``/devicecode`` as the authorization endpoint
checks them (before anyone signs in), and at the poll for what only a token cannot hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from test_device_code import PUBLIC_ID, V1, V2, approve_in_browser, device_config, error_of, poll

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig

API_ID = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"


@pytest.fixture
def idp_config() -> IdpConfig:
    """The device-code directory plus an API, ``api://orders``."""
    config = device_config(clock=MockClock(frozen_at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC)))
    tenant = config.tenants[0]
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=("api://orders",))
    return replace(config, tenants=(replace(tenant, apps=(*tenant.apps, api)),))


def _refused(client: AppClient, **form: str) -> dict[str, Any]:
    response = client.post(V2 if "scope" in form else V1, data={"client_id": PUBLIC_ID, **form})
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: ")
    assert "user_code" not in body
    return body


@pytest.mark.parametrize("scope", [
    "api://orders/.default User.Read",
    "openid User.Read https://graph.microsoft.com/.default",
    "api://orders/.default https://graph.microsoft.com/.default offline_access",
])
def test_default_beside_another_scope_is_70011_before_anyone_signs_in(
        client: AppClient, scope: str) -> None:
    body = _refused(client, scope=scope)
    assert body["error"] == "invalid_scope" and body["error_codes"] == [70011]
    assert body["error_description"].startswith(
        "AADSTS70011: The provided request must include a 'scope' input parameter. The "
        f"provided value for the input parameter 'scope' is not valid. The scope {scope} is "
        "not valid. .default scope can't be combined with resource-specific scopes.")


@pytest.mark.parametrize("form, named", [
    ({"scope": "api://nope/Data.Read offline_access"}, "api://nope"),
    ({"scope": "openid api://nope/.default"}, "api://nope"),
    ({"resource": "https://nope.example.com"}, "https://nope.example.com"),
])
def test_a_resource_the_tenant_does_not_know_is_500011_before_anyone_signs_in(
        client: AppClient, form: dict[str, str], named: str) -> None:
    """Not a user told they signed in, then a poll refused."""
    body = _refused(client, **form)
    assert body["error"] == "invalid_resource" and body["error_codes"] == [500011]
    assert f"The resource principal named {named} was not found in the tenant named " \
           "contoso.onmicrosoft.com." in body["error_description"]


def test_the_apis_own_and_graphs_scopes_are_taken(client: AppClient) -> None:
    for scope in ("api://orders/.default offline_access", f"{API_ID}/Orders.Read openid",
                  "User.Read Mail.Read openid profile"):
        response = client.post(V2, data={"client_id": PUBLIC_ID, "scope": scope})
        assert response.status_code == 200, (scope, response.text)


def test_two_resources_are_consented_then_refused_at_the_poll_28000(
        idp_app: Starlette, client: AppClient) -> None:
    """Entra takes them at ``/devicecode`` and the user consents to both (here an
    administrator has); the token, for one resource, is refused (MicrosoftDocs/azure-docs
    #42565)."""
    scope = "offline_access User.Read api://orders/Orders.Read"
    flow = client.post(V2, data={"client_id": PUBLIC_ID, "scope": scope}).json()
    with AppClient(idp_app, follow_redirects=False) as browser:
        assert "You may now close this window" in approve_in_browser(
            browser, flow["user_code"]).text
    response = poll(client, flow["device_code"])
    assert error_of(response) == ("invalid_request", 28000)
    assert f"Scope {scope} is not valid." in response.json()["error_description"]
