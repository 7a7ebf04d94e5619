"""What an app the profile started as a command printed during each conformance row, kept in
``logs/app-<row id>.log`` beside the report for each row that failed, as ``run`` keeps it for a
scenario that did not pass (:mod:`scenarios.app_logs`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from scenarios import app_logs
from scenarios.conformance.rows import RowResult
from scenarios.protocol_view.known import known_values

__all__ = ["RowOutput", "forget"]

_ALL = 10**9


def forget(report_dir: Path, row_ids: Iterable[str]) -> None:
    """Delete the app output a previous run kept for these rows."""
    for row_id in row_ids:
        (app_logs.log_dir(report_dir) / f"app-{row_id}.log").unlink(missing_ok=True)


class RowOutput:
    """The app's output, split by row: :meth:`mark` before a row, :meth:`keep` after it."""

    def __init__(self, env: app_logs.AppOutput, report_dir: Path) -> None:
        self.env = env
        self.report_dir = report_dir
        self._seen = 0

    def _lines(self) -> list[str]:
        return self.env.app_output(_ALL).splitlines()

    def mark(self) -> None:
        self._seen = len(self._lines())

    def keep(self, result: RowResult) -> RowResult:
        """``result``, naming the file its row's output went to when the row failed and the
        app printed anything during it."""
        if result.verdict.result != "FAIL":
            return result
        printed = "\n".join(self._lines()[self._seen:][-app_logs.APP_OUTPUT_LINES:])
        kept = app_logs.keep_printed(printed, self.report_dir, result.row.id,
                                     known_values(self.env))
        return replace(result, app_log=kept) if kept else result
