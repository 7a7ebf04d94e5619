"""The partner scenarios against a small partner app with one defect each: the defect is a
FAIL with the scenario's own message, and the same app without it passes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sample_apps.partner_rp import partner_profile

from scenarios.runner import RunOptions, run

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a stack and an app each

PARTNER = ("partner.forged-event", "partner.event-redelivered", "partner.uninstalled",
           "signout.user-logout-event")


def _verdicts(profile: Path, only: tuple[str, ...], report: Path) -> dict[str, tuple[str, str]]:
    summary = run(RunOptions(app=str(profile), only=only, report_dir=report, workers=1,
                             trace="off", screenshots="failure", timeout_ms=10_000),
                  out=io.StringIO())
    return {r.id: (r.status, r.message or "") for r in summary.results}


def test_an_app_that_reads_events_without_their_signature_fails_forged_event(
        tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="signature"),
                         ("partner.forged-event",), tmp_path / "report")
    status, message = verdicts["partner.forged-event"]
    assert status == "failed", verdicts
    assert message.startswith(
        "AssertionError: the app accepted a user.logout signed with a key the platform does "
        "not publish (HTTP 200): it must verify X-Hub-Ecdsa-Signature"), message


def test_an_app_that_takes_unsigned_events_fails_forged_event(tmp_path: Path) -> None:
    """It verifies a signature only when the header is there: the unsigned user.logout ends
    alice's session."""
    verdicts = _verdicts(partner_profile(tmp_path, defect="accepts-unsigned"),
                         ("partner.forged-event",), tmp_path / "report")
    status, message = verdicts["partner.forged-event"]
    assert status == "failed", verdicts
    assert message.startswith(
        "AssertionError: the app accepted a user.logout not signed (HTTP 200): it must verify "
        "X-Hub-Ecdsa-Signature"), message


def test_an_app_that_refuses_forged_events_with_400_passes_forged_event(
        tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, refusal_status=400),
                         ("partner.forged-event",), tmp_path / "report")
    assert verdicts == {"partner.forged-event": ("passed", "")}, verdicts


def test_an_app_that_answers_a_redelivery_409_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="duplicate-409"),
                         ("partner.event-redelivered",), tmp_path / "report")
    status, message = verdicts["partner.event-redelivered"]
    assert status == "failed", verdicts
    assert message.startswith(
        "AssertionError: the app answered the redelivered app.installed (the same event id) "
        "with HTTP 409"), message


def test_an_app_that_applies_a_redelivery_again_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="duplicate-applied"),
                         ("partner.event-redelivered",), tmp_path / "report")
    status, message = verdicts["partner.event-redelivered"]
    assert status == "failed", verdicts
    assert "the installation appears 2 times in the app's installations after the " \
           "redelivery, 1 before" in message, message


def test_an_app_that_applies_a_redelivery_again_a_moment_later_fails(tmp_path: Path) -> None:
    """It answers the redelivery at once and adds the installation again from its queue
    (seconds later): at first look its installations are as before, and the scenario judges
    again once a user.logout for alice, queued after the redelivery, has ended her session."""
    verdicts = _verdicts(partner_profile(tmp_path, defect="duplicate-applied-late"),
                         ("partner.event-redelivered",), tmp_path / "report")
    status, message = verdicts["partner.event-redelivered"]
    assert status == "failed", verdicts
    assert "the installation appears 2 times in the app's installations after the " \
           "redelivery, 1 before once the app had applied a user.logout for alice sent after " \
           "it: the redelivered app.installed was applied again" in message, message


def test_without_an_installations_url_the_applied_once_step_says_it_was_not_checked(
        tmp_path: Path) -> None:
    summary = run(RunOptions(
        app=str(partner_profile(tmp_path, defect="duplicate-applied", installations=False)),
        only=("partner.event-redelivered",), report_dir=tmp_path / "report", workers=1,
        trace="off", screenshots="failure", timeout_ms=10_000), out=io.StringIO())
    (result,) = summary.results
    assert result.status == "passed", result
    assert [s.name for s in result.steps if s.name.startswith("not checked:")] == [
        "not checked: whether the redelivery was applied once (the profile has no [partner] "
        "installations URL to read the app's installations)"], result.steps


def test_without_a_session_check_the_applied_in_turn_step_says_it_was_not_checked(
        tmp_path: Path) -> None:
    """The profile cannot tell whether alice is signed in, so no user.logout shows when the
    app has had its turn at the redelivery: the first look at its installations stands, and a
    step says what was not checked."""
    summary = run(RunOptions(
        app=str(partner_profile(tmp_path, session_check=False)),
        only=("partner.event-redelivered",), report_dir=tmp_path / "report", workers=1,
        trace="off", screenshots="failure", timeout_ms=10_000), out=io.StringIO())
    (result,) = summary.results
    assert result.status == "passed", result
    assert [s.name for s in result.steps if s.name.startswith("not checked:")] == [
        "not checked: whether the redelivery was applied once in an app that applies events a "
        "moment later (the profile does not say how to tell whether alice is signed in, which "
        "a user.logout sent after it would show)"], result.steps


def test_an_app_that_ends_every_session_on_user_logout_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="logout-all"),
                         ("signout.user-logout-event",), tmp_path / "report")
    status, message = verdicts["signout.user-logout-event"]
    assert status == "failed", verdicts
    assert message.startswith("AssertionError: bob is no longer signed in after a user.logout "
                              "for alice"), message


def test_an_app_on_entra_s_v1_endpoints_passes_user_logout_event(tmp_path: Path) -> None:
    """Its launches go through ``/oauth2/authorize``, Entra's v1 authorize endpoint: the next
    launch after a user.logout runs SSO afresh there as well as through the v2 one."""
    verdicts = _verdicts(partner_profile(tmp_path, endpoints="v1"),
                         ("signout.user-logout-event",), tmp_path / "report")
    assert verdicts == {"signout.user-logout-event": ("passed", "")}, verdicts


def test_an_app_that_serves_an_uninstalled_installation_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="ignores-uninstall"),
                         ("partner.uninstalled",), tmp_path / "report")
    status, message = verdicts["partner.uninstalled"]
    assert status == "failed", verdicts
    assert "the user is still signed in after app.uninstalled for her installation" in message, \
        message


def test_an_app_that_still_starts_sign_in_for_an_uninstalled_installation_fails(
        tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="launch-after-uninstall"),
                         ("partner.uninstalled",), tmp_path / "report")
    status, message = verdicts["partner.uninstalled"]
    assert status == "failed", verdicts
    assert message.startswith(
        "AssertionError: the launch of the uninstalled installation started a sign-in at the "
        "provider"), message


def test_the_same_app_without_a_defect_passes(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path), PARTNER, tmp_path / "report")
    assert verdicts == {scenario: ("passed", "") for scenario in PARTNER}, verdicts


def test_an_app_that_accepts_events_with_202_passes(tmp_path: Path) -> None:
    """Any 2xx accepts an event, not only 200."""
    verdicts = _verdicts(partner_profile(tmp_path, accept_status=202), PARTNER,
                         tmp_path / "report")
    assert verdicts == {scenario: ("passed", "") for scenario in PARTNER}, verdicts


def test_a_standalone_url_that_waits_for_a_click_fails_launch_even_with_a_sign_in_control(
        tmp_path: Path) -> None:
    """Partner-app SSO starts at once: ``[sign_in] control`` is clicked on the app's own
    sign-in URLs, never on a platform's launch, which fails saying what it waits for (here the
    later launch, whose page waits for a click on a link the control names)."""
    verdicts = _verdicts(partner_profile(tmp_path, defect="launch-button",
                                         sign_in_control="Sign in"),
                         ("partner.launch",), tmp_path / "report")
    status, message = verdicts["partner.launch"]
    assert status == "failed", verdicts
    assert "the page waits for a click on its 'Sign in' link" in message, message
    assert "a partner launch URL is never clicked through" in message, message


def test_an_app_that_lists_its_installations_by_id_and_client_passes_launch(
        tmp_path: Path) -> None:
    """Its installations name each by installation_id and client_id, not the endpoints it
    stored from app.installed's links, which a partner app need not show."""
    verdicts = _verdicts(partner_profile(tmp_path, listing="ids"), ("partner.launch",),
                         tmp_path / "report")
    assert verdicts == {"partner.launch": ("passed", "")}, verdicts


FAILS_SAYING = {
    # It signs in the person the launch URL's hint names, whoever authenticated.
    "trusts-hint": ("partner.hint-is-not-identity", (
        "AssertionError: the app signed in bob (user_id '",
        "the person the launch URL's user-id hint named, though alice authenticated at the "
        "provider: the hint (talkdesk_user_id) must never decide who is signed in")),
    # It refuses the genuine app.installed (401): the failure says how the platform signs.
    "hmac-signature": ("partner.launch", (
        "AssertionError: the app did not accept app.installed at ",
        ": HTTP 401 ({\"error\":\"invalid signature\"}); the platform signed it as it signs "
        "every event (X-Hub-Ecdsa-Signature: ECDSA P-256 with SHA-256 over the raw body, the "
        "signature DER-encoded and base64;")),
}
"""A defect: the scenario it fails, how its message starts and what else it says."""


@pytest.mark.parametrize("defect", list(FAILS_SAYING))
def test_a_defect_fails_its_scenario_saying_what_the_app_did(defect: str,
                                                              tmp_path: Path) -> None:
    scenario_id, (start, said) = FAILS_SAYING[defect]
    verdicts = _verdicts(partner_profile(tmp_path, defect=defect), (scenario_id,),
                         tmp_path / "report")
    status, message = verdicts[scenario_id]
    assert status == "failed", verdicts
    assert message.startswith(start), message
    assert said in message, message
