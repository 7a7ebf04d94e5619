"""``conformance``'s ``results.json`` (and ``--json``): the version of its shape first, and the
shard the rows were taken from, as ``run``'s results.json has them; the JUnit suite's
timestamp is the run's start."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scenarios.conformance.junit import write_junit
from scenarios.conformance.report import write_report
from scenarios.conformance.rows import ROWS, RowResult, Verdict, to_json
from scenarios.shard import Shard

RESULTS = [RowResult(row=ROWS[0], verdict=Verdict(result="PASS", did="not signed in"),
                     seconds=1.0)]


@pytest.mark.parametrize(("shard", "recorded"), [(Shard(2, 4), "2/4"), (None, None)])
def test_results_json_names_its_schema_and_shard(tmp_path: Path, shard: Shard | None,
                                                 recorded: str | None) -> None:
    write_report(RESULTS, tmp_path, rp="http://rp.test", provider="http://idp.test",
                 client_id="c", shard=shard)
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert list(data)[0] == "schema" and data["schema"] == 1
    assert data["shard"] == recorded and data["interrupted"] is False
    assert data == to_json(RESULTS, rp="http://rp.test", provider="http://idp.test",
                           client_id="c", shard=shard)  # --json prints the same


def test_the_junit_timestamp_is_the_one_given(tmp_path: Path) -> None:
    started = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    path = write_junit(RESULTS, tmp_path / "j.xml", timestamp=started)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("timestamp") == "2024-05-06T07:08:09+00:00"


def test_an_informational_row_keeps_its_reason_in_the_junit_file(tmp_path: Path) -> None:
    """JUnit has no message for a passed testcase: the INFO row's reason is a line of its
    system-out, after what the RP did."""
    info = RowResult(row=ROWS[0], verdict=Verdict(
        result="INFO", did="signed in", reason="allowed by OpenID Connect Core 3.1.3.7 (6)"),
        seconds=1.0)
    case = ET.parse(write_junit([info], tmp_path / "j.xml")).getroot().find(".//testcase")
    assert case is not None and len(case.findall("failure") + case.findall("skipped")) == 0
    out = case.findtext("system-out") or ""
    assert "RP did: signed in\nINFO: allowed by OpenID Connect Core 3.1.3.7 (6)" in out, out
