"""Every test here runs in a directory of its own: ``conformance`` without ``--report`` writes
its logs under ``reports/conformance`` in the current directory, and two tests running it at once
in one directory would read each other's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
