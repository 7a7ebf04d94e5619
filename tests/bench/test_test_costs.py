"""The per-test CPU table's pure parts: /proc/stat's busy ticks, the plugin's lines, the rows."""

from __future__ import annotations

import pytest

from bench.test_costs import Cost, busy_ticks, cost_rows, parse_costs

STAT = """\
cpu  100 5 50 1000 20 3 7 0 0 0
cpu0 50 2 25 500 10 1 3 0 0 0
intr 12345
"""


def test_busy_ticks_leave_out_idle_and_iowait() -> None:
    assert busy_ticks(STAT) == 100 + 5 + 50 + 3 + 7


@pytest.mark.parametrize("text", ["", "cpu0 1 2 3 4 5\n", "cpu 1 2 3\n"])
def test_busy_ticks_refuse_a_text_without_the_cpu_line(text: str) -> None:
    with pytest.raises(ValueError, match="no cpu line"):
        busy_ticks(text)


def test_a_test_id_with_tabs_and_spaces_keeps_them() -> None:
    [cost] = parse_costs(["tests/a.py::t[x\ty z]\t1.250\t0.500\n"])
    assert cost == Cost("tests/a.py::t[x\ty z]", 1.25, 0.5)


def test_the_rows_list_the_dearest_first_with_their_running_share() -> None:
    costs = [Cost("cheap", 0.05, 0.1), Cost("dear", 3.0, 4.0), Cost("middle", 0.95, 0.2)]
    rows = cost_rows(costs, top=2)
    assert rows[0].result.startswith("3, 4.0 s of CPU, 4.3 s of wall time")
    assert [(r.measure, r.result.split(", ")[-1]) for r in rows[1:3]] == [
        ("dear", "75% so far"), ("middle", "99% so far")]
    by_threshold = {r.measure: r.result for r in rows[3:]}
    assert by_threshold["tests of 2 s of CPU or more"] == "1: 3.0 s (75%)"
    assert by_threshold["tests of 0.5 s of CPU or more"] == "2: 4.0 s (99%)"
    assert by_threshold["tests of 0.1 s of CPU or more"] == "2: 4.0 s (99%)"
