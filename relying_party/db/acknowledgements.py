"""What the platform was told of each installation through its Apps API: the approval of the
installation, and the acknowledgement of its rotated credentials.

One row per installation and kind, the latest attempt's: ``pending`` from the event that calls
for it until the call ends, then ``approved`` / ``acknowledged``, or ``failed`` with the reason
and the error log's reference. Each attempt has a number; a call's outcome is kept only while
no newer attempt of the same kind has started, so a slow call never overwrites what a later
event or retry asked for."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .errors import clip
from .sqlite import Sqlite, dt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS installation_acknowledgements (
    installation_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    error_ref TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (installation_id, kind)
);
"""

AckKind = Literal["approval", "credentials"]
"""``approval``: the installation was approved; ``credentials``: its rotated credentials were
acknowledged."""
AckState = Literal["pending", "approved", "acknowledged", "failed"]
MAX_REASON = 1000


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    installation_id: str
    kind: AckKind
    attempt: int
    state: AckState
    reason: str | None
    """Why it failed (``failed`` only)."""
    error_ref: str | None
    """The failure's reference in the error log (``failed`` only)."""
    at: datetime
    """When the attempt started (``pending``) or ended."""

    @property
    def summary(self) -> str:
        """What the admin page shows: ``pending``, ``approved``, ``acknowledged`` or
        ``failed: <reason>``."""
        return f"failed: {self.reason}" if self.state == "failed" else self.state


class AcknowledgementStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def start(self, installation_id: str, kind: AckKind, at: datetime) -> int:
        """A new attempt, ``pending``; its number."""
        with self._sql.transaction() as conn:
            conn.execute(
                "INSERT INTO installation_acknowledgements VALUES (?,?,1,'pending',NULL,NULL,?)"
                " ON CONFLICT(installation_id, kind) DO UPDATE SET attempt=attempt+1,"
                " state='pending', reason=NULL, error_ref=NULL, at=excluded.at",
                (installation_id, kind, ts(at)),
            )
            row = conn.execute(
                "SELECT attempt FROM installation_acknowledgements"
                " WHERE installation_id=? AND kind=?", (installation_id, kind),
            ).fetchone()
        attempt: int = row["attempt"]
        return attempt

    def finish(self, installation_id: str, kind: AckKind, attempt: int, *, state: AckState,
               at: datetime, reason: str | None = None, error_ref: str | None = None) -> bool:
        """The outcome of attempt ``attempt``; False, keeping nothing, when a newer attempt has
        started since (or none of this kind is kept)."""
        changed = self._sql.run(
            "UPDATE installation_acknowledgements SET state=?, reason=?, error_ref=?, at=?"
            " WHERE installation_id=? AND kind=? AND attempt=?",
            (state, clip(reason, MAX_REASON) if reason is not None else None, error_ref, ts(at),
             installation_id, kind, attempt),
        )
        return changed > 0

    def forget(self, installation_id: str, kind: AckKind | None = None) -> None:
        """Drop the installation's outcome of ``kind``, or all of them (it was uninstalled:
        the platform has nothing left to be told of it). An attempt under way then keeps
        nothing (:meth:`finish`)."""
        self._sql.run(
            "DELETE FROM installation_acknowledgements WHERE installation_id=?"
            " AND (? IS NULL OR kind=?)", (installation_id, kind, kind),
        )

    def of(self, installation_id: str) -> dict[AckKind, Acknowledgement]:
        rows = self._sql.all(
            "SELECT * FROM installation_acknowledgements WHERE installation_id=?",
            (installation_id,),
        )
        return {row["kind"]: _acknowledgement(row) for row in rows}

    def all(self) -> dict[str, dict[AckKind, Acknowledgement]]:
        """Every installation's, by installation id and kind."""
        found: dict[str, dict[AckKind, Acknowledgement]] = {}
        for row in self._sql.all("SELECT * FROM installation_acknowledgements"):
            found.setdefault(row["installation_id"], {})[row["kind"]] = _acknowledgement(row)
        return found


def _acknowledgement(row: sqlite3.Row) -> Acknowledgement:
    return Acknowledgement(
        installation_id=row["installation_id"],
        kind=row["kind"],
        attempt=row["attempt"],
        state=row["state"],
        reason=row["reason"],
        error_ref=row["error_ref"],
        at=dt(row["at"]),
    )
