"""Scenarios whose check the app never reaches are skipped as not exercised, not failed.

An app that never asks UserInfo has no answer whose ``sub`` it could compare (OpenID Connect
Core §5.3.2), and one that asks for no signing keys while they are down either holds them
already or checks no signature (``failure.bad-signature`` tells which). The reference relying
party is changed for one test at a time with ``monkeypatch``; the one that asks UserInfo and
ignores its ``sub`` is still caught, and the one that asks it and drops the answer (uses none
of its values, as OpenID Connect Core §5.3.2 asks) passes.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from relying_party import callback
from relying_party.oidc import id_token
from scenarios.app.adapter import ProfileAdapter
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser


async def _no_userinfo(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {}


def _any_sub(userinfo: Any, id_token_sub: str) -> None:
    return None


async def _asked_and_dropped(*args: Any, **kwargs: Any) -> dict[str, Any]:
    await _real_fetch_userinfo(*args, **kwargs)
    return {}


_real_fetch_userinfo = callback.fetch_userinfo


def _never_seen(self: ProfileAdapter, page: Any) -> bool:
    return False


async def _unchecked(token: str, **kwargs: Any) -> id_token.VerifiedJwt:
    return id_token.VerifiedJwt(header=jwt.get_unverified_header(token), key=None,
                                claims=jwt.decode(token, options={"verify_signature": False}))


@pytest.mark.parametrize(("change", "status"), [
    (None, "passed"),
    ("never asks UserInfo", "skipped"),
    ("ignores UserInfo's sub", "failed"),
    # Core §5.3.2: the answer's values must not be used; rp-userinfo-bad-sub-claim rejects the
    # response, not the sign-in (mod_auth_openidc's way).
    ("drops UserInfo's answer", "passed"),
    # As Streamlit's page read signed out before it was drawn: never asked is not passed.
    ("never asks UserInfo, and its session check misses the session", "skipped"),
])
def test_userinfo_sub_mismatch(sso_run_scenario: ScenarioRunner, monkeypatch: pytest.MonkeyPatch,
                               change: str | None, status: str) -> None:
    if change is not None:
        monkeypatch.setattr(callback, "check_userinfo_sub", _any_sub)
    if change == "never asks UserInfo":
        monkeypatch.setattr(callback, "fetch_userinfo", _no_userinfo)
    if change == "drops UserInfo's answer":
        monkeypatch.setattr(callback, "fetch_userinfo", _asked_and_dropped)
    if change == "never asks UserInfo, and its session check misses the session":
        monkeypatch.setattr(callback, "fetch_userinfo", _no_userinfo)
        monkeypatch.setattr(ProfileAdapter, "seen_signed_in", _never_seen)
    result = sso_run_scenario("failure.userinfo-sub-mismatch")
    assert result.status == status, describe_result(result, sso_run_scenario.report_dir)
    if status == "skipped":
        assert result.message == ("not exercised: the app never asked UserInfo, so there was "
                                  "no answer to compare with the ID token's sub")


@pytest.mark.parametrize("checks_signatures", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_idp_down_keys_for_an_app_that_asks_for_no_keys(
        sso_run_scenario: ScenarioRunner, monkeypatch: pytest.MonkeyPatch,
        checks_signatures: bool) -> None:
    if not checks_signatures:
        monkeypatch.setattr(id_token, "verify_signed_jwt", _unchecked)
    result = sso_run_scenario("failure.idp-down-keys")
    report = describe_result(result, sso_run_scenario.report_dir)
    if checks_signatures:
        assert result.status == "passed", report
        return
    assert result.status == "skipped", report
    assert result.message is not None and "asked for no signing keys" in result.message
    assert sso_run_scenario("failure.bad-signature").status == "failed"
