"""The app under test going away during a conformance run: its process exiting (an app the
profile started as a command) or its check URL no longer answering (any app).

The row it happened in fails, the exit named first, as ``run`` names it for a scenario
(:func:`exited_during`). Then, as ``run`` starts the app afresh for its next scenario, the rows
left run only once the app is back (:meth:`AppLifeline.back`): a command the profile started is
started again, and any app must answer its check URL. When it is not back, the rows left are
not run (``SKIP``, saying why), as ``run`` skips the scenarios left once the app could not be
started (:mod:`scenarios.app_down`).
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

from scenarios.app.process import AppStartError, exit_description, probe
from scenarios.app_exit import SETTLE_SECONDS
from scenarios.app_logs import AppProcessState
from scenarios.conformance.options import ConformanceOptions

__all__ = ["AppLifeline", "RestartsApp"]

POLL_SECONDS = 0.05
PROBE_SECONDS = 2.0


@runtime_checkable
class RestartsApp(Protocol):
    """An environment that can start its app's command again (a
    :class:`~scenarios.live.LiveStack`)."""

    def restart_app(self) -> None:
        """Start the app again as it was started; :class:`AppStartError` when it does not."""
        ...


class AppLifeline:
    """Whether the app under test is still there: ``app`` is the environment that started it
    (``None``: an app running already, ``--rp``)."""

    def __init__(self, options: ConformanceOptions, app: object | None) -> None:
        self.options = options
        self.app = app

    def exit_code(self, *, settle: bool = False) -> int | None:
        """The code the app's process exited with, when it has (``None``: it runs, or the
        harness did not start it). ``settle``: after a row that stopped on a failure, wait
        up to :data:`~scenarios.app_exit.SETTLE_SECONDS` for an exit to show: a process's
        connections drop a moment before it is seen to have exited."""
        if not isinstance(self.app, AppProcessState):
            return None
        deadline = time.monotonic() + (SETTLE_SECONDS if settle else 0.0)
        while (code := self.app.app_exit_code()) is None and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        return code

    @staticmethod
    def exited_during(code: int) -> str:
        return f"the app's process {exit_description(code)} during this row"

    def back(self, row_id: str) -> str | None:
        """After ``row_id`` failed: ``None`` when the app can take the next row (it runs, or
        was started again, and answers its check URL), else why the rows left are not run."""
        code = self.exit_code()
        if code is not None:
            gone = f"the app's process {exit_description(code)} during {row_id}"
            if not isinstance(self.app, RestartsApp):
                return f"not run: {gone}"
            try:
                self.app.restart_app()
            except AppStartError as exc:
                said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                return f"not run: {gone} and could not be started again: {said}"
        url = self.options.rp_url(self.options.check)
        answer = probe(url, timeout=PROBE_SECONDS, verify=False)
        if isinstance(answer, str):
            return f"not run: the app stopped answering during {row_id} ({url}: {answer})"
        return None
