"""The group memberships a session signed in with (from the ID token or its overage).

Kept beside the session under the same token digest and removed with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .sqlite import Sqlite, digest

SCHEMA = """
CREATE TABLE IF NOT EXISTS session_groups (
    token_hash TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    source TEXT NOT NULL,
    groups TEXT NOT NULL
);
"""


@dataclass(frozen=True, kw_only=True)
class SessionGroups:
    ids: tuple[str, ...]
    source: str
    """``token``, ``graph`` (the groups overage, followed) or ``none``."""


class SessionGroupStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def set(self, token: str, groups: SessionGroups) -> None:
        self._sql.run(
            "INSERT OR REPLACE INTO session_groups VALUES (?,?,?)",
            (digest(token), groups.source, json.dumps(list(groups.ids))),
        )

    def get(self, token: str) -> SessionGroups | None:
        row = self._sql.one("SELECT * FROM session_groups WHERE token_hash=?", (digest(token),))
        if row is None:
            return None
        return SessionGroups(ids=tuple(json.loads(row["groups"])), source=row["source"])
