"""An app whose front-channel logout URL answers 404 is caught, and the message says so.

These tests change the reference relying party, for one test, into an app with no front-channel
logout endpoint (its handler answers 404, as a framework does for a route it lacks): the
``signout.frontchannel`` scenario fails naming the status the URL answered the provider's frame
with, as ``signout.backchannel`` names the status its logout token got. (pytest's
``monkeypatch`` restores the function afterwards.)
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.exceptions import HTTPException

from relying_party import logout
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

SCENARIO_ID = "signout.frontchannel"


def _not_found(*args: Any, **kwargs: Any) -> int:
    raise HTTPException(status_code=404)


@pytest.fixture
def no_frontchannel_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logout, "_log_out", _not_found)


def test_the_scenario_passes_against_the_reference_rp(sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.usefixtures("no_frontchannel_endpoint")
def test_a_front_channel_logout_url_answering_404_is_named(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "the user is still signed in after the provider's signed-out page loaded the " \
        "app's front-channel logout URL, which answered HTTP 404: the app has no " \
        "front-channel logout endpoint there" in result.message, report
