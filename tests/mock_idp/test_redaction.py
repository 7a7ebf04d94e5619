"""The request log's masks (mock_idp.redaction): which names hold secrets in any spelling, what
a code is and is not, empty values, JWTs under any name, encrypted tokens, and the raw values a
log entry masks (``LoggedRequest.hidden``)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from mock_idp.redaction import (
    REDACTED,
    fingerprint,
    jwe_header,
    kind_of,
    mask_form,
    mask_json,
    mask_jwt,
    mask_query,
    mask_value,
)
from mock_idp.request_log import MAX_BODY, LoggedRequest

CODE = "1.AXkA7q3Bz9mR2kLpQ0vWx-abcdefghijklmnop"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


JWE = f"{_b64({'alg': 'RSA-OAEP', 'enc': 'A256GCM', 'kid': 'k'})}.ZW5jcnlwdGVk.aXY.Y2lwaGVy.dGFn"


@pytest.mark.parametrize(("name", "kind"), [
    ("client_secret", "secret"), ("clientSecret", "secret"), ("CLIENT_SECRET", "secret"),
    ("client-secret", "secret"), ("OIDC_CLIENT_SECRET", "secret"), ("newPassword", "secret"),
    ("totp_secret", "secret"), ("refreshToken", "secret"), ("secretText", "secret"),
    ("code", "code"), ("deviceCode", "code"), ("user_code", "code"), ("otc", "code"),
    ("idTokenHint", "jwt"), ("access_token", "jwt"),
    # Entra's sign-in form's anti-forgery values, as its flowToken is.
    ("flowToken", "token"), ("canary", "token"), ("apiCanary", "token"),
    ("status_code", None), ("secret_expires_on", None), ("passwordPolicies", None),
    ("client_id", None), ("state", None),
])
def test_names_are_known_in_any_spelling(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize("name", [
    "user[password]", "user%5Bpassword%5D", "session[user][password]", "user.password",
    "account[new_password][]", "pwd", "pass", "user_pass", "passwd", "passcode", "pin",
    "login[pin]", "otp", "mfa[otp]", "PassPhrase"])
def test_a_password_pin_or_one_time_password_field_of_any_form_is_a_secret(name: str) -> None:
    """Sign-in forms of the apps the scenarios drive post their passwords under names of their
    own, nested ones (Rails', PHP's ``user[password]``) among them."""
    masked = mask_query(f"{name}=hunter2&login=alice")
    assert "hunter2" not in masked and masked.endswith("=[redacted]&login=alice"), masked
    assert mask_form(f"{name}=hunter2") == {unquote(name): REDACTED}


@pytest.mark.parametrize("name", ["items[0]", "user[name]", "state", "user.email",
                                  "passwordPolicies", "page[code_style]"])
def test_a_nested_field_with_nothing_secret_in_its_last_name_is_shown(name: str) -> None:
    assert kind_of(name) is None


@pytest.mark.parametrize("value", ["AADSTS50105", "nonce_mismatch", "Request_ResourceNotFound",
                                   "NotFound", "invalid_grant", "404"])
def test_a_value_no_code_looks_like_is_shown(value: str) -> None:
    assert mask_value("code", value) == value
    assert mask_json({"code": value}) == {"code": value}


@pytest.mark.parametrize("value", [CODE, "ABCD2EFG9", "DAQABAAEAAA" + "x1" * 40])
def test_a_code_is_fingerprinted(value: str) -> None:
    assert mask_value("code", value) == fingerprint(value)
    assert mask_value("otc", value) == fingerprint(value)


@pytest.mark.parametrize("name", ["client_secret", "code", "id_token_hint", "refresh_token",
                                  "password"])
def test_an_empty_value_stays_empty(name: str) -> None:
    assert mask_value(name, "") == ""
    assert mask_query(f"{name}=&state=s") == f"{name}=&state=s"
    assert mask_form(f"{name}=") == {name: ""}
    assert mask_json({name: ""}) == {name: ""}
    assert mask_jwt("") == ""


def test_a_jwt_under_any_name_loses_its_signature_and_a_dotted_name_does_not() -> None:
    masked = mask_query(f"token={JWT}&host=www.example.com&version=1.2.3")
    assert masked == ("token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.[redacted]"
                      "&host=www.example.com&version=1.2.3")
    assert "c2lnbmF0dXJl" not in masked


def test_a_camel_case_claim_or_member_is_masked() -> None:
    assert mask_json({"clientSecret": "CS-value", "nested": {"dbPassword": "pw-value"},
                      "name": "Alice"}) == {
        "clientSecret": REDACTED, "nested": {"dbPassword": REDACTED}, "name": "Alice"}


def test_the_device_code_answer_masks_its_user_code_in_its_message_too() -> None:
    user_code = "QW3RT8YZP"
    answer = {"user_code": user_code, "device_code": "DAQABAAEAAA" + "d" * 80,
              "message": f"To sign in, open the page and enter the code {user_code} to "
                         "authenticate."}
    masked = mask_json(answer)
    assert user_code not in json.dumps(masked)
    assert masked["user_code"] == fingerprint(user_code)
    assert f"enter the code {fingerprint(user_code)} to" in masked["message"]
    # The code typed at /devicelogin shows with the same fingerprint.
    assert mask_form(f"otc={user_code}") == {"otc": fingerprint(user_code)}
    assert mask_json(masked) == masked


def test_an_encrypted_token_keeps_its_header_only() -> None:
    masked = mask_jwt(JWE)
    assert masked == f"{JWE.split('.')[0]}.{REDACTED}"
    assert mask_jwt(masked) == masked and mask_value("id_token_hint", JWE) == masked
    assert jwe_header(masked) == {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k"}
    assert jwe_header(JWE) == jwe_header(masked)
    # Five parts that are not a JWE are not one.
    assert mask_jwt("a.b.c.d.e") == REDACTED and jwe_header(JWT) is None


def _entry(query_string: bytes = b"", **fields: Any) -> LoggedRequest:
    return LoggedRequest(at=datetime(2027, 1, 1, tzinfo=UTC), method="POST", path="/token",
                         query_string=query_string, status=200, duration_ms=1.0, **fields)


def test_an_entry_gives_the_raw_values_it_masks() -> None:
    basic = base64.b64encode(b"client-id:basic%2Bsecret-value").decode()
    entry = _entry(
        query_string=b"state=s&code=" + CODE.encode(),
        location=f"https://app/cb?code={CODE}2#id_token={JWT}".encode(),
        authorization=f"Basic {basic}".encode(),
        request_type=b"application/x-www-form-urlencoded",
        request_body=b"grant_type=refresh_token&refresh_token=1.ARrt-value&client_secret=cs1",
        response_type=b"application/json; charset=utf-8",
        response_body=json.dumps({"secretText": "abc8Q~secret", "keyId": "k",
                                  "error": {"code": "NotFound", "message": "m"}}).encode())
    hidden = entry.hidden()
    assert hidden == {
        CODE: fingerprint(CODE), f"{CODE}2": fingerprint(f"{CODE}2"),
        JWT: mask_jwt(JWT), basic: REDACTED, "basic+secret-value": REDACTED,
        "1.ARrt-value": REDACTED, "cs1": REDACTED, "abc8Q~secret": REDACTED}
    shown = json.dumps(entry.to_json())
    assert not [raw for raw in hidden if raw in shown]


def test_a_body_too_large_to_keep_is_logged_by_its_size() -> None:
    entry = _entry(response_type=b"application/json", response_size=MAX_BODY + 5,
                   request_type=b"application/json", request_body=b"{}", request_size=2)
    assert entry.to_json()["response"] == {"content_type": "application/json",
                                           "bytes": MAX_BODY + 5, "too_large": True}
    assert entry.to_json()["request"] == {"content_type": "application/json", "json": {}}


def test_an_error_number_under_code_is_shown_and_a_one_time_code_is_not() -> None:
    # An error page's "Error code: 50194" is the diagnosis; otc=123456 is an authenticator's.
    assert mask_value("code", "50194") == "50194"
    assert mask_value("code", "7000222") == "7000222"
    assert mask_value("otc", "123456").startswith("[redacted-")
    assert mask_value("code", "0.AAAA-long-authorization-code").startswith("[redacted-")


def test_a_user_code_of_letters_alone_is_still_a_code() -> None:
    # The mock's user codes come from ABCDEFGHJKLMNPQRSTUVWXYZ23456789: one in 13 has no digit.
    for name in ("user_code", "otc"):
        assert mask_value(name, "JMBHBVZXS") == fingerprint("JMBHBVZXS")
    assert mask_value("code", "0x80070005") == "0x80070005"  # an HRESULT on an error page
