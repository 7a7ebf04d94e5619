"""What a token scenario's failure says of the token the app accepted, read from the
provider's note of the fault (without a browser: a stand-in for the stack's request log)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from scenarios.catalogue.accepted_token import CHECKS, accepted_token, missing_check
from scenarios.live import LiveStack


class _Log:
    def __init__(self, *notes: dict[str, Any]) -> None:
        self.notes = list(notes)

    def provider_requests(self) -> list[dict[str, Any]]:
        return [{"path": "/t/oauth2/v2.0/token", "notes": self.notes}]


def _note(target: str, *changes: dict[str, Any], fault_id: int = 7) -> dict[str, Any]:
    return {"fault": {"id": fault_id, "kind": "x", "endpoint": "token"}, "target": target,
            "changes": [{"part": "claims", **c} for c in changes]}


def _told(fault: str, *notes: dict[str, Any]) -> str | None:
    return accepted_token(cast(LiveStack, _Log(*notes)), fault, "7")


def test_the_id_tokens_change_is_named_before_the_access_tokens() -> None:
    told = _told("wrong_aud",
                 _note("access_token", {"name": "aud", "before": "api", "after": "api1"}),
                 _note("id_token", {"name": "aud", "before": "c1", "after": "c11"}))
    assert told is not None and told.startswith(
        "the app accepted an ID token whose aud was c11, not the app's client id c1; it is "
        "missing the check of the OpenID Foundation's RP certification test rp-id_token-aud "
        "(OpenID Connect Core §3.1.3.7 (3)"), told


def test_an_access_token_alone_is_named_so() -> None:
    told = _told("missing_sub", _note("access_token", {"name": "sub", "before": "s"}))
    assert told is not None and told.startswith(
        "the app accepted its own access token whose sub was absent (the provider's genuine "
        "token had s)"), told


def test_an_exp_is_shown_as_a_time() -> None:
    told = _told("expired", _note("id_token", {"name": "exp", "before": 7200, "after": 0}))
    assert told is not None and "whose exp was 0 (1970-01-01 00:00:00 UTC), an hour before " \
        "the sign-in" in told and "the exp check of ID-token validation" in told, told


@pytest.mark.parametrize("fault, notes", [
    ("wrong_iss", ()),  # no note of the fault: nothing more to say
    ("wrong_iss", (_note("id_token", {"name": "iss", "after": "x"}, fault_id=8),)),  # another
    ("wrong_iss", (_note("id_token", {"name": "aud", "after": "x"}),)),  # not the claim
    ("userinfo_sub_mismatch", (_note("userinfo", {"name": "sub", "after": "x"}),)),
])
def test_nothing_is_added_without_the_faults_change(fault: str,
                                                    notes: tuple[dict[str, Any], ...]) -> None:
    assert _told(fault, *notes) is None


def test_each_check_names_its_rule_and_how_libraries_make_it() -> None:
    for fault, check in CHECKS.items():
        assert "OpenID Connect Core §" in check.rule, fault
        assert "PyJWT" in check.how or fault == "userinfo_sub_mismatch", fault


@pytest.mark.parametrize("fault, how", [
    ("wrong_iss", "jose: jwtVerify(token, <key set>, {issuer: <issuer>})"),
    ("wrong_aud", "jose: jwtVerify(token, <key set>, {audience: <client id>})"),
    ("expired", "jose's jwtVerify checks exp (clockTolerance: <seconds> for clock skew)"),
    ("missing_sub", 'jose: jwtVerify(token, <key set>, {requiredClaims: ["sub"]})'),
    ("wrong_nonce", "neither PyJWT nor jose has an option for it"),
    ("bad_signature", "jose: jwtVerify(token, createRemoteJWKSet(new URL(<jwks_uri>)))"),
])
def test_a_node_app_is_told_how_jose_makes_the_check(fault: str, how: str) -> None:
    """simple-oauth2 and grant hand the app the ID token and leave its checks to it, which
    Node apps mostly make with jose (6.x option names, from its source): a hint for Python
    libraries alone tells their authors nothing they can use."""
    assert how in CHECKS[fault].how, CHECKS[fault].how


def test_a_go_app_is_told_go_oidc_leaves_the_sub_to_it() -> None:
    """go-oidc's IDTokenVerifier.Verify (2.1, as Debian ships it) checks iss, aud, exp and the
    signature but never that sub is there: a Go app that signed alice in on a token without
    one is told the check is its own to make."""
    assert 'go-oidc\'s Verify (2.1) checks no sub: refuse idToken.Subject == ""' in (
        CHECKS["missing_sub"].how), CHECKS["missing_sub"].how


def test_a_go_app_is_told_go_oidc_s_userinfo_compares_no_sub() -> None:
    """go-oidc's Provider.UserInfo (2.1) returns the answer as it came, its Subject never
    compared with an ID token's: that check is the app's."""
    assert "go-oidc's Provider.UserInfo (2.1) compares no sub" in (
        missing_check("userinfo_sub_mismatch") or "")
