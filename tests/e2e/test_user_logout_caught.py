"""An app that ends only one of a user's sessions on the platform's ``user.logout`` is caught.

The reference relying party ends every session of the platform user (and installation) the
event names, in whichever browser (``SessionStore.end_by_platform_user``). These tests change
it, for one test, into an app that keeps one session per user and deletes only the newest one:
alice, signed in in two browsers, stays signed in in the first after the event. The
``signout.user-logout-event`` scenario signs her in in both, and fails against it naming the
browser she is still signed in in; it passes against the reference relying party. (pytest's
``monkeypatch`` restores the method afterwards; the stacks built during the test are the only
relying parties running in this process.)

Another test makes it an app that ends the sessions of the user whose address is the event's
``user_email``, instead of those of the installation's ``user_id``: the scenario's event names
alice by ``user_id`` with her platform account's address, not the one she signed in with, so
both her sessions stay, and it fails saying the sessions must be found by installation and user
id.

An app may also answer an event that ends sessions at once and end them a moment later, from a
queue: the reference relying party made to apply ``user.logout`` and ``app.uninstalled`` a
moment after answering them (:mod:`tests.e2e.late_events`) passes
``signout.user-logout-event`` and ``partner.uninstalled``, which give it up to
``[partner] acknowledgement_wait`` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from relying_party import partner
from relying_party.db.sessions import SessionStore
from relying_party.db.sqlite import ts
from relying_party.web import AppState
from scenarios.pytest_plugin import ScenarioRunner, describe_result
from tests.e2e.late_events import apply_late

pytestmark = pytest.mark.browser

SCENARIO_ID = "signout.user-logout-event"


def _end_newest_only(self: SessionStore, installation_id: str, platform_user_id: str, *,
                     started_before: datetime) -> int:
    return self._sql.run(
        "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions"
        " WHERE source_kind='installation' AND source_id=? AND platform_user_id=?"
        " AND sign_in_started_at<=? ORDER BY rowid DESC LIMIT 1)",
        (installation_id, platform_user_id, ts(started_before)))


@pytest.fixture
def ends_one_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SessionStore, "end_by_platform_user", _end_newest_only)


def _end_by_email(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
                  created_at: datetime) -> str:
    """``user.logout`` ending every session of the user whose address is ``user_email``."""
    email = str(data.get("user_email") or "").strip().casefold()
    ended = rp.db.sessions._sql.run(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email_key=?)",
        (email,))
    return f"logged_out:{ended}"


@pytest.fixture
def ends_sessions_by_email(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(partner.EFFECTS, "user.logout", _end_by_email)


@pytest.fixture
def ends_sessions_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference RP answers ``user.logout`` and ``app.uninstalled`` at once and applies
    them a moment later, in the order they came; other events at once."""
    apply_late(monkeypatch, "user.logout", "app.uninstalled")


@pytest.mark.slow
@pytest.mark.usefixtures("ends_sessions_late")
@pytest.mark.parametrize("scenario_id", [SCENARIO_ID, "partner.uninstalled"])
def test_the_scenarios_pass_against_an_app_that_ends_sessions_a_moment_later(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


def test_the_scenario_passes_against_the_reference_rp(sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.usefixtures("ends_one_session")
def test_the_scenario_fails_against_an_app_that_ends_one_session_of_the_user(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "the user is still signed in (alice's first browser) after a user.logout for her: " \
        "the app must end every session of the user the event names" in result.message, report
    failed = [step for step in result.steps if step.status == "failed"]
    assert failed and failed[0].name == "alice's sessions have ended, in both her browsers", \
        report


@pytest.mark.usefixtures("ends_sessions_by_email")
def test_the_scenario_fails_against_an_app_that_ends_the_sessions_of_the_events_address(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "alice is still signed in in both her browsers after a user.logout naming her by " \
        "user_id, with the user_email alice.adams@platform-accounts.example, not the address " \
        "she signed in with: the app must find the sessions to end by the event's " \
        "installation_id and user_id" in result.message, report
    failed = [step for step in result.steps if step.status == "failed"]
    assert failed and failed[0].name == "alice's sessions have ended, in both her browsers", \
        report
