"""The error log: every sign-in failure under the reference shown on the failure page, and every
call to the platform's Apps API that failed (:mod:`relying_party.acknowledgements`).

Anyone can make a sign-in fail, so the log is bounded: each text is cut to a length
(:data:`TEXT_LIMITS`), rows older than the retention are dropped, and past ``max_rows`` the oldest
go first. Failures tied to no connection or installation that exists (an unknown ``state``, a
made-up installation id: what anyone can send without one) have a smaller pool of their own,
``max_unattributed_rows``, so a flood of them never evicts the failures of a real connection,
the ones support references point to. All of it is enforced on every insert, by the time of the
record being inserted (the injected clock's). The source id can come straight from a URL
(``/launch``): its control and invisible format characters (NUL, bidi overrides) are stored and
shown as escapes."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..inputs import escape_invisible
from .sqlite import SourceKind, Sqlite, dt, dt_opt, ts, ts_opt

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
    support_contact TEXT NOT NULL,
    attributed INTEGER NOT NULL DEFAULT 1,
    secret_saved_at TEXT
);
CREATE INDEX IF NOT EXISTS error_log_by_source ON error_log (source_kind, source_id, created_at);
CREATE INDEX IF NOT EXISTS error_log_by_time ON error_log (created_at);
"""

MAX_ROWS = 5000
MAX_UNATTRIBUTED_ROWS = 1000
RETENTION = timedelta(days=90)
_COLUMNS = ("ref, created_at, status, code, message, detail, admin_hint, idp_error_code,"
            " source_kind, source_id, support_contact, attributed, secret_saved_at")
_POOLS = """
ALTER TABLE error_log ADD COLUMN attributed INTEGER NOT NULL DEFAULT 1;
UPDATE error_log SET attributed = 0 WHERE source_kind IS NULL
    OR (source_kind = 'connection' AND source_id NOT IN (SELECT id FROM connections))
    OR (source_kind = 'installation'
        AND source_id NOT IN (SELECT installation_id FROM installations));
"""
"""Rows written before the two pools: those no connection or installation owns (now) are
unattributed."""
TEXT_LIMITS: Mapping[str, int] = {
    "code": 100,
    "message": 1000,
    "detail": 2000,
    "admin_hint": 1000,
    "idp_error_code": 40,
    "source_id": 200,
    "support_contact": 200,
}
"""The most characters each text field keeps; a longer value is cut and says so."""


def clip(value: str, limit: int) -> str:
    """``value`` when it fits in ``limit`` characters, else its start and how much was cut."""
    if len(value) <= limit:
        return value
    kept = max(limit - 40, 0)
    clipped = f"{value[:kept]}… [{len(value) - kept} characters cut]"
    return clipped if len(clipped) <= limit else value[:limit]


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
    secret_saved_at: datetime | None = None
    """When the client secret the failed sign-in sent (or was to send) was saved: a failure
    logged after a new secret was saved may still be the old one's (None: no connection's, or
    logged before this was kept)."""

    def bounded(self) -> ErrorRecord:
        """This record with each text cut to its :data:`TEXT_LIMITS`, and the source id's
        invisible characters escaped."""
        def cut(name: str, value: str | None) -> str | None:
            return clip(value, TEXT_LIMITS[name]) if value is not None else None

        source_id = escape_invisible(self.source_id) if self.source_id is not None else None

        return replace(
            self,
            code=clip(self.code, TEXT_LIMITS["code"]),
            message=clip(self.message, TEXT_LIMITS["message"]),
            detail=clip(self.detail, TEXT_LIMITS["detail"]),
            admin_hint=cut("admin_hint", self.admin_hint),
            idp_error_code=cut("idp_error_code", self.idp_error_code),
            source_id=cut("source_id", source_id),
            support_contact=clip(self.support_contact, TEXT_LIMITS["support_contact"]),
        )


class ErrorLog:
    def __init__(
        self, sql: Sqlite, *, max_rows: int = MAX_ROWS,
        max_unattributed_rows: int = MAX_UNATTRIBUTED_ROWS, retention: timedelta = RETENTION,
    ) -> None:
        self._sql = sql
        self.max_rows = max_rows
        self.max_unattributed_rows = max_unattributed_rows
        self.retention = retention
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(error_log)")}
            if "attributed" not in columns:
                for statement in filter(str.strip, _POOLS.split(";")):
                    conn.execute(statement)
            if "secret_saved_at" not in columns:
                conn.execute("ALTER TABLE error_log ADD COLUMN secret_saved_at TEXT")
            conn.execute("CREATE INDEX IF NOT EXISTS error_log_by_pool"
                         " ON error_log (attributed)")

    def insert(self, record: ErrorRecord, *, attributed: bool) -> None:
        """Store ``record`` (its texts cut to size), then drop what is past the retention or
        beyond the newest of its pool: ``max_rows`` failures of a connection or installation
        that exists (``attributed``), ``max_unattributed_rows`` others."""
        record = record.bounded()
        keep = self.max_rows if attributed else self.max_unattributed_rows
        with self._sql.transaction():
            self._insert(record, attributed=attributed)
            self._sql.run("DELETE FROM error_log WHERE created_at < ?",
                          (ts(record.created_at - self.retention),))
            # rowids grow with each insert: the newest of a pool have the highest
            self._sql.run(
                "DELETE FROM error_log WHERE rowid IN (SELECT rowid FROM error_log"
                " WHERE attributed=? ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
                (attributed, keep),
            )

    def _insert(self, record: ErrorRecord, *, attributed: bool = True) -> None:
        self._sql.run(
            f"INSERT INTO error_log ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                attributed,
                ts_opt(record.secret_saved_at),
            ),
        )

    def detach(self, source_kind: SourceKind, source_id: str) -> None:
        """The connection or installation is gone: its failures move to the pool of those tied
        to none that exists, so one made again under the same id starts without them, while
        their references still resolve (until that pool's bound or the retention drops them)."""
        self._sql.run("UPDATE error_log SET attributed=0 WHERE source_kind=? AND source_id=?",
                      (source_kind, source_id))

    def get(self, ref: str) -> ErrorRecord | None:
        row = self._sql.one("SELECT * FROM error_log WHERE ref=?", (ref,))
        return _error(row) if row is not None else None

    def all(
        self,
        *,
        source_kind: SourceKind | None = None,
        source_id: str | None = None,
        limit: int = 50,
        attributed_only: bool = False,
    ) -> list[ErrorRecord]:
        """The newest first; all of them, or those of one connection or installation (with
        ``attributed_only``, of the one that exists now: none of a deleted one of that id,
        :meth:`detach`)."""
        if source_kind is None:
            rows = self._sql.all(
                "SELECT * FROM error_log ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            )
        else:
            rows = self._sql.all(
                "SELECT * FROM error_log WHERE source_kind=? AND source_id=?"
                " AND attributed >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (source_kind, source_id, int(attributed_only), limit),
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
        source_id=escape_invisible(row["source_id"]) if row["source_id"] is not None else None,
        support_contact=row["support_contact"],
        secret_saved_at=dt_opt(row["secret_saved_at"]),
    )
