"""A run inside GitHub Actions (``GITHUB_ACTIONS=true``) also speaks to the workflow: each
scenario that did not pass becomes an error annotation on the job (a workflow command on
stdout, shown on the run's summary page and in pull requests), and the job's summary
(``$GITHUB_STEP_SUMMARY``) gets the run's counts and a table of what did not pass.

GitHub shows at most 10 error annotations of a step; past that one notice says how many more
the report holds. Nothing is printed or written outside GitHub Actions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from scenarios.results import LABELS, RunSummary, ScenarioResult

__all__ = ["MAX_ANNOTATIONS", "report_to_github", "step_summary", "workflow_commands"]

MAX_ANNOTATIONS = 10
"""Error annotations GitHub shows for one step."""
MAX_MESSAGE = 1000
"""Characters of a scenario's message in its annotation or summary row."""


def _data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped as GitHub reads them back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value: also ``:`` and ``,``."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _message(result: ScenarioResult, lines: int | None = None) -> str:
    """The failed step and the message (its first ``lines`` lines that hold text)."""
    failed = [step for step in result.steps if step.status == "failed"]
    where = f"step {failed[0].name!r}: " if failed else ""
    text = result.message or LABELS[result.status]
    if lines is not None:
        text = "\n".join([line for line in text.splitlines() if line.strip()][:lines])
    # the traced second run of --trace rerun-on-failure: a failure that did not come back
    again = (" (a second, traced run passed: the failure did not come back)"
             if result.rerun == "passed" else "")
    return (where + text)[:MAX_MESSAGE - len(again)] + again


def workflow_commands(summary: RunSummary) -> list[str]:
    """The workflow commands for ``summary``: an error for each scenario that did not pass
    (:data:`MAX_ANNOTATIONS` at most, then a notice of how many more)."""
    lines = [f"::error title={_property(f'{r.id} {LABELS[r.status]}')}::"
             f"{_data(f'{r.title}: {_message(r)}')}"
             for r in summary.failures[:MAX_ANNOTATIONS]]
    if (more := len(summary.failures) - MAX_ANNOTATIONS) > 0:
        lines.append(f"::notice title=sso-harness::{more} more scenarios did not pass: see "
                     f"{_data(str(summary.report_dir / 'index.html'))}")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def step_summary(summary: RunSummary) -> str:
    """The Markdown appended to the job's summary page."""
    passed = sum(r.passed for r in summary.results)
    skipped = len(summary.skipped)
    where = f" shard {summary.shard}" if summary.shard else ""
    app = f" against {_cell(summary.app)}" if summary.app else ""
    lines = [f"### sso-harness scenarios{where}{app}", "",
             f"{passed} passed, {len(summary.failures)} failed, {skipped} skipped in "
             f"{summary.seconds:.1f} s", ""]
    if summary.failures:
        lines += ["| scenario | result | seconds | what went wrong |", "|---|---|---:|---|"]
        lines += [f"| `{r.id}` | {LABELS[r.status]} | {r.seconds:.2f} | "
                  f"{_cell(_message(r, lines=3))} |" for r in summary.failures]
        lines.append("")
    return "\n".join(lines) + "\n"


def report_to_github(summary: RunSummary, environ: Mapping[str, str] | None = None) -> None:
    """Inside GitHub Actions, print the annotations and append the step summary."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        return
    for line in workflow_commands(summary):
        print(line, flush=True)
    if target := env.get("GITHUB_STEP_SUMMARY"):
        try:
            with Path(target).open("a", encoding="utf-8") as out:
                out.write(step_summary(summary))
        except OSError as exc:
            print(f"scenarios: could not write the job summary {target}: {exc.strerror}",
                  flush=True)
