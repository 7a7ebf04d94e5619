"""Rows of results, the targets they are held to, and the one table printed at the end."""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .browser import MAKE_TEST_OPTIONS, AutoLoginResult, SuiteResult, TestsResult
from .floor import FloorResult
from .login import LoginResult, Skipped
from .overhead import Piece
from .startup import StartupResult
from .stats import median

# Targets on the 2-core reference machine.
CPU_PER_FLOW_MS = 1.0
CPU_SHARE_OF_OAUTH2_MOCK_SERVER = 0.5
FLOWS_RATIO_OVER_OAUTH2_MOCK_SERVER = 1.5
PROCESS_TO_DISCOVERY_S = 0.25
IN_PROCESS_READY_MS = 50.0
AUTO_LOGIN_MS = 500.0
SUITE_S = 20.0
"""The catalogue with 2 workers on 2 cores."""
OVERHEAD_MEDIAN_S = 0.15
TESTS_S = 90.0


@dataclass(frozen=True)
class Row:
    measure: str
    result: str
    target: str = ""
    met: bool | None = None
    load: float | None = None


def _at_most(value: float, limit: float) -> bool:
    return value <= limit


def login_rows(results: Sequence[LoginResult | Skipped]) -> list[Row]:
    rows: list[Row] = []
    for r in results:
        if isinstance(r, Skipped):
            rows.append(Row(f"login {r.provider}", f"skipped: {r.reason}", load=r.load))
            continue
        name = f"login {r.provider} {r.version}"
        mine = r.provider == "mock_idp"
        errors = f", {r.errors} errors: {r.first_error}" if r.errors else ""
        rows += [
            Row(f"{name}: flows/s (8 clients)", f"{r.flows_per_second:.0f} ({r.flows} flows in "
                f"{r.wall_seconds:.1f} s{f'; median of {r.rounds} rounds' if r.rounds > 1 else ''}"
                f"{errors})", load=r.load),
            Row(f"{name}: latency p50 / p99", f"{r.p50_ms:.1f} / {r.p99_ms:.1f} ms",
                load=r.load),
            Row(f"{name}: provider CPU per flow", f"{r.server_cpu_ms_per_flow:.2f} ms"
                + (f" (median of {r.rounds}; {r.server_cpu_range[0]:.2f}-"
                   f"{r.server_cpu_range[1]:.2f})" if r.server_cpu_range else ""),
                f"<= {CPU_PER_FLOW_MS:.1f} ms" if mine else "",
                _at_most(r.server_cpu_ms_per_flow, CPU_PER_FLOW_MS) if mine else None,
                r.load),
            Row(f"{name}: client CPU per flow", f"{r.client_cpu_ms_per_flow:.2f} ms",
                load=r.load),
        ]
    return rows


def ratio_rows(results: Sequence[LoginResult | Skipped], floor: FloorResult | None) -> list[Row]:
    found = {r.provider: r for r in results if isinstance(r, LoginResult)}
    mine = found.get("mock_idp")
    if mine is None:
        return []
    rows: list[Row] = []
    other = found.get("oauth2-mock-server")
    if other is not None:
        share = mine.server_cpu_ms_per_flow / other.server_cpu_ms_per_flow
        speed = mine.flows_per_second / other.flows_per_second
        rows += [
            Row("ratio: mock_idp / oauth2-mock-server CPU per flow", f"{share:.2f}",
                f"<= {CPU_SHARE_OF_OAUTH2_MOCK_SERVER:.2f}",
                _at_most(share, CPU_SHARE_OF_OAUTH2_MOCK_SERVER), mine.load),
            Row("ratio: mock_idp / oauth2-mock-server flows/s", f"{speed:.2f}",
                f">= {FLOWS_RATIO_OVER_OAUTH2_MOCK_SERVER:.2f}",
                speed >= FLOWS_RATIO_OVER_OAUTH2_MOCK_SERVER, mine.load),
        ]
    opm = found.get("oidc-provider-mock")
    if opm is not None:
        rows.append(Row("ratio: mock_idp / oidc-provider-mock CPU per flow",
                        f"{mine.server_cpu_ms_per_flow / opm.server_cpu_ms_per_flow:.2f}",
                        load=mine.load))
    if floor is not None:
        rows.append(Row("ratio: mock_idp CPU per flow / signing floor",
                        f"{mine.server_cpu_ms_per_flow / floor.pair_cpu_ms:.1f}",
                        load=mine.load))
    baseline = found.get("starlette-baseline")
    if baseline is not None and floor is not None:
        own = mine.server_cpu_ms_per_flow - baseline.server_cpu_ms_per_flow - floor.pair_cpu_ms
        rows.append(Row("breakdown: mock_idp CPU per flow = framework + 2 signatures + own work",
                        f"{baseline.server_cpu_ms_per_flow:.2f} + {floor.pair_cpu_ms:.2f} + "
                        f"{own:.2f} ms", load=mine.load))
    return rows


def floor_rows(floor: FloorResult) -> list[Row]:
    return [Row("floor: 2 x RS256 sign (cryptography), CPU",
                f"{floor.pair_cpu_ms:.3f} ms (wall median {floor.pair_ms_median:.3f} ms, "
                f"{floor.rounds} pairs)", load=floor.load)]


def startup_rows(s: StartupResult) -> list[Row]:
    return [
        Row("start-up: process start to discovery served (median)",
            f"{s.process_to_discovery_s:.3f} s (URL printed at {s.process_to_url_s:.3f} s; "
            f"{s.runs} runs)", f"<= {PROCESS_TO_DISCOVERY_S} s",
            _at_most(s.process_to_discovery_s, PROCESS_TO_DISCOVERY_S), s.load),
        Row("start-up: in-process run_in_thread(create_app()) ready (median)",
            f"{s.in_process_ready_ms:.1f} ms (discovery served at "
            f"{s.in_process_discovery_ms:.1f} ms)", f"<= {IN_PROCESS_READY_MS:.0f} ms",
            _at_most(s.in_process_ready_ms, IN_PROCESS_READY_MS), s.load),
    ]


def auto_login_rows(a: AutoLoginResult) -> list[Row]:
    return [Row("browser: automatic login, warm browser (median)",
                f"{a.median_ms:.0f} ms (p90 {a.p90_ms:.0f} ms, {a.runs} runs)",
                f"<= {AUTO_LOGIN_MS:.0f} ms", _at_most(a.median_ms, AUTO_LOGIN_MS), a.load)]


def suite_rows(results: Sequence[SuiteResult]) -> list[Row]:
    """The median run per worker count and options (wall time, and the median per-scenario
    overhead)."""
    rows = []
    for workers, options in sorted({(s.workers, s.options) for s in results}):
        runs = [s for s in results if (s.workers, s.options) == (workers, options)]
        middle = sorted(runs, key=lambda s: s.seconds)[(len(runs) - 1) // 2]
        outcome = middle.summary or f"exit {middle.exit_code}"
        several = f"median of {len(runs)} runs; " if len(runs) > 1 else ""
        target = workers == 2
        how = f"{workers} worker(s)" + (f", {' '.join(options)}" if options else "")
        rows.append(Row(f"suite: make scenarios, {how}",
                        f"{middle.seconds:.1f} s ({several}{middle.scenarios} scenarios; "
                        f"{outcome})", f"<= {SUITE_S:.0f} s" if target else "",
                        _at_most(middle.seconds, SUITE_S) if target else None, middle.load))
        overhead = median([s.overhead_median_s for s in runs])
        rows.append(Row(f"suite: time outside the steps per scenario, {how}",
                        f"{overhead:.2f} s (median over the scenarios; {several}".rstrip("; ")
                        + ")", f"<= {OVERHEAD_MEDIAN_S:.2f} s" if target else "",
                        _at_most(overhead, OVERHEAD_MEDIAN_S) if target else None,
                        middle.load))
    return rows


def tests_rows(results: Sequence[TestsResult]) -> list[Row]:
    middle = sorted(results, key=lambda t: t.seconds)[(len(results) - 1) // 2]
    several = f"median of {len(results)} runs; " if len(results) > 1 else ""
    options = shlex.join(MAKE_TEST_OPTIONS)
    return [Row(f"tests: make test (pytest -n {middle.workers} {options})",
                f"{middle.seconds:.1f} s ({several}{middle.summary or f'exit {middle.exit_code}'})",
                f"<= {TESTS_S:.0f} s", _at_most(middle.seconds, TESTS_S), middle.load)]


def overhead_rows(pieces: Sequence[Piece]) -> list[Row]:
    """What a scenario pays outside its steps, piece by piece (bench/overhead.py)."""
    return [Row(f"overhead: {p.name}: {p.variant}", f"{p.median_ms:.0f} ms (median of {p.runs})",
                load=p.load) for p in pieces]


def render(rows: Sequence[Row]) -> str:
    header = ("measure", "result", "target", "met", "load")
    cells = [header] + [
        (r.measure, r.result, r.target, "" if r.met is None else ("yes" if r.met else "NO"),
         "" if r.load is None else f"{r.load:.2f}")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def machine_facts() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for entry in info:
                if entry.startswith("model name"):
                    cpu = entry.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    node = shutil.which("node")
    node_version = ""
    if node:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
        node_version = f", Node.js {out.stdout.strip()}"
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
            f"{node_version}, {platform.system()} {platform.release()}")
