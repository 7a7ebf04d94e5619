"""Provider answers at the edges: ID-token times that are no instants, a malformed groups
overage, error codes that are not numbers, and forged logout tokens that must not hold up the
next key rotation, for sign-ins or for the provider's next logout token. Also the CLI refusing
a listening address no browser can name."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fake_op import CLIENT_ID, ISSUER
from rp_support import RpHarness

from relying_party import __main__ as cli


@pytest.mark.parametrize("claims", [
    {"exp": 1e300},
    {"iat": -1e300},
    {"iat": float("nan")},
    {"exp": 253402300800},  # the year 10000
    {"nbf": float("inf")},
], ids=["exp-1e300", "iat--1e300", "iat-nan", "exp-year-10000", "nbf-inf"])
def test_a_time_that_is_no_instant_fails_the_sign_in(rp: RpHarness,
                                                     claims: dict[str, Any]) -> None:
    rp.add_connection()
    rp.op.faults.claims.update(claims)
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="id_token_malformed")
    assert "between 1970 and 9999" in str(record["detail"])


def test_a_groups_overage_naming_a_list_fails_the_sign_in(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims.update({"_claim_names": {"groups": ["src1"]}, "_claim_sources": {}})
    rp.assert_failure_page(rp.sign_in(), status=502, code="groups_unavailable")


def test_an_error_code_of_true_is_no_aadsts_code(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.token_error = (400, {"error": "invalid_grant", "error_codes": [True]})
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="idp_error")
    assert record["idp_error_code"] is None


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _jwks_fetches(rp: RpHarness) -> int:
    return sum(1 for r in rp.op.requests if r.url.path.endswith("/keys"))


def test_forged_logout_tokens_do_not_hold_up_a_key_rotation(rp: RpHarness) -> None:
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "x", "iat": 0, "exp": 0, "jti": "j"}
    forged = f"{_b64({'alg': 'RS256', 'kid': 'made-up'})}.{_b64(claims)}.AAAA"
    for _ in range(3):  # anonymous posts: one re-fetch between them, not one each
        response = rp.client.post("/auth/backchannel-logout", data={"logout_token": forged})
        assert response.json()["error_description"] == "unknown_signing_key"
    assert _jwks_fetches(rp) == 2

    rp.op.rotate_keys()
    rp.clock.advance(seconds=30)  # well within the re-fetch cooldown
    rp.client.cookies.clear()
    assert rp.sign_in().status_code == 303
    assert _jwks_fetches(rp) == 3


def test_a_forged_logout_token_does_not_keep_out_the_next_real_one_after_a_rotation(
        rp: RpHarness) -> None:
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "x", "iat": 0, "exp": 0, "jti": "j"}
    forged = f"{_b64({'alg': 'RS256', 'kid': 'made-up'})}.{_b64(claims)}.AAAA"
    response = rp.client.post("/auth/backchannel-logout", data={"logout_token": forged})
    assert response.json()["error_description"] == "unknown_signing_key"

    rp.op.rotate_keys()  # the provider's next logout token is signed with a new key
    rp.clock.advance(seconds=1)
    response = rp.client.post("/auth/backchannel-logout",
                              data={"logout_token": rp.op.logout_token()})
    assert response.status_code == 200, response.text
    assert rp.me().status_code == 401
    assert _jwks_fetches(rp) == 3  # the sign-in's, the forged kid's, the new key's


def _refused_before_listening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              *options: str) -> int:
    """The CLI's exit code for ``options``, failing the test if it started listening or made
    its database first."""
    def never(host: str, port: int) -> None:
        raise AssertionError(f"started listening on {host}")

    monkeypatch.setattr(cli, "listening_socket", never)
    db = tmp_path / "rp.db"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--port", "0", "--db", str(db), *options])
    assert not db.exists()
    return int(exit_info.value.code or 0)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_the_cli_refuses_a_wildcard_host_without_a_public_url(
        tmp_path: Path, host: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _refused_before_listening(tmp_path, monkeypatch, "--host", host) == 2
    assert "--public-url" in capsys.readouterr().err


def test_the_cli_refuses_a_graph_url_it_cannot_use(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = _refused_before_listening(tmp_path, monkeypatch, "--graph-url", "http://graph.example")
    assert code == 2
    assert "--graph-url 'http://graph.example' must use https" in capsys.readouterr().err
