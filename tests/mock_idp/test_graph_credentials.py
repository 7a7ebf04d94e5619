"""Graph keyCredentials: certificates registered on applications, and used at the token endpoint."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from cryptography.hazmat.primitives import serialization
from idp_testkit import (
    CLIENT_ID,
    TENANT,
    Certificate,
    make_certificate,
    non_rsa_certificate,
    paths,
    shared_certificate,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.store import KeyCredential

APP = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
TOKEN = paths(TENANT, "2.0")["token"]
AUD = f"http://testserver{TOKEN}"


def registered_cert() -> Certificate:
    return shared_certificate("graph registered")


def other_cert() -> Certificate:
    return shared_certificate("another")



def key_of(cert: Certificate) -> str:
    return base64.b64encode(cert.cert.public_bytes(serialization.Encoding.DER)).decode()


def thumbprint(cert: Certificate) -> str:
    return hashlib.sha1(cert.cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def entry(cert: Certificate, **overrides: Any) -> dict[str, Any]:
    return {"type": "AsymmetricX509Cert", "usage": "Verify", "key": key_of(cert),
            "displayName": "CN=graph registered", **overrides}


def patch(client: AppClient, *entries: dict[str, Any]) -> httpx.Response:
    return client.patch(APP, json={"keyCredentials": list(entries)})


def credentials(client: AppClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(APP).json()["keyCredentials"]
    return found


def client_credentials(client: AppClient, cert: Certificate, clock: MockClock
                       ) -> httpx.Response:
    return client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": cert.assertion(audience=AUD, now=clock.now())})


def graph_error(response: httpx.Response, target: str) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["target"] == target, error
    message: str = error["message"]
    return message


def test_patch_registers_a_certificate_and_get_hides_the_key(client: AppClient) -> None:
    assert patch(client, entry(registered_cert())).status_code == 204
    [registered] = credentials(client)
    assert registered["customKeyIdentifier"] == thumbprint(registered_cert())
    assert registered["key"] is None
    assert (registered["type"], registered["usage"]) == ("AsymmetricX509Cert", "Verify")
    assert registered["displayName"] == "CN=graph registered"
    assert registered["startDateTime"] == registered_cert().cert.not_valid_before_utc.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert registered["endDateTime"] == registered_cert().cert.not_valid_after_utc.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert len(registered["keyId"]) == 36


def test_a_registered_certificate_authenticates_the_client(client: AppClient,
                                                           clock: MockClock) -> None:
    assert client_credentials(client, registered_cert(), clock).status_code == 401
    assert patch(client, entry(registered_cert())).status_code == 204
    response = client_credentials(client, registered_cert(), clock)
    assert response.status_code == 200, response.text


def test_patch_replaces_the_collection_and_keeps_entries_named_by_key_id(
    client: AppClient, clock: MockClock
) -> None:
    patch(client, entry(registered_cert(), keyId="11111111-2222-4333-8444-555555555555"))
    kept = {"keyId": "11111111-2222-4333-8444-555555555555"}
    assert patch(client, kept, entry(other_cert(), displayName=None)).status_code == 204
    listed = credentials(client)
    assert [c["customKeyIdentifier"] for c in listed] == [thumbprint(registered_cert()),
                                                          thumbprint(other_cert())]
    assert listed[1]["displayName"] == "CN=another"
    assert client_credentials(client, registered_cert(), clock).status_code == 200
    assert patch(client).status_code == 204
    assert credentials(client) == []
    assert client_credentials(client, registered_cert(), clock).status_code == 401


def test_create_body_carries_key_credentials(client: AppClient) -> None:
    response = client.post(f"/graph/{TENANT}/v1.0/applications", json={
        "displayName": "Daemon", "keyCredentials": [entry(registered_cert())]})
    assert response.status_code == 201, response.text
    [registered] = response.json()["keyCredentials"]
    assert registered["customKeyIdentifier"] == thumbprint(registered_cert())
    assert registered["key"] is None


def test_an_expired_certificate_is_refused_with_700027(client: AppClient,
                                                       clock: MockClock) -> None:
    end = clock.now() + timedelta(days=2)
    patch(client, entry(registered_cert(), endDateTime=end.isoformat()))
    assert client_credentials(client, registered_cert(), clock).status_code == 200
    clock.advance(timedelta(days=3))
    response = client_credentials(client, registered_cert(), clock)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [700027]
    assert "The key used is expired" in body["error_description"]
    assert thumbprint(registered_cert()) in body["error_description"]


@pytest.mark.parametrize("item, target, says", [
    ({"type": "Symmetric"}, "keyCredentials[0].type", "AsymmetricX509Cert"),
    ({"usage": "Sign"}, "keyCredentials[0].usage", "Verify"),
    ({"usage": None}, "keyCredentials[0].usage", "usage"),
    ({"key": "not base64!"}, "keyCredentials[0].key", "base64"),
    ({"key": base64.b64encode(b"not a certificate").decode()}, "keyCredentials[0].key", "DER"),
    ({"key": None}, "keyCredentials[0].key", "required"),
    ({"keyId": "nope"}, "keyCredentials[0].keyId", "GUID"),
    ({"customKeyIdentifier": "ABCDEF"}, "keyCredentials[0].customKeyIdentifier", "thumbprint"),
    ({"endDateTime": "2999-01-01T00:00:00Z"}, "keyCredentials[0].endDateTime", "notAfter"),
    ({"startDateTime": "2000-01-01T00:00:00Z"}, "keyCredentials[0].startDateTime", "notBefore"),
    ({"secretText": "x"}, "keyCredentials[0].secretText", "secretText"),
])
def test_bad_entries_are_refused_naming_the_property(client: AppClient, item: dict[str, Any],
                                                     target: str, says: str) -> None:
    message = graph_error(patch(client, entry(registered_cert(), **item)), target)
    assert says in message
    assert credentials(client) == []


def test_bad_collections_are_refused(client: AppClient) -> None:
    graph_error(client.patch(APP, json={"keyCredentials": {}}), "keyCredentials")
    graph_error(client.patch(APP, json={"keyCredentials": ["x"]}), "keyCredentials[0]")
    graph_error(client.patch(APP, json={"keyCredentials": [entry(registered_cert())] * 51}),
                "keyCredentials")
    twice = entry(registered_cert(), keyId="11111111-2222-4333-8444-555555555555")
    graph_error(patch(client, twice, twice), "keyCredentials[1].keyId")
    ec_only = non_rsa_certificate("ec")
    der = base64.b64encode(ec_only.public_bytes(serialization.Encoding.DER)).decode()
    assert "RSA" in graph_error(patch(client, entry(registered_cert(), key=der)),
                                "keyCredentials[0].key")


def test_custom_key_identifier_may_be_given_as_hex_or_base64(client: AppClient) -> None:
    cert = registered_cert()
    digest = hashlib.sha1(cert.cert.public_bytes(serialization.Encoding.DER)).digest()
    assert patch(client, entry(cert, customKeyIdentifier=thumbprint(cert).lower())
                 ).status_code == 204
    assert patch(client, entry(cert, customKeyIdentifier=base64.b64encode(digest).decode())
                 ).status_code == 204


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
def test_a_registered_key_that_cannot_verify_is_a_bad_signature(
    client: AppClient, idp_app: Starlette, clock: MockClock, kind: str
) -> None:
    """A certificate registered before its key type was checked cannot verify an RS256
    assertion: Entra's answer for a signature it cannot check, 700027, never a 500."""
    cert = non_rsa_certificate(kind)
    app = idp_app.state.idp.store.tenants[TENANT].apps[CLIENT_ID]
    app.certificates.append(KeyCredential(
        key_id="11111111-2222-4333-8444-555555555555", display_name="CN=not rsa",
        certificate=cert, start=cert.not_valid_before_utc, end=cert.not_valid_after_utc))
    x5t = base64.urlsafe_b64encode(hashlib.sha1(
        cert.public_bytes(serialization.Encoding.DER)).digest()).rstrip(b"=").decode()
    response = client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": registered_cert().assertion(audience=AUD, now=clock.now(),
                                                        header={"x5t": x5t})})
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [700027]
    assert "signature" in body["error_description"]


def long_lived_cert() -> Certificate:
    """A certificate valid from 1950 to 9999, past the 1971-9000 bound of every date-time."""
    return make_certificate("long lived", not_before=datetime(1950, 1, 1, tzinfo=UTC),
                            not_after=datetime(9999, 12, 31, tzinfo=UTC))


def test_dates_a_certificate_would_give_outside_1971_to_9000_are_refused(
        client: AppClient) -> None:
    cert = long_lived_cert()
    message = graph_error(patch(client, entry(cert)), "keyCredentials[0].startDateTime")
    assert "1950" in message and "1971" in message
    later = entry(cert, startDateTime="2020-01-01T00:00:00Z")
    assert "9000" in graph_error(patch(client, later), "keyCredentials[0].endDateTime")
    assert credentials(client) == []
    both = entry(cert, startDateTime="2020-01-01T00:00:00Z", endDateTime="2040-01-01T00:00:00Z")
    assert patch(client, both).status_code == 204
    [registered] = credentials(client)
    assert (registered["startDateTime"], registered["endDateTime"]) == (
        "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z")
