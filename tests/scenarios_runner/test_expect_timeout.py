"""A run's ``--timeout`` is the default of its expectations too, not only of its actions:
Playwright's ``expect(...)`` has a default of its own (5 s) that a context's timeout does not
change."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from scenarios import Registry, ScenarioContext
from scenarios.runner import RunOptions, expect_timeout, run

pytestmark = pytest.mark.browser

NEVER_AFTER = "<p id=x>before</p>"


def _given_up_after(page: Page) -> str:
    """The timeout Playwright says it waited for, from its error ("... with timeout 200ms"):
    what it was told, however long a loaded host took to send the call and its answer."""
    with pytest.raises(AssertionError) as failed:
        expect(page.locator("#x")).to_have_text("after")
    said = re.search(r"with timeout (\d+)ms", str(failed.value))
    assert said is not None, str(failed.value)
    return said.group(1)


def test_expect_timeout_applies_in_its_block_and_the_one_before_comes_back(page: Page) -> None:
    page.set_content(NEVER_AFTER)
    with expect_timeout(1500):
        with expect_timeout(200):
            assert _given_up_after(page) == "200"
        assert _given_up_after(page) == "1500"


def test_a_runs_timeout_is_its_expectations_default(tmp_path: Path) -> None:
    registry = Registry()

    @registry.scenario(id="wait.text", title="waits for a text", proves="nothing: it fails")
    def waits(ctx: ScenarioContext[object]) -> None:
        ctx.page.set_content(NEVER_AFTER)
        expect(ctx.page.locator("#x")).to_have_text("after")

    summary = run(RunOptions(report_dir=tmp_path, timeout_ms=700, trace="off",
                             screenshots="failure"), registry=registry, out=io.StringIO())
    [result] = summary.results
    assert result.status == "failed"
    # Playwright's own account of the timeout it used, not the scenario's wall-clock time (a
    # loaded host stretches that, and the 5 s default would say "with timeout 5000ms").
    assert result.details is not None and "with timeout 700ms" in result.details, result.details
