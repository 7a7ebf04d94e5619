"""A client assertion's ``nbf`` and ``exp`` beyond what a date can hold, or no numbers at all
(``NaN``, ``Infinity``): a 4xx in Entra's error body, never a 500 or a token; and whatever the
token endpoint fails on unexpectedly is still answered in Entra's whole error body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import BASE, CLIENT_ID, GRAPH_DEFAULT, SECRET, TENANT, paths
from starlette.applications import Starlette
from test_token import cert_config, client_cert

from mock_idp.clock import MockClock

TOKEN = paths(TENANT, "2.0")["token"]
AUD = f"{BASE}{TOKEN}"
ENTRA_BODY = ["error", "error_description", "error_codes", "timestamp", "trace_id",
              "correlation_id", "error_uri"]
BIG = 10 ** 20


def _client_credentials(client: AppClient, assertion: str) -> httpx.Response:
    return client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": GRAPH_DEFAULT,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


def _refused(response: httpx.Response, code: int, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert list(body)[:7] == ENTRA_BODY and body["error_codes"] == [code], body
    return body


@pytest.mark.idp_config.with_args(cert_config)
@pytest.mark.parametrize("times, valid_from, expiry", [
    ({"nbf": BIG}, "9999-12-31T23:59:59.9999999Z", None),
    ({"nbf": -BIG, "exp": -BIG}, "1970-01-01T00:00:00.0000000Z",
     "1970-01-01T00:00:00.0000000Z"),
    ({"exp": 1e300}, None, None),
])
def test_times_beyond_a_dates_range_are_named_as_dotnet_clamps_them(
        client: AppClient, clock: MockClock, times: dict[str, Any], valid_from: str | None,
        expiry: str | None) -> None:
    """Microsoft.IdentityModel reads a time at or before 1970 as the epoch and one past the
    year 9999 as its last instant: an assertion valid only from then is not yet valid
    (AADSTS700024), one that expired in 1970 has expired, one valid until then is taken."""
    assertion = client_cert().assertion(audience=AUD, now=clock.now(), **times)
    response = _client_credentials(client, assertion)
    if valid_from is None:
        assert response.status_code == 200, response.text
        return
    body = _refused(response, 700024, 401)
    assert body["error"] == "invalid_client"
    assert f"assertion valid from {valid_from}, expiry time of assertion " \
           f"{expiry or ''}" in body["error_description"], body["error_description"]


@pytest.mark.idp_config.with_args(cert_config)
@pytest.mark.parametrize("times", [
    {"nbf": float("nan")}, {"exp": float("inf")}, {"exp": float("-inf")},
    {"nbf": float("-inf"), "exp": float("inf")}, {"iat": float("nan")},
])
def test_nan_or_infinity_in_an_assertion_is_no_json_and_50027(
        client: AppClient, clock: MockClock, times: dict[str, float]) -> None:
    """Python's JSON reader takes ``NaN`` and ``Infinity``, which JSON has not: the assertion
    cannot be read, never a 500, and an ``exp`` of ``Infinity`` is no assertion valid for
    ever."""
    assertion = client_cert().assertion(audience=AUD, now=clock.now(), **times)
    body = _refused(_client_credentials(client, assertion), 50027, 400)
    assert body["error_description"].startswith("AADSTS50027: JWT token is invalid or "
                                                "malformed.")


def test_an_unexpected_failure_is_50000_in_entras_whole_error_body(
        idp_app: Starlette, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the grant")

    monkeypatch.setattr("mock_idp.endpoints.token.client_credentials", broken)
    correlation = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    with AppClient(idp_app, raise_server_exceptions=False) as client:
        response = client.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": GRAPH_DEFAULT}, headers={"client-request-id": correlation})
    body = _refused(response, 50000, 500)
    assert body["error"] == "server_error" and body["correlation_id"] == correlation
    assert body["error_description"].startswith(
        "AADSTS50000: There was an error issuing a token or an issue with our sign-in service."
        f"\r\nTrace ID: {body['trace_id']}\r\nCorrelation ID: {correlation}\r\nTimestamp: ")
    assert response.headers["x-ms-request-id"] == body["trace_id"]
    assert "a bug in the grant" not in response.text
