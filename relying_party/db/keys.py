"""Secrets the RP keeps for itself: the key that signs its browser tokens and the digest of the
admin credential. Created once, on the first start, and shared by every worker."""

from __future__ import annotations

from .sqlite import Sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS rp_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class KeyStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def get(self, name: str) -> str | None:
        row = self._sql.one("SELECT value FROM rp_secrets WHERE name=?", (name,))
        return str(row["value"]) if row is not None else None

    def get_or_create(self, name: str, value: str) -> tuple[str, bool]:
        """The stored value, or ``value`` stored now; and whether it was stored now."""
        created = self._sql.run("INSERT OR IGNORE INTO rp_secrets VALUES (?,?)", (name, value)) > 0
        stored = self.get(name)
        assert stored is not None
        return stored, created

    def put(self, name: str, value: str) -> None:
        self._sql.run(
            "INSERT INTO rp_secrets VALUES (?,?)"
            " ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (name, value),
        )
