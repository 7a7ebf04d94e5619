"""UserInfo, PKCE / state / nonce generation, and the error catalogue's invariants."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import loops
import pytest

import relying_party.oidc as oidc
from relying_party.oidc import errors
from relying_party.oidc.pkce import (
    create_pkce_pair,
    generate_code_verifier,
    generate_nonce,
    generate_state,
    s256_challenge,
)
from relying_party.oidc.userinfo import check_userinfo_sub, fetch_userinfo

USERINFO = "https://login.mock.test/oidc/userinfo"
SUB = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"


def get_userinfo(response: httpx.Response | Exception) -> dict[str, Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        assert request.url.query == b""
        assert request.headers["authorization"] == "Bearer at-123"
        if isinstance(response, Exception):
            raise response
        return response

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await fetch_userinfo(client, USERINFO, "at-123")

    return loops.run(run())


def test_userinfo_uses_the_bearer_header() -> None:
    claims = get_userinfo(httpx.Response(200, json={"sub": SUB, "email": "a@b.test"}))
    assert claims == {"sub": SUB, "email": "a@b.test"}


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}),
        httpx.Response(200, text="eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        httpx.Response(200, json=[SUB]),
    ],
    ids=["401", "jwt", "list"],
)
def test_userinfo_failures(response: httpx.Response) -> None:
    with pytest.raises(errors.UserinfoFailed):
        get_userinfo(response)


def test_userinfo_timeout_and_refusal() -> None:
    with pytest.raises(errors.IdpTimeout):
        get_userinfo(httpx.ReadTimeout("slow"))
    with pytest.raises(errors.IdpUnreachable):
        get_userinfo(httpx.ConnectError("refused"))


def test_userinfo_sub_must_match() -> None:
    check_userinfo_sub({"sub": SUB}, SUB)
    for bad in ({"sub": "foobar"}, {"sub": SUB + "invalid"}, {}, {"sub": None}):
        with pytest.raises(errors.UserinfoSubMismatch):
            check_userinfo_sub(bad, SUB)


# --- PKCE / state / nonce --------------------------------------------------------------------


def test_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_generated_verifier_is_valid_and_random() -> None:
    pair = create_pkce_pair()
    assert len(pair.verifier) == 43 and pair.method == "S256"
    assert pair.challenge == s256_challenge(pair.verifier)
    assert create_pkce_pair().verifier != pair.verifier
    assert len(generate_code_verifier(96)) == 128


@pytest.mark.parametrize("bad", ["short", "x" * 129, "é" * 43, "a b" * 20])
def test_invalid_verifiers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        s256_challenge(bad)


def test_state_and_nonce_are_long_and_unique() -> None:
    values = {generate_state() for _ in range(50)} | {generate_nonce() for _ in range(50)}
    assert len(values) == 100
    assert all(len(v) >= 43 for v in values)


# --- errors and exports ----------------------------------------------------------------------


def _login_error_classes() -> list[type[errors.LoginError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.LoginError)
    ]


def test_every_login_error_has_a_unique_code_and_a_message() -> None:
    classes = _login_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)) > 30
    for cls in classes:
        assert cls.default_message and "\n" not in cls.default_message


def test_required_codes_exist() -> None:
    codes = {cls.code for cls in _login_error_classes()}
    assert {
        "id_token_bad_signature", "id_token_wrong_issuer", "id_token_wrong_audience",
        "id_token_azp_mismatch", "id_token_expired", "id_token_not_yet_valid",
        "id_token_iat_missing", "id_token_iat_future", "id_token_sub_missing", "nonce_mismatch",
        "at_hash_mismatch", "at_hash_missing", "c_hash_mismatch", "c_hash_missing",
        "alg_not_allowed", "unknown_signing_key", "ambiguous_signing_key",
        "userinfo_sub_mismatch", "discovery_failed", "discovery_issuer_mismatch",
        "jwks_unavailable", "idp_unreachable", "idp_timeout", "idp_error",
        "token_endpoint_error", "logout_token_invalid", "event_signature_invalid", "event_stale",
    } <= codes  # fmt: skip


def test_parse_aadsts() -> None:
    assert errors.parse_aadsts("AADSTS7000222: The provided client secret keys are expired.") == (
        7000222
    )
    assert errors.parse_aadsts("no code here") is None
    assert errors.parse_aadsts(None) is None


def test_idp_error_from_an_authorization_redirect() -> None:
    error = errors.idp_error_from_body(
        {
            "error": "interaction_required",
            "error_description": "AADSTS50105: The signed in user is not assigned to a role.",
            "state": "abc",
        }
    )
    assert (error.code, error.aadsts) == ("idp_error", 50105)
    assert "AADSTS" not in error.message  # the failure page shows the code on its own line
    assert error.admin_hint and "assign" in error.admin_hint


@pytest.mark.parametrize("aadsts", [7000222, 7000215])
def test_client_secret_errors_tell_the_user_sso_is_misconfigured(aadsts: int) -> None:
    error = errors.idp_error_from_body(
        {"error": "invalid_client", "error_description": f"AADSTS{aadsts}: secret problem."}
    )
    assert error.message.startswith("Single sign-on is not set up correctly.")
    assert error.aadsts == aadsts and "try again" not in error.message
    assert "AADSTS" not in error.message  # the failure page shows the code on its own line


def test_login_error_defaults_and_overrides() -> None:
    error = errors.IdTokenExpired("exp 1 < now 2")
    assert error.detail == "exp 1 < now 2" and error.message
    assert error.admin_hint == errors.IdTokenExpired.default_admin_hint
    assert str(error) == "id_token_expired: exp 1 < now 2"
    custom = errors.DiscoveryFailed("x", message="Custom.", admin_hint="Fix it.")
    assert (custom.message, custom.admin_hint) == ("Custom.", "Fix it.")


def test_package_exports_exist() -> None:
    for name in oidc.__all__:
        assert hasattr(oidc, name), name
    for module in ("discovery", "errors", "event_signature", "id_token", "jwks", "logout_token",
                   "pkce", "token_client", "userinfo"):  # fmt: skip
        mod = __import__(f"relying_party.oidc.{module}", fromlist=["__all__"])
        for name in mod.__all__:
            assert hasattr(mod, name), f"{module}.{name}"
