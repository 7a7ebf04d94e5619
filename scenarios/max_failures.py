"""``--max-failures N`` (``-x``: 1): once N scenarios of a run have failed or been in error,
the scenarios left are skipped, with the reason, by every worker. A CI job whose app is set
up wrongly then stops after N failures instead of paying each scenario's timeouts.

Each worker counts its own failures in a count the run's workers share, before it takes
its next scenario, and reads the count before running one; the runner adds the errors it
reports itself (a scenario overdue, a worker lost). Scenarios already running finish, so a run
with several workers may end with a few more than N failures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from scenarios.results import ScenarioResult

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from multiprocessing.sharedctypes import Synchronized

__all__ = ["FailureCount", "skip_reason"]


def skip_reason(limit: int, noun: str = "scenario") -> str:
    """Why a scenario (or a conformance ``row``) is skipped once ``limit`` have failed."""
    failures = f"{noun} had" if limit == 1 else f"{noun}s had"
    return f"not run: {limit} {failures} failed (--max-failures {limit})"


class FailureCount:
    """How many scenarios of the run have failed, against ``limit`` (``None``: no limit): in
    this process, or shared with the run's worker processes (:meth:`shared`)."""

    def __init__(self, limit: int | None, shared: Synchronized[int] | None = None) -> None:
        self.limit = limit
        self._shared = shared
        self._count = 0

    @classmethod
    def shared(cls, limit: int | None, context: BaseContext) -> FailureCount:
        """One for the worker processes of ``context`` (hand it to them as they start)."""
        return cls(limit, cast("Synchronized[int]", context.Value("i", 0)))

    @property
    def count(self) -> int:
        return self._count if self._shared is None else self._shared.value

    def note(self, result: ScenarioResult) -> None:
        """Count ``result`` if it failed or was in error."""
        if result.passed or result.skipped:
            return
        if self._shared is None:
            self._count += 1
            return
        with self._shared.get_lock():
            self._shared.value += 1

    def reached(self) -> bool:
        """Whether the scenarios left are to be skipped."""
        return self.limit is not None and self.count >= self.limit
