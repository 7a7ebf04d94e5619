"""Clock skew: the provider's ``Date`` header against this machine's clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

from scenarios.doctor.checks.result import CheckResult, failed
from scenarios.doctor.checks.transport import host_of
from scenarios.doctor.probe import Exchange

__all__ = ["CLOCK_FAIL_SECONDS", "CLOCK_WARN_SECONDS", "check_clock"]

CLOCK_WARN_SECONDS = 60
CLOCK_FAIL_SECONDS = 300


def check_clock(exchanges: Sequence[Exchange]) -> CheckResult:
    """The provider's ``Date`` header against this machine's clock at the response."""
    name = "clock"
    for exchange in exchanges:
        value = exchange.header("date")
        if not value:
            continue
        try:
            theirs = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if theirs.tzinfo is None:
            continue
        return _judge_skew(name, theirs, exchange.received_at, host_of(exchange.url))
    return CheckResult(name=name, status="WARN", detail="no response carried a Date header; "
                       "clocks not compared", fix="Make sure this machine's clock is synchronised.")


def _judge_skew(name: str, theirs: datetime, ours: datetime, host: str) -> CheckResult:
    skew = (theirs - ours).total_seconds()
    size = abs(skew)
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"{host} is {_duration(round(size))} {direction} this machine"
    fix = ("Synchronise both clocks with NTP; ID tokens are refused when clocks are more than a "
           "few minutes apart.")
    if size > CLOCK_FAIL_SECONDS:
        return failed(name, detail, fix)
    if size > CLOCK_WARN_SECONDS:
        return CheckResult(name=name, status="WARN", detail=detail, fix=fix)
    return CheckResult(name=name, status="PASS", detail=detail if size >= 2 else
                       f"{host} agrees with this machine")


def _duration(seconds: int) -> str:
    """``42 s`` and ``10 min 0 s`` under an hour; beyond, days, hours and minutes without the
    parts that are 0: ``2 h 5 min``, ``181 days 59 min``."""
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    return " ".join(parts)
