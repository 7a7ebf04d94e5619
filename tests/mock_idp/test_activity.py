"""What the provider records for drawing an exchange: bodies, redirects and fault notes in the
request log, masked on the way out; ``/_mock/activity`` in one read; ``/_mock/sessions``."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CAROL,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    tokens_for,
)

from mock_idp.redaction import REDACTED, fingerprint, mask_authorization, mask_jwt, mask_url
from mock_idp.request_log import MAX_BODY

TENANT_PATHS = paths("contoso.onmicrosoft.com", "2.0")


def activity(client: AppClient, **params: Any) -> dict[str, Any]:
    response = client.get("/_mock/activity", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def entry_for(body: dict[str, Any], suffix: str, method: str = "POST") -> dict[str, Any]:
    return next(r for r in body["requests"]
                if r["path"].endswith(suffix) and r["method"] == method)


def test_a_sign_in_is_recorded_with_its_redirect_and_token_call_masked(client: AppClient
                                                                       ) -> None:
    grant = get_code(client)
    response = redeem(client, grant)
    issued = response.json()
    body = activity(client)
    text = json.dumps(body)
    for secret in (SECRET, password(ALICE), grant.code, grant.verifier,
                   issued["refresh_token"], issued["id_token"], issued["access_token"]):
        assert secret not in text
    login = next(r for r in body["requests"] if "code=" in r.get("location", ""))
    assert f"code={fingerprint(grant.code)}" in login["location"]
    assert "state=st-1" in login["location"]
    token = entry_for(body, "/oauth2/v2.0/token")
    form = token["request"]["form"]
    assert form["client_secret"] == REDACTED and form["code_verifier"] == REDACTED
    assert form["code"] == fingerprint(grant.code) and form["client_id"] == CLIENT_ID
    answer = token["response"]["json"]
    assert answer["refresh_token"] == REDACTED
    head, payload, signature = answer["id_token"].split(".")
    assert signature == REDACTED
    assert claims(f"{head}.{payload}.") == claims(issued["id_token"])
    seqs = [r["seq"] for r in body["requests"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(abs(r["wall"] - time.time()) < 120 for r in body["requests"])


def test_a_token_fault_is_noted_with_the_claim_it_changed(client: AppClient) -> None:
    assert client.post("/_mock/faults", json={"kind": "wrong_nonce"}).status_code == 201
    issued = tokens_for(client)
    token = entry_for(activity(client), "/oauth2/v2.0/token")
    [note] = token["notes"]
    assert note["fault"]["kind"] == "wrong_nonce" and note["fault"]["endpoint"] == "token"
    assert note["target"] == "id_token"
    assert note["changes"] == [{"part": "claims", "name": "nonce", "before": "n-1",
                                "after": claims(issued["id_token"])["nonce"]}]
    assert claims(issued["id_token"])["nonce"] == "n-11"


@pytest.mark.parametrize(("kind", "expected"), [
    ("missing_sub", {"part": "claims", "name": "sub"}),
    ("kid_absent", {"part": "header", "name": "kid"}),
])
def test_a_removed_claim_or_header_member_has_no_after(client: AppClient, kind: str,
                                                       expected: dict[str, str]) -> None:
    client.post("/_mock/faults", json={"kind": kind})
    tokens_for(client)
    [note] = entry_for(activity(client), "/oauth2/v2.0/token")["notes"]
    change = next(c for c in note["changes"] if c["name"] == expected["name"])
    assert change["part"] == expected["part"] and "before" in change and "after" not in change


def test_a_signature_fault_says_what_became_of_the_signature(client: AppClient) -> None:
    client.post("/_mock/faults", json={"kind": "bad_signature"})
    tokens_for(client)
    [note] = entry_for(activity(client), "/oauth2/v2.0/token")["notes"]
    assert note["changes"] == [] and "flipped" in note["signature"]


def test_a_response_fault_and_its_aadsts_error_are_noted(client: AppClient) -> None:
    client.post("/_mock/faults", json={"kind": "error", "endpoint": "token", "code": 50058})
    grant = get_code(client)
    assert redeem(client, grant).status_code == 400
    token = entry_for(activity(client), "/oauth2/v2.0/token")
    fault, error = token["notes"]
    assert fault["fault"]["kind"] == "error" and fault["effect"] == "answered AADSTS50058"
    assert error["target"] == "error" and error["code"] == "AADSTS50058"
    assert "AADSTS50058" in token["response"]["json"]["error_description"]


def test_a_wrong_password_is_noted_on_the_sign_in_page(client: AppClient) -> None:
    from idp_testkit import auth_params, sign_in

    page = client.get(TENANT_PATHS["authorize"], params=auth_params())
    assert sign_in(client, page, secret="wrong-Passw0rd").status_code in (200, 400)
    body = activity(client)
    logins = [r for r in body["requests"] if r["path"].endswith("/login")]
    login = next(r for r in logins if "passwd" in r["request"].get("form", {}))
    assert [n["code"] for n in login["notes"]] == ["AADSTS50126"]
    assert login["request"]["form"]["passwd"] == REDACTED
    assert "wrong-Passw0rd" not in json.dumps(body)


def test_activity_since_keeps_only_what_came_after(client: AppClient) -> None:
    client.get(TENANT_PATHS["discovery"])
    mark = time.time()
    time.sleep(0.01)
    client.get(TENANT_PATHS["keys"])
    paths_seen = [r["path"] for r in activity(client, since=mark)["requests"]]
    assert paths_seen == [TENANT_PATHS["keys"]]
    assert len(activity(client, limit=1)["requests"]) == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "yesterday"}, "since"), ({"since": "-1"}, "since"), ({"since": "nan"}, "since"),
    ({"limit": "0"}, "limit"), ({"limit": "2.5"}, "limit"), ({"limit": "99999"}, "limit"),
    ({"verbose": "1"}, "verbose"),
])
def test_activity_refuses_bad_parameters(client: AppClient, params: dict[str, str],
                                         field: str) -> None:
    response = client.get("/_mock/activity", params=params)
    assert response.status_code == 400 and response.json()["error"]["field"] == field



@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_activity_refuses_another_method_naming_it(client: AppClient, method: str) -> None:
    response = client.request(method, "/_mock/activity")
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert response.json()["error"]["field"] == "method"

def test_a_large_body_is_not_kept_but_its_size_is(client: AppClient) -> None:
    client.post(TENANT_PATHS["token"], data={"grant_type": "x" * (MAX_BODY + 10)})
    token = entry_for(activity(client), "/oauth2/v2.0/token")
    assert token["request"] == {"content_type": "application/x-www-form-urlencoded",
                                "bytes": MAX_BODY + 21, "too_large": True}
    assert token["response"]["json"]["error"]


def test_sessions_lists_who_is_signed_in_where(client: AppClient) -> None:
    tokens_for(client)
    [session] = client.get("/_mock/sessions").json()["sessions"]
    assert session["user"] == ALICE and session["active"] is True
    assert list(session["apps"]) == [CLIENT_ID]


def test_a_started_session_signs_the_browser_in_without_a_page(client: AppClient) -> None:
    started = client.post("/_mock/sessions", json={"user": ALICE})
    assert started.status_code == 201, started.text
    session = started.json()["session"]
    assert session["user"] == ALICE and session["active"] is True and session["apps"] == {}
    cookie = client.cookies.get("MOCKIDP_SESSION")  # a browser-session cookie
    assert cookie and session["sid"] not in cookie  # opaque: a sid signs no one in
    assert client.cookies.get("MOCKIDP_SESSION_PERSISTENT") is None
    answer = client.get(TENANT_PATHS["authorize"], params=auth_params(),
                        follow_redirects=False)
    assert redirect_params(answer)["state"] == "st-1" and "code" in redirect_params(answer)
    [listed] = client.get("/_mock/sessions").json()["sessions"]
    assert listed["sid"] == session["sid"] and list(listed["apps"]) == [CLIENT_ID]


def test_a_persistent_session_outlives_the_browser(client: AppClient) -> None:
    started = client.post("/_mock/sessions", json={"user": ALICE, "tenant":
                                                   "contoso.onmicrosoft.com",
                                                   "persistent": True})
    assert started.status_code == 201, started.text
    cookie = client.cookies.get("MOCKIDP_SESSION_PERSISTENT")
    assert cookie and cookie != started.json()["session"]["sid"]
    assert f"MOCKIDP_SESSION_PERSISTENT={cookie}; HttpOnly; Max-Age=" \
        in started.headers["set-cookie"]


def test_a_session_started_with_mfa_gives_v1_tokens_amr_mfa(client: AppClient) -> None:
    started = client.post("/_mock/sessions", json={"user": ALICE, "mfa": True})
    assert started.json()["session"]["mfa"] is True
    body = tokens_for(client, version="1.0")
    assert claims(body["id_token"])["amr"] == ["pwd", "mfa"]
    assert client.get("/_mock/sessions").json()["sessions"][0]["mfa"] is True


def test_without_a_started_session_authorize_asks(client: AppClient) -> None:
    answer = client.get(TENANT_PATHS["authorize"], params=auth_params(),
                        follow_redirects=False)
    assert page_kind(answer) == "username"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 400, "user"),
    ({"user": 7}, 400, "user"),
    ({"user": "nobody@contoso.onmicrosoft.com"}, 404, "user"),
    ({"user": ALICE, "tenant": "fabrikam.example"}, 404, "tenant"),
    ({"user": CAROL}, 409, "user"),
    ({"user": ALICE, "persistent": "yes"}, 400, "persistent"),
    ({"user": ALICE, "stay": True}, 400, "stay"),
    ({"user": ALICE, "mfa": "yes"}, 400, "mfa"),
])
def test_starting_a_session_refuses_bad_input(client: AppClient, body: dict[str, Any],
                                              status: int, field: str) -> None:
    response = client.post("/_mock/sessions", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert "set-cookie" not in response.headers
    assert client.get("/_mock/sessions").json()["sessions"] == []


def test_masks() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    assert mask_jwt(token) == "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.[redacted]"
    assert mask_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") == (
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    assert mask_jwt("not a jwt") == REDACTED
    assert mask_authorization("Basic YTpi") == "Basic [redacted]"
    assert mask_authorization(f"Bearer {token}").endswith(".[redacted]")
    code = "1.AXkA7q3Bz9mR2kLpQ0vWx"
    assert mask_url(f"https://app/cb?code={code}&state=s#id_token=x") == (
        f"https://app/cb?code={fingerprint(code)}&state=s#id_token=[redacted]")
    # An error's code is a short word, not an authorization code.
    assert mask_url("https://app/cb?code=NotFound") == "https://app/cb?code=NotFound"


def test_a_graph_errors_code_is_shown_in_the_log(client: AppClient) -> None:
    """Graph's error code ("Request_ResourceNotFound") sits beside its message: the log shows
    it, while a ``code`` member that is an authorization code stays fingerprinted."""
    from mock_idp.redaction import mask_json

    missing = client.get(f"/graph/{TENANT}/v1.0/users/nobody@contoso.onmicrosoft.com")
    assert missing.status_code == 404
    log = json.dumps(client.get("/_mock/requests", params={"limit": "1"}).json())
    assert '"code": "Request_ResourceNotFound"' in log
    code = "1.AXkA7q3Bz9mR2kLpQ0vWx"
    assert mask_json({"code": code}) == {"code": fingerprint(code)}


def test_a_call_that_names_its_caller_is_logged_with_it(client: AppClient) -> None:
    """A test's own client says who it is (``X-Mock-Caller``): the log keeps it, so a reader
    tells the test's set-up calls from the app's; a call without the header has none."""
    from mock_idp.request_log import CALLER_HEADER

    client.get(f"/graph/{TENANT}/v1.0/users/{ALICE}", headers={CALLER_HEADER: "harness"})
    client.get(f"/graph/{TENANT}/v1.0/users/{ALICE}")
    tagged, plain = activity(client)["requests"][-2:]
    assert tagged["caller"] == "harness"
    assert "caller" not in plain
