"""Each installation's trial of the app, as the platform's trial events last described it.

One row per installation: the trial's state (``active`` once started or extended, ``ended``),
when it expires, how it ended, and the ``created_at`` of the trial event that made it so
(``changed_at``). An event older than that is a late retry and changes nothing.

An installation's lifetime starts at the ``app.installed`` that created or re-activated it
(:meth:`TrialStore.begin`): the row then holds no trial (``state`` NULL) and ``changed_at`` is
that event's ``created_at``, so a trial event of an earlier lifetime is stale. The row goes when
the installation is uninstalled.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from .sqlite import Sqlite, dt, dt_opt, ts, ts_opt

SCHEMA = """
CREATE TABLE IF NOT EXISTS installation_trials (
    installation_id TEXT PRIMARY KEY,
    state TEXT CHECK (state IN ('active', 'ended')),
    expires_at TEXT,
    ended_at TEXT,
    ended_reason TEXT,
    ended_by TEXT,
    changed_at TEXT NOT NULL
);
"""

TrialState = Literal["active", "ended"]


@dataclass(frozen=True, kw_only=True)
class Trial:
    """An installation's trial. Informational: the platform itself restricts users' access
    once it expires, so nothing here refuses a sign-in."""

    state: TrialState
    expires_at: datetime
    ended_at: datetime | None = None
    ended_reason: str | None = None
    """``trial_expired``, ``app_uninstalled`` or ``plan_upgraded`` once ``ended``."""
    ended_by: str | None = None
    """``system`` or ``user`` once ``ended``."""


class TrialStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def begin(self, installation_id: str, since: datetime) -> None:
        """A new lifetime of the installation, installed by an event created at ``since``: an
        earlier lifetime's trial goes, and trial events older than ``since`` are stale."""
        self._sql.run("INSERT OR REPLACE INTO installation_trials (installation_id, changed_at)"
                      " VALUES (?,?)", (installation_id, ts(since)))

    def forget(self, installation_id: str) -> None:
        """Drop the installation's trial (it was uninstalled)."""
        self._sql.run("DELETE FROM installation_trials WHERE installation_id=?",
                      (installation_id,))

    def apply(self, installation_id: str, trial: Trial, *, changed_at: datetime) -> bool:
        """Make ``trial`` the installation's, by a trial event created at ``changed_at``; False,
        changing nothing, when what is kept is newer. Of two events of the same second (the
        platform's ``created_at`` has no finer unit), an end outranks a start or an extension,
        which otherwise apply in the order they arrive."""
        with self._sql.transaction() as conn:
            row = conn.execute(
                "SELECT state, changed_at FROM installation_trials WHERE installation_id=?",
                (installation_id,),
            ).fetchone()
            if row is not None:
                kept_at = dt(row["changed_at"])
                if changed_at < kept_at or (changed_at == kept_at and row["state"] == "ended"
                                            and trial.state != "ended"):
                    return False
            conn.execute(
                "INSERT OR REPLACE INTO installation_trials VALUES (?,?,?,?,?,?,?)",
                (installation_id, trial.state, ts(trial.expires_at), ts_opt(trial.ended_at),
                 trial.ended_reason, trial.ended_by, ts(changed_at)),
            )
        return True

    def get(self, installation_id: str) -> Trial | None:
        row = self._sql.one("SELECT * FROM installation_trials WHERE installation_id=?"
                            " AND state IS NOT NULL", (installation_id,))
        return _trial(row) if row is not None else None

    def all(self) -> dict[str, Trial]:
        """Every installation's trial, by installation (those without one left out)."""
        rows = self._sql.all("SELECT * FROM installation_trials WHERE state IS NOT NULL")
        return {r["installation_id"]: _trial(r) for r in rows}


def _trial(row: sqlite3.Row) -> Trial:
    return Trial(
        state=cast(TrialState, row["state"]),
        expires_at=dt(row["expires_at"]),
        ended_at=dt_opt(row["ended_at"]),
        ended_reason=row["ended_reason"],
        ended_by=row["ended_by"],
    )
