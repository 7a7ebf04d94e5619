"""Login round trips at the HTTP level, with 8 concurrent clients, for each provider.

The provider runs as its own process; the clients run in another (``bench.loadgen``), so the
provider's CPU time, read from ``/proc/<pid>/stat`` just before and just after the measured
flows, is its own. Set-up and warm-up flows are not measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from . import competitors
from .procstat import cpu_seconds
from .servers import ROOT, ServerError, child_env, running
from .stats import load_average, median, percentile

CLIENTS = 8


@dataclass(frozen=True)
class LoginResult:
    provider: str
    version: str
    flows: int
    errors: int
    first_error: str | None
    wall_seconds: float
    flows_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms_per_flow: float
    client_cpu_ms_per_flow: float
    load: float
    rounds: int = 1
    server_cpu_range: tuple[float, float] | None = None
    """Lowest and highest provider CPU per flow over the rounds, when there were several."""


@dataclass(frozen=True)
class Skipped:
    provider: str
    reason: str
    load: float


def http_stack() -> str:
    """uvicorn and what it serves with here: its C parser and event loop when installed
    (``httptools``, ``uvloop``), otherwise ``h11`` and asyncio's loop."""
    from importlib.metadata import version
    from importlib.util import find_spec

    parts = [f"uvicorn {version('uvicorn')}"]
    parts.append("httptools" if find_spec("httptools") else "h11")
    parts.append("uvloop" if find_spec("uvloop") else "asyncio")
    return ", ".join(parts)


def version_of(provider: str) -> str:
    if provider == "starlette-baseline":
        from importlib.metadata import version

        return f"(starlette {version('starlette')}, {http_stack()})"
    if provider == "mock_idp":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"{version('sso-harness')} ({http_stack()})"
        except PackageNotFoundError:
            return f"working tree ({http_stack()})"
    return competitors.install(provider).version


def measure(provider: str, *, flows: int, warmup: int, max_seconds: float,
            clients: int = CLIENTS) -> LoginResult | Skipped:
    try:
        version = version_of(provider)
        with running(provider) as server:
            return _drive(provider, version, server.base_url, server.pid, flows=flows,
                          warmup=warmup, max_seconds=max_seconds, clients=clients)
    except (competitors.Unavailable, ServerError) as exc:
        return Skipped(provider, str(exc), load_average())


def _drive(provider: str, version: str, url: str, pid: int, *, flows: int, warmup: int,
           max_seconds: float, clients: int) -> LoginResult | Skipped:
    argv = [sys.executable, "-m", "bench.loadgen", "--provider", provider, "--url", url,
            "--clients", str(clients), "--flows", str(flows), "--warmup", str(warmup),
            "--max-seconds", str(max_seconds)]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=child_env(),
                          cwd=ROOT) as load:
        assert load.stdin is not None and load.stdout is not None
        first = load.stdout.readline().strip()
        if first != "ready":
            load.kill()
            _, err = load.communicate(timeout=30)
            return Skipped(provider, f"the clients could not start: {first[:300]} "
                           f"{err.strip()[-500:]}", load_average())
        cpu_before = cpu_seconds(pid)
        load.stdin.write("go\n")
        load.stdin.flush()
        line = load.stdout.readline()
        cpu_after = cpu_seconds(pid)
        load_now = load_average()
        load.stdin.close()
        load.wait(30)
    data = json.loads(line)
    done = max(1, data["flows"])
    latencies = data["latencies_ms"] or [0.0]
    return LoginResult(
        provider=provider, version=version, flows=data["flows"], errors=data["errors"],
        first_error=data["first_error"], wall_seconds=data["wall_seconds"],
        flows_per_second=data["flows"] / data["wall_seconds"] if data["wall_seconds"] else 0.0,
        p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99),
        server_cpu_ms_per_flow=(cpu_after - cpu_before) * 1000 / done,
        client_cpu_ms_per_flow=data["client_cpu_seconds"] * 1000 / done, load=load_now)


def combine(runs: list[LoginResult]) -> LoginResult:
    """Several rounds as one result: the round with the median provider CPU per flow, carrying
    the median flows per second and the CPU range of all rounds."""
    ordered = sorted(runs, key=lambda r: r.server_cpu_ms_per_flow)
    middle = ordered[(len(ordered) - 1) // 2]
    cpus = [r.server_cpu_ms_per_flow for r in ordered]
    spread = (cpus[0], cpus[-1]) if len(runs) > 1 else None
    return replace(middle, rounds=len(runs), server_cpu_range=spread,
                   flows_per_second=median([r.flows_per_second for r in runs]),
                   errors=sum(r.errors for r in runs),
                   first_error=next((r.first_error for r in runs if r.first_error), None))


def measure_rounds(providers: Sequence[str], *, rounds: int, flows: int, warmup: int,
                   max_seconds: float,
                   progress: Callable[[str], None] = lambda _: None
                   ) -> list[LoginResult | Skipped]:
    """``rounds`` measurements of each provider, the providers alternating within a round so
    that a change in the machine's load falls on all of them."""
    found: dict[str, list[LoginResult]] = {p: [] for p in providers}
    skipped: dict[str, Skipped] = {}
    for number in range(1, rounds + 1):
        for provider in providers:
            if provider in skipped:
                continue
            progress(f"login round trips against {provider} (round {number} of {rounds})")
            result = measure(provider, flows=flows, warmup=warmup, max_seconds=max_seconds)
            if isinstance(result, Skipped):
                skipped[provider] = result
            else:
                found[provider].append(result)
    return [skipped[p] if p in skipped else combine(found[p]) for p in providers]
