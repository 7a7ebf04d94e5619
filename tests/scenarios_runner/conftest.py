"""Fixtures shared by the runner's browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from scenarios.browser import launched


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the module's browser tests (``pytest.mark.browser``)."""
    with launched() as browser:
        yield browser
