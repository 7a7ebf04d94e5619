"""Entra's error shapes: the JSON body, statuses, trailers, ids, and the AADSTS catalogue."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    BASE,
    CLIENT_ID,
    GRAPH_DEFAULT,
    HYBRID_CLIENT_ID,
    SECRET,
    TENANT,
    TIMESTAMP,
    auth_params,
    hybrid_config,
    page_kind,
    paths,
    redirect_params,
)

from mock_idp.clock import MockClock
from mock_idp.errors import CATALOGUE, EntraError, ErrorContext, error_body

TOKEN = paths(TENANT, "2.0")["token"]
MEMBERS = ["error", "error_description", "error_codes", "timestamp", "trace_id",
           "correlation_id", "error_uri"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _wrong_secret(client: AppClient, **headers: str) -> httpx.Response:
    return client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": "wrong", "scope": GRAPH_DEFAULT},
                       headers=headers)


def test_json_error_shape(client: AppClient, clock: MockClock) -> None:
    clock.freeze()
    clock.set(datetime(2026, 3, 1, 9, 4, 5, 678000, tzinfo=UTC))
    response = _wrong_secret(client)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = response.json()
    assert list(body) == MEMBERS
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["timestamp"] == "2026-03-01 09:04:05Z"
    assert TIMESTAMP.match(body["timestamp"])
    assert GUID.match(body["trace_id"]) and GUID.match(body["correlation_id"])
    assert body["trace_id"] == response.headers["x-ms-request-id"]
    assert body["error_uri"] == f"{BASE}/error?code=7000215"
    assert body["error_description"] == (
        f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        f"request is the client secret value, not the client secret ID, for a secret added to "
        f"app '{CLIENT_ID}'.\r\nTrace ID: {body['trace_id']}\r\nCorrelation ID: "
        f"{body['correlation_id']}\r\nTimestamp: 2026-03-01 09:04:05Z")


def test_each_error_gets_fresh_ids(client: AppClient) -> None:
    first, second = _wrong_secret(client).json(), _wrong_secret(client).json()
    assert first["trace_id"] != second["trace_id"]
    assert first["correlation_id"] != second["correlation_id"]


def test_correlation_id_echoes_client_request_id(client: AppClient) -> None:
    cid = "5be327fc-93cb-4bef-ab4e-0373f11a8017"
    body = _wrong_secret(client, **{"client-request-id": cid}).json()
    assert body["correlation_id"] == cid
    assert f"\r\nCorrelation ID: {cid}\r\nTimestamp:" in body["error_description"]
    response = client.post(f"{TOKEN}?client-request-id={cid}", data={"grant_type": "nope"})
    assert response.json()["correlation_id"] == cid


@pytest.mark.parametrize("wrong", [True, False], ids=["error", "success"])
def test_the_client_request_id_comes_back_in_a_header_when_asked(client: AppClient,
                                                                  wrong: bool) -> None:
    """As MSAL asks on each call (``return-client-request-id: true``); not unasked."""
    cid = "5be327fc-93cb-4bef-ab4e-0373f11a8017"
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": "wrong" if wrong else SECRET, "scope": GRAPH_DEFAULT}
    asked = client.post(TOKEN, data=data, headers={"client-request-id": cid,
                                                   "return-client-request-id": "true"})
    assert asked.status_code == (401 if wrong else 200), asked.text
    assert asked.headers["client-request-id"] == cid
    unasked = client.post(TOKEN, data=data, headers={"client-request-id": cid})
    assert "client-request-id" not in unasked.headers


def test_suberror_follows_the_standard_members() -> None:
    ctx = ErrorContext(now=datetime(2026, 3, 1, tzinfo=UTC), base_url=BASE)
    body = error_body(EntraError(50173, {"issued": "a", "valid_from": "b"}), ctx)
    assert list(body) == [*MEMBERS, "suberror"]
    assert body["suberror"] == "bad_token"


def test_error_uri_follows_the_configured_public_url() -> None:
    ctx = ErrorContext(now=datetime(2026, 3, 1, tzinfo=UTC), base_url="https://login.mock.test")
    assert error_body(EntraError(90002), ctx)["error_uri"] == (
        "https://login.mock.test/error?code=90002")


def test_unknown_code_still_renders() -> None:
    ctx = ErrorContext(now=datetime(2026, 3, 1, tzinfo=UTC), base_url=BASE)
    body = error_body(EntraError(1234567, error="invalid_request", status=400), ctx)
    assert body["error_codes"] == [1234567] and body["error"] == "invalid_request"


@pytest.mark.parametrize("code, error, status", [
    (7000222, "invalid_client", 401), (7000215, "invalid_client", 401),
    (7000218, "invalid_client", 401), (700025, "invalid_client", 401),
    (700016, "unauthorized_client", 400), (90002, "invalid_tenant", 400),
    (900023, "invalid_request", 400), (70008, "invalid_grant", 400),
    (54005, "invalid_grant", 400), (501481, "invalid_grant", 400),
    (70011, "invalid_scope", 400), (1002012, "invalid_scope", 400),
    (900144, "invalid_request", 400), (90014, "invalid_request", 400),
    (65001, "invalid_grant", 400), (65004, "access_denied", 400),
    (50058, "login_required", 400), (50105, "interaction_required", 400),
    (50057, "invalid_grant", 400), (50126, "invalid_grant", 400),
    (50173, "invalid_grant", 400), (700054, "unsupported_response_type", 400),
    (50011, "invalid_client", 400), (9001023, "invalid_request", 400),
    (50049, "invalid_instance", 400),
])
def test_catalogue_matches_entra(code: int, error: str, status: int) -> None:
    entry = CATALOGUE[code]
    assert (entry.error, entry.status) == (error, status)
    assert entry.message.endswith(".")


def test_catalogue_messages_are_ascii_and_placeholders_are_filled() -> None:
    for entry in CATALOGUE.values():
        assert entry.message.isascii(), entry.code
    err = EntraError(7000222, {"app_id": CLIENT_ID})
    assert "{" not in err.message and CLIENT_ID in err.message
    assert EntraError(900144).message.endswith("parameter: '{name}'.")


def test_catalogue_suberrors() -> None:
    assert CATALOGUE[50173].suberror == "bad_token"
    assert CATALOGUE[700082].suberror == "bad_token"
    assert CATALOGUE[65001].suberror == "consent_required"


def test_invalid_client_statuses_over_http(client: AppClient, clock: MockClock) -> None:
    from datetime import timedelta

    for data, code in [({"client_secret": "wrong"}, 7000215), ({"client_secret": ""}, 7000218)]:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                "scope": GRAPH_DEFAULT, **data}
        response = client.post(TOKEN, data={k: v for k, v in form.items() if v})
        assert response.status_code == 401 and response.json()["error_codes"] == [code]
    clock.advance(timedelta(days=200))
    response = client.post(TOKEN, data={"grant_type": "client_credentials",
                                        "client_id": CLIENT_ID, "client_secret": SECRET,
                                        "scope": GRAPH_DEFAULT})
    assert response.status_code == 401 and response.json()["error_codes"] == [7000222]


def test_missing_grant_type_is_900144(client: AppClient) -> None:
    body = client.post(TOKEN, data={"client_id": CLIENT_ID}).json()
    assert body["error_codes"] == [900144]
    assert "'grant_type'" in body["error_description"]


def test_missing_scope_for_client_credentials_is_900144(client: AppClient) -> None:
    body = client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": SECRET}).json()
    assert body["error_codes"] == [900144] and "'scope'" in body["error_description"]


@pytest.mark.idp_config(hybrid_config())
def test_id_token_without_openid_scope_is_70011(client: AppClient) -> None:
    response = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id=HYBRID_CLIENT_ID, redirect_uri="http://localhost/cb",
        response_type="id_token", scope="profile"))
    values = redirect_params(response)
    assert values["error"] == "invalid_scope"
    assert values["error_description"].startswith(
        "AADSTS70011: The provided request must include a 'scope' input parameter. The provided "
        "value for the input parameter 'scope' is not valid. The scope profile is not valid. "
        "openid scope is required.")


@pytest.mark.parametrize("scope", [
    "openid api://orders/read https://graph.microsoft.com/.default",
    "openid https://graph.microsoft.com/.default User.Read",
])
def test_default_beside_other_scopes_is_70011(client: AppClient, scope: str) -> None:
    response = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(scope=scope))
    values = redirect_params(response)
    assert values["error"] == "invalid_scope"
    assert values["error_description"].startswith("AADSTS70011: ")
    assert (f"The scope {scope} is not valid. .default scope can't be combined with "
            "resource-specific scopes.") in values["error_description"]
    # With the OpenID Connect scopes alone beside it, it is the usual sign-in page.
    alone = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        scope="openid profile offline_access https://graph.microsoft.com/.default"))
    assert page_kind(alone) == "username", alone.text[:300]


def test_authorize_error_redirect_parameter_order(client: AppClient) -> None:
    response = client.get(paths(TENANT, "2.0")["authorize"],
                          params=auth_params(prompt="none", state="xyz"))
    query = response.headers["location"].split("?", 1)[1]
    assert [p.split("=")[0] for p in query.split("&")] == [
        "error", "error_description", "error_uri", "state"]
    values = redirect_params(response)
    assert re.search(r"\r\nTrace ID: \S+\r\nCorrelation ID: \S+\r\nTimestamp: "
                     r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$", values["error_description"])
