"""pytest run in-process with only the ``sso_harness`` plugin, for the plugin's own tests (with
the package's ``pytester``, which loads no plugin by itself)."""

from __future__ import annotations

import pytest

__all__ = ["run_plugin_pytest"]


def run_plugin_pytest(pytester: pytest.Pytester, *options: str) -> pytest.RunResult:
    """pytest with the plugin loaded by ``-p``, as a CI job loads it; no interpreter and no
    imports of its own (a subprocess cost about 0.6 s of CPU)."""
    return pytester.runpytest_inprocess("-p", "scenarios.pytest_plugin", "-p",
                                        "no:cacheprovider", *options)
