"""An app whose callback never lands on a page (it redirects to itself until Chromium gives up,
or closes the connection) leaves the browser on Chromium's own error page: the scenario waiting
for the signed-in page or the failure page fails as soon as the browser shows it, saying why,
not at the end of its timeout. The sloppy sample app (``tests/sample_apps/tiny_rp.py``) with
``TINY_CALLBACK``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner
from scenarios.run_options import RunOptions

TIMEOUT_S = RunOptions().timeout_ms / 1000
"""The scenarios' wait timeout: a failure at the error page comes well before it."""
LOOP = "redirects went round in a loop (the last to http://127.0.0.1:"
DROP = "no answer from http://127.0.0.1:"


@pytest.mark.browser
@pytest.mark.slow  # an app started for each scenario
@pytest.mark.parametrize(("broken", "says"), [("loop", LOOP), ("drop", DROP)])
@pytest.mark.parametrize(("scenario_id", "waits_for"), [
    ("auto-login.first-login", "the sign-in did not end at http://127.0.0.1:"),
    ("failure.user-not-assigned", "the failure page did not appear: no 'Sign-in failed'"),
], ids=["signed-in-page", "failure-page"])
def test_a_callback_left_on_the_browsers_error_page_fails_at_once(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str, waits_for: str,
        broken: str, says: str) -> None:
    profile = tiny_profile(tmp_path, env=f'TINY_CALLBACK = "{broken}"\n')
    result = sso_run_scenario(scenario_id, app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert waits_for in message and says in message, result
    assert "/callback" in message and "code=" not in message, result
    steps = result.phases.steps if result.phases is not None else result.seconds
    assert steps < TIMEOUT_S / 2, f"{steps:.1f} s: the scenario waited out its timeout"
