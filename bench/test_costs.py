"""``python -m bench.test_costs``: what each test costs in CPU, to choose what ``make test`` runs.

``make test`` is bound by the CPU of a 2-core machine, and a test's wall time under
pytest-xdist says little of what it takes from the others: a test that waits costs nothing,
one that starts a browser, a Playwright driver or a ``python -m scenarios run`` costs more than
its own process shows. So the tests run one at a time (no ``-n``), and each is charged the CPU
the whole machine spent while it ran (``/proc/stat``): its own, its subprocesses' and its
browser's. Run it on a quiet machine; the table lists the dearest tests, the share of the total
they hold, and how the rest is spread.

    python -m bench.test_costs                    # make test's selection (-m "not slow")
    python -m bench.test_costs --top 80 -- tests/e2e -m "not slow"

It loads itself into pytest as a plugin (``-p bench.test_costs``), which writes one line per test
to the file named by ``SSO_HARNESS_TEST_COSTS``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pytest

from .procstat import CLOCK_TICKS
from .stats import load_average
from .table import Row, render

OUTPUT_ENV = "SSO_HARNESS_TEST_COSTS"
THRESHOLDS = (2.0, 1.0, 0.5, 0.25, 0.1)


@dataclass(frozen=True)
class Cost:
    test: str
    cpu: float
    """Seconds of CPU the whole machine spent while the test ran."""
    wall: float


def busy_ticks(stat_text: str) -> int:
    """Clock ticks every CPU has spent busy since boot, from ``/proc/stat``'s ``cpu`` line
    (all but idle and iowait)."""
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            if len(values) < 5:
                break
            return sum(values) - values[3] - values[4]
    raise ValueError("no cpu line in /proc/stat")


def _busy_seconds() -> float:
    return busy_ticks(Path("/proc/stat").read_text()) / CLOCK_TICKS


def parse_costs(lines: Iterable[str]) -> list[Cost]:
    costs = []
    for line in lines:
        test, cpu, wall = line.rstrip("\n").rsplit("\t", 2)
        costs.append(Cost(test, float(cpu), float(wall)))
    return costs


def cost_rows(costs: Sequence[Cost], top: int) -> list[Row]:
    """The ``top`` dearest tests with the share of the total they hold so far, then how many
    tests cost at least each of ``THRESHOLDS`` and what they add up to."""
    total = sum(c.cpu for c in costs) or 1.0
    rows = [Row("tests", f"{len(costs)}, {total:.1f} s of CPU, "
                         f"{sum(c.wall for c in costs):.1f} s of wall time, one at a time")]
    so_far = 0.0
    for cost in sorted(costs, key=lambda c: -c.cpu)[:top]:
        so_far += cost.cpu
        rows.append(Row(cost.test, f"{cost.cpu:.2f} s CPU, {cost.wall:.2f} s wall, "
                                   f"{so_far / total:.0%} so far"))
    for threshold in THRESHOLDS:
        dear = [c.cpu for c in costs if c.cpu >= threshold]
        rows.append(Row(f"tests of {threshold:g} s of CPU or more",
                        f"{len(dear)}: {sum(dear):.1f} s ({sum(dear) / total:.0%})"))
    return rows


# The pytest plugin: loaded with ``-p bench.test_costs`` inside the run that main() starts.

_out: TextIO | None = None


def pytest_configure(config: Any) -> None:
    global _out
    path = os.environ.get(OUTPUT_ENV)
    if path:
        _out = open(path, "w", buffering=1)  # noqa: SIM115 - open for the whole session


def pytest_unconfigure(config: Any) -> None:
    if _out is not None:
        _out.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Generator[None, None, None]:
    cpu, wall = _busy_seconds(), time.monotonic()
    yield
    if _out is not None:
        _out.write(f"{item.nodeid}\t{_busy_seconds() - cpu:.3f}\t"
                   f"{time.monotonic() - wall:.3f}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.test_costs",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=60, metavar="N",
                        help="list the N dearest tests (default 60)")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARG",
                        help='after --: what pytest runs (default: -m "not slow")')
    args = parser.parse_args(argv)
    if args.top < 0:
        parser.error("--top must be 0 or more")
    if not Path("/proc/stat").exists():
        parser.error("needs /proc/stat (Linux)")
    pytest_args = args.pytest_args or ["-m", "not slow"]
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-test-costs-") as tmp:
        out = Path(tmp) / "costs.tsv"
        env = {**os.environ, OUTPUT_ENV: str(out)}
        print(f"bench: pytest one test at a time (load {load:.2f})", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "bench.test_costs",
                               "-q", *pytest_args], env=env, check=False)
        costs = parse_costs(out.read_text().splitlines()) if out.exists() else []
    print(render(cost_rows(costs, args.top)))
    print(f"\npytest exited {done.returncode}; load average {load:.2f} at start, "
          f"{load_average():.2f} at end")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
