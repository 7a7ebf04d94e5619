"""Customer SSO connections: the admin-configured OpenID clients.

Each change an admin makes bumps the connection's ``version`` (compared and set in one
statement, so a save from a stale form never overwrites a newer one). The store also keeps
when the current client secret was saved, the provider's last refusal of it (AADSTS7000222
expired, 7000215 wrong), which a successful sign-in with it or a new secret clears, and its
last acceptance (a sign-in with it that succeeded), which a new secret clears.

A connection's ``lifetime`` is a random stamp, a new one each time it stops being the connection
that sign-ins in progress started with (made again under the same id, disabled, or given
another client or provider): a sign-in keeps the stamp it began with, and its callback ends
when the stamp is no longer the connection's (:mod:`relying_party.in_flight`). A version does
not serve, as a connection made again under the same id starts again at version 1."""

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
    last_login_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    secret_saved_at TEXT,
    secret_refused_code TEXT,
    secret_refused_at TEXT,
    form_nonce TEXT,
    lifetime TEXT NOT NULL DEFAULT '',
    secret_accepted_at TEXT
);
"""
_ADDED = {
    "version": "INTEGER NOT NULL DEFAULT 1",
    "secret_saved_at": "TEXT",
    "secret_refused_code": "TEXT",
    "secret_refused_at": "TEXT",
    "form_nonce": "TEXT",
    "lifetime": "TEXT NOT NULL DEFAULT ''",
    "secret_accepted_at": "TEXT",
}
"""Columns added since the first schema, added to a database made before them."""
_COLUMNS = ("id, name, authorization_uri, token_url, client_id, client_secret,"
            " secret_expires_on, support_contact, discovery_url, client_auth_method, enabled,"
            " created_at, updated_at, last_login_at, version, secret_saved_at,"
            " secret_refused_code, secret_refused_at, form_nonce, lifetime, secret_accepted_at")


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
    version: int = 1
    """Bumped by each change an admin makes; a save names the version it was made from."""
    secret_saved_at: datetime | None = None
    """When the current client secret was saved (None: with the connection, ``created_at``)."""
    secret_refused_code: str | None = None
    """``AADSTS7000222`` or ``AADSTS7000215`` when the provider's last answer to this secret
    refused it; None once a sign-in succeeds or a new secret is saved."""
    secret_refused_at: datetime | None = None
    form_nonce: str | None = None
    """The add form's one-time nonce that created the connection (None: made by the API)."""
    lifetime: str = ""
    """The stamp of the connection's current lifetime (see the module docstring); ``''`` for
    one stored before stamps were kept, until its next change of lifetime."""
    secret_accepted_at: datetime | None = None
    """The last sign-in that succeeded with the current client secret (None: none yet, or a
    new secret saved since). Unlike ``last_login_at`` (any successful sign-in, for display),
    not set by a sign-in that sent a secret no longer stored."""

    @property
    def secret_since(self) -> datetime:
        return self.secret_saved_at or self.created_at


class DuplicateFormNonce(Exception):
    """The add form with this nonce already created a connection."""


class ConnectionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(connections)")}
            for name, kind in _ADDED.items():
                if name not in columns:
                    conn.execute(f"ALTER TABLE connections ADD COLUMN {name} {kind}")
                    if name == "secret_accepted_at":
                        # Before it was kept, the last sign-in since the secret was saved
                        # stood for it.
                        conn.execute("UPDATE connections SET secret_accepted_at=last_login_at"
                                     " WHERE last_login_at >="
                                     " coalesce(secret_saved_at, created_at)")
            conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS connections_by_form_nonce"
                         " ON connections (form_nonce)")

    def insert(self, connection: Connection) -> None:
        """Store a new connection; :class:`DuplicateFormNonce` when its form nonce made one."""
        try:
            self._sql.run(f"INSERT INTO connections ({_COLUMNS}) VALUES"
                          f" ({','.join('?' * len(_COLUMNS.split(',')))})", _params(connection))
        except sqlite3.IntegrityError as exc:
            if connection.form_nonce is not None and self.by_form_nonce(
                    connection.form_nonce) is not None:
                raise DuplicateFormNonce(connection.form_nonce) from exc
            raise

    def by_form_nonce(self, nonce: str) -> Connection | None:
        row = self._sql.one("SELECT * FROM connections WHERE form_nonce=?", (nonce,))
        return _connection(row) if row is not None else None

    def update(self, connection: Connection, *,
               expected_version: int | None = None) -> Connection | None:
        """Store ``connection``'s settings as its next version, if the stored one is still at
        ``expected_version`` (when given); the connection as stored, or None (unchanged) when
        another change came first. Sign-in bookkeeping (last sign-in, the provider's refusal
        of the secret, its last acceptance) is the store's own and stays as it is."""
        params = _params(connection)
        with self._sql.transaction() as conn:
            changed = conn.execute(
                "UPDATE connections SET name=?, authorization_uri=?, token_url=?, client_id=?,"
                " client_secret=?, secret_expires_on=?, support_contact=?, discovery_url=?,"
                " client_auth_method=?, enabled=?, updated_at=?, secret_saved_at=?, lifetime=?,"
                " version=version+1,"
                " secret_refused_code=CASE WHEN client_secret=? THEN secret_refused_code END,"
                " secret_refused_at=CASE WHEN client_secret=? THEN secret_refused_at END,"
                " secret_accepted_at=CASE WHEN client_secret=? THEN secret_accepted_at END"
                " WHERE id=? AND version=coalesce(?, version)",
                (*params[1:11], params[12], params[15], connection.lifetime,
                 connection.client_secret, connection.client_secret, connection.client_secret,
                 connection.id, expected_version),
            ).rowcount
            # Read in the same transaction: the version this change wrote, never a later one
            # another worker stored between the two statements.
            row = conn.execute("SELECT * FROM connections WHERE id=?",
                               (connection.id,)).fetchone() if changed else None
        return _connection(row) if row is not None else None

    def get(self, connection_id: str) -> Connection | None:
        row = self._sql.one("SELECT * FROM connections WHERE id=?", (connection_id,))
        return _connection(row) if row is not None else None

    def all(self) -> list[Connection]:
        rows = self._sql.all("SELECT * FROM connections ORDER BY created_at")
        return [_connection(r) for r in rows]

    def delete(self, connection_id: str, *, expected_version: int | None = None) -> bool:
        """Delete the connection (only at ``expected_version``, when given)."""
        if expected_version is None:
            return self._sql.run("DELETE FROM connections WHERE id=?", (connection_id,)) > 0
        return self._sql.run("DELETE FROM connections WHERE id=? AND version=?",
                             (connection_id, expected_version)) > 0

    def record_login(self, connection_id: str, at: datetime, *, secret: str) -> None:
        """A sign-in succeeded: its token request was accepted, so ``secret``, the one it sent,
        was too. ``last_login_at`` is set whatever it sent; a refusal is cleared, and the
        acceptance recorded, only while that secret is still the stored one: a sign-in begun
        before a new secret was saved, finishing after it, says nothing of the new one (the
        mirror of :meth:`record_secret_refused`)."""
        self._sql.run("UPDATE connections SET last_login_at=?,"
                      " secret_refused_code=CASE WHEN client_secret=? THEN NULL"
                      " ELSE secret_refused_code END,"
                      " secret_refused_at=CASE WHEN client_secret=? THEN NULL"
                      " ELSE secret_refused_at END,"
                      " secret_accepted_at=CASE WHEN client_secret=? THEN ?"
                      " ELSE secret_accepted_at END WHERE id=?",
                      (ts(at), secret, secret, secret, ts(at), connection_id))

    def record_secret_refused(self, connection_id: str, secret: str, code: str,
                              at: datetime) -> None:
        """The provider refused ``secret`` (``AADSTS7000222``, ``AADSTS7000215``) for the
        connection; kept only while that secret is still the stored one, so the answer to a
        sign-in begun before a new secret was saved says nothing of the new one."""
        self._sql.run("UPDATE connections SET secret_refused_code=?, secret_refused_at=?"
                      " WHERE id=? AND client_secret=?", (code, ts(at), connection_id, secret))


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
        c.version,
        ts_opt(c.secret_saved_at),
        c.secret_refused_code,
        ts_opt(c.secret_refused_at),
        c.form_nonce,
        c.lifetime,
        ts_opt(c.secret_accepted_at),
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
        version=row["version"],
        secret_saved_at=dt_opt(row["secret_saved_at"]),
        secret_refused_code=row["secret_refused_code"],
        secret_refused_at=dt_opt(row["secret_refused_at"]),
        form_nonce=row["form_nonce"],
        lifetime=row["lifetime"],
        secret_accepted_at=dt_opt(row["secret_accepted_at"]),
    )
