"""A run inside GitHub Actions (``GITHUB_ACTIONS=true``) also speaks to the workflow: each
scenario (or conformance row) that did not pass becomes an error annotation on the job (a
workflow command, shown on the run's summary page and in pull requests), and the job's summary
(``$GITHUB_STEP_SUMMARY``) gets the run's counts and a table of what did not pass.

The commands go to stderr, which GitHub reads for them as it reads stdout: stdout stays the
command's own output (``conformance --json``'s document).

GitHub shows at most 10 error annotations of a step; past that one notice says how many more
the report holds. Nothing is printed or written outside GitHub Actions.

What the harness quotes on the console (an app's output, a page's text, a provider's answer)
goes through :func:`inert` first: the runner reads every line of a step's stdout and stderr for
commands, ``::command::`` after leading whitespace and the older ``##[command]`` anywhere in a
line (actions/runner, ``src/Runner.Common/ActionCommand.cs``: ``TryParseV2`` trims the line's
start, ``TryParse`` looks for ``##[`` with ``IndexOf``), so an app printing
``::stop-commands::…`` would silence the harness's own annotations, ``::add-mask::…`` hide
words of the log, ``::error …`` fake a failure.

:func:`say` prints such text (every command's console output that quotes it goes through it).

:func:`error_commands`, :func:`summary_table` and :func:`tell_github` are the parts both
commands share; :func:`report_to_github` tells GitHub about a scenario run, and
:mod:`scenarios.conformance.github` about a conformance run.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from scenarios.results import LABELS, RunSummary, ScenarioResult

__all__ = ["MAX_ANNOTATIONS", "MAX_MESSAGE", "NotPassed", "annotate_error", "cell",
           "error_commands", "inert", "inert_json", "report_to_github", "say", "step_summary",
           "summary_table", "tell_github", "workflow_commands"]

MAX_ANNOTATIONS = 10
"""Error annotations GitHub shows for one step."""
MAX_MESSAGE = 1000
"""Characters of a message in an annotation or a summary's row."""


@dataclass(frozen=True)
class NotPassed:
    """One scenario or row that did not pass: its annotation's title and message."""

    title: str
    message: str


def _in_actions(environ: Mapping[str, str] | None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


_LINE_BREAK = re.compile("(\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])")
"""Where a line ends, for the runner (which splits at CR as at LF) or for a terminal."""


def _invisible(char: str) -> bool:
    """A control or format character that is not whitespace: a culture-aware comparison
    (.NET's ``StartsWith`` and ``IndexOf`` on ICU) skips such characters, so ``:\u200b:``
    may read as ``::``."""
    return not char.isspace() and unicodedata.category(char) in ("Cc", "Cf")


def _inert_line(line: str) -> str:
    if any(_invisible(char) for char in line):
        line = "".join(repr(char)[1:-1] if _invisible(char) else char for char in line)
    line = line.replace("##[", "##\\[")
    body = line.lstrip()
    if body.startswith("::"):
        line = line[:len(line) - len(body)] + "\\" + body
    return line


def inert(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` (what an app, a page or a provider said, as the harness prints it) such that
    inside GitHub Actions the runner reads none of its lines as a workflow command: a line that
    starts with ``::`` (after whitespace) gets a backslash before it, every ``##[`` becomes
    ``##\\[``, invisible control and format characters are written as escapes, and every
    line break as a line feed. Unchanged outside GitHub Actions."""
    if not _in_actions(environ):
        return text
    parts = _LINE_BREAK.split(text)
    lines = [_inert_line(part) for part in parts[::2]]
    return "\n".join(lines)


def inert_json(document: str, environ: Mapping[str, str] | None = None) -> str:
    """A JSON document as :func:`inert` makes text, the document unchanged for a parser: ``[``
    after ``##`` (which only a string can hold) written ``\\u005b``. Its lines never start
    with ``::``, and a string's line breaks are escapes already."""
    if not _in_actions(environ):
        return document
    return document.replace("##[", "##\\u005b")


def say(text: str = "", file: TextIO | None = None, *, json: bool = False) -> None:
    """Print ``text`` on ``file`` (default stdout) as every command prints what quotes an app,
    a page or a provider: :func:`inert` (:func:`inert_json` for a JSON document)."""
    shown = inert_json(text) if json else inert(text)
    print(shown, file=sys.stdout if file is None else file, flush=True)


def _data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped as GitHub reads them back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value: also ``:`` and ``,``."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def error_commands(not_passed: Sequence[NotPassed], *, more: str) -> list[str]:
    """An error annotation for each of ``not_passed`` (:data:`MAX_ANNOTATIONS` at most), then a
    notice ``"<n> <more>"`` saying how many more there are."""
    lines = [f"::error title={_property(item.title)}::{_data(item.message)}"
             for item in not_passed[:MAX_ANNOTATIONS]]
    if (left := len(not_passed) - MAX_ANNOTATIONS) > 0:
        lines.append(f"::notice title=sso-harness::{left} {_data(more)}")
    return lines


def cell(text: str) -> str:
    """``text`` as one cell of a Markdown table (or a heading's words): GitHub renders the HTML
    a summary holds, so a page's ``<img onerror=…>`` or ``</table>`` is escaped as text
    (``&``, ``<``, ``>``), ``|`` does not end the cell and a line break is ``<br>``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def summary_table(heading: str, counts: str, header: Sequence[str],
                  rows: Sequence[Sequence[str]], *, align: str = "") -> str:
    """A step summary: a heading, the counts, and a table of ``rows`` under ``header`` when
    there are any, every text of them made a :func:`cell` here (a page's or an app's words
    among them). ``align``: a Markdown alignment row (default: all left)."""
    lines = [f"### {cell(heading)}", "", cell(counts), ""]
    if rows:
        lines += ["| " + " | ".join(map(cell, header)) + " |",
                  align or "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines) + "\n"


def tell_github(commands: Sequence[str], summary: str,
                environ: Mapping[str, str] | None = None) -> None:
    """Inside GitHub Actions, print ``commands`` on stderr and append ``summary`` to the job's
    summary."""
    env = os.environ if environ is None else environ
    if not _in_actions(env):
        return
    for line in commands:
        print(line, file=sys.stderr, flush=True)
    if summary and (target := env.get("GITHUB_STEP_SUMMARY")):
        try:
            with Path(target).open("a", encoding="utf-8") as out:
                out.write(summary)
        except OSError as exc:
            print(f"scenarios: could not write the job summary {target}: {exc.strerror}",
                  file=sys.stderr, flush=True)


def annotate_error(title: str, message: str,
                   environ: Mapping[str, str] | None = None) -> None:
    """Inside GitHub Actions, one error annotation: why a run could not start."""
    tell_github(error_commands([NotPassed(title, message[:MAX_MESSAGE])], more=""), "", environ)


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
    (:data:`MAX_ANNOTATIONS` at most, then a notice of how many more), and a warning for each
    of the run's notes."""
    return [*error_commands(
        [NotPassed(f"{r.id} {LABELS[r.status]}", f"{r.title}: {_message(r)}")
         for r in summary.failures],
        more=f"more scenarios did not pass: see {summary.report_dir / 'index.html'}"),
        *(f"::warning title=sso-harness note::{_data(note[:MAX_MESSAGE])}"
          for note in summary.notes)]


def step_summary(summary: RunSummary) -> str:
    """The Markdown appended to the job's summary page: the counts, the table of what did
    not pass, then the run's notes."""
    passed = sum(r.passed for r in summary.results)
    where = f" shard {summary.shard}" if summary.shard else ""
    app = f" against {summary.app}" if summary.app else ""
    stopped = (" (interrupted: the skipped scenarios include those it did not run)"
               if summary.interrupted else "")
    return summary_table(
        f"sso-harness scenarios{where}{app}{' interrupted' if summary.interrupted else ''}",
        f"{passed} passed, {len(summary.failures)} failed, {len(summary.skipped)} skipped in "
        f"{summary.seconds:.1f} s{stopped}",
        ("scenario", "result", "seconds", "what went wrong"),
        [(f"`{r.id}`", LABELS[r.status], f"{r.seconds:.2f}", _message(r, lines=3))
         for r in summary.failures],
        align="|---|---|---:|---|") + "".join(f"Note: {cell(note)}\n\n"
                                              for note in summary.notes)


def report_to_github(summary: RunSummary, environ: Mapping[str, str] | None = None) -> None:
    """Inside GitHub Actions, print the annotations and append the step summary."""
    tell_github(workflow_commands(summary), step_summary(summary), environ)
