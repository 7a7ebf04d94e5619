"""What leaves a worker is masked by the values the run knows, not only by name: an app that
prints its client secret as it fails to start, a failure message quoting a page that shows the
admin token, a server log line and the app's output. Nothing of either reaches the terminal,
the HTML report, results.json, junit.xml or the logs; a failure's control characters are
escaped, and a huge failure page is cut in the reports."""

from __future__ import annotations

import contextlib
import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from asgi_client import AppClient

from mock_idp import create_app
from mock_idp.config import REFERENCE_RP_CLIENT_ID, IdpConfig
from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo
from scenarios.app.process import AppStartError
from scenarios.report import write_html, write_json, write_junit
from scenarios.results import RunSummary, format_explanations, format_table
from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.browser

ADMIN = "Jq3v-admin-token-made-for-this-run-0123"
PAGE_SIZE = 3_000_000


class _Stack:
    """A scenario's environment: the app's template values (its admin token) and what the app
    printed."""

    def __init__(self, printed: str) -> None:
        self.app = SimpleNamespace(values={"admin_token": ADMIN, "client_id": "2b8e4f61"})
        self.printed = printed

    def app_output(self, lines: int) -> str:
        return self.printed


def _registry(created: list[str], *, starts: bool) -> Registry:
    """Scenarios on a worker whose mock provider made the app's client secret (``created``)."""
    registry = Registry()

    @registry.environment_factory
    @contextlib.contextmanager
    def provider(worker: WorkerInfo) -> Iterator[object]:
        app = create_app(IdpConfig.default())
        with AppClient(app) as client:
            answer = client.post(f"/graph/contoso.onmicrosoft.com/v1.0/applications(appId="
                                 f"'{REFERENCE_RP_CLIENT_ID}')/addPassword", json={})
        created.append(answer.json()["secretText"])
        yield SimpleNamespace(shared=SimpleNamespace(provider=SimpleNamespace(app=app)))

    @registry.around_scenario
    @contextlib.contextmanager
    def stack(env: object, scenario: Scenario) -> Iterator[object]:
        printed = f"Settings(id='2b8e4f61')\nusing {created[0]} and {ADMIN}\n"
        if not starts:
            raise AppStartError("the app's command exited with code 1", output=printed)
        yield _Stack(printed)

    @registry.scenario(id="mask.failure", title="t", proves="p")
    def failure(ctx: ScenarioContext[_Stack]) -> None:
        logging.getLogger("relying_party.failures").warning("refused %s", created[0])
        with ctx.step("read the page"):
            page = f"Internal Server Error \x1b[31m{ADMIN}\x1b[0m " + "x" * PAGE_SIZE
            raise AssertionError(f"the page shows {created[0]}\nActual value: {page}\nCall log:"
                                 f"\n  - unexpected value \"{page}\"\n  - end of the call log")

    return registry


def _everything(summary: RunSummary, out: str, report: Path) -> dict[str, str]:
    write_html(summary, report)
    write_json(summary, report)
    write_junit(summary, report / "junit.xml")
    files = {str(f.relative_to(report)): f.read_text(encoding="utf-8")
             for f in report.rglob("*") if f.suffix in (".html", ".json", ".xml", ".log")}
    return {**files, "terminal": "\n".join([out, format_table(summary),
                                            format_explanations(summary)])}


def test_an_app_that_prints_its_secret_as_it_fails_to_start_leaks_nothing(
        tmp_path: Path) -> None:
    created: list[str] = []
    out = io.StringIO()
    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"),
                  registry=_registry(created, starts=False), out=out)
    [result] = summary.results
    assert result.status == "error" and result.app_not_started
    assert "using [redacted] and" in (result.message or "")
    files = _everything(summary, out.getvalue(), tmp_path)
    assert [name for name, text in files.items() if created[0] in text] == []


@pytest.mark.slow
def test_a_failure_leaks_no_known_value_and_stays_small_and_printable(tmp_path: Path) -> None:
    created: list[str] = []
    out = io.StringIO()
    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"),
                  registry=_registry(created, starts=True), out=out)
    [result] = summary.results
    assert result.status == "failed"
    files = _everything(summary, out.getvalue(), tmp_path)
    assert {"logs/worker-0.log", "logs/app-mask.failure.log", "junit.xml"} <= set(files)
    assert [name for name, text in files.items() if created[0] in text or ADMIN in text] == []
    assert "refused [redacted]" in files["logs/worker-0.log"]
    assert "using [redacted] and [redacted]" in files["logs/app-mask.failure.log"]
    assert [name for name, text in files.items() if "\x1b" in text] == []
    assert "\\x1b[31m[redacted]\\x1b[0m" in (result.message or "")
    ET.fromstring(files["junit.xml"])
    for text in (result.details or "", result.message or "", result.steps[-1].error or ""):
        assert len(text) < 20_000 and "characters cut ...]" in text
    assert (result.details or "").rstrip().endswith("- end of the call log")
    assert max(len(text) for text in files.values()) < 200_000
