"""What has expired stays expired when the mock's clock moves back, for an app's credentials and
the provider's signing keys: a client secret or certificate past its end is refused as expired
(and still listed, as Entra lists it), and a retired signing key past its retention is not
published again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, SECRET, TENANT, paths
from test_graph_credentials import client_credentials, entry, registered_cert

from mock_idp.clock import MockClock

APP = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
TOKEN = paths(TENANT, "2.0")["token"]
DAY = 24 * 3600
FABRIKAM_APP = "5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6"


def there_and_back(client: AppClient, seconds: float) -> None:
    """Move the clock ``seconds`` ahead, then back where it was, through the control API."""
    for move in (seconds, -seconds):
        response = client.post("/_mock/clock", json={"advance_seconds": move})
        assert response.status_code == 200, response.text


def client_secret_grant(client: AppClient, secret: str, client_id: str = CLIENT_ID,
                        tenant: str = TENANT) -> httpx.Response:
    return client.post(paths(tenant, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default"})


def error_codes(response: httpx.Response) -> list[int]:
    return [] if response.status_code == 200 else list(response.json()["error_codes"])


def listed(client: AppClient) -> dict[str, Any]:
    app: dict[str, Any] = client.get(APP).json()
    return app


def test_the_configured_secret_past_its_end_stays_expired_when_the_clock_moves_back(
        client: AppClient) -> None:
    before = listed(client)["passwordCredentials"]
    there_and_back(client, 181 * DAY)  # the configured secret ends 180 days after the start
    refused = client_secret_grant(client, SECRET)
    assert refused.status_code == 401 and error_codes(refused) == [7000222], refused.text
    assert listed(client)["passwordCredentials"] == before  # still listed, with its end date
    console = client.get("/_mock/console").text
    assert 'class="bad">expired<' in console and "expires in" not in console


def test_a_secret_added_with_an_end_stays_expired_and_one_still_in_its_dates_works(
        client: AppClient, clock: MockClock) -> None:
    short = client.post(f"{APP}/addPassword", json={"passwordCredential": {
        "endDateTime": (clock.now() + timedelta(days=1)).isoformat()}}).json()
    default = client.post(f"{APP}/addPassword", json={}).json()  # two years
    there_and_back(client, 2 * DAY)
    assert error_codes(client_secret_grant(client, short["secretText"])) == [7000222]
    assert error_codes(client_secret_grant(client, default["secretText"])) == []
    assert short["keyId"] in [c["keyId"] for c in listed(client)["passwordCredentials"]]
    fresh = client.post(f"{APP}/addPassword", json={}).json()  # made after the move: new
    assert error_codes(client_secret_grant(client, fresh["secretText"])) == []


def test_a_secret_given_an_end_through_the_control_api_stays_expired(
        client: AppClient, clock: MockClock) -> None:
    secret = "fab7Q~portal-secret-value-0123456789"
    created = client.post("/_mock/tenants", json={
        "id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874", "domain": "fabrikam.onmicrosoft.com",
        "name": "Fabrikam", "apps": [{
            "client_id": FABRIKAM_APP, "name": "Portal",
            "redirect_uris": ["https://portal.test/cb"],
            "secrets": [{"value": secret,
                         "end": (clock.now() + timedelta(hours=1)).isoformat()}]}]})
    assert created.status_code == 201, created.text
    assert error_codes(client_secret_grant(client, secret, FABRIKAM_APP, "fabrikam.onmicrosoft.com")
                       ) == []
    clock.advance(timedelta(hours=2))  # moved in Python, as MockIdp.advance does
    clock.advance(timedelta(hours=-2))
    assert error_codes(client_secret_grant(client, secret, FABRIKAM_APP, "fabrikam.onmicrosoft.com")
                       ) == [7000222]


def test_a_certificate_past_its_end_stays_expired_when_the_clock_moves_back(
        client: AppClient, clock: MockClock) -> None:
    end = clock.now() + timedelta(days=2)
    patched = client.patch(APP, json={"keyCredentials": [
        entry(registered_cert(), endDateTime=end.isoformat())]})
    assert patched.status_code == 204, patched.text
    there_and_back(client, 3 * DAY)
    response = client_credentials(client, registered_cert(), clock)
    assert response.status_code == 401 and error_codes(response) == [700027], response.text
    assert "The key used is expired" in response.json()["error_description"]
    assert len(listed(client)["keyCredentials"]) == 1


def test_a_retired_signing_key_past_its_retention_is_not_published_again(
        client: AppClient) -> None:
    client.get("/_mock/keys")  # the first key is made on first use
    rotated = client.post("/_mock/keys/rotate", json={})
    assert rotated.status_code == 200 and len(rotated.json()["keys"]) == 2, rotated.text
    active = rotated.json()["active"]
    there_and_back(client, 25 * 3600)  # retired keys are published for 24 hours
    assert [k["kid"] for k in client.get("/_mock/keys").json()["keys"]] == [active]
    published = client.get(f"/{TENANT}/discovery/v2.0/keys").json()["keys"]
    assert [k["kid"] for k in published] == [active]
