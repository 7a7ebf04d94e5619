"""The pytest plugin's choice of profile: a marker's relative path is found from any directory
pytest runs in, and a profile it cannot use is a usage error naming why."""

from __future__ import annotations

import argparse
import shutil
import textwrap

import pytest

from scenarios.options import timeout_option
from scenarios.profiles import REFERENCE_RP

from .plugin_pytest import run_plugin_pytest

PROFILE_TESTS = '''
import pytest


@pytest.mark.sso_app("tests/helpdesk.toml")
def test_relative_to_the_rootdir(sso_app_profile):
    assert sso_app_profile.name == "reference relying party"


@pytest.mark.sso_app("tests/missing.toml")
def test_missing(sso_app_profile):
    pass


@pytest.mark.sso_app("helpdesk.toml")
def test_relative_to_the_current_directory(sso_app_profile):
    assert sso_app_profile.name == "reference relying party"


def test_the_option_falls_back_to_the_rootdir(sso_app_profile):
    assert sso_app_profile.name == "reference relying party"
'''

RUNNER_TESTS = '''
import pytest


@pytest.mark.sso_app("tests/broken.toml")
def test_broken(sso_run_scenario):
    pass
'''


def _pytest_in_tests_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                         tests: str, *options: str) -> str:
    """Run pytest in ``tests/`` of a project (the rootdir being the project); its output."""
    project = pytester.path
    pytester.makeini("[pytest]\n")
    (project / "tests").mkdir()
    shutil.copy(REFERENCE_RP, project / "tests" / "helpdesk.toml")
    (project / "tests" / "broken.toml").write_text('name = "broken"\n[app]\ntimeout = "soon"\n')
    (project / "tests" / "test_profiles.py").write_text(textwrap.dedent(tests))
    monkeypatch.chdir(project / "tests")
    done = run_plugin_pytest(pytester, "-q", "-rA", *options)
    return done.stdout.str() + done.stderr.str()


def test_a_marker_path_is_taken_against_the_rootdir_then_the_current_directory(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _pytest_in_tests_dir(pytester, monkeypatch, PROFILE_TESTS,
                               "--sso-app", "tests/helpdesk.toml")
    assert "3 passed, 1 error" in out, out
    assert ("UsageError: sso_app('tests/missing.toml'): no such profile: a relative path is "
            f"looked up in pytest's rootdir ({pytester.path}), then in the current directory "
            f"({pytester.path / 'tests'}); neither has it") in out, out


NO_FIXTURE_TESTS = '''
def test_uses_no_fixture():
    pass
'''


@pytest.mark.parametrize(("app", "said"), [
    ("nosuch.toml", "--sso-app nosuch.toml: no such profile: a relative path is looked up in "
     "the current directory ({tests}), then in pytest's rootdir ({root}); neither has it\n"),
    ("token-group-only", "--sso-app token-group-only: no such profile: a relative path is "
     "looked up in the current directory ({tests}), then in pytest's rootdir ({root}); neither "
     "has it, nor is it a shipped profile's name (did you mean 'token-groups-only'? shipped: "),
    ("broken.toml", "--sso-app broken.toml: the profile has problems:\n"),
], ids=["missing", "a-shipped-name-mistyped", "with-problems"])
def test_a_bad_app_option_ends_the_session_before_any_test(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: str, said: str) -> None:
    """A mistyped ``--sso-app`` is one usage error at start-up (exit 4), so that a test that
    uses no fixture does not pass and hide it, nor does each test that uses one fail with it."""
    out = _pytest_in_tests_dir(pytester, monkeypatch, NO_FIXTURE_TESTS, "--sso-app", app)
    tests, root = pytester.path / "tests", pytester.path
    assert f"ERROR: {said.format(tests=tests, root=root)}" in out, out
    assert "passed" not in out and "Traceback" not in out, out
    assert "pytest_configure" not in out, out


@pytest.mark.parametrize("app", ["", " "])
def test_an_empty_app_option_is_a_usage_error_not_the_reference_rp(
        pytester: pytest.Pytester, app: str) -> None:
    """``--sso-app "$PROFILE"`` with the variable unset tested the reference relying party,
    and passed, instead of the app the job was written for."""
    pytester.makepyfile(NO_FIXTURE_TESTS)
    done = run_plugin_pytest(pytester, "-q", "--sso-app", app)
    assert done.ret == pytest.ExitCode.USAGE_ERROR, done.stdout.str()
    err = done.stderr.str()
    assert (f"argument --sso-app: needs an app profile's path or a shipped profile's name, "
            f"got {app!r}") in err, err
    assert "passed" not in done.stdout.str()


MISTYPED_MARKER_TESTS = '''
import pytest


@pytest.mark.sso_app("token-group-only")
def test_mistyped(sso_app_profile):
    pass
'''


def test_a_mistyped_shipped_name_in_a_marker_names_the_one_meant(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _pytest_in_tests_dir(pytester, monkeypatch, MISTYPED_MARKER_TESTS)
    assert "1 error" in out, out
    assert ("; neither has it, nor is it a shipped profile's name (did you mean "
            "'token-groups-only'? shipped: reference-rp, token-groups-only)") in out, out


FALLBACK_TESTS = '''
import pytest


def test_nothing_named(sso_app_profile):
    assert sso_app_profile.name == "reference relying party"


@pytest.mark.sso_app("reference-rp")
def test_named_by_a_marker(sso_app_profile):
    pass


@pytest.mark.sso_stack_options(app="reference-rp")
def test_named_by_the_stack_options(sso_app_profile):
    pass
'''


@pytest.mark.filterwarnings("default::scenarios.pytest_plugin.ReferenceAppWarning")
@pytest.mark.parametrize("option", [(), ("--sso-app", "reference-rp")])
def test_a_test_that_falls_back_to_the_reference_rp_is_warned_about(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, option: tuple[str, ...]
) -> None:
    """A CI job that forgets ``--sso-app`` tests the reference relying party, not its app: the
    warnings summary says so, once for the one test that named no app."""
    out = _pytest_in_tests_dir(pytester, monkeypatch, FALLBACK_TESTS, *option)
    if option:
        assert "3 passed" in out and "warning" not in out, out
        return
    assert "3 passed, 1 warning" in out, out
    assert "ReferenceAppWarning: no --sso-app or sso_app marker names the app under test" in out
    assert "test_nothing_named" in out.split("warnings summary")[1], out


@pytest.mark.browser
def test_sso_run_scenario_makes_a_broken_profile_a_usage_error(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _pytest_in_tests_dir(pytester, monkeypatch, RUNNER_TESTS, "--sso-key-pool", "1")
    assert "1 error" in out and "failed" not in out, out
    assert "UsageError: sso_app: the profile has problems:" in out, out
    assert "app.timeout: must be a number, not a string" in out, out


@pytest.mark.parametrize("bad", ["0", "-1", "601", "nan", "soon"])
def test_the_timeout_option_is_a_positive_bounded_number(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
        timeout_option(bad)
    assert timeout_option("2.5") == 2.5
