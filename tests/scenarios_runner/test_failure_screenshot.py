"""A failure's picture of a page taller than Chromium can picture at once (an app's huge error
page) is cut at MAX_HEIGHT, as a step's DevTools picture is, instead of failing."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from playwright.sync_api import Page

from scenarios.screenshots import (
    MAX_HEIGHT,
    Photographer,
    failure_screenshot,
    screenshot,
    watch_page_versions,
)

pytestmark = pytest.mark.browser


def _size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.mark.parametrize(("lines", "height"), [(2_000, MAX_HEIGHT), (3, 720)])
def test_a_picture_of_a_tall_page_is_cut(page: Page, tmp_path: Path, lines: int,
                                          height: int) -> None:
    watch_page_versions(page.context)
    page.set_content("<h1>Big</h1><p>" + ("x" * 100 + "<br>") * lines + "</p>")
    assert page.evaluate("document.documentElement.scrollHeight") > 15 * lines
    screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png") == (1280, height)


def test_a_failure_on_a_page_whose_state_cannot_be_read_is_pictured_in_its_viewport(
        page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A renderer too busy to answer (a huge page on a loaded machine) gets the quick picture.
    monkeypatch.setattr(Photographer, "state", lambda self, page: None)
    page.set_content("<h1>Big</h1><p>" + ("x" * 100 + "<br>") * 2_000 + "</p>")
    failure_screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png") == (1280, 720)
