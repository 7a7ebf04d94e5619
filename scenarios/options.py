"""Command-line value types shared by the subcommands and the pytest plugin: timeouts in
seconds and a port number, each refused with a usage error (exit code 2) when out of range; the
paths of reports and the ids of a selection, refused when empty; and the URL of a server."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_SCENARIO_TIMEOUT",
    "MAX_SCENARIO_TIMEOUT_SECONDS",
    "MAX_TIMEOUT_SECONDS",
    "directory_option",
    "file_option",
    "given_option",
    "http_url_option",
    "max_failures_option",
    "port_option",
    "profile_option",
    "scenario_limit",
    "scenario_timeout_option",
    "selection_option",
    "timeout_option",
]

N = TypeVar("N", int, float)

MAX_TIMEOUT_SECONDS = 600
"""The longest timeout an option takes: ten minutes for one browser action is already a hang."""


def _number(value: str, kind: Callable[[str], N], what: str, low: N, high: N, *,
            above_low: bool = False, meaning: str = "", unit: str = "") -> N:
    """``value`` as a ``kind`` from ``low`` (or above it) to ``high``; otherwise a usage error
    saying what was expected (``meaning``: what ``low`` stands for). Refuses nan and inf."""
    try:
        number = kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    if not (low < number <= high if above_low else low <= number <= high):
        first = f"more than {low:g}" if above_low else f"{low:g}{meaning}"
        raise argparse.ArgumentTypeError(
            f"expected {first} to {high:.15g}{unit}, got {value!r}")
    return number


def timeout_option(value: str) -> float:
    """``--timeout SECONDS`` of ``run`` and ``conformance`` (and ``--sso-timeout``): more than 0
    (Playwright takes 0 for "wait for ever") and at most :data:`MAX_TIMEOUT_SECONDS`."""
    return _number(value, float, "a number of seconds", 0.0, float(MAX_TIMEOUT_SECONDS),
                   above_low=True, unit=" seconds")


DEFAULT_SCENARIO_TIMEOUT = 300.0
"""Seconds a scenario may take (``--scenario-timeout``) with the default ``--timeout``: one
that has not finished by then hangs, and would otherwise hold its CI job until the job's own
limit."""
SCENARIO_TIMEOUTS_PER_ACTION = 30
"""Without ``--scenario-timeout``, a scenario may take this many of its actions' timeouts
(``--timeout``), and at least :data:`DEFAULT_SCENARIO_TIMEOUT`: a run that gives a slow app
a minute an action does not cut its scenarios at five."""
MAX_SCENARIO_TIMEOUT_SECONDS = 86_400


def scenario_timeout_option(value: str) -> float:
    """``--scenario-timeout SECONDS``: at least 0 (0: no limit) and at most a day."""
    return _number(value, float, "a number of seconds", 0.0, float(MAX_SCENARIO_TIMEOUT_SECONDS),
                   meaning=" (no limit)", unit=" seconds")


def scenario_limit(given: float | None, action_timeout: float) -> float | None:
    """The seconds a scenario may take: ``--scenario-timeout`` as ``given`` (0: ``None``, no
    limit), else :data:`SCENARIO_TIMEOUTS_PER_ACTION` times ``--timeout``, at least
    :data:`DEFAULT_SCENARIO_TIMEOUT`."""
    if given is None:
        return max(DEFAULT_SCENARIO_TIMEOUT, SCENARIO_TIMEOUTS_PER_ACTION * action_timeout)
    return given or None


def max_failures_option(value: str) -> int:
    """``--max-failures N``: 1 or more."""
    return _number(value, int, "a number of failures", 1, 1_000_000)


def port_option(value: str) -> int:
    """A port for a server to listen on, 0 for any free one."""
    return _number(value, int, "a port number", 0, 65535, meaning=" (any free port)")


def _path(value: str, what: str) -> Path:
    if not value.strip():  # an unset variable ("$REPORTS"): not the current directory
        raise argparse.ArgumentTypeError(f"needs {what}, got {value!r}")
    return Path(value)


def directory_option(value: str) -> Path:
    """``--report DIR``: a directory, never an empty string."""
    return _path(value, "a directory")


def file_option(value: str) -> Path:
    """``--junit PATH``: a file's path, never an empty string."""
    return _path(value, "a file path")


def profile_option(value: str) -> str:
    """``--app PROFILE`` (and the pytest plugin's ``--sso-app``): a profile's path or a shipped
    profile's name, never an empty string (an unset variable, ``--app "$PROFILE"``), which
    would read the current directory or, in the plugin, test the reference relying party."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            f"needs an app profile's path or a shipped profile's name, got {value!r}")
    return value


def given_option(value: str) -> str:
    """A path, name or URI an option gives (``conformance --check``, ``--client-id``, ...),
    never an empty string: an unset variable (``--backchannel "$BC_PATH"``) would quietly be the
    default, which checks another path, signs in another client or leaves rows untested."""
    if not value.strip():
        raise argparse.ArgumentTypeError(f"needs a value, got {value!r}")
    return value


def selection_option(value: str) -> str:
    """``--only IDS``: ids or glob patterns, comma-separated; one that names none (an unset
    variable, ``--only "$ROWS"``, or only commas) is refused, not taken as "everything"."""
    if not any(part.strip() for part in value.split(",")):
        raise argparse.ArgumentTypeError(f"needs ids or glob patterns, got {value!r}")
    return value


def http_url_option(value: str) -> str:
    """The base URL of a running server (``conformance --rp`` and ``--idp``): an absolute
    http(s) URL, so that ``127.0.0.1:8000`` is refused before anything starts."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"needs an absolute http(s) URL (http://host:port), got {value!r}")
    return value.strip()
