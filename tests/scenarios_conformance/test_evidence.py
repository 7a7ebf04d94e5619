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
        key_fetches=2, response_type="code id_token", sent_nonce=False, sent_pkce=False,
        client_ids=("c",), token_answers=("HTTP 401 invalid_client", "HTTP 200"),
        asked_id_token=True)


def test_whether_the_last_authorization_request_asked_for_an_id_token() -> None:
    """Entra's v2.0 endpoints answer an ID token only for openid (or an id_token response
    type); the v1 code flow always does. django-allauth's Microsoft provider asks User.Read."""
    def asked(query: str, path: str = "oauth2/v2.0/authorize") -> bool | None:
        return evidence_of([{"method": "GET", "path": f"{TENANT}/{path}",
                             "query": f"client_id=c&{query}"}]).asked_id_token

    assert asked("response_type=code&scope=User.Read") is False
    assert asked("response_type=code&scope=openid+User.Read") is True
    assert asked("response_type=id_token&scope=User.Read") is True
    assert asked("response_type=code&resource=r", path="oauth2/authorize") is True


def test_whether_the_last_authorization_request_sent_a_nonce_and_pkce() -> None:
    """Read from the request itself, not from the sign-in page's posts to the same path."""
    def request(query: str) -> dict[str, object]:
        return {"method": "GET", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": query}

    form_post = {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": ""}
    with_both = request("client_id=c&nonce=n&code_challenge=x&code_challenge_method=S256")
    seen = evidence_of([request("client_id=c"), with_both, form_post])
    assert (seen.sent_nonce, seen.sent_pkce) == (True, True)
    seen = evidence_of([with_both, request("client_id=c&state=s"), form_post])
    assert (seen.sent_nonce, seen.sent_pkce) == (False, False)


def test_the_client_ids_of_the_authorization_requests_are_read_once_each() -> None:
    log = [{"method": "GET", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": f"client_id={c}"}
           for c in ("A", "b", "a", "")]
    assert evidence_of(log).client_ids == ("A", "b")


def test_a_new_authorization_request_after_a_faulted_answer_is_a_sign_in_started_again() -> None:
    """An app that refuses the tampered ID token and sends the browser to its login again
    (passport's failureRedirect) makes a second authorization request after the faulted
    token answer; one that asked twice before it (a silent attempt first) did not."""
    def authorize(query: str = "client_id=c&response_type=code") -> dict[str, object]:
        return {"method": "GET", "path": f"{TENANT}/oauth2/v2.0/authorize", "query": query}

    faulted = {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/token", "status": 200,
               "notes": [{"fault": {"id": "f1", "kind": "wrong_iss", "endpoint": "token"},
                          "target": "id_token", "changes": []}]}
    clean = {"method": "POST", "path": f"{TENANT}/oauth2/v2.0/token", "status": 200}
    sign_in_post = authorize("")
    assert evidence_of([authorize(), faulted, authorize(), clean]).restarted is True
    assert evidence_of([authorize(), authorize(), faulted]).restarted is False
    assert evidence_of([authorize(), faulted, sign_in_post]).restarted is False
    assert evidence_of([authorize(), clean, authorize(), clean]).restarted is False
    # a silent renewal after taking the faulted token (an SPA's) is no sign-in started again
    silent = authorize("client_id=c&response_type=code&prompt=none")
    assert evidence_of([authorize(), faulted, silent, clean]).restarted is False
