"""JUnit XML, the report every CI system reads: one ``testsuite`` of ``testcase`` elements.

The scenario runner (:func:`scenarios.report.write_junit`) and ``conformance --junit`` both
write through :func:`write_junit_xml`; a shard's suite carries the shard in its name, so the
reports of N CI machines show side by side. A character XML 1.0 does not allow (an ANSI
colour's escape from an app's error page, a noncharacter, a lone surrogate from bytes that were
not UTF-8) is written as its Python escape (``\\x1b``), so every XML parser reads the file.

The file validates against the JUnit schema of Jenkins' xunit plugin (jenkinsci/xunit-plugin
``src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd``), where a
``testcase`` holds no ``properties``: a case's facts are lines of its ``system-out``,
which ends with a ``[[ATTACHMENT|path]]`` line for each of its files. GitLab links the first
such line of a failed case (docs.gitlab.com/ee/ci/testing/unit_test_reports.html, "View JUnit
screenshots on GitLab"; gitlab-org/gitlab ``lib/gitlab/ci/parsers/test/junit.rb``), the
Jenkins junit-attachments plugin every one (jenkinsci/junit-attachments-plugin README).
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from scenarios.report_files import write_atomically

__all__ = ["JUnitCase", "Outcome", "write_junit_xml", "xml_text"]

Outcome = Literal["passed", "failed", "error", "skipped"]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 does not allow written as its Python escape."""
    return _NOT_XML.sub(lambda m: repr(m.group(0))[1:-1], text)


@dataclass(frozen=True, kw_only=True)
class JUnitCase:
    classname: str
    name: str
    seconds: float
    outcome: Outcome
    message: str | None = None
    """The ``message`` attribute of a failure, error or skip, whole: its line breaks are
    written as character references (``&#10;``), which XML keeps in an attribute's value
    (a raw line break would be read back as a space)."""
    details: str | None = None
    """The text of a failure or error (a traceback, say)."""
    properties: Sequence[tuple[str, str]] = ()
    """Facts about the case, written as ``name: value`` lines at the head of ``system-out``."""
    output: str = ""
    """``system-out``: what the case did, step by step."""
    attachments: Sequence[str] = ()
    """Files to show with the case (a screenshot first: GitLab shows only the first), as paths
    from the directory the CI job runs in; one ``[[ATTACHMENT|path]]`` line each."""


def write_junit_xml(path: Path, *, suite: str, cases: Sequence[JUnitCase], seconds: float,
                    properties: Sequence[tuple[str, str]] = (),
                    timestamp: datetime | None = None) -> Path:
    counts = {outcome: sum(c.outcome == outcome for c in cases)
              for outcome in ("failed", "error", "skipped")}
    # No ``skipped`` on ``testsuites``: the xunit schema allows only name, time, tests,
    # failures and errors there; the count is the ``testsuite``'s, where GitLab, Jenkins and
    # GitHub's JUnit actions read it (or they count the ``skipped`` elements of the cases).
    suites = ET.Element("testsuites", name=suite, tests=str(len(cases)),
                        failures=str(counts["failed"]), errors=str(counts["error"]),
                        time=f"{seconds:.3f}")
    node = ET.SubElement(
        suites, "testsuite", name=suite, tests=str(len(cases)), failures=str(counts["failed"]),
        errors=str(counts["error"]), skipped=str(counts["skipped"]), time=f"{seconds:.3f}",
        timestamp=(timestamp or datetime.now(UTC)).isoformat(timespec="seconds"),
        hostname=socket.gethostname())
    _properties(node, properties)
    for case in cases:
        element = ET.SubElement(node, "testcase", classname=case.classname, name=case.name,
                                time=f"{case.seconds:.3f}")
        message = (case.message or "").strip() or case.outcome
        if case.outcome == "skipped":
            ET.SubElement(element, "skipped", message=message)
        elif case.outcome != "passed":
            tag = "failure" if case.outcome == "failed" else "error"
            ET.SubElement(element, tag, message=message, type=tag).text = (
                case.details or case.message or "")
        if output := _system_out(case):
            ET.SubElement(element, "system-out").text = output
    for element in suites.iter():
        element.attrib = {key: xml_text(value) for key, value in element.attrib.items()}
        if element.text:
            element.text = xml_text(element.text)
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    # Replaced whole: a run stopped while it writes leaves the last file, not part of this one.
    return write_atomically(
        path, lambda temporary: tree.write(temporary, encoding="utf-8", xml_declaration=True))


def _system_out(case: JUnitCase) -> str:
    parts = ["\n".join(f"{name}: {value}" for name, value in case.properties), case.output,
             "\n".join(f"[[ATTACHMENT|{path}]]" for path in case.attachments)]
    return "\n\n".join(part for part in parts if part)


def _properties(parent: ET.Element, pairs: Sequence[tuple[str, str]]) -> None:
    if pairs:
        holder = ET.SubElement(parent, "properties")
        for name, value in pairs:
            ET.SubElement(holder, "property", name=name, value=value)
