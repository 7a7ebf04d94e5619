"""A catalogue scenario that the app under test cannot run skips the test that ran it, and
pytest's short summary names that test's line, not the plugin's."""

from __future__ import annotations

import pytest

from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

SKIPPING_TESTS = """
from scenarios.pytest_run import expect_passed
from scenarios.results import ScenarioResult


def test_needs_the_back_channel(sso_timeout_ms):
    expect_passed(ScenarioResult(id="signout.backchannel", title="t", proves="p",
                                 group="signout", status="skipped", seconds=0.0,
                                 message="the profile lacks backchannel"))


def test_skips_itself():
    import pytest
    pytest.skip("a reason of the test's own")
"""


def test_a_skipped_scenario_is_reported_at_the_tests_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_skipping=SKIPPING_TESTS)
    done = run_plugin_pytest(pytester, "-rs", "--sso-key-pool", "1")
    done.assert_outcomes(skipped=2)
    summary = [line for line in done.outlines if line.startswith("SKIPPED")]
    assert any("test_skipping.py:5: signout.backchannel: the profile lacks backchannel" in line
               for line in summary), summary
    assert not any("pytest_run.py" in line for line in summary), summary
    # a skip the test raises itself keeps its own line
    assert any("test_skipping.py:13: a reason of the test's own" in line
               for line in summary), summary
