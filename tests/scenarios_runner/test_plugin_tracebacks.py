"""The plugin's hooks around every test leave no trace in a project's own failures: an error in
a fixture of its conftest.py shows that fixture, as it does without the plugin."""

from __future__ import annotations

import pytest

from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

CONFTEST = """
import pytest

@pytest.fixture
def database():
    raise RuntimeError("the database is down")

@pytest.fixture
def cache():
    yield
    raise RuntimeError("the cache did not close")
"""

TESTS = """
def test_setup(database):
    pass

def test_teardown(cache):
    pass
"""


def test_a_conftest_fixtures_error_names_no_frame_of_the_plugin(
        pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_project=TESTS)
    done = run_plugin_pytest(pytester, "--sso-key-pool", "0")
    done.assert_outcomes(passed=1, errors=2)
    out = "\n".join(done.outlines)
    assert "the database is down" in out and "the cache did not close" in out, out
    assert "pytest_plugin.py" not in out and "return (yield)" not in out, out
