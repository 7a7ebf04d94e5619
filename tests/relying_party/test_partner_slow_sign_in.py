"""A user who stays on the provider's pages past the login timeout, while others start
sign-ins, is told that the sign-in timed out, with the partner's support contact: the expired
sign-in leaves a remnant for an hour that says where it was headed, and nothing with which it
could still complete."""

from __future__ import annotations

from asgi_client import AppClient
from rp_support import INSTALLATION, PARTNER_CONTACT, RpHarness, database, install

from relying_party.db.logins import EXPIRED_KEPT_FOR

TIMED_OUT = "Your sign-in took too long. Please start again from the app."
LAUNCH = f"/launch?installation_id={INSTALLATION}&user_id=x"


def someone_else_starts_a_sign_in(rp: RpHarness) -> None:
    other = AppClient(rp.client.app, follow_redirects=False)  # another browser
    assert other.get(LAUNCH).status_code == 302


def test_a_slow_partner_sign_in_is_told_it_timed_out_with_the_partners_contact(
        rp: RpHarness) -> None:
    install(rp)
    location = rp.start(LAUNCH)
    state = rp.op.authorization_request(location)["state"]
    rp.clock.advance(minutes=11)  # past the 10-minute login timeout
    someone_else_starts_a_sign_in(rp)

    remnant = database(rp).logins.get(state)
    assert remnant is not None and remnant.source_id == INSTALLATION
    assert (remnant.nonce, remnant.code_verifier, remnant.binding_hash) == ("", "", "")
    rp.client.cookies.delete("rp_login")  # the browser dropped its expired binding cookie
    response = rp.client.get(rp.op.approve(location, "alice"))
    record = rp.assert_failure_page(response, status=400, code="state_expired",
                                    contact=PARTNER_CONTACT)
    assert TIMED_OUT in response.text
    assert record["source_id"] == INSTALLATION


def test_a_slow_sign_in_that_kept_its_binding_is_told_it_timed_out_too(rp: RpHarness) -> None:
    install(rp)
    location = rp.start(LAUNCH)
    rp.clock.advance(minutes=11)
    someone_else_starts_a_sign_in(rp)
    response = rp.client.get(rp.op.approve(location, "alice"))
    rp.assert_failure_page(response, status=400, code="state_expired", contact=PARTNER_CONTACT)


def test_the_remnant_of_an_expired_sign_in_goes_after_an_hour(rp: RpHarness) -> None:
    install(rp)
    location = rp.start(LAUNCH)
    state = rp.op.authorization_request(location)["state"]
    rp.clock.advance(minutes=10, seconds=1)
    rp.clock.at += EXPIRED_KEPT_FOR
    someone_else_starts_a_sign_in(rp)
    assert database(rp).logins.get(state) is None
    response = rp.client.get(rp.op.approve(location, "alice"))
    rp.assert_failure_page(response, status=400, code="state_unknown",
                           contact="your administrator")
