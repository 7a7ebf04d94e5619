"""An app whose sign-out ends only its own session is caught at once, and the message says so.

These tests change the reference relying party, for one test, into an app that signs out
locally only (as Auth.js's ``signOut`` does): its end-session URL is never made, so its "Sign
out" ends the app's session and sends the browser straight to its signed-out page, never to the
provider's end-session endpoint. ``signout.rp-initiated`` fails against it, saying the app
signed out locally and where the browser landed, and it decides as soon as the app's
signed-out page shows: it no longer waits out the driver's wait for a "Pick an account" page
that will not come. It passes against the reference relying party. (pytest's ``monkeypatch``
restores the function afterwards.)
"""

from __future__ import annotations

from typing import Any

import pytest

from relying_party import logout
from scenarios.drivers import EntraDriver
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

SCENARIO_ID = "signout.rp-initiated"
SIGN_OUT_STEP = "she signs out in the app"


def _no_end_session_url(*args: Any, **kwargs: Any) -> None:
    return None


@pytest.fixture
def signs_out_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logout, "end_session_url", _no_end_session_url)


def test_the_scenario_passes_against_the_reference_rp(sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.usefixtures("signs_out_locally")
def test_an_app_signing_out_locally_only_is_named_without_waiting_for_the_provider(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    message = result.message or ""
    assert "the app signed out locally only: its sign-out never sent the browser to the " \
        "provider's end-session endpoint" in message, report
    assert "OpenID Connect RP-Initiated Logout 1.0" in message, report
    assert "/logout 303 -> " in message and "landed on http" in message, report
    assert message.rstrip().endswith("/signed-out"), report
    sign_out = next(step for step in result.steps if step.name.startswith(SIGN_OUT_STEP))
    assert sign_out.status == "passed", report
    # The driver waits this long for a provider's page when nothing tells it none will come.
    old_wait = EntraDriver().timeout_ms / 1000
    assert sign_out.seconds < old_wait / 4, f"the sign-out step took {sign_out.seconds:.1f} s"
