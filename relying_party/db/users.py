"""Local users, the provider identities linked to them, and their signed-in sessions.

A session is stored under the digest of the token in the browser's cookie, never the token.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .sqlite import SourceKind, Sqlite, digest, dt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT,
    email_key TEXT UNIQUE,
    name TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    sid TEXT,
    platform_user_id TEXT,
    id_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_sid ON sessions (sid);
CREATE INDEX IF NOT EXISTS sessions_by_subject ON sessions (issuer, subject);
CREATE INDEX IF NOT EXISTS sessions_by_platform_user ON sessions (source_id, platform_user_id);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
"""


@dataclass(frozen=True, kw_only=True)
class User:
    id: int
    email: str | None
    name: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Session:
    user_id: int
    source_kind: SourceKind
    source_id: str
    issuer: str
    subject: str
    sid: str | None
    platform_user_id: str | None
    id_token: str
    created_at: datetime
    expires_at: datetime


class EmailTaken(Exception):
    """Another user already holds this e-mail address."""


class UserStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def find_by_identity(self, issuer: str, subject: str) -> User | None:
        row = self._sql.one(
            "SELECT users.* FROM identities JOIN users ON users.id = identities.user_id"
            " WHERE identities.issuer=? AND identities.subject=?",
            (issuer, subject),
        )
        return _user(row) if row is not None else None

    def create_with_identity(
        self,
        *,
        issuer: str,
        subject: str,
        email: str | None,
        name: str | None,
        source_kind: SourceKind,
        source_id: str,
        at: datetime,
    ) -> User:
        """Create a user and link it to (issuer, subject); :class:`EmailTaken` on a duplicate."""
        email_key = email.strip().casefold() if email else None
        with self._sql.transaction() as conn:
            if email_key is not None:
                taken = conn.execute(
                    "SELECT 1 FROM users WHERE email_key=?", (email_key,)
                ).fetchone()
                if taken is not None:
                    raise EmailTaken(email)
            cursor = conn.execute(
                "INSERT INTO users (email, email_key, name, created_at) VALUES (?,?,?,?)",
                (email, email_key, name, ts(at)),
            )
            user_id = cursor.lastrowid
            assert user_id is not None
            conn.execute(
                "INSERT INTO identities VALUES (?,?,?,?,?,?)",
                (issuer, subject, user_id, source_kind, source_id, ts(at)),
            )
        return User(id=user_id, email=email, name=name, created_at=at)

    def get(self, user_id: int) -> User | None:
        row = self._sql.one("SELECT * FROM users WHERE id=?", (user_id,))
        return _user(row) if row is not None else None

    def all(self) -> list[User]:
        return [_user(r) for r in self._sql.all("SELECT * FROM users ORDER BY id")]


class SessionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def create(self, token: str, session: Session, *, replaces: str | None) -> None:
        """Store ``session`` under ``token``; the session under ``replaces`` ends with it, and
        sessions past their end are dropped."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at<=?", (ts(session.created_at),))
            if replaces is not None:
                conn.execute("DELETE FROM sessions WHERE token_hash=?", (digest(replaces),))
            conn.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    digest(token),
                    session.user_id,
                    session.source_kind,
                    session.source_id,
                    session.issuer,
                    session.subject,
                    session.sid,
                    session.platform_user_id,
                    session.id_token,
                    ts(session.created_at),
                    ts(session.expires_at),
                ),
            )

    def get(self, token: str, now: datetime) -> Session | None:
        """The live session under ``token``; an expired one is deleted."""
        row = self._sql.one("SELECT * FROM sessions WHERE token_hash=?", (digest(token),))
        if row is None:
            return None
        session = _session(row)
        if session.expires_at <= now:
            self.delete(token)
            return None
        return session

    def delete(self, token: str) -> Session | None:
        with self._sql.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE token_hash=?", (digest(token),)
            ).fetchone()
            conn.execute("DELETE FROM sessions WHERE token_hash=?", (digest(token),))
        return _session(row) if row is not None else None

    def end_by_sid(
        self, sid: str, *, issuer: str | None, source: tuple[SourceKind, str] | None = None
    ) -> int:
        """End the sessions with this ``sid``: of this issuer, of this connection or
        installation, or both. Never by ``sid`` alone (another issuer may use the same)."""
        if issuer is None and source is None:
            raise ValueError("a sid is only meaningful with its issuer or its source")
        sql, params = "DELETE FROM sessions WHERE sid=?", [sid]
        if issuer is not None:
            sql, params = sql + " AND issuer=?", [*params, issuer]
        if source is not None:
            sql, params = sql + " AND source_kind=? AND source_id=?", [*params, *source]
        return self._sql.run(sql, tuple(params))

    def end_by_subject(self, issuer: str, subject: str) -> int:
        return self._sql.run(
            "DELETE FROM sessions WHERE issuer=? AND subject=?", (issuer, subject)
        )

    def end_by_platform_user(self, installation_id: str, platform_user_id: str) -> int:
        return self._sql.run(
            "DELETE FROM sessions WHERE source_kind='installation' AND source_id=?"
            " AND platform_user_id=?",
            (installation_id, platform_user_id),
        )

    def end_for_source(self, kind: SourceKind, source_id: str) -> int:
        return self._sql.run(
            "DELETE FROM sessions WHERE source_kind=? AND source_id=?", (kind, source_id)
        )

    def count(self) -> int:
        row = self._sql.one("SELECT COUNT(*) FROM sessions")
        return int(row[0]) if row is not None else 0


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"], email=row["email"], name=row["name"], created_at=dt(row["created_at"])
    )


def _session(row: sqlite3.Row) -> Session:
    return Session(
        user_id=row["user_id"],
        source_kind=row["source_kind"],
        source_id=row["source_id"],
        issuer=row["issuer"],
        subject=row["subject"],
        sid=row["sid"],
        platform_user_id=row["platform_user_id"],
        id_token=row["id_token"],
        created_at=dt(row["created_at"]),
        expires_at=dt(row["expires_at"]),
    )
