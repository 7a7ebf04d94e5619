"""Every failure the sign-in can end in tells the administrator what to look at ("For your
administrator" on the failure page): a token endpoint that redirects names where to, Entra's
tenant errors from the token endpoint name the Token URL, and an ID token dated ahead names the
clocks' difference."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from pathlib import Path

import pytest
from fake_op import BASE, TOKEN, entra_error
from rp_support import RpHarness
from test_rp_with_mock_idp import RP, TID, open_world

import relying_party
from relying_party.login_errors import RequestRefused
from relying_party.oidc.errors import (
    EventMalformed,
    EventSignatureInvalid,
    EventStale,
    IdpError,
    LoginError,
    LogoutTokenInvalid,
    idp_error_from_body,
)


@pytest.mark.parametrize(("code", "words"), [
    (90002, "The tenant in the Token URL does not exist"),
    (700016, "the Token URL names another tenant"),
])
def test_a_tenant_error_from_the_token_endpoint_names_the_token_url(
        rp: RpHarness, code: int, words: str) -> None:
    rp.add_connection()
    rp.op.faults.token_error = entra_error(400, "invalid_request", code, "Tenant or app unknown.")
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="idp_error")
    hint = str(record["admin_hint"])
    assert words in hint and "'authorize' replaced by 'token'" in hint
    assert "Authorization URI does not exist" not in hint


def test_the_same_error_in_the_authorization_response_names_the_authorization_uri() -> None:
    body = {"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."}
    assert "Authorization URI" in str(idp_error_from_body(body).admin_hint)
    assert "Token URL" in str(idp_error_from_body(body, status_code=400).admin_hint)


@pytest.mark.parametrize(("location", "shown"), [
    (f"{TOKEN}-moved", f"{TOKEN}-moved"),
    ("/elsewhere/token", f"{BASE}/elsewhere/token"),
])
def test_a_token_endpoint_that_redirects_is_not_followed_and_named(
        rp: RpHarness, location: str, shown: str) -> None:
    rp.add_connection()
    rp.op.faults.token_redirect = location
    response = rp.sign_in()
    record = rp.assert_failure_page(response, status=502, code="token_endpoint_error")
    assert f"The Token URL redirects to {shown}," in str(record["admin_hint"])
    assert "enter that URL as the Token URL" in str(record["admin_hint"])
    posted = [r for r in rp.op.requests if r.method == "POST"]
    assert [str(r.url) for r in posted] == [TOKEN]  # the secret went nowhere else


def test_a_token_answer_without_tokens_points_at_the_token_url(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.token_raw = (200, b"<html>a sign-in page</html>")
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="token_endpoint_error")
    assert "Token URL" in str(record["admin_hint"])


def test_a_slashed_token_url_stored_before_names_the_mocks_redirect(tmp_path: Path) -> None:
    """The mock redirects ``…/oauth2/token/`` to ``…/oauth2/token`` (307); whether Entra does
    is not known, so the admin form drops the slash and the hint names where it leads."""
    for world in open_world(tmp_path):
        token = f"{world.base}/{TID}/oauth2/v2.0/token"
        cid = world.connection()
        db = world.rp.app.state.rp.db  # type: ignore[attr-defined]
        db.connections.insert(replace(db.connections.get(cid), id="slashed00000",
                                      token_url=token + "/"))
        world.register_redirect_uri(f"{RP}/auth/callback/slashed00000")
        location = world.rp.get("/sso/slashed00000/portal").headers["location"]
        response = world.rp.get(world.through_idp(location))
        assert response.status_code == 502, response.text
        assert f"The Token URL redirects to {token}, and" in response.text
        assert world.rp.get("/api/me").status_code == 401


@pytest.mark.parametrize(("claim", "code"), [
    ("nbf", "id_token_not_yet_valid"),
    ("iat", "id_token_iat_future"),
])
def test_a_token_dated_ahead_names_the_clocks_difference(
        rp: RpHarness, claim: str, code: str) -> None:
    rp.add_connection()
    now = int(rp.clock.now().timestamp())
    rp.op.faults.claims.update({claim: now + 300})
    record = rp.assert_failure_page(rp.sign_in(), status=502, code=code)
    hint = str(record["admin_hint"])
    # dated 300 s ahead by a provider that may date it five minutes early, as Entra does
    assert "differ by about 300 to 600 seconds (the provider's is ahead)" in hint
    assert "more than the 60 seconds tolerated" in hint and "NTP" in hint


def test_an_id_token_expired_as_it_was_issued_says_nothing_of_clocks(rp: RpHarness) -> None:
    """Dated just now by the provider (as by this server's clock), yet expired: the clocks
    agree, and the lifetime the provider gave it is what is wrong."""
    rp.add_connection()
    now = int(rp.clock.now().timestamp())
    rp.op.faults.claims.update(iat=now, nbf=now - 3600, exp=now - 3600)
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="id_token_expired")
    hint = str(record["admin_hint"])
    assert "the clocks agree" in hint and "lifetime is too short" in hint
    assert "differ" not in hint and "NTP" not in hint


def test_an_id_token_dated_five_minutes_early_and_expired_says_nothing_of_clocks(
        rp: RpHarness) -> None:
    """Entra dates its ID tokens (iat, nbf) five minutes before it issues them: one that arrives
    so dated, yet expired, came from a provider whose clock agrees with this server's."""
    rp.add_connection()
    now = int(rp.clock.now().timestamp())
    rp.op.faults.claims.update(iat=now - 300, nbf=now - 300, exp=now - 120)
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="id_token_expired")
    hint = str(record["admin_hint"])
    assert "the clocks agree" in hint and "lifetime is too short" in hint
    assert "differ" not in hint and "NTP" not in hint


def test_an_id_token_dated_five_minutes_early_signs_in(rp: RpHarness) -> None:
    """As Entra dates them: iat and nbf five minutes before the answer, exp an hour after."""
    rp.add_connection()
    now = int(rp.clock.now().timestamp())
    rp.op.faults.claims.update(iat=now - 300, nbf=now - 300, exp=now + 3600)
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200


@pytest.mark.parametrize(("claims", "ago"), [
    ({"iat": -7200, "nbf": -7200, "exp": -3600}, 7200),  # expired
    ({"iat": -3000, "nbf": -3000}, 3000),  # older than the RP takes (10 minutes)
], ids=["expired", "too old"])
def test_an_id_token_dated_long_ago_names_the_clocks_difference(
        rp: RpHarness, claims: dict[str, int], ago: int) -> None:
    rp.add_connection()
    now = int(rp.clock.now().timestamp())
    rp.op.faults.claims.update({name: now + offset for name, offset in claims.items()})
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="id_token_expired")
    hint = str(record["admin_hint"])
    # Entra dates its ID tokens five minutes before it issues them: part of the age may be that
    assert f"differ by about {ago - 300} to {ago} seconds (the provider's is behind)" in hint
    assert "as it answers or up to five minutes before" in hint
    assert "NTP" in hint


NOT_ON_THE_FAILURE_PAGE = (LogoutTokenInvalid, EventSignatureInvalid, EventStale, EventMalformed)
"""Answered to the provider or the platform that sent them, never shown to a user."""


def _failure_kinds() -> list[type[LoginError]]:
    for module in pkgutil.walk_packages(relying_party.__path__, "relying_party."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, todo = [], LoginError.__subclasses__()
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "code" in vars(cls) and not issubclass(cls, NOT_ON_THE_FAILURE_PAGE):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.code)


def test_every_failure_kind_has_a_hint_for_the_administrator() -> None:
    kinds = _failure_kinds()
    assert len(kinds) > 40 and IdpError in kinds and RequestRefused not in kinds
    assert [cls.code for cls in kinds if not cls.default_admin_hint] == []


def test_an_unknown_error_from_the_provider_still_has_a_hint() -> None:
    error = idp_error_from_body({"error": "server_error"}, status_code=500)
    assert error.admin_hint and "sign-in logs" in error.admin_hint
