"""A ``user.logout`` that arrives while its user's sign-in is in progress (the code issued, the
callback not yet followed) ends that sign-in too: no session is made, as none started before
the logout would survive it. Sign-ins that began after the logout, or after it arrived, and
other users' sign-ins are left alone; the record goes once it can no longer refuse anything."""

from __future__ import annotations

from datetime import datetime, timedelta

from fake_op import TID, USERS, event
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


def logout_event(created_at: datetime, user: str = "alice") -> bytes:
    return event("user.logout", {"account_id": TID, "user_id": USERS[user].oid,
                                 "installation_id": INSTALLATION}, created_at=created_at)


def log_out(rp: RpHarness, created_at: datetime, user: str = "alice") -> str:
    response = post_event(rp, logout_event(created_at, user))
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    return outcome


def test_a_sign_in_in_progress_when_the_user_logs_out_makes_no_session(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=1)  # the platform's event comes while the user is at the provider
    assert log_out(rp, rp.clock.now()) == "logged_out:0"
    response = rp.client.get(callback)
    record = rp.assert_failure_page(response, status=400, code="state_expired",
                                    contact=PARTNER_CONTACT)
    assert "signed out" in str(record["message"])
    assert "user.logout" in str(record["detail"])
    assert record["source_kind"] == "installation"
    rp.clock.advance(seconds=1)
    assert launch(rp, "alice").status_code == 303  # a new sign-in from the app works
    assert rp.me().status_code == 200


def test_the_refused_sign_in_stores_no_user(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=1)
    log_out(rp, rp.clock.now())
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                           contact=PARTNER_CONTACT)
    assert database(rp).users.all() == []
    assert database(rp).sessions.count() == 0


def test_a_platform_clock_behind_still_ends_the_sign_in(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=5)
    assert log_out(rp, rp.clock.now() - timedelta(seconds=25)) == "logged_out:0"
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                           contact=PARTNER_CONTACT)


def test_a_sign_in_that_began_after_the_logout_arrived_makes_a_session(rp: RpHarness) -> None:
    install(rp)
    assert log_out(rp, rp.clock.now()) == "logged_out:0"
    rp.clock.advance(seconds=1)
    assert launch(rp, "alice").status_code == 303
    assert rp.me().status_code == 200


def test_a_late_retry_leaves_a_sign_in_begun_after_the_logout(rp: RpHarness) -> None:
    install(rp)
    created = rp.clock.now()  # the first delivery fails
    rp.clock.advance(minutes=5)
    callback = callback_url(rp)
    assert log_out(rp, created) == "logged_out:0"  # the retry, 5 minutes later
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_another_users_sign_in_makes_a_session(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp, "bob")
    assert log_out(rp, rp.clock.now(), "alice") == "logged_out:0"
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_an_older_logout_does_not_shorten_the_one_kept(rp: RpHarness) -> None:
    install(rp)
    start = rp.clock.now()
    callback = callback_url(rp)
    rp.clock.advance(seconds=10)
    assert log_out(rp, rp.clock.now()) == "logged_out:0"
    assert log_out(rp, start - timedelta(minutes=5)) == "logged_out:0"  # a late retry
    rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                           contact=PARTNER_CONTACT)


def test_the_logout_record_is_dropped_once_it_can_refuse_nothing(rp: RpHarness) -> None:
    install(rp)
    logouts = database(rp).platform_logouts
    alice, bob = USERS["alice"].oid, USERS["bob"].oid
    assert log_out(rp, rp.clock.now(), "alice") == "logged_out:0"
    kept = logouts.sign_ins_before(INSTALLATION, alice)
    assert kept == rp.clock.now()
    lifetime = 2 * rp.settings.login_timeout
    rp.clock.advance(seconds=lifetime.total_seconds())
    assert log_out(rp, rp.clock.now(), "bob") == "logged_out:0"
    assert logouts.sign_ins_before(INSTALLATION, alice) == kept  # still within its lifetime
    rp.clock.advance(seconds=1)
    assert log_out(rp, rp.clock.now(), "bob") == "logged_out:0"
    assert logouts.sign_ins_before(INSTALLATION, alice) is None
    assert logouts.sign_ins_before(INSTALLATION, bob) == rp.clock.now()


def test_a_retry_ends_a_session_whose_sign_in_began_before_the_logout(rp: RpHarness) -> None:
    """Begun before the logout, finished more than 30 s after it was created but before its
    delayed delivery: the session is ended by when its sign-in began, not when it was made."""
    install(rp)
    callback = callback_url(rp)
    rp.clock.advance(seconds=1)
    created = rp.clock.now()  # the first delivery fails
    rp.clock.advance(seconds=40)
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200
    rp.clock.advance(minutes=5)
    assert log_out(rp, created) == "logged_out:1"  # the retry
    assert rp.me().status_code == 401
