"""What every doctor check returns: a :class:`CheckResult` with its status, detail and fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CheckResult", "Status", "failed", "skipped"]

Status = Literal["PASS", "WARN", "FAIL", "SKIP"]


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str | None = None
    portal: str | None = None
    """Where to make the fix in the Entra admin center (Entra ID only)."""


def skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, status="SKIP", detail=why)


def failed(name: str, detail: str, fix: str, portal: str | None = None) -> CheckResult:
    return CheckResult(name=name, status="FAIL", detail=detail, fix=fix, portal=portal)

