"""A run stops trying an app that could not start.

When the app under test does not start for a scenario (its command exits, never answers its
ready URL, or its port is taken: :class:`~scenarios.app.process.AppStartError` while the
scenario's stack is set up), it would not start for the next one either, and each attempt
costs the profile's whole ``timeout``. The first such scenario is reported as an error; the
scenarios left in the run are skipped, with the reason, by every worker. An app that did not
start with settings only its scenario gives it (:class:`~scenarios.app.process.AppRefusedSettings`:
Entra's v1 endpoints) fails that scenario alone. :class:`AppDown` is
what the workers share to know it: the id of that first scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from multiprocessing.sharedctypes import SynchronizedString

    from scenarios.results import ScenarioResult

__all__ = ["AppDown", "started_in_another_worker", "skip_reason"]

ID_BYTES = 200
"""Room for a scenario id (ids are ASCII: letters, digits, ``.``, ``_``, ``-``)."""


def skip_reason(first: str) -> str:
    """Why a scenario is skipped once the app failed to start for ``first``."""
    return (f"not run: the app under test could not be started for {first} (its error says "
            "why), so the scenarios left in this run were skipped")


class AppDown:
    """The first scenario of a run whose app could not start, if any: in this process, or
    shared by a run's worker processes (:meth:`shared`)."""

    def __init__(self, shared: SynchronizedString | None = None) -> None:
        self._shared = shared
        self._first: str | None = None

    @classmethod
    def shared(cls, context: BaseContext) -> AppDown:
        """One for the worker processes of ``context`` (hand it to them as they start)."""
        return cls(cast("SynchronizedString", context.Array("c", ID_BYTES)))

    def first(self) -> str | None:
        """The id of the first scenario whose app could not start, else ``None``."""
        if self._shared is None:
            return self._first
        value = self._shared.value.decode("ascii", errors="replace")
        return value or None

    def note(self, scenario_id: str) -> None:
        """``scenario_id``'s app could not start (the first one noted is kept)."""
        if self._shared is None:
            self._first = self._first or scenario_id
            return
        with self._shared.get_lock():
            if not self._shared.value:
                self._shared.value = scenario_id.encode("ascii", errors="replace")[:ID_BYTES]


def started_in_another_worker(results: Sequence[ScenarioResult]) -> tuple[ScenarioResult, ...]:
    """``results`` with the error of each scenario whose app could not start saying so when
    the app did start for a scenario another worker ran in the same run (it passed or failed
    there): the copies of the app the workers start at once may have stopped one another.
    JupyterHub, for one, kills the proxy named by the pid file in its working directory."""
    ran = {r.worker: r.id for r in results
           if r.status in ("passed", "failed") and not r.app_not_started}
    out = []
    for result in results:
        other = next((sid for worker, sid in ran.items() if worker != result.worker), None)
        if result.app_not_started and result.status == "error" and other is not None:
            hint = (f"\nThe app did start for {other} in this run, in another worker: the "
                    "workers' copies of the app run at once, and one may have stopped another "
                    "through what they share (a file in their working directory, such as a pid "
                    "file or a database; a fixed port beside {port}). Give each its own "
                    "({workdir}, {port}), or run with --workers 1 to tell.")
            result = replace(result, message=(result.message or "") + hint)
        out.append(result)
    return tuple(out)
