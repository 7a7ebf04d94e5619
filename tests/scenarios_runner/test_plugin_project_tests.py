"""A project's own tests, which use none of the plugin's fixtures, are left alone: their
failures and skips are not rewritten, and cost no import of the harness's modules."""

from __future__ import annotations

import ast
import inspect

import pytest

import scenarios.pytest_plugin
import scenarios.pytest_run
from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

PROJECT_TESTS = """
import pytest

def test_fails():
    assert 1 == 2

def test_skips():
    pytest.skip("later")

def test_fails_with_the_plugin(sso_timeout_ms):
    assert 1 == 2
"""


def test_only_a_test_of_the_plugins_fixtures_has_its_report_rewritten(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    rewritten: list[str] = []
    monkeypatch.setattr(scenarios.pytest_run, "inert_report",
                        lambda report: rewritten.append(report.nodeid))
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_project=PROJECT_TESTS)
    done = run_plugin_pytest(pytester, "--sso-key-pool", "0")
    done.assert_outcomes(failed=2, skipped=1)
    assert rewritten == ["test_project.py::test_fails_with_the_plugin"], rewritten


def test_the_autouse_fixtures_are_the_plugins() -> None:
    """:data:`~scenarios.pytest_run.AUTOUSE_FIXTURES` names every fixture of the plugin that
    each test has, whether it asks for it or not."""
    tree = ast.parse(inspect.getsource(scenarios.pytest_plugin))
    autouse = {
        node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Call) and any(k.arg == "autouse" for k in d.keywords)
                for d in node.decorator_list)
    }
    assert autouse == scenarios.pytest_run.AUTOUSE_FIXTURES
