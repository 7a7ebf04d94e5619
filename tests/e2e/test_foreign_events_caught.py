"""An app that applies another partner app's events is caught by ``partner.forged-event``.

The platform signs every partner app's events with the same keys, so the reference relying
party applies only events whose ``app_id`` is its own (``relying_party.partner.check_app``).
These tests change that check, for one test, into none at all or none for ``app.installed``:

- with no check, a platform-signed ``user.logout`` for alice naming another app's ``app_id``
  ends her session;
- with none for ``app.installed``, one for alice's installation naming another app replaces
  the installation's credentials with that app's: the app's installations hold the other app's
  client id, or (with a profile naming no installations URL to read) the next launch sends alice
  to the provider as the other app's client.

An app may also answer an event at once and apply it a moment later, from a queue worked in
order: with no check, a queued ``user.logout`` for alice naming another app's ``app_id`` ends her
session only after the scenario's first look. The scenario judges again once a genuine
``user.logout`` for bob, sent after every other event, has ended his session.

The scenario fails against each, saying which event was applied, and passes against the
reference relying party. (pytest's ``monkeypatch`` restores the function afterwards; the stacks
built during the test are the only relying parties running in this process.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from relying_party import partner
from relying_party.inputs import identifier
from scenarios.app.adapter import ProfileAdapter
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCENARIO_ID = "partner.forged-event"
LOGOUT_STEP = ("a user.logout for alice, signed by the platform but naming another partner "
               "app's app_id: the app does not apply it")
INSTALL_STEP = ("an app.installed for the installation, signed by the platform but naming "
                "another partner app's app_id and carrying that app's credentials")
LAUNCH_STEP = ("alice is still signed in, and a launch still signs her in through the "
               "installation's own client")
BROKEN: dict[str, tuple[str, str]] = {
    "app_id_unchecked": (LOGOUT_STEP, "alice is no longer signed in after a user.logout for "
                         "her naming another partner app's app_id"),
    "app_id_unchecked_on_install": (INSTALL_STEP, "the app's installations hold the client "
                                    "id"),
    "app_id_unchecked_on_install_installations_unread": (
        LAUNCH_STEP, "the launch sent alice to the provider as the client"),
    "app_id_unchecked_logout_applied_late": (
        LAUNCH_STEP, "alice is no longer signed in once the app had applied a user.logout for "
        "bob sent after the events above"),
}
"""A broken app (its fixture): the step that fails, and what the failure message says."""
MUST_CHECK_APP = "the app must apply only events whose app_id is its own"


def _any_app(event: Mapping[str, Any], partner_app_id: str | None) -> str:
    return identifier(event.get("app_id"), "app_id")


@pytest.fixture
def app_id_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partner, "check_app", _any_app)


@pytest.fixture
def app_id_unchecked_on_install(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = partner.check_app

    def all_but_installs(event: Mapping[str, Any], partner_app_id: str | None) -> str:
        if event.get("type") == "app.installed":
            return _any_app(event, partner_app_id)
        return checked(event, partner_app_id)

    monkeypatch.setattr(partner, "check_app", all_but_installs)


@pytest.fixture
def app_id_unchecked_on_install_installations_unread(
        app_id_unchecked_on_install: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """As :func:`app_id_unchecked_on_install`, the profile naming no installations URL."""
    monkeypatch.setattr(ProfileAdapter, "installations_text", lambda self: None)


LATE_S = 3.0
"""How long the queuing app waits before applying a ``user.logout``: longer than what is left
of the scenario after the foreign one, but for the genuine event that comes after it."""


@pytest.fixture
def app_id_unchecked_logout_applied_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app answers a ``user.logout`` at once and applies it :data:`LATE_S` seconds later,
    in the order they came, without checking its ``app_id``; other events as the reference
    RP does."""
    checked, apply_once = partner.check_app, partner.apply_once

    def logout_unchecked(event: Mapping[str, Any], partner_app_id: str | None) -> str:
        if event.get("type") == "user.logout":
            return _any_app(event, partner_app_id)
        return checked(event, partner_app_id)

    def queued(rp: Any, event: Mapping[str, Any], event_id: str, event_type: str, *,
               created_at: datetime) -> str:
        if event_type != "user.logout":
            return apply_once(rp, event, event_id, event_type, created_at=created_at)
        # called in the app's event loop: each logout waits its turn, in order
        asyncio.get_running_loop().call_later(
            LATE_S, lambda: apply_once(rp, event, event_id, event_type, created_at=created_at))
        return "queued"

    monkeypatch.setattr(partner, "check_app", logout_unchecked)
    monkeypatch.setattr(partner, "apply_once", queued)


def test_the_scenario_passes_against_the_reference_rp(sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.parametrize("broken", list(BROKEN))
def test_the_scenario_fails_against_an_app_that_applies_another_apps_events(
        broken: str, request: pytest.FixtureRequest, sso_run_scenario: ScenarioRunner) -> None:
    request.getfixturevalue(broken)
    step, said = BROKEN[broken]
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert said in result.message and MUST_CHECK_APP in result.message, report
    failed = [s for s in result.steps if s.status == "failed"]
    assert failed and failed[0].name == step, report
