"""Every sign-in failure ends on the one failure page, logged under its reference, with nobody
signed in; every REJECT row of the RP catalogue that applies to the code flow is here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import CLIENT_ID, ISSUER, SAME, FakeOp, entra_error
from id_token_faults import ID_TOKEN_FAULTS
from rp_support import ADMIN_HEADERS, ANY_VERSION, MovableClock, RpHarness

from relying_party import Settings, create_app


def _userinfo_calls(rp: RpHarness) -> int:
    return sum(1 for r in rp.op.requests if r.url.path.endswith("/userinfo"))


def test_idp_error_at_authorize_shows_aadsts_code(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.deny(
        rp.start("/widget"),
        "access_denied",
        "AADSTS50105: The signed in user is not assigned to a role for the application.",
    )
    response = rp.client.get(callback)
    record = rp.assert_failure_page(response, status=403, code="idp_error")
    assert "AADSTS50105" in response.text
    assert record["idp_error_code"] == "AADSTS50105"
    assert "assign" in str(record["admin_hint"]).lower()
    assert not [r for r in rp.op.requests if r.url.path.endswith("/token")]


@pytest.mark.parametrize(("error", "description", "words"), [
    ("interaction_required", "AADSTS50105: The signed in user 'ann@fabrikam.example' is not "
     "assigned to a role for the application", "not been given access"),
    ("access_denied", "AADSTS50057: The user account is disabled.", "is disabled"),
])
def test_what_only_an_administrator_can_mend_is_said_so_to_the_user(
        rp: RpHarness, error: str, description: str, words: str) -> None:
    # Not "complete an extra step": nothing the user does at the provider helps.
    rp.add_connection()
    response = rp.client.get(rp.op.deny(rp.start("/widget"), error, description))
    rp.assert_failure_page(response, status=response.status_code, code="idp_error")
    assert words in response.text and "extra step" not in response.text
    assert "Ask your administrator" in response.text


def test_declined_consent_tells_the_admin_about_admin_consent(rp: RpHarness) -> None:
    """AADSTS65004 also reaches the app when the user's tenant lets only administrators consent
    and the user returned from "Need admin approval": the hint says how to let everyone in."""
    rp.add_connection()
    callback = rp.op.deny(rp.start("/widget"), "access_denied",
                          "AADSTS65004: User declined to consent to access the app.")
    record = rp.assert_failure_page(rp.client.get(callback), status=403, code="idp_error")
    assert record["idp_error_code"] == "AADSTS65004"
    assert "Need admin approval" in str(record["admin_hint"])
    assert "admin consent" in str(record["admin_hint"])


def test_expired_client_secret_has_admin_hint_to_renew(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = entra_error(
        401, "invalid_client", 7000222,
        f"The provided client secret keys for app '{CLIENT_ID}' are expired.",
    )
    response = rp.sign_in()
    record = rp.assert_failure_page(response, status=502, code="client_secret_expired")
    assert "AADSTS7000222" in response.text
    assert record["idp_error_code"] == "AADSTS7000222"
    hint = str(record["admin_hint"])
    assert "expired" in hint and "new client secret" in hint
    assert hint in response.text
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["recent_errors"] == [record["ref"]]
    rp.admin_sign_in()
    assert record["ref"] in rp.client.get("/admin").text


def test_recovery_after_new_secret_and_reconnect(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = entra_error(401, "invalid_client", 7000222, "Expired.")
    rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_expired")
    rp.op.faults.token_error = None
    rp.op.clients[CLIENT_ID].secret = "brand-new-secret"
    url = f"/api/admin/connections/{cid}"
    assert rp.client.patch(url, json={"client_secret": "brand-new-secret",
                                      "secret_expires_on": "2027-03-01"},
                           headers=ANY_VERSION).status_code == 200
    assert rp.client.post(f"{url}/disable", headers=ANY_VERSION).status_code == 200
    assert rp.client.post(f"{url}/enable", headers=ANY_VERSION).status_code == 200
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200


def test_wrong_client_secret(rp: RpHarness) -> None:
    rp.add_connection(client_secret="the-secret-id-not-the-value")
    response = rp.sign_in()
    record = rp.assert_failure_page(response, status=502, code="client_secret_invalid")
    assert "AADSTS7000215" in response.text
    assert "Value" in str(record["admin_hint"])


def test_token_endpoint_garbage(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.token_raw = (500, b"<html>oops</html>")
    rp.assert_failure_page(rp.sign_in(), status=502, code="token_endpoint_error")


@pytest.mark.parametrize(("members", "signs_in"), [
    ([("ext_expires_in", 3600)], True),
    ([("id_token", SAME)], False),
    ([("token_type", SAME)], False),
], ids=["another member", "id_token twice", "token_type twice"])
def test_a_token_response_that_repeats_a_member_is_refused(
        rp: RpHarness, members: list[tuple[str, Any]], signs_in: bool) -> None:
    """Parsers keep the first or the last of a repeated member (RFC 7493 §2.3): the app reads
    neither, whichever would have signed someone in."""
    rp.add_connection()
    rp.op.faults.token_members = members
    response = rp.sign_in()
    if signs_in:
        assert rp.me().status_code == 200, response.text
    else:
        rp.assert_failure_page(response, status=502, code="token_endpoint_error")


def _now(rp: RpHarness) -> int:
    return int(rp.clock.now().timestamp())




@pytest.mark.parametrize("fault", sorted(ID_TOKEN_FAULTS))
def test_id_token_checks_reject(rp: RpHarness, fault: str) -> None:
    setter, code = ID_TOKEN_FAULTS[fault]
    rp.add_connection()
    setter(rp)
    response = rp.sign_in()
    rp.assert_failure_page(response, status=502, code=code)
    assert _userinfo_calls(rp) == 0  # no further request after a bad ID token


def test_kid_absent_with_single_key_is_accepted(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.header.update(kid=None)
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200


def test_small_clock_skew_is_tolerated(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims.update(iat=_now(rp) + 30, nbf=_now(rp) + 30)
    assert rp.sign_in().status_code == 303


def test_userinfo_sub_mismatch(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.userinfo_sub = "foobar"
    rp.assert_failure_page(rp.sign_in(), status=502, code="userinfo_sub_mismatch")


def test_userinfo_refused(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.userinfo_status = 401
    rp.assert_failure_page(rp.sign_in(), status=502, code="userinfo_failed")


def test_missing_state(rp: RpHarness) -> None:
    rp.add_connection()
    response = rp.client.get("/auth/callback?code=abc")
    rp.assert_failure_page(response, status=400, code="state_missing",
                           contact=rp.settings.default_support_contact)


def test_state_without_code_or_error(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    path, _, query = callback.partition("?")
    state = [part for part in query.split("&") if part.startswith("state=")]
    rp.assert_failure_page(rp.client.get(f"{path}?{state[0]}"), status=400, code="code_missing")
    assert not [r for r in rp.op.requests if r.url.path.endswith("/token")]


def test_unknown_state(rp: RpHarness) -> None:
    rp.add_connection()
    response = rp.client.get("/auth/callback?code=abc&state=made-up")
    rp.assert_failure_page(response, status=400, code="state_unknown",
                           contact=rp.settings.default_support_contact)


def test_replayed_state_is_refused(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    assert rp.client.get(callback).status_code == 303
    rp.client.cookies.delete("rp_session")
    record = rp.assert_failure_page(rp.client.get(callback), status=400, code="state_unknown")
    assert "replay" in str(record["detail"])


def test_state_from_another_browser_is_refused(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    rp.client.cookies.clear()  # the victim's browser never started this sign-in
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_browser_mismatch")
    assert not [r for r in rp.op.requests if r.url.path.endswith("/token")]


def test_a_callback_opened_in_another_browser_does_not_spoil_the_sign_in(rp: RpHarness) -> None:
    """Whoever sees the victim's callback URL (a log, a shoulder) and opens it first gets the
    failure page, and the victim's own browser still completes the sign-in."""
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    attacker = AppClient(rp.client.app, follow_redirects=False)
    refused = attacker.get(callback)
    assert refused.status_code == 400
    assert attacker.get("/api/me").status_code == 401
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_expired_state(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    rp.clock.advance(minutes=11)
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired")


def test_response_iss_mismatch(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.discovery["authorization_response_iss_parameter_supported"] = True
    callback = rp.op.approve(rp.start("/widget"), iss="https://evil.test")
    rp.assert_failure_page(rp.client.get(callback), status=400, code="response_issuer_mismatch")
    assert not [r for r in rp.op.requests if r.url.path.endswith("/token")]


def test_matching_response_iss_is_accepted(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.discovery["authorization_response_iss_parameter_supported"] = True
    assert rp.client.get(rp.op.approve(rp.start("/widget"), iss=ISSUER)).status_code == 303


@pytest.mark.parametrize(
    ("endpoint", "status", "code"),
    [
        ("token", 502, "idp_unreachable"),
        ("discovery", 502, "idp_unreachable"),
        ("userinfo", 502, "idp_unreachable"),
        ("jwks", 502, "jwks_unavailable"),
    ],
)
def test_idp_unreachable(rp: RpHarness, endpoint: str, status: int, code: str) -> None:
    rp.add_connection()
    rp.op.faults.unreachable.add(endpoint)
    rp.assert_failure_page(rp.sign_in(), status=status, code=code)


@pytest.mark.parametrize("endpoint", ["token", "discovery", "userinfo"])
def test_idp_slow(rp: RpHarness, endpoint: str) -> None:
    rp.add_connection()
    rp.op.faults.slow.add(endpoint)
    rp.assert_failure_page(rp.sign_in(), status=504, code="idp_timeout")


def test_back_channel_calls_have_bounded_timeouts(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    assert rp.op.requests
    for request in rp.op.requests:
        timeout = request.extensions["timeout"]
        assert timeout["connect"] == rp.settings.connect_timeout
        assert timeout["read"] == rp.settings.read_timeout


def test_duplicate_email_is_refused(rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    rp.sign_in(f"/sso/{first}/widget")
    rp.client.cookies.clear()
    # the same person through another connection (another client: another pairwise sub)
    rp.op.clients["other-client"] = type(rp.op.clients[CLIENT_ID])("other-secret")
    second = rp.add_connection(name="Second", client_id="other-client",
                               client_secret="other-secret", support_contact="it@other.test")
    response = rp.sign_in(f"/sso/{second}/widget")
    record = rp.assert_failure_page(response, status=409, code="duplicate_email",
                                    contact="it@other.test")
    assert "alice@contoso.onmicrosoft.com" in str(record["detail"])
    assert "unique" in str(record["admin_hint"])


def test_disabled_connection(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.client.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    rp.assert_failure_page(rp.client.get(f"/sso/{cid}/widget"), status=403,
                           code="connection_disabled")
    rp.assert_failure_page(rp.client.get("/widget"), status=403, code="connection_disabled")


def test_connection_disabled_during_sign_in(rp: RpHarness) -> None:
    cid = rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    rp.client.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    rp.assert_failure_page(rp.client.get(callback), status=403, code="connection_disabled")


def test_unknown_connection(rp: RpHarness) -> None:
    rp.assert_failure_page(rp.client.get("/sso/nope/widget"), status=404,
                           code="unknown_connection", contact=rp.settings.default_support_contact)


def test_an_app_the_connection_does_not_have_names_its_contact(rp: RpHarness) -> None:
    """``/sso/{id}/bogus``: the connection is known, so is whom to ask; the failure page says
    so, with a reference, as every other failure does."""
    cid = rp.add_connection()
    record = rp.assert_failure_page(rp.client.get(f"/sso/{cid}/bogus"), status=404,
                                    code="unknown_app")
    assert (record["source_kind"], record["source_id"]) == ("connection", cid)
    assert "sign-in URLs the admin page shows" in str(record["admin_hint"])


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/sso/deleted/widget", 404, "unknown_connection"),
    ("/sso/deleted/bogus", 404, "unknown_connection"),
    ("/auth/callback", 400, "state_missing"),
    ("/auth/callback/any-connection", 400, "state_missing"),
    ("/auth/callback/installation", 400, "state_missing"),
])
def test_a_failure_of_no_connection_names_the_configured_support_contact(
        make_settings: Callable[..., Settings], op: FakeOp, clock: MovableClock, path: str,
        status: int, code: str) -> None:
    """Nothing says whose sign-in it was: the page names the service's own contact
    (``--support-contact``), with a reference."""
    settings = make_settings(default_support_contact="SSO help: help@helpdesk.example")
    with AppClient(create_app(settings, http_client=op.http_client()), follow_redirects=False,
                   headers=ADMIN_HEADERS) as client:
        rp = RpHarness(settings=settings, client=client, clock=clock, op=op)
        rp.assert_failure_page(client.get(path), status=status, code=code,
                               contact="SSO help: help@helpdesk.example")


def test_the_providers_error_code_is_shown_once(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.token_error = entra_error(
        401, "invalid_client", 7000222,
        f"The provided client secret keys for app '{CLIENT_ID}' are expired.")
    response = rp.sign_in()
    rp.assert_failure_page(response, status=502, code="client_secret_expired")
    assert response.text.count("AADSTS7000222") == 1
    assert 'id="idp-error-code">AADSTS7000222<' in response.text


def test_no_connection_at_all(rp: RpHarness) -> None:
    rp.assert_failure_page(rp.client.get("/portal"), status=503, code="no_connection",
                           contact=rp.settings.default_support_contact)


def test_failure_page_never_leaks_detail_or_secret(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims.update(iss=ISSUER + "1")
    response = rp.sign_in()
    assert "Traceback" not in response.text
    assert ISSUER + "1" not in response.text  # technical detail stays in the error log
    assert rp.op.clients[CLIENT_ID].secret not in response.text
    assert response.headers["cache-control"] == "no-store"


def test_unexpected_errors_render_without_traceback(rp: RpHarness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rp.add_connection()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    db = rp.client.app.state.rp.db  # type: ignore[attr-defined]
    monkeypatch.setattr(db.connections, "all", boom)
    with AppClient(rp.client.app, raise_server_exceptions=False) as client:
        response = client.get("/widget")
    assert response.status_code == 500
    assert "database on fire" not in response.text and "Traceback" not in response.text
    assert 'id="error-ref">RP-' in response.text
