"""Reports of a run: JUnit XML for CI, a static HTML page with step screenshots, and JSON."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from scenarios.results import LABELS, RunSummary

__all__ = ["write_html", "write_json", "write_junit"]

SUITE_NAME = "sso-harness scenarios"


def write_junit(summary: RunSummary, path: Path, *, timestamp: datetime | None = None) -> Path:
    """JUnit XML: one testsuite, a testcase per scenario (classname = its group). A shard's
    suite is named for it (``... shard 2/4``), so CI shows the shards' reports side by side."""
    results = summary.results
    name = SUITE_NAME + (f" shard {summary.shard}" if summary.shard else "")
    failures = sum(r.status == "failed" for r in results)
    errors = sum(r.status == "error" for r in results)
    skipped = len(summary.skipped)
    name = f"{SUITE_NAME}: {summary.app}" if summary.app else SUITE_NAME
    suites = ET.Element(
        "testsuites",
        name=name,
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        time=f"{summary.seconds:.3f}",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{summary.seconds:.3f}",
        timestamp=(timestamp or datetime.now(UTC)).isoformat(timespec="seconds"),
        hostname=socket.gethostname(),
    )
    if summary.app:
        suite_props = ET.SubElement(suite, "properties")
        ET.SubElement(suite_props, "property", name="app", value=summary.app)
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"scenarios.{r.group}", name=r.id, time=f"{r.seconds:.3f}"
        )
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="title", value=r.title)
        ET.SubElement(props, "property", name="proves", value=r.proves)
        ET.SubElement(props, "property", name="worker", value=str(r.worker))
        if r.trace:
            ET.SubElement(props, "property", name="trace", value=r.trace)
        if r.skipped:
            ET.SubElement(case, "skipped", message=r.message or "skipped")
        elif r.status != "passed":
            tag = "failure" if r.status == "failed" else "error"
            first_line = (r.message or r.status).splitlines()[0]
            node = ET.SubElement(case, tag, message=first_line, type=tag)
            node.text = r.details or r.message or ""
        steps = "\n".join(f"[{s.status}] {s.name} ({s.seconds:.2f}s)" for s in r.steps)
        if steps:
            ET.SubElement(case, "system-out").text = steps
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("scenarios", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_html(summary: RunSummary, report_dir: Path, *, generated: datetime | None = None) -> Path:
    """``index.html`` in the report directory; screenshots and traces are relative links."""
    template = _environment().get_template("report.html")
    passed = sum(r.passed for r in summary.results)
    skipped = len(summary.skipped)
    html = template.render(
        summary=summary,
        labels=LABELS,
        passed=passed,
        skipped=skipped,
        failed=len(summary.results) - passed - skipped,
        generated=(generated or datetime.now(UTC)).isoformat(timespec="seconds"),
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def write_json(summary: RunSummary, report_dir: Path) -> Path:
    """``results.json``: the same facts for other tools."""
    data = {
        "app": summary.app,
        "seconds": summary.seconds,
        "workers": summary.workers,
        "shard": str(summary.shard) if summary.shard else None,
        "results": [asdict(r) for r in summary.results],
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "results.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
