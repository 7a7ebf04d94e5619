"""pytest run in-process with only the ``sso_harness`` plugin, for the plugin's own tests (with
the package's ``pytester``, which loads no plugin by itself)."""

from __future__ import annotations

# Imported before any inner run, as pytester forgets the modules an inner run imported: httpx
# imports httpcore only when it first makes a transport and keeps the map from httpcore's
# exceptions to its own, so an httpcore imported afresh by a later run raises exceptions that
# map has never seen (an httpcore.ConnectError escaping httpx's "except httpx.ConnectError").
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

__all__ = ["run_plugin_pytest"]


def run_plugin_pytest(pytester: pytest.Pytester, *options: str) -> pytest.RunResult:
    """pytest with the plugin loaded by ``-p``, as a CI job loads it; no interpreter and no
    imports of its own (a subprocess cost about 0.6 s of CPU)."""
    return pytester.runpytest_inprocess("-p", "scenarios.pytest_plugin", "-p",
                                        "no:cacheprovider", *options)
