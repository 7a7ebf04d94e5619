"""Mistakes in using the pytest plugin are one-line usage errors naming the mistake and what
was probably meant; a failed scenario's message names what there is to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from scenarios.context import StepRecord
from scenarios.pytest_run import ScenarioRunner, describe_result
from scenarios.results import ScenarioResult

from .plugin_pytest import run_plugin_pytest
from .toy_catalogue import registry as toy

MARKER_TESTS = '''
import pytest


@pytest.mark.sso_stack_options(conection=False)
def test_unknown_option(sso_stack_options):
    pass


@pytest.mark.sso_stack_options(app="no-such-profile")
def test_no_such_profile(sso_stack_options):
    pass


@pytest.mark.sso_stack_options(app="broken.toml")
def test_broken_profile(sso_stack_options):
    pass


@pytest.mark.sso_stack_options(app="reference-rp", connection=False)
def test_a_shipped_name(sso_stack_options):
    assert sso_stack_options.app.name == "reference relying party"
    assert not sso_stack_options.connection
'''


def test_stack_options_marker_mistakes_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.path / "broken.toml").write_text('name = "broken"\n[app]\ntimeout = "soon"\n')
    pytester.makepyfile(test_marked=MARKER_TESTS)
    done = run_plugin_pytest(pytester, "-q", "-rA", "--sso-key-pool", "1")
    out = done.stdout.str() + done.stderr.str()
    assert "1 passed, 3 errors" in out, out
    assert ("UsageError: sso_stack_options: no option 'conection' (did you mean 'connection'? "
            "options: app, ") in out, out
    assert ("UsageError: sso_stack_options(app='no-such-profile'): no such profile: a relative "
            "path is looked up in pytest's rootdir") in out, out
    assert "UsageError: sso_stack_options(app='broken.toml'): the profile has problems:" in out
    assert "app.timeout: must be a number, not a string" in out, out
    assert "ProfileError:" not in out and "unexpected keyword" not in out, out


def test_a_mistyped_scenario_id_is_a_usage_error_naming_close_ones(tmp_path: Path) -> None:
    run = ScenarioRunner(browser=cast(Any, None), report_dir=tmp_path,
                         environments=lambda _registry, _app: None)
    with pytest.raises(pytest.UsageError) as raised:
        run("toy.pass.haeding", registry=toy)
    assert str(raised.value) == ("sso_run_scenario: no scenario 'toy.pass.haeding' is "
                                 "registered; did you mean 'toy.pass.heading'?")
    with pytest.raises(pytest.UsageError, match=r"'nothing\.like\.it' is registered$"):
        run("nothing.like.it", registry=toy)


def test_a_failed_scenarios_message_names_its_screenshot(tmp_path: Path) -> None:
    steps = (StepRecord(name="sign in", status="passed", seconds=1.0, screenshot="s/1.png"),
             StepRecord(name="look", status="failed", seconds=1.0, screenshot="s/2.png",
                        error="not there"))
    result = ScenarioResult(id="mine.look", title="t", proves="p", group="g", status="failed",
                            seconds=2.0, message="not there", steps=steps, trace="t.zip")
    message = describe_result(result, tmp_path)
    assert f"screenshot at the failure: {tmp_path / 's/2.png'}" in message
    assert str(tmp_path / "s/1.png") not in message
