"""Reading the mock provider's request log for a row: key fetches, the flow, token answers."""

from __future__ import annotations

from scenarios.conformance.evidence import ProviderEvidence, evidence_of

TENANT = "/9188040d-6c67-4c5b-b112-36a304b66dad"


def test_nothing_logged_is_nothing_seen() -> None:
    assert evidence_of([]) == ProviderEvidence()


def test_key_fetches_flow_and_token_answers() -> None:
    log = [
        {"method": "GET", "path": f"{TENANT}/v2.0/.well-known/openid-configuration",
         "status": 200},
        {"method": "GET", "path": f"{TENANT}/oauth2/v2.0/authorize",
         "query": "client_id=c&response_type=code+id_token&scope=openid", "status": 200},
        {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": "", "status": 302},
        {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/token", "status": 401,
         "response": {"content_type": "application/json",
                      "json": {"error": "invalid_client", "error_codes": [7000215]}}},
        {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/token", "status": 200},
        {"method": "GET", "path": f"{TENANT}/discovery/v2.0/keys", "status": 200},
        {"method": "GET", "path": "/common/discovery/keys", "status": 200},
        {"method": "GET", "path": f"{TENANT}/discovery/v2.0/keys", "status": 503},
    ]
    assert evidence_of(log) == ProviderEvidence(
        key_fetches=2, response_type="code id_token", client_ids=("c",),
        token_answers=("HTTP 401 invalid_client", "HTTP 200"))


def test_the_client_ids_of_the_authorization_requests_are_read_once_each() -> None:
    log = [{"method": "GET", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": f"client_id={c}"}
           for c in ("A", "b", "a", "")]
    assert evidence_of(log).client_ids == ("A", "b")
