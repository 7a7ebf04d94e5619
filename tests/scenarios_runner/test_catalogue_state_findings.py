"""The state scenarios (tampered, replayed, opened in another browser) against apps that
keep the state in several ways: each defect is a FAIL with the scenario's own message, and an
app that binds the state to the browser passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps.state_rp import state_profile

from .catalogue_verdicts import verdicts as _verdicts

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a stack and an app each

STATES = ("failure.state-tampered", "failure.state-replayed", "failure.state-other-browser")


def test_a_state_not_bound_to_the_browser_is_caught_by_the_other_browser_only(
        tmp_path: Path) -> None:
    """An app that keeps the state on its server and takes it once, but takes it from any
    browser (login CSRF), passes the tampered and replayed states; the callback of alice's
    sign-in, opened in another browser before hers gets it, signs that browser in."""
    verdicts = _verdicts(state_profile(tmp_path, bind=False), STATES, tmp_path / "unbound")
    assert verdicts["failure.state-tampered"][0] == "passed", verdicts
    assert verdicts["failure.state-replayed"][0] == "passed", verdicts
    status, message = verdicts["failure.state-other-browser"]
    assert status == "failed", verdicts
    assert message.startswith("AssertionError: the failure page did not appear: no 'Sign-in "
                              "failed'; the app accepted the sign-in: someone is signed in"), \
        message


def test_a_state_checked_only_for_some_login_cookie_is_caught_too(tmp_path: Path) -> None:
    """The other browser has started a sign-in of its own, as a victim's browser that knows the
    app has: an app that asks only for some login cookie, not the state's, signs it in."""
    verdicts = _verdicts(state_profile(tmp_path, bind=True, weak=True),
                         ("failure.state-other-browser",), tmp_path / "weak")
    status, message = verdicts["failure.state-other-browser"]
    assert status == "failed" and "someone is signed in" in message, verdicts


def test_an_app_that_starts_a_new_sign_in_for_a_refused_state_is_not_said_to_accept_it(
        tmp_path: Path) -> None:
    """The app refuses the altered state, shows no failure page and starts a new sign-in, which
    the provider's session answers at once: still a failure, but the message says what the app
    did, not that it accepted the altered answer (an app after MSAL Python's older web-app
    sample, which passes over the state mismatch's ValueError and redirects to its home page,
    looked like one with no state check)."""
    verdicts = _verdicts(state_profile(tmp_path, bind=True, restart=True),
                         ("failure.state-tampered", "failure.state-replayed"), tmp_path / "again")
    for scenario in ("failure.state-tampered", "failure.state-replayed"):
        status, message = verdicts[scenario]
        assert status == "failed", verdicts
        assert "the app accepted the sign-in" not in message, message
        assert ("; the app did not take this answer but started a new sign-in (it sent the "
                "browser to the provider's authorize endpoint again") in message, message
    tampered = verdicts["failure.state-tampered"][1]
    assert "authorize endpoint again, http://localhost:" in tampered, tampered
    assert ("/oauth2/v2.0/authorize?…), which the provider's session answered at once: someone "
            "is signed in by that new sign-in, and ") in tampered, tampered


def test_a_state_bound_to_the_browser_passes(tmp_path: Path) -> None:
    verdicts = _verdicts(state_profile(tmp_path, bind=True), STATES, tmp_path / "bound")
    assert {status for status, _ in verdicts.values()} == {"passed"}, verdicts


def test_an_app_asking_for_an_id_token_alone_gets_the_state_verdicts(tmp_path: Path) -> None:
    """The provider's second answer to the app's authorize request carries a new ID token,
    not a code (response_type=id_token, posted): replayed with the used state, it is the app's
    to refuse (the replay was an ERROR saying the provider gave no code)."""
    verdicts = _verdicts(state_profile(tmp_path, bind=True, id_token=True), STATES,
                         tmp_path / "id-token")
    assert {status for status, _ in verdicts.values()} == {"passed"}, verdicts
