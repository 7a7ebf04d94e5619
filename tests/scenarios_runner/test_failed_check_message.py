"""A failed check reads ``AssertionError: …`` in results, whichever of the harness's own kinds
of assertion carried it: their module paths say nothing to a user, and move with the code."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Browser

from scenarios import Registry, ScenarioContext, WorkerInfo
from scenarios.app.failure_page import NoFailurePage
from scenarios.app.me_answer import SignedInElsewhere
from scenarios.worker import RunOptions, run_scenario

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("failure", [
    AssertionError("the page does not show 'x'"),
    NoFailurePage("the page does not show 'x'", "the app showed /callback"),
    SignedInElsewhere("the page does not show 'x'"),
], ids=["assert", "no-failure-page", "signed-in-elsewhere"])
def test_a_failed_check_reads_as_an_assertion(browser: Browser, tmp_path: Path,
                                              failure: AssertionError) -> None:
    registry = Registry()

    @registry.scenario(id="message.probe", title="probe", proves="a check fails")
    def probe(ctx: ScenarioContext[None]) -> None:
        raise failure

    result = run_scenario(registry.get("message.probe"), browser=cast(Browser, browser),
                          worker_env=None, registry=registry,
                          options=RunOptions(report_dir=tmp_path, trace="off"),
                          worker=WorkerInfo(index=0, count=1))
    assert result.status == "failed"
    assert result.message.startswith("AssertionError: the page does not show 'x'"), \
        result.message
