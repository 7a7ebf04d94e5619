"""The load generator: its own process, so its CPU never counts as the provider's.

``python -m bench.loadgen --provider P --url U`` discovers the provider, gives every client an
``httpx.Client`` for its untimed set-up and then its own kept-alive connection
(:class:`bench.wire.Connection`, carrying the cookies set-up got) for its warm-up and timed
flows, then prints ``ready`` and waits for a ``go`` line on stdin. The parent reads the
provider's CPU time around the measured part, which ends after ``--flows`` flows or
``--max-seconds``, whichever comes first; the result is one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import httpx

from .flows import PROVIDERS, Flow, make_flow
from .wire import Connection, cookie_header

MAX_ERRORS = 20


@dataclass
class LoadResult:
    flows: int = 0
    errors: int = 0
    first_error: str | None = None
    wall_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)


class _Tickets:
    """Hands out at most ``count`` flows until ``deadline``; stops early after many errors."""

    def __init__(self, count: int, deadline: float) -> None:
        self.left = count
        self.deadline = deadline
        self.lock = threading.Lock()
        self.result = LoadResult()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or self.result.errors >= MAX_ERRORS:
                return False
            if time.perf_counter() >= self.deadline:
                return False
            self.left -= 1
            return True

    def done(self, latency: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is not None:
                self.result.errors += 1
                self.result.first_error = self.result.first_error or error
            elif latency is not None:
                self.result.flows += 1
                self.result.latencies_ms.append(latency * 1000)


def _client_loop(flow: Flow, wire: Connection, tickets: _Tickets) -> None:
    while tickets.take():
        started = time.perf_counter()
        try:
            flow.run(wire)
        except Exception as exc:  # every failure is counted and reported, never fatal
            tickets.done(None, f"{type(exc).__name__}: {exc}")
        else:
            tickets.done(time.perf_counter() - started)


def run_load(flow: Flow, clients: Sequence[Connection], *, flows: int,
             max_seconds: float) -> LoadResult:
    """Run ``flows`` login round trips over ``clients`` concurrently (one thread each)."""
    cpu_start = _own_cpu()
    started = time.perf_counter()
    tickets = _Tickets(flows, started + max_seconds)
    threads = [threading.Thread(target=_client_loop, args=(flow, wire, tickets), daemon=True)
               for wire in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    result = tickets.result
    result.wall_seconds = time.perf_counter() - started
    result.client_cpu_seconds = _own_cpu() - cpu_start
    return result


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--provider", required=True, choices=PROVIDERS)
    parser.add_argument("--url", required=True, help="the provider's base URL (loopback)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=20, help="untimed flows per client")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--no-wait", action="store_true", help="start without waiting for go")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    host = httpx.URL(args.url).host
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        print(f"loadgen: {args.url} is not a loopback address", file=sys.stderr)
        return 2
    clients: list[Connection] = []
    try:
        with httpx.Client(timeout=30.0, follow_redirects=False) as first:
            flow = make_flow(args.provider, args.url, first)
        for _ in range(args.clients):
            with httpx.Client(timeout=30.0, follow_redirects=False) as http:
                flow.setup(http)
                clients.append(Connection(args.url, cookies=cookie_header(http)))
        warm = run_load(flow, clients, flows=args.warmup * len(clients), max_seconds=30)
        if warm.errors:
            print(json.dumps(asdict(warm)), flush=True)
            return 1
        print("ready", flush=True)
        if not args.no_wait and sys.stdin.readline().strip() != "go":
            return 1
        result = run_load(flow, clients, flows=args.flows, max_seconds=args.max_seconds)
        print(json.dumps(asdict(result)), flush=True)
        return 0 if not result.errors else 1
    finally:
        for wire in clients:
            wire.close()


if __name__ == "__main__":
    sys.exit(main())
