"""Reports of a run: JUnit XML for CI, a static HTML page with step screenshots, and JSON.

Each scenario's protocol exchange goes into all three: a sequence diagram with decoded tokens
in the HTML (``templates/protocol.html``), the steps and the text diagram in ``results.json``,
and the text diagram in JUnit's ``system-out`` of a scenario that did not pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from scenarios.app_logs import log_dir, written
from scenarios.github import report_to_github
from scenarios.junit import JUnitCase, write_junit_xml
from scenarios.report_files import write_atomically
from scenarios.results import LABELS, PHASE_NAMES, RunSummary, ScenarioResult, phase_totals

__all__ = ["RESULTS_SCHEMA", "directory_problem", "output_problem", "template_environment",
           "write_html", "write_json", "write_junit", "write_reports"]

SUITE_NAME = "sso-harness scenarios"
RESULTS_SCHEMA = 1
"""The version of ``results.json``'s shape: raised when a member changes meaning or goes; a
new member does not raise it."""


def write_junit(summary: RunSummary, path: Path, *, timestamp: datetime | None = None) -> Path:
    """JUnit XML: one testsuite, a testcase per scenario (classname = its group). The suite
    is named for the app (or ``run --idp``'s provider) and the shard (``...: Reference RP
    shard 2/4``), so CI shows the shards' reports side by side; its timestamp is the run's
    start, and each of the run's notes is a suite property ``note``. A scenario that did not
    pass attaches its failure screenshot, trace and app output (paths from the working
    directory: :func:`_from_cwd`)."""
    name = (SUITE_NAME + (f": {summary.against}" if summary.against else "")
            + (f" shard {summary.shard}" if summary.shard else ""))

    def where(relative: str) -> str:
        return _from_cwd(summary.report_dir, relative)

    cases = [
        JUnitCase(
            classname=f"scenarios.{r.group}", name=r.id, seconds=r.seconds, outcome=r.status,
            message=r.message if r.status != "passed" else None, details=r.details,
            properties=[("title", r.title), ("proves", r.proves),
                        *([] if r.skipped else [("worker", str(r.worker))]),
                        *([("trace", where(r.trace))] if r.trace else []),
                        *([("app_log", where(r.app_log))] if r.app_log else []),
                        *([("rerun", r.rerun)] if r.rerun else []),
                        *([("rerun_seconds", f"{r.rerun_seconds:.2f}")]
                          if r.rerun_seconds is not None else []),
                        *([("rerun_app_log", where(r.rerun_app_log))] if r.rerun_app_log
                          else [])],
            output=_case_output(r),
            attachments=[where(f) for f in _attachments(r)],
        )
        for r in summary.results
    ]
    return write_junit_xml(path, suite=name, cases=cases, seconds=summary.seconds,
                           properties=[*([("app", summary.app)] if summary.app else []),
                                       *(("note", note) for note in summary.notes)],
                           timestamp=timestamp or summary.started)


def _attachments(r: ScenarioResult) -> list[str]:
    """A scenario that failed or erred: the screenshots of its failed steps (the page as it
    failed), then its trace and the app's output; relative to the report directory."""
    if r.passed or r.skipped:
        return []
    shots = [s.screenshot for s in r.steps if s.status == "failed" and s.screenshot]
    return list(dict.fromkeys([*shots, *([r.trace] if r.trace else []),
                               *([r.app_log] if r.app_log else [])]))


def _from_cwd(report_dir: Path, relative: str) -> str:
    """A report file as a path from the working directory, which a CI job that ran the
    command shares: ``--report reports`` gives ``reports/screenshots/...``; a report
    directory outside the working directory gives an absolute path."""
    path = report_dir / relative
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _case_output(r: ScenarioResult) -> str:
    """The steps, and for a scenario that did not pass its protocol exchange as text."""
    out = "\n".join(f"[{s.status}] {s.name} ({s.seconds:.2f}s)" for s in r.steps)
    if not r.passed and not r.skipped and r.protocol_text:
        out = f"{out}\n\n{r.protocol_text}".strip()
    return out


def template_environment() -> Environment:
    """The reports' jinja2 templates (``scenarios/templates``), HTML autoescaped."""
    return Environment(
        loader=PackageLoader("scenarios", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_html(summary: RunSummary, report_dir: Path, *, generated: datetime | None = None) -> Path:
    """``index.html`` in the report directory; screenshots and traces are relative links."""
    template = template_environment().get_template("report.html")
    passed = sum(r.passed for r in summary.results)
    skipped = len(summary.skipped)
    html = template.render(
        summary=summary,
        labels=LABELS,
        passed=passed,
        skipped=skipped,
        failed=len(summary.results) - passed - skipped,
        phases=phase_totals(summary.results),
        phase_names=PHASE_NAMES,
        generated=(generated or datetime.now(UTC)).isoformat(timespec="seconds"),
        logs=[f.relative_to(report_dir).as_posix()
              for f in (log_dir(report_dir) / f"worker-{n}.log" for n in range(summary.workers))
              if f.is_file() and f.stat().st_size],
    )
    return write_atomically(report_dir / "index.html",
                            lambda path: path.write_text(html, encoding="utf-8"))


def write_json(summary: RunSummary, report_dir: Path) -> Path:
    """``results.json``: the same facts for other tools; ``schema`` is the version of its shape
    (:data:`RESULTS_SCHEMA`); ``phases`` sums each phase over the run (and gives the median
    time outside the steps), each result has its own; ``interrupted``: Ctrl-C or SIGTERM stopped
    the run, and the scenarios it did not finish are skipped as not run; ``notes``: what the
    run found that fails no scenario (:attr:`RunSummary.notes`)."""
    data = {
        "schema": RESULTS_SCHEMA,
        "app": summary.app,
        "provider": summary.provider,
        "client_id": summary.client_id,
        "seconds": summary.seconds,
        "workers": summary.workers,
        "shard": str(summary.shard) if summary.shard else None,
        "interrupted": summary.interrupted,
        "notes": list(summary.notes),
        "phases": phase_totals(summary.results),
        "results": [{**asdict(r), "protocol_text": r.protocol_text} for r in summary.results],
    }
    text = json.dumps(data, indent=2) + "\n"
    return write_atomically(report_dir / "results.json",
                            lambda path: path.write_text(text, encoding="utf-8"))


def write_reports(summary: RunSummary, junit: Path | None, *, logs: bool = True) -> None:
    """``index.html`` and ``results.json`` in the report directory, and JUnit XML at ``junit``
    when given, each path printed; with ``logs``, the log directory too when anything was
    logged there. Each file is replaced whole (:func:`~scenarios.report_files.write_atomically`),
    JSON and JUnit before the HTML page. Inside GitHub Actions, the failures are annotated
    and the job's summary told (:mod:`scenarios.github`)."""
    write_json(summary, summary.report_dir)
    junit_file = write_junit(summary, junit) if junit is not None else None
    html = write_html(summary, summary.report_dir)
    print(f"report: {html}", flush=True)
    if logs and (found := written(summary.report_dir)) is not None:
        print(f"logs:   {found}", flush=True)
    if junit_file is not None:
        print(f"junit:  {junit_file}", flush=True)
    report_to_github(summary)


def output_problem(*, report: Path | None = None, junit: Path | None = None) -> str | None:
    """Why the reports cannot go where ``--report DIR`` and ``--junit PATH`` say (``"--report
    out: not a directory"``), or ``None``; checked before a run starts, rather than found
    once it is over. Both are checked before anything is made; the directories they need are
    made once both pass, and removed again when one of them cannot be."""
    wanted = [(option, path, directory)
              for option, path, directory in (("--report", report, True), ("--junit", junit, False))
              if path is not None]
    for option, path, directory in wanted:
        if (why := _unwritable(path, directory=directory)) is not None:
            return f"{option} {path}: {why}"
    made: list[Path] = []
    for option, path, directory in wanted:
        if (why := _make(path if directory else path.parent, made)) is not None:
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            return f"{option} {path}: {why}"
    return None


def directory_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a directory to write in (``"not a directory"``), or ``None``;
    a missing one is made, as :func:`output_problem` makes ``--report``'s."""
    return _unwritable(path, directory=True) or _make(path, [])


def _unwritable(path: Path, *, directory: bool) -> str | None:
    """What stands in the way of ``path``, found without making anything."""
    try:
        if directory and path.exists() and not path.is_dir():
            return "not a directory"
        if not directory and path.is_dir():
            return "is a directory"
        existing = path if directory else path.parent
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            return f"{existing} is not a directory"
        if not os.access(existing, os.W_OK | os.X_OK):
            return "cannot write there (Permission denied)"
        if not directory and path.exists() and not os.access(path, os.W_OK):
            return "cannot write to the file"
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return None


def _make(folder: Path, made: list[Path]) -> str | None:
    """Make ``folder`` (each directory made is added to ``made``) and write a file there."""
    missing = [folder, *folder.parents]
    missing = [f for f in reversed(missing) if not f.exists()]
    try:
        for each in missing:
            each.mkdir()
            made.append(each)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return None
