"""The endpoints a discovery document gives follow the rules of a configured provider URL
(:func:`relying_party.inputs.url_problem`): plain http only on loopback, unless the RP runs
with ``allow_http_idp``. A document that breaks them is ``discovery_failed``, and nothing is
sent to the endpoint it names: not the access token, not a key request, not the browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgi_client import AppClient
from fake_op import AUTHORIZE, END_SESSION, JWKS, TOKEN, USERINFO, FakeOp
from rp_support import ADMIN_HEADERS, MovableClock, RpHarness

from relying_party import Settings, create_app

ENDPOINTS = {
    "authorization_endpoint": AUTHORIZE,
    "token_endpoint": TOKEN,
    "jwks_uri": JWKS,
    "userinfo_endpoint": USERINFO,
    "end_session_endpoint": END_SESSION,
}


def _plain(url: str) -> str:
    return url.replace("https://", "http://", 1)


def _http_requests(rp: RpHarness) -> list[str]:
    return [str(r.url) for r in rp.op.requests if r.url.scheme == "http"]


def _forget_metadata(rp: RpHarness) -> None:
    rp.client.app.state.rp.providers.discovery.invalidate()  # type: ignore[attr-defined]


@pytest.mark.parametrize("member", sorted(ENDPOINTS))
def test_a_plain_http_endpoint_in_the_document_fails_the_sign_in(rp: RpHarness,
                                                                 member: str) -> None:
    rp.add_connection()
    rp.op.faults.discovery[member] = _plain(ENDPOINTS[member])
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="discovery_failed")
    assert member in str(record["detail"])
    assert _http_requests(rp) == []
    assert not [r for r in rp.op.requests if r.url.path.endswith("/token")]


@pytest.mark.parametrize("url", [f"{USERINFO}#top", "https://user:pw@login.op.test/userinfo",
                                 "https://login.op.test/x/../oidc/userinfo"])
def test_an_endpoint_a_configured_url_could_not_be_is_refused(rp: RpHarness, url: str) -> None:
    rp.add_connection()
    rp.op.faults.discovery["userinfo_endpoint"] = url
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="discovery_failed")
    assert "userinfo_endpoint" in str(record["detail"])
    assert not [r for r in rp.op.requests if r.url.path.endswith("/userinfo")]


def test_rp_initiated_logout_never_sends_the_browser_to_a_plain_http_end_session(
        rp: RpHarness) -> None:
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    rp.op.faults.discovery["end_session_endpoint"] = _plain(END_SESSION)
    _forget_metadata(rp)
    response = rp.logout()
    assert response.status_code == 303
    assert response.headers["location"] == "/signed-out"  # signed out here only
    assert rp.me().status_code == 401


def test_back_channel_logout_never_fetches_keys_over_plain_http(rp: RpHarness) -> None:
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    rp.op.faults.discovery["jwks_uri"] = _plain(JWKS)
    _forget_metadata(rp)
    response = rp.client.post("/auth/backchannel-logout",
                              data={"logout_token": rp.op.logout_token()})
    assert response.status_code == 400
    assert _http_requests(rp) == []
    assert rp.me().status_code == 200


def test_plain_http_endpoints_are_used_when_the_rp_allows_http_providers(
        make_settings: Callable[..., Settings], clock: MovableClock, op: FakeOp) -> None:
    settings = make_settings(allow_http_idp=True)
    app = create_app(settings, http_client=op.http_client())
    with AppClient(app, follow_redirects=False, headers=ADMIN_HEADERS) as client:
        rp = RpHarness(settings=settings, client=client, clock=clock, op=op)
        rp.add_connection()
        op.faults.discovery.update(userinfo_endpoint=_plain(USERINFO), jwks_uri=_plain(JWKS))
        assert rp.sign_in().status_code == 303
        assert rp.me().status_code == 200
        assert _http_requests(rp) == [_plain(JWKS), _plain(USERINFO)]
