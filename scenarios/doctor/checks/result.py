"""What every doctor check returns: a :class:`CheckResult` with its status, detail and fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CheckResult", "Status", "failed", "skipped", "unless_blamed"]

Status = Literal["PASS", "WARN", "FAIL", "SKIP"]


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str | None = None
    portal: str | None = None
    """Where to make the fix in the Entra admin center (Entra ID only)."""
    blames: tuple[str, ...] = ()
    """The URLs a FAIL finds wrong ("authorization URI", "token URL"): the checks that use
    them are skipped."""


def skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, status="SKIP", detail=why)


def failed(name: str, detail: str, fix: str, portal: str | None = None,
           blames: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(name=name, status="FAIL", detail=detail, fix=fix, portal=portal,
                       blames=blames)


def unless_blamed(result: CheckResult, prerequisite: CheckResult, url: str) -> CheckResult:
    """``result``, or a SKIP when ``prerequisite`` failed for the ``url`` it was judged at."""
    if prerequisite.status == "FAIL" and url in prerequisite.blames:
        return skipped(result.name, f"a prerequisite failed: the {url} is wrong (see "
                       f"{prerequisite.name})")
    return result

