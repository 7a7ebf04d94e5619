"""What the RP has already acted on: platform event ids and back-channel logout token ids."""

from __future__ import annotations

from datetime import datetime

from .sqlite import Sqlite, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS processed_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS processed_events_by_time ON processed_events (received_at);
CREATE TABLE IF NOT EXISTS seen_logout_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
"""


class EventStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def mark_processed(
        self, event_id: str, type_: str, at: datetime, *, forget_before: datetime
    ) -> bool:
        """Record the event id; False when it was already there. Ids recorded before
        ``forget_before`` are dropped: their events are too old to be accepted again anyway."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM processed_events WHERE received_at<?", (ts(forget_before),))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO processed_events VALUES (?,?,?)", (event_id, type_, ts(at))
            )
            return cursor.rowcount > 0

    def remember_logout_jti(
        self, issuer: str, jti: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Record a logout token id; False when it was seen before (a replay)."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM seen_logout_jti WHERE expires_at<?", (ts(now),))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO seen_logout_jti VALUES (?,?,?)",
                (issuer, jti, ts(expires_at)),
            )
            return cursor.rowcount > 0
