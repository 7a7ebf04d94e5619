"""``python -m bench``: run the benchmarks and print one table at the end.

``--quick`` shortens every measurement (and leaves the scenario suite and the test suite out
unless they are named with ``--only``); ``--only login,floor`` runs just those. Progress goes
to stderr, the table to stdout; ``--json PATH`` also saves the rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from . import browser, floor, login, overhead, startup
from .flows import PROVIDERS
from .stats import load_average
from .table import (
    Row,
    auto_login_rows,
    floor_rows,
    login_rows,
    machine_facts,
    overhead_rows,
    ratio_rows,
    render,
    startup_rows,
    suite_rows,
    tests_rows,
)

MEASUREMENTS = ("login", "floor", "startup", "browser", "overhead", "suite", "tests")
LONG = ("suite", "tests")
"""Left out of ``--quick`` unless named."""


@dataclass(frozen=True)
class Sizes:
    rounds: int
    flows: int
    warmup: int
    login_seconds: float
    floor_rounds: int
    startup_runs: int
    browser_runs: int
    overhead_runs: int
    suite_runs: int


FULL = Sizes(rounds=3, flows=3000, warmup=20, login_seconds=30, floor_rounds=1000,
             startup_runs=10, browser_runs=20, overhead_runs=20, suite_runs=3)
QUICK = Sizes(rounds=1, flows=400, warmup=5, login_seconds=15, floor_rounds=200,
              startup_runs=3, browser_runs=5, overhead_runs=5, suite_runs=1)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--only", default="", metavar="NAMES",
                        help=f"comma-separated, from: {', '.join(MEASUREMENTS)}")
    parser.add_argument("--providers", default=",".join(PROVIDERS), metavar="NAMES",
                        help="login round trips against these providers (default: all)")
    parser.add_argument("--rounds", type=int, default=0, metavar="N",
                        help="login measurements per provider, alternating (default: 3, "
                        "--quick 1); the table shows the median round")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in MEASUREMENTS]
    if unknown:
        parser.error(f"unknown measurement(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(MEASUREMENTS)}")
    providers = tuple(p.strip() for p in args.providers.split(",") if p.strip())
    bad = [p for p in providers if p not in PROVIDERS]
    if bad:
        parser.error(f"unknown provider(s) {', '.join(bad)}")
    args.providers = providers
    if args.rounds < 0:
        parser.error("--rounds must be 1 or more (0 or absent: the default)")
    if chosen:
        args.selected = tuple(chosen)
    else:
        args.selected = tuple(m for m in MEASUREMENTS if not (args.quick and m in LONG))
    return args


def _note(message: str) -> None:
    print(f"bench: {message} (load {load_average():.2f})", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> list[Row]:
    sizes = QUICK if args.quick else FULL
    rows: list[Row] = []
    floor_result: floor.FloorResult | None = None
    login_results: list[login.LoginResult | login.Skipped] = []

    def do_login() -> None:
        login_results.extend(login.measure_rounds(
            args.providers, rounds=args.rounds or sizes.rounds, flows=sizes.flows,
            warmup=sizes.warmup, max_seconds=sizes.login_seconds, progress=_note))
        rows.extend(login_rows(login_results))

    def do_floor() -> None:
        nonlocal floor_result
        _note("signing floor")
        floor_result = floor.measure(sizes.floor_rounds)
        rows.extend(floor_rows(floor_result))

    def do_startup() -> None:
        _note("start-up")
        rows.extend(startup_rows(startup.measure(sizes.startup_runs)))

    def do_browser() -> None:
        _note("automatic login in a warm browser")
        try:
            rows.extend(auto_login_rows(browser.auto_login(sizes.browser_runs)))
        except browser.BrowserSkipped as exc:
            rows.append(Row("browser: automatic login", f"skipped: {exc}"))

    def do_overhead() -> None:
        _note("a scenario's overhead, piece by piece")
        try:
            rows.extend(overhead_rows(overhead.measure(sizes.overhead_runs)))
        except browser.BrowserSkipped as exc:
            rows.append(Row("overhead", f"skipped: {exc}"))

    def do_suite() -> None:
        results = []
        with tempfile.TemporaryDirectory(prefix="bench-suite-") as report:
            for options in ((), ("--screenshots", "failure")):
                for number in range(1, sizes.suite_runs + 1):
                    _note(f"scenario suite with 2 workers {' '.join(options)} "
                          f"(run {number} of {sizes.suite_runs})")
                    results.append(browser.suite(2, Path(report), options))
        rows.extend(suite_rows(results))

    def do_tests() -> None:
        _note("make test's pytest run")
        rows.extend(tests_rows([browser.tests()]))

    steps: dict[str, Callable[[], None]] = {
        "login": do_login, "floor": do_floor, "startup": do_startup,
        "browser": do_browser, "overhead": do_overhead, "suite": do_suite, "tests": do_tests}
    for name in MEASUREMENTS:
        if name in args.selected:
            steps[name]()
    if login_results:
        rows.extend(ratio_rows(login_results, floor_result))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    load_before = load_average()
    rows = run(args)
    print(render(rows))
    print(f"\nmachine: {machine_facts()}; load average {load_before:.2f} at start, "
          f"{load_average():.2f} at end; {time.monotonic() - started:.0f} s"
          f"{' (--quick)' if args.quick else ''}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(r) for r in rows], out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
