"""A catalogue scenario that fails under pytest gives its message once: not again in its failed
step's line, nor as its traceback's last line, in the failure and in the short summary, which
pytest prints in full where it runs in CI: there as the scenario's message, without its steps
and traceback."""

from __future__ import annotations

import pytest

from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

SAID = "the app accepted an ID token whose nonce differs; the failure page did not appear"

FAILING_TESTS = f'''
from scenarios.context import StepRecord
from scenarios.pytest_run import expect_passed
from scenarios.results import ScenarioResult

TRACEBACK = """Traceback (most recent call last):
  File "scenarios/app/failure_page.py", line 56, in expect_failure
    raise NoFailurePage(missing, instead) from exc
scenarios.app.failure_page.NoFailurePage: the failure page did not appear

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "scenarios/catalogue/failures_token.py", line 87, in _token_fault
    raise AssertionError(f"{{told}}; {{exc}}") from exc
AssertionError: {SAID}
"""


def test_nonce(sso_timeout_ms):
    expect_passed(ScenarioResult(
        id="failure.nonce-mismatch", title="t", proves="p", group="failure", status="failed",
        seconds=1.0, message="AssertionError: {SAID}", details=TRACEBACK,
        steps=(StepRecord(name="arm the fault", status="passed", seconds=0.1),
               StepRecord(name="follow the sign-in URL", status="failed", seconds=0.5,
                          error="AssertionError: {SAID}"),
               StepRecord(name="state at failure", status="failed", seconds=0.0,
                          error="scenarios.app.failure_page.NoFailurePage: {SAID}"))))
'''


@pytest.mark.parametrize("ci", [False, True])
def test_the_message_is_given_once(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                   ci: bool) -> None:
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_failing=FAILING_TESTS)
    done = run_plugin_pytest(pytester, "-rA", "--sso-key-pool", "1")
    done.assert_outcomes(failed=1)
    out = done.stdout.str()
    failure, _, summary = out.partition("short test summary info")
    assert failure.count(SAID) == 1, failure
    # the step names stay, each with its status; the traceback keeps its exception's type
    assert "  FAILED follow the sign-in URL (the error above)" in failure, failure
    assert "  FAILED state at failure (the error above)" in failure, failure
    assert "  PASSED arm the fault" in failure, failure
    assert "\nAssertionError (the error above)" in failure, failure
    assert "NoFailurePage: the failure page did not appear" in failure, failure
    # under CI pytest prints the whole message in its short summary: once there too, as the
    # scenario and its message, without its steps and traceback
    if ci:
        assert summary.count(SAID) == 1, summary
        assert (f"FAILED test_failing.py::test_nonce - failure.nonce-mismatch FAILED: "
                f"AssertionError: {SAID}\n") in summary, summary
        assert "Traceback" not in summary and "arm the fault" not in summary, summary


@pytest.mark.parametrize("tb", ["short", "line", "no"])
def test_the_short_summary_holds_the_message_not_the_traceback(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tb: str) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_failing=FAILING_TESTS)
    done = run_plugin_pytest(pytester, "-rA", f"--tb={tb}", "--sso-key-pool", "1")
    done.assert_outcomes(failed=1)
    out = done.stdout.str()
    summary = out.partition("short test summary info")[2]
    assert summary.count(SAID) == 1 and "Traceback" not in summary, summary
    assert "Failed: " not in out, out  # pytest's name for the outcome, not the scenario's
    if tb == "short":  # the failures section keeps the steps and the traceback (with
        # --tb=line, pytest 8.0 prints the crash line alone there, newer ones the whole text)
        assert "  FAILED follow the sign-in URL" in out and "Traceback" in out, out


def test_the_summary_holds_the_first_lines_of_a_long_message() -> None:
    from scenarios.pytest_run import SUMMARY_LINES, ScenarioFailed, expect_passed
    from scenarios.results import ScenarioResult

    message = "AssertionError: the page said\n\n" + "\n".join(f"line {i}" for i in range(9))
    with pytest.raises(ScenarioFailed) as failed:
        expect_passed(ScenarioResult(id="failure.x", title="t", proves="p", group="failure",
                                     status="failed", seconds=1.0, message=message))
    assert failed.value.summary.splitlines() == [
        "failure.x FAILED: AssertionError: the page said", "line 0", "line 1"][:SUMMARY_LINES]
    assert "line 8" in failed.value.msg  # the failure itself keeps the whole message
