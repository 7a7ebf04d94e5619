"""Command-line value types shared by the subcommands and the pytest plugin: timeouts in
seconds and a port number, each refused with a usage error (exit code 2) when out of range."""

from __future__ import annotations

import argparse

__all__ = [
    "DEFAULT_SCENARIO_TIMEOUT",
    "MAX_SCENARIO_TIMEOUT_SECONDS",
    "MAX_TIMEOUT_SECONDS",
    "port_option",
    "scenario_timeout_option",
    "timeout_option",
]

MAX_TIMEOUT_SECONDS = 600
"""The longest timeout an option takes: ten minutes for one browser action is already a hang."""


def timeout_option(value: str) -> float:
    """``--timeout SECONDS`` of ``run`` and ``conformance`` (and ``--sso-timeout``): more than 0
    (Playwright takes 0 for "wait for ever") and at most :data:`MAX_TIMEOUT_SECONDS`."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"expected more than 0 and at most {MAX_TIMEOUT_SECONDS} seconds, got {value!r}")
    return seconds


DEFAULT_SCENARIO_TIMEOUT = 300.0
"""Seconds a scenario may take in a worker process (``--scenario-timeout``): one that has not
finished by then hangs, and would otherwise hold its CI job until the job's own limit."""
MAX_SCENARIO_TIMEOUT_SECONDS = 86_400


def scenario_timeout_option(value: str) -> float | None:
    """``--scenario-timeout SECONDS``: at least 0 (0: no limit, ``None``) and at most a day."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 <= seconds <= MAX_SCENARIO_TIMEOUT_SECONDS:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"expected 0 (no limit) to {MAX_SCENARIO_TIMEOUT_SECONDS} seconds, got {value!r}")
    return seconds or None


def port_option(value: str) -> int:
    """A port for a server to listen on, 0 for any free one."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"a port is between 0 and 65535 (0: any free port), got {value!r}")
    return port
