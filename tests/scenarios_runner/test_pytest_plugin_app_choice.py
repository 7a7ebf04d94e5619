"""Every fixture of the pytest plugin takes the app a test names (the ``app`` of
``sso_stack_options`` as much as ``sso_app`` or ``--sso-app``, a run's own ``app=``); a test that
falls back to the reference relying party because it names none is warned once, at its own
line, and a test that starts no such stack is not."""

from __future__ import annotations

import textwrap

# Imported before any inner run: pytester forgets the modules an inner run imported, and a
# later run's fresh x509 classes would not be those cryptography's compiled part keeps making.
import cryptography.x509  # noqa: F401
import pytest

from scenarios.profiles import REFERENCE_RP

from .plugin_pytest import run_plugin_pytest

pytestmark = pytest.mark.browser

PROVIDER_ONLY = "device-code.sign-in"
"""A scenario the catalogue runs with the reference relying party only: any other app skips it
(without starting anything), so it tells which app a run took."""

NAMED_TESTS = f'''
import pytest

from scenarios.live import StackOptions


@pytest.mark.sso_stack_options(app="tests/helpdesk.toml")
def test_the_stack_options_name_the_app_of_every_fixture(sso_app_profile, sso_stack, sso_app,
                                                         sso_run_scenario):
    assert sso_app_profile.name == sso_stack.app.name == sso_app.name == "helpdesk"
    result = sso_run_scenario("{PROVIDER_ONLY}")
    assert result.skipped and "reference relying party only" in result.message, result.message


@pytest.mark.sso_app("tests/helpdesk.toml")
@pytest.mark.sso_stack_options(StackOptions(connection=False))
def test_stack_options_that_name_no_app_keep_the_marked_one(sso_app_profile, sso_stack):
    assert sso_app_profile.name == sso_stack.app.name == "helpdesk"
    assert sso_stack.connection_id is None


def test_a_run_finds_its_app_as_a_marker_does(sso_run_scenario):
    result = sso_run_scenario("{PROVIDER_ONLY}", app="tests/helpdesk.toml")
    assert result.skipped and "reference relying party only" in result.message, result.message


@pytest.mark.parametrize("app", ["tests/broken.toml", "tests/missing.toml"])
def test_a_run_with_a_bad_app(sso_run_scenario, app):
    sso_run_scenario("{PROVIDER_ONLY}", app=app)
'''

WARNED_TESTS = '''
from scenarios.live import StackOptions, profile_for


def test_a_run_that_names_no_app(sso_run_scenario):
    sso_run_scenario.expect_passed(sso_run_scenario("auto-login.first-login"))


def test_the_browser_alone(sso_page):
    sso_page.set_content("<p>nothing started</p>")


def test_a_stack_of_its_own_on_https(request, sso_stack_factory, sso_page):
    profile = profile_for(request.config.rootpath / "tests" / "helpdesk.toml")
    stack = sso_stack_factory(StackOptions(app=profile, idp_https=True))
    assert stack.idp.base_url.startswith("https://")
    assert sso_page.goto(stack.idp_url("/_mock/health")).ok
'''


def _pytest_in_tests_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                         tests: str, *options: str) -> str:
    """Run pytest in ``tests/`` of a project (the rootdir being the project) whose app is
    ``tests/helpdesk.toml``, named "helpdesk"; its output."""
    project = pytester.path
    pytester.makeini("[pytest]\n")
    (project / "tests").mkdir()
    helpdesk = REFERENCE_RP.read_text(encoding="utf-8").replace(
        'name = "reference relying party"', 'name = "helpdesk"')
    (project / "tests" / "helpdesk.toml").write_text(helpdesk, encoding="utf-8")
    (project / "tests" / "broken.toml").write_text('name = "broken"\n[app]\ntimeout = "soon"\n')
    (project / "tests" / "test_app.py").write_text(textwrap.dedent(tests))
    monkeypatch.chdir(project / "tests")
    done = run_plugin_pytest(pytester, "-q", "-rA", "--sso-key-pool", "1", *options)
    return done.stdout.str() + done.stderr.str()


def test_the_app_a_test_names_anywhere_is_the_app_of_every_fixture(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sso_stack_options(app=...)`` is the app of ``sso_app_profile`` and ``sso_run_scenario``
    too, not only of ``sso_stack``; a run's ``app=`` is found and checked as a marker's is."""
    out = _pytest_in_tests_dir(pytester, monkeypatch, NAMED_TESTS,
                               "-W", "error::scenarios.pytest_plugin.ReferenceAppWarning")
    assert "2 failed, 3 passed" in out, out
    root, tests = pytester.path, pytester.path / "tests"
    assert ("UsageError: sso_run_scenario(app='tests/broken.toml'): the profile has "
            "problems:") in out, out
    assert ("UsageError: sso_run_scenario(app='tests/missing.toml'): no such profile: a "
            f"relative path is looked up in pytest's rootdir ({root}), then in the current "
            f"directory ({tests}); neither has it") in out, out
    assert "ProfileError" not in out, out


@pytest.mark.filterwarnings("default::scenarios.pytest_plugin.ReferenceAppWarning")
def test_only_a_test_that_falls_back_to_the_reference_rp_is_warned_at_its_own_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of ``sso_run_scenario`` that names no app is warned about, as ``sso_stack`` is;
    the browser alone, or a stack a test starts itself, starts no reference relying party it
    did not ask for, and its page accepts the local CA of an https provider it starts."""
    out = _pytest_in_tests_dir(pytester, monkeypatch, WARNED_TESTS)
    assert "3 passed, 1 warning" in out, out
    warned = out.split("warnings summary")[1].split("-- Docs")[0]
    line = WARNED_TESTS.splitlines().index("def test_a_run_that_names_no_app(sso_run_scenario):")
    assert f"test_app.py:{line + 1}: ReferenceAppWarning: no --sso-app or sso_app marker" in warned
    assert "_pytest" not in warned, warned

