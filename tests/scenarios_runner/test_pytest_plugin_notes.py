"""What ``run --app`` notes beside its results, a test of the pytest plugin is warned of: a run of
``sso_run_scenario`` against an app that holds no e-mail address for the people it signed in
(the sloppy app of ``tests/sample_apps/tiny_rp.py`` keeping only an address with
``email_verified``, which Entra never sends) gives the test an ``AppNoteWarning`` in the words
of ``run --app``'s note, at the test's own line; an app that holds the address gives none."""

from __future__ import annotations

import textwrap

# Imported before any inner run: pytester forgets the modules an inner run imported, and a
# later run's fresh x509 classes would not be those cryptography's compiled part keeps making.
import cryptography.x509  # noqa: F401
import pytest
from sample_apps import tiny_profile

from .plugin_pytest import run_plugin_pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # an app started as a command

TESTS = '''
import pytest

pytestmark = pytest.mark.sso_app("tests/tiny.toml")


def test_a_first_login(sso_run_scenario):
    sso_run_scenario.expect_passed(sso_run_scenario("auto-login.first-login"))
'''
NOTE = ("AppNoteWarning: tiny sloppy app holds no e-mail address for "
        "alice@contoso.onmicrosoft.com, bob@contoso.onmicrosoft.com (/me answers email: null), "
        "though the scenarios passed on the name it shows: ")  # bob: first-login's second


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *options: str,
         vouched_only: bool) -> str:
    """pytest in ``tests/`` of a project whose app is the sloppy one, ``tests/tiny.toml``
    (keeping only an address with ``email_verified`` when ``vouched_only``); its output."""
    pytester.makeini("[pytest]\n")
    tests = pytester.path / "tests"
    tests.mkdir()
    profile = tiny_profile(tests, env='TINY_VOUCHED_EMAIL = "1"' if vouched_only else "")
    text = profile.read_text(encoding="utf-8")
    profile.write_text(text.replace('email = "email"\n', 'email = "email"\nname = "name"\n'),
                       encoding="utf-8")
    (tests / "test_app.py").write_text(textwrap.dedent(TESTS), encoding="utf-8")
    monkeypatch.chdir(tests)
    done = run_plugin_pytest(pytester, "-q", "--sso-key-pool", "1", *options)
    return done.stdout.str() + done.stderr.str()


def test_a_run_against_an_app_that_holds_no_address_warns_the_test_at_its_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(pytester, monkeypatch, vouched_only=True)
    assert "1 passed, 1 warning" in out, out
    warned = out.split("warnings summary")[1].split("-- Docs")[0]
    line = TESTS.splitlines().index("def test_a_first_login(sso_run_scenario):")
    assert f"test_app.py:{line + 1}: {NOTE}" in " ".join(warned.split()), warned
    assert "take email where xms_edov is true (Entra sends no email_verified)" in " ".join(
        warned.split()), warned


def test_a_run_against_an_app_that_holds_the_address_warns_of_nothing(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(pytester, monkeypatch, vouched_only=False)
    assert "1 passed" in out and "warning" not in out, out


def test_the_warning_made_an_error_fails_the_test(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(pytester, monkeypatch, "-W", "error::scenarios.pytest_plugin.AppNoteWarning",
               vouched_only=True)
    assert "1 failed" in out and NOTE in " ".join(out.split()), out
