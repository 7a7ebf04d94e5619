"""Every test here runs in a directory of its own: ``conformance`` without ``--report`` writes
its logs under ``reports/conformance`` in the current directory, and two tests running it at once
in one directory would read each other's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _one_playwright_driver(request: pytest.FixtureRequest) -> None:
    """The package's browser tests share the worker's Playwright driver (``tests/conftest.py``):
    each ``conformance`` run in-process would start its own (about 0.4 s of Node's CPU apiece).
    The others start none."""
    if request.node.get_closest_marker("browser") is not None:
        request.getfixturevalue("playwright_session")
