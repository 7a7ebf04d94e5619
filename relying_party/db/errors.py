"""The error log: every sign-in failure under the reference shown on the failure page."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .sqlite import SourceKind, Sqlite, dt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS error_log (
    ref TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    detail TEXT NOT NULL,
    admin_hint TEXT,
    idp_error_code TEXT,
    source_kind TEXT,
    source_id TEXT,
    support_contact TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS error_log_by_source ON error_log (source_kind, source_id, created_at);
"""


@dataclass(frozen=True, kw_only=True)
class ErrorRecord:
    ref: str
    created_at: datetime
    status: int
    code: str
    message: str
    detail: str
    admin_hint: str | None
    idp_error_code: str | None
    source_kind: SourceKind | None
    source_id: str | None
    support_contact: str


class ErrorLog:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def insert(self, record: ErrorRecord) -> None:
        self._sql.run(
            "INSERT INTO error_log VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.ref,
                ts(record.created_at),
                record.status,
                record.code,
                record.message,
                record.detail,
                record.admin_hint,
                record.idp_error_code,
                record.source_kind,
                record.source_id,
                record.support_contact,
            ),
        )

    def get(self, ref: str) -> ErrorRecord | None:
        row = self._sql.one("SELECT * FROM error_log WHERE ref=?", (ref,))
        return _error(row) if row is not None else None

    def all(
        self,
        *,
        source_kind: SourceKind | None = None,
        source_id: str | None = None,
        limit: int = 50,
    ) -> list[ErrorRecord]:
        """The newest first; all of them, or those of one connection or installation."""
        if source_kind is None:
            rows = self._sql.all(
                "SELECT * FROM error_log ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            )
        else:
            rows = self._sql.all(
                "SELECT * FROM error_log WHERE source_kind=? AND source_id=?"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (source_kind, source_id, limit),
            )
        return [_error(r) for r in rows]


def _error(row: sqlite3.Row) -> ErrorRecord:
    return ErrorRecord(
        ref=row["ref"],
        created_at=dt(row["created_at"]),
        status=row["status"],
        code=row["code"],
        message=row["message"],
        detail=row["detail"],
        admin_hint=row["admin_hint"],
        idp_error_code=row["idp_error_code"],
        source_kind=row["source_kind"],
        source_id=row["source_id"],
        support_contact=row["support_contact"],
    )
