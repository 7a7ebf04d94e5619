"""Start-up: the CLI from process start to discovery served, and the in-process test server.

- process: ``python -m mock_idp --port 0`` is spawned, its first line (the URL) read, and the
  tenant's v2 discovery document polled until it is served; timed from just before the spawn.
- in-process: ``run_in_thread(create_app())`` from the call until the context manager yields
  (the server has started), plus until discovery is served by it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from .flows import TENANT_ID
from .servers import START_TIMEOUT, ServerError, child_env, read_first_line, stop
from .stats import load_average, median

DISCOVERY = f"/{TENANT_ID}/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class StartupResult:
    process_to_discovery_s: float
    process_to_url_s: float
    in_process_ready_ms: float
    in_process_discovery_ms: float
    runs: int
    load: float


def _poll(http: httpx.Client, url: str, deadline: float) -> None:
    while True:
        try:
            if http.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.perf_counter() > deadline:
            raise ServerError(f"{url} not served within {START_TIMEOUT} s")
        time.sleep(0.002)


def process_start() -> tuple[float, float]:
    """Seconds from spawn to the URL printed, and to discovery served."""
    with httpx.Client(timeout=2.0) as http:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mock_idp", "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, text=True, env=child_env())
        try:
            base = read_first_line(proc, time.monotonic() + START_TIMEOUT)
            url_at = time.perf_counter()
            _poll(http, base + DISCOVERY, started + START_TIMEOUT)
            served_at = time.perf_counter()
        finally:
            stop(proc)
    return url_at - started, served_at - started


def in_process_start() -> tuple[float, float]:
    """Seconds from ``run_in_thread(create_app())`` to ready, and to discovery served."""
    from mock_idp import create_app, run_in_thread

    with httpx.Client(timeout=2.0) as http:
        started = time.perf_counter()
        with run_in_thread(create_app()) as server:
            ready_at = time.perf_counter()
            _poll(http, server.url(DISCOVERY), started + START_TIMEOUT)
            served_at = time.perf_counter()
    return ready_at - started, served_at - started


def measure(runs: int = 10) -> StartupResult:
    process_start()  # writes the bytecode caches, as an install or a first run would
    process = [process_start() for _ in range(runs)]
    in_process_start()  # the first one also pays the imports; tests pay those once
    inproc = [in_process_start() for _ in range(runs)]
    return StartupResult(
        process_to_url_s=median([u for u, _ in process]),
        process_to_discovery_s=median([d for _, d in process]),
        in_process_ready_ms=median([r for r, _ in inproc]) * 1000,
        in_process_discovery_ms=median([d for _, d in inproc]) * 1000,
        runs=runs, load=load_average())
