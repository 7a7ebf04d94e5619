"""A process's own CPU time, read from ``/proc/<pid>/stat`` (user + system)."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_stat(text: str) -> tuple[int, int]:
    """(utime, stime) in clock ticks from the text of ``/proc/<pid>/stat``.

    The command name (field 2) is in parentheses and may hold spaces or ``)``, so fields are
    counted from the last ``)``: utime and stime are fields 14 and 15 of the whole line.
    """
    close = text.rfind(")")
    if close < 0:
        raise ValueError("not a /proc/<pid>/stat line: no command name")
    fields = text[close + 1:].split()
    if len(fields) < 13:
        raise ValueError("not a /proc/<pid>/stat line: too few fields")
    # fields[0] is field 3 (state), so field n is fields[n - 3].
    return int(fields[11]), int(fields[12])


def cpu_seconds(pid: int, *, proc: Path = Path("/proc")) -> float:
    """CPU seconds (user + system, all threads) the process has used so far."""
    utime, stime = parse_stat((proc / str(pid) / "stat").read_text())
    return (utime + stime) / CLOCK_TICKS
