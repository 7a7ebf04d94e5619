"""The pytest plugin is loaded by every pytest session of a project that installs the harness:
a session whose tests use none of its fixtures must not pay for the mock, the stack or
Playwright's API (about 0.4 s a session, before they were imported on first use)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("mock_idp.app", "mock_idp.testing", "scenarios.live", "scenarios.runner",
         "scenarios.pytest_run", "playwright.sync_api", "uvicorn", "starlette", "httpx")

SESSION = textwrap.dedent("""
    import json, sys
    import pytest
    code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "scenarios.pytest_plugin",
                        sys.argv[1]])
    print(json.dumps({"code": int(code), "loaded": sorted(m for m in json.loads(sys.argv[2])
                                                          if m in sys.modules)}))
""")


def _session(tmp_path: Path, test_source: str) -> dict[str, object]:
    test_file = tmp_path / "test_plain.py"
    test_file.write_text(textwrap.dedent(test_source))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", SESSION, str(test_file), json.dumps(HEAVY)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_session_without_the_fixtures_imports_none_of_what_they_run(tmp_path: Path) -> None:
    found = _session(tmp_path, """
        def test_plain():
            assert 1 + 1 == 2
    """)
    assert found == {"code": 0, "loaded": []}


def test_the_plugins_names_are_there_when_a_test_asks_for_them(tmp_path: Path) -> None:
    found = _session(tmp_path, """
        import pytest
        from scenarios.pytest_plugin import ScenarioRunner, StackIdp, expect_passed

        def test_names(pytestconfig):
            assert ScenarioRunner.__module__ == "scenarios.pytest_run"
            assert StackIdp.__module__ == "scenarios.stack_idp"
            assert callable(expect_passed)
            assert pytestconfig.getoption("sso_key_pool") == 16
    """)
    assert found["code"] == 0
    assert "scenarios.pytest_run" in found["loaded"]  # type: ignore[operator]


PACKAGE_ACCESS = textwrap.dedent("""
    import importlib, json, sys
    import mock_idp, scenarios, scenarios.app
    found = {
        # a submodule as an attribute, as when the packages imported their modules eagerly
        "submodules": [mock_idp.config.__name__, scenarios.registry.__name__,
                       scenarios.app.profile.__name__],
        "unknown": [hasattr(mock_idp, "nothing"), hasattr(scenarios.app, "nothing")],
    }
    first = mock_idp.MockIdp
    del sys.modules["mock_idp.testing"]  # as pytester does after an inner run
    again = importlib.import_module("mock_idp.testing").MockIdp
    found["fresh"] = [first is not again, mock_idp.MockIdp is again]
    print(json.dumps(found))
""")


def test_the_packages_submodules_and_reimported_names_are_reached() -> None:
    done = subprocess.run([sys.executable, "-c", PACKAGE_ACCESS], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "submodules": ["mock_idp.config", "scenarios.registry", "scenarios.app.profile"],
        "unknown": [False, False],
        "fresh": [True, True],
    }


MISSPELT = textwrap.dedent("""
    import mock_idp
    from mock_idp import MockIDP
    from scenarios import senario
    from scenarios.app import load_profil
    from scenarios.pytest_plugin import expect_pased
    from mock_idp import MockIdp
    from scenarios.pytest_plugin import StackIdp

    reveal_type(MockIdp)
    reveal_type(StackIdp)
    reveal_type(mock_idp.config.REFERENCE_RP_CLIENT_ID)
    mock_idp.IdpConfg
""")


@pytest.mark.slow  # mypy reads the packages afresh: about 5 s of CPU
def test_a_type_checker_still_flags_a_misspelt_name(tmp_path: Path) -> None:
    """The lazy ``__getattr__`` is hidden from type checkers, which take each name from the
    packages' ``TYPE_CHECKING`` imports: a misspelt one is an error, a right one its type."""
    from mypy import api

    user = tmp_path / "user_code.py"
    user.write_text(MISSPELT)
    out, _, _ = api.run(["--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
                         "--config-file", str(ROOT / "pyproject.toml"), str(user)])
    flagged = sorted(re.findall(r'has no attribute "([^"]+)"', out))
    assert flagged == ["IdpConfg", "MockIDP", "expect_pased", "load_profil", "senario"], out
    assert 'Revealed type is "def (' in out and "mock_idp.testing.MockIdp" in out, out
    assert "scenarios.stack_idp.StackIdp" in out, out
    assert 'Revealed type is "str"' in out, out
