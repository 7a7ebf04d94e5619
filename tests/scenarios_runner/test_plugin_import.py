"""The pytest plugin is loaded by every pytest session of a project that installs the harness:
a session whose tests use none of its fixtures must not pay for the mock, the stack or
Playwright's API (about 0.4 s a session, before they were imported on first use)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
