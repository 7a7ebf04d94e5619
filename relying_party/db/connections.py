"""Customer SSO connections: the admin-configured OpenID clients."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from .sqlite import Sqlite, dt, dt_opt, ts, ts_opt

SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    authorization_uri TEXT NOT NULL,
    token_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    secret_expires_on TEXT NOT NULL,
    support_contact TEXT NOT NULL,
    discovery_url TEXT,
    client_auth_method TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_login_at TEXT
);
"""


@dataclass(frozen=True, kw_only=True)
class Connection:
    """An admin-configured customer SSO connection (an "OpenID client record")."""

    id: str
    name: str
    authorization_uri: str
    token_url: str
    client_id: str
    client_secret: str
    secret_expires_on: date
    support_contact: str
    discovery_url: str | None
    client_auth_method: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class ConnectionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def insert(self, connection: Connection) -> None:
        self._sql.run(
            "INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", _params(connection)
        )

    def update(self, connection: Connection) -> None:
        params = _params(connection)
        self._sql.run(
            "UPDATE connections SET name=?, authorization_uri=?, token_url=?, client_id=?,"
            " client_secret=?, secret_expires_on=?, support_contact=?, discovery_url=?,"
            " client_auth_method=?, enabled=?, created_at=?, updated_at=?, last_login_at=?"
            " WHERE id=?",
            (*params[1:], params[0]),
        )

    def get(self, connection_id: str) -> Connection | None:
        row = self._sql.one("SELECT * FROM connections WHERE id=?", (connection_id,))
        return _connection(row) if row is not None else None

    def all(self) -> list[Connection]:
        rows = self._sql.all("SELECT * FROM connections ORDER BY created_at")
        return [_connection(r) for r in rows]

    def delete(self, connection_id: str) -> bool:
        return self._sql.run("DELETE FROM connections WHERE id=?", (connection_id,)) > 0

    def record_login(self, connection_id: str, at: datetime) -> None:
        self._sql.run("UPDATE connections SET last_login_at=? WHERE id=?", (ts(at), connection_id))


def _params(c: Connection) -> tuple[object, ...]:
    return (
        c.id,
        c.name,
        c.authorization_uri,
        c.token_url,
        c.client_id,
        c.client_secret,
        c.secret_expires_on.isoformat(),
        c.support_contact,
        c.discovery_url,
        c.client_auth_method,
        int(c.enabled),
        ts(c.created_at),
        ts(c.updated_at),
        ts_opt(c.last_login_at),
    )


def _connection(row: sqlite3.Row) -> Connection:
    return Connection(
        id=row["id"],
        name=row["name"],
        authorization_uri=row["authorization_uri"],
        token_url=row["token_url"],
        client_id=row["client_id"],
        client_secret=row["client_secret"],
        secret_expires_on=date.fromisoformat(row["secret_expires_on"]),
        support_contact=row["support_contact"],
        discovery_url=row["discovery_url"],
        client_auth_method=row["client_auth_method"],
        enabled=bool(row["enabled"]),
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        last_login_at=dt_opt(row["last_login_at"]),
    )
