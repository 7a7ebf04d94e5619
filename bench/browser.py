"""The browser: automatic login with a warm browser, and the scenario suite's wall time.

Automatic login: one Chromium for all runs and one live stack (provider + reference relying
party); each run gets a fresh browser context, signs in once through the portal (not timed),
then the widget sign-in URL is timed from navigation until the app page shows the user signed
in, which happens through redirects alone.

The suite: ``python -m scenarios run --workers N`` as a subprocess, timed from spawn to exit,
with the median time a scenario spends outside its steps (``results.json``'s phases).

The tests: ``make test``'s pytest run (``-n <two per core>`` and :data:`MAKE_TEST_OPTIONS`) as a
subprocess, timed likewise.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .stats import load_average, median, percentile

ROOT = Path(__file__).resolve().parent.parent


def as_make_runs() -> dict[str, str]:
    """The environment the Makefile's targets run in: Python's bytecode cache is written even
    where ``PYTHONDONTWRITEBYTECODE`` is set (see the Makefile)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
SUITE_TIMEOUT = 1800.0


@dataclass(frozen=True)
class AutoLoginResult:
    median_ms: float
    p90_ms: float
    runs: int
    load: float


@dataclass(frozen=True)
class SuiteResult:
    workers: int
    seconds: float
    scenarios: int
    exit_code: int
    summary: str
    load: float
    overhead_median_s: float = 0.0
    """The median over the scenarios of their wall time outside the steps."""
    options: tuple[str, ...] = ()
    """Extra ``run`` options (``--screenshots failure``)."""


@dataclass(frozen=True)
class TestsResult:
    seconds: float
    exit_code: int
    summary: str
    load: float
    workers: int = 2


class BrowserSkipped(RuntimeError):
    """No browser here: the message says why."""


def auto_login(runs: int = 20) -> AutoLoginResult:
    from playwright.sync_api import sync_playwright

    from scenarios.browser import BrowserUnavailable, launch, resolve
    from scenarios.flows import expect_signed_in, first_login
    from scenarios.live import live_stack

    times: list[float] = []
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright, resolve())
        except BrowserUnavailable as exc:
            raise BrowserSkipped(str(exc)) from exc
        try:
            with live_stack() as stack:
                alice = stack.people["alice"]
                for index in range(runs + 1):
                    context = browser.new_context()
                    try:
                        page = context.new_page()
                        first_login(page, stack, alice, "portal")
                        started = time.perf_counter()
                        page.goto(stack.sign_in_url("widget"))
                        expect_signed_in(page, stack, alice, path="/widget")
                        elapsed = time.perf_counter() - started
                    finally:
                        context.close()
                    if index:  # the first run warms the browser's caches up
                        times.append(elapsed)
        finally:
            browser.close()
    return AutoLoginResult(median_ms=median(times) * 1000, p90_ms=percentile(times, 90) * 1000,
                           runs=runs, load=load_average())


def count_scenarios() -> int:
    listed = subprocess.run([sys.executable, "-m", "scenarios", "run", "--list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    return sum(1 for line in listed.stdout.splitlines() if re.match(r"^\S+\t", line))


_SUMMARY = re.compile(r"\b\d+ passed\b.*", re.IGNORECASE)


def suite(workers: int, report: Path, options: tuple[str, ...] = ()) -> SuiteResult:
    """``python -m scenarios run`` with ``workers``, reporting to ``report``: kept between runs,
    as ``make scenarios`` keeps ``reports/scenarios``, so a later run hands out the scenarios
    the earlier one found longest first."""
    scenarios = count_scenarios()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "run", "--workers", str(workers), "--report",
         str(report), *options], cwd=ROOT, env=as_make_runs(), capture_output=True, text=True,
        timeout=SUITE_TIMEOUT, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    overhead = _overhead_median(report / "results.json")
    found = [m.group(0).strip() for m in _SUMMARY.finditer(done.stdout)]
    return SuiteResult(workers=workers, seconds=seconds, scenarios=scenarios,
                       exit_code=done.returncode, summary=found[-1] if found else "",
                       load=load_average(), overhead_median_s=overhead, options=options)


def _overhead_median(results: Path) -> float:
    try:
        return float(json.loads(results.read_text(encoding="utf-8"))["phases"]["overhead_median"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


_PYTEST_SUMMARY = re.compile(r"\b\d+ passed\b[^\n]*")


MAKE_TEST_OPTIONS = ("--dist", "worksteal", "-m", "not slow")
"""The options the Makefile's ``test`` target gives pytest, besides its workers."""


def make_test_workers() -> int:
    """The workers ``make test`` gives pytest-xdist by default (the Makefile's
    ``PYTEST_WORKERS``): two per core, at most 8."""
    return min(8, 2 * (os.cpu_count() or 1))


def tests(workers: int | None = None) -> TestsResult:
    """``make test``'s pytest run, from spawn to exit."""
    workers = workers if workers is not None else make_test_workers()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", str(workers), *MAKE_TEST_OPTIONS, "-q",
         "-p", "no:cacheprovider"], cwd=ROOT, env=as_make_runs(),
        capture_output=True, text=True, timeout=SUITE_TIMEOUT, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    found = [m.group(0).strip() for m in _PYTEST_SUMMARY.finditer(done.stdout)]
    return TestsResult(seconds=seconds, exit_code=done.returncode,
                       summary=found[-1] if found else "", load=load_average(), workers=workers)
