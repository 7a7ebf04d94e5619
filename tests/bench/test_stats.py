"""The benchmark harness's pure parts: percentiles and /proc/<pid>/stat parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.procstat import CLOCK_TICKS, cpu_seconds, parse_stat
from bench.stats import median, percentile


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 25) == pytest.approx(1.75)
    assert median([5.0]) == 5.0


def test_percentile_of_100_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 99) == pytest.approx(99.01)
    assert median(values) == 50.5


@pytest.mark.parametrize("p", [-1, 100.5])
def test_percentile_rejects_out_of_range(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], p)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


STAT = ("4242 (python -m mock_idp) S 1 4242 4242 0 -1 4194560 9163 0 0 0 "
        "731 56 0 0 20 0 3 0 123456 345678912 12345 18446744073709551615 1 1 0 0 0 0 0 "
        "16781312 16386 0 0 0 17 1 0 0 0 0 0")


def test_parse_stat_reads_utime_and_stime() -> None:
    assert parse_stat(STAT) == (731, 56)


def test_parse_stat_survives_parentheses_and_spaces_in_the_name() -> None:
    tricky = STAT.replace("(python -m mock_idp)", "(a) b (c))")
    assert parse_stat(tricky) == (731, 56)


@pytest.mark.parametrize("text", ["", "4242 no name here", "4242 (x) S 1 2 3"])
def test_parse_stat_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_stat(text)


def test_cpu_seconds_reads_the_named_process(tmp_path: Path) -> None:
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "stat").write_text(STAT)
    assert cpu_seconds(4242, proc=tmp_path) == pytest.approx((731 + 56) / CLOCK_TICKS)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc here")
def test_cpu_seconds_of_this_process_grows() -> None:
    before = cpu_seconds(os.getpid())
    for _ in range(100_000):  # a few clock ticks of work at most
        sum(range(1000))
        if cpu_seconds(os.getpid()) > before:
            break
    assert cpu_seconds(os.getpid()) > before
