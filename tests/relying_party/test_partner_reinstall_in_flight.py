"""An ``app.uninstalled`` ends the installation's sign-ins in progress even when the same
installation id is installed again, with the same credentials, before their callback arrives:
a sign-in that began before the installation's current lifetime makes no session, as one that
began before a ``user.logout`` makes none. Sign-ins begun after the reinstall are left alone."""

from __future__ import annotations

from datetime import timedelta

from fake_op import CLIENT_ID, CLIENT_SECRET, TID, event, installed_links
from rp_support import (
    INSTALLATION,
    PARTNER_CONTACT,
    RpHarness,
    callback_url,
    database,
    install,
    launch,
    post_event,
)


def uninstall(rp: RpHarness, *, platform_lag: timedelta = timedelta()) -> None:
    body = event("app.uninstalled", {"installation_id": INSTALLATION, "account_id": TID},
                 created_at=rp.clock.now() - platform_lag)
    response = post_event(rp, body)
    assert response.json().get("outcome") == "uninstalled", response.text


def reinstall(rp: RpHarness, *, platform_lag: timedelta = timedelta()) -> None:
    """``app.installed`` again, with the same credentials."""
    body = event("app.installed", {
        "installation_id": INSTALLATION, "account_id": TID,
        "account_name": "contoso.onmicrosoft.com", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }, created_at=rp.clock.now() - platform_lag, links=installed_links())
    response = post_event(rp, body)
    assert response.json().get("outcome") == "installed", response.text


def test_a_sign_in_begun_before_an_uninstall_makes_no_session_after_a_reinstall(
        rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=5)
    uninstall(rp)
    rp.clock.advance(seconds=5)
    reinstall(rp)
    record = rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                                    contact=PARTNER_CONTACT)
    assert "app.uninstalled" in str(record["detail"])
    assert record["source_kind"] == "installation"
    assert database(rp).users.all() == []
    assert database(rp).sessions.count() == 0
    rp.clock.advance(seconds=1)
    assert launch(rp, "alice").status_code == 303  # a new sign-in from the app works
    assert rp.me().status_code == 200


def test_the_code_of_a_sign_in_begun_before_an_uninstall_is_never_redeemed(
        rp: RpHarness) -> None:
    """Checked before the code exchange: the reinstalled app may hold other credentials."""
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=5)
    uninstall(rp)
    rp.clock.advance(seconds=5)
    reinstall(rp)
    redeemed = [r for r in rp.op.requests if r.url.path.endswith("/token")]
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                           contact=PARTNER_CONTACT)
    assert [r for r in rp.op.requests if r.url.path.endswith("/token")] == redeemed


def test_a_platform_clock_behind_still_ends_the_sign_in(rp: RpHarness) -> None:
    """When the sign-in began is the RP's clock; so is when the reinstall arrived."""
    install(rp)
    rp.clock.advance(minutes=2)
    callback = callback_url(rp)  # began after the reinstall's created_at, by the RP's clock
    rp.clock.advance(seconds=2)
    uninstall(rp, platform_lag=timedelta(minutes=1))
    rp.clock.advance(seconds=2)
    reinstall(rp, platform_lag=timedelta(minutes=1))
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                           contact=PARTNER_CONTACT)
    assert database(rp).sessions.count() == 0


def test_a_sign_in_begun_after_the_reinstall_makes_a_session(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=5)
    uninstall(rp)
    rp.clock.advance(seconds=5)
    reinstall(rp)
    rp.clock.advance(seconds=1)
    callback = callback_url(rp)
    rp.clock.advance(seconds=5)
    reinstall(rp)  # a later app.installed of the same lifetime begins none
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200
