"""Signed-in sessions of the admin page, stored under the digest of the cookie's token."""

from __future__ import annotations

from datetime import datetime

from .sqlite import Sqlite, digest, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_by_expiry ON admin_sessions (expires_at);
"""


class AdminSessionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def create(self, token: str, at: datetime, expires_at: datetime) -> None:
        """Store a new session; sessions past their end are dropped at the same time."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE expires_at<=?", (ts(at),))
            conn.execute(
                "INSERT INTO admin_sessions VALUES (?,?,?)", (digest(token), ts(at), ts(expires_at))
            )

    def live(self, token: str, now: datetime) -> bool:
        row = self._sql.one(
            "SELECT 1 FROM admin_sessions WHERE token_hash=? AND expires_at>?",
            (digest(token), ts(now)),
        )
        return row is not None

    def delete(self, token: str) -> None:
        self._sql.run("DELETE FROM admin_sessions WHERE token_hash=?", (digest(token),))

    def end_all(self) -> int:
        return self._sql.run("DELETE FROM admin_sessions")
