"""Local users, the provider identities linked to them, and the tables of their signed-in
sessions (:mod:`.sessions`).

An identity is keyed by (issuer key, subject) and matched by the key
(:mod:`relying_party.oidc.issuer_key`): one Entra tenant's v1 and v2 issuers are one key, and a
row stored under either literal Entra issuer still matches it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..oidc.issuer_key import ENTRA_KEY_PREFIX, stored_issuer_key
from .sqlite import SourceKind, Sqlite, dt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT,
    email_key TEXT UNIQUE,
    name TEXT,
    created_at TEXT NOT NULL,
    last_sign_in_at TEXT
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
    expires_at TEXT NOT NULL,
    sign_in_started_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_sid ON sessions (sid);
CREATE INDEX IF NOT EXISTS sessions_by_subject ON sessions (issuer, subject);
CREATE INDEX IF NOT EXISTS sessions_by_subject_alone ON sessions (subject);
CREATE INDEX IF NOT EXISTS identities_by_subject ON identities (subject);
CREATE INDEX IF NOT EXISTS sessions_by_platform_user ON sessions (source_id, platform_user_id);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
"""

_LAST_SIGN_IN = "ALTER TABLE users ADD COLUMN last_sign_in_at TEXT"
"""A database from before users kept their last sign-in: unknown until the next one."""


class UserChanged(Exception):
    """The user is no longer as a page showed it (another address, or another user)."""


@dataclass(frozen=True, kw_only=True)
class LinkedIdentity:
    """Where one of a user's identities signs in: its connection or installation and issuer."""

    source_kind: SourceKind
    source_id: str
    issuer: str


@dataclass(frozen=True, kw_only=True)
class UserListing:
    """A local user as the admin lists it."""

    id: int
    email: str | None
    name: str | None
    created_at: datetime
    last_sign_in_at: datetime | None
    identities: tuple[LinkedIdentity, ...]


@dataclass(frozen=True, kw_only=True)
class User:
    id: int
    email: str | None
    name: str | None
    created_at: datetime


class EmailTaken(Exception):
    """Another user already holds this e-mail address."""


class UserStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(users)")}
            if "last_sign_in_at" not in columns:
                conn.execute(_LAST_SIGN_IN)

    def signed_in(self, user_id: int, at: datetime) -> None:
        self._sql.run("UPDATE users SET last_sign_in_at=? WHERE id=?", (ts(at), user_id))

    def listing(self) -> list[UserListing]:
        """Every local user with its identities, oldest first."""
        links: dict[int, list[LinkedIdentity]] = {}
        for r in self._sql.all("SELECT * FROM identities ORDER BY created_at, issuer, subject"):
            links.setdefault(r["user_id"], []).append(LinkedIdentity(
                source_kind=r["source_kind"], source_id=r["source_id"], issuer=r["issuer"]))
        return [
            UserListing(
                id=r["id"], email=r["email"], name=r["name"], created_at=dt(r["created_at"]),
                last_sign_in_at=dt(r["last_sign_in_at"]) if r["last_sign_in_at"] else None,
                identities=tuple(links.get(r["id"], ())))
            for r in self._sql.all("SELECT * FROM users ORDER BY id")
        ]

    def remove(self, user_id: int, *,
               as_shown: tuple[datetime, str | None] | None = None) -> int | None:
        """Remove the user, its identities and its sessions (their groups with them); the
        number of sessions ended, or ``None`` when there is no such user. Its address is free
        again, its identities make a new user at their next sign-in (one in progress makes none:
        :meth:`relying_party.db.Database.remove_user`). With ``as_shown`` (its
        creation time and address as a page showed them) one now otherwise is kept (UserChanged)."""
        with self._sql.transaction() as conn:
            if not (row := conn.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()):
                return None
            if as_shown is not None and (dt(row["created_at"]), row["email"]) != as_shown:
                raise UserChanged(user_id)
            ended = conn.execute("DELETE FROM sessions WHERE user_id=?", (user_id,)).rowcount
            conn.execute("DELETE FROM identities WHERE user_id=?", (user_id,))
            conn.execute("DELETE FROM users WHERE id=?", (user_id,))
        return int(ended)

    def find_by_identity(self, issuer: str, subject: str) -> User | None:
        """The user linked to (``issuer``, ``subject``); ``issuer`` is an issuer key. Under an
        Entra key, an identity stored under either literal Entra issuer of that tenant matches
        too; the one stored under the key itself, else the oldest, wins."""
        rows = self._sql.all(
            "SELECT users.*, identities.issuer AS identity_issuer FROM identities"
            " JOIN users ON users.id = identities.user_id WHERE identities.subject=?"
            " ORDER BY users.id",
            (subject,),
        )
        found = [r for r in rows if issuer_matches(r["identity_issuer"], issuer)]
        found.sort(key=lambda r: r["identity_issuer"] != issuer)
        return _user(found[0]) if found else None

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
        """Create a user and link it to (issuer key, subject); :class:`EmailTaken` on a
        duplicate."""
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

    def give_email(self, user_id: int, email: str) -> User | None:
        """Give the user ``email`` when it has no address and no other user holds this one;
        the user as it is then (``None`` when there is no such user). An address once held is
        never replaced."""
        email_key = email.strip().casefold()
        with self._sql.transaction() as conn:
            conn.execute(
                "UPDATE users SET email=?, email_key=? WHERE id=? AND email_key IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM users WHERE email_key=?)",
                (email, email_key, user_id, email_key),
            )
            row = conn.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        return _user(row) if row is not None else None

    def take_name(self, user_id: int, name: str) -> User | None:
        """Give the user ``name``, the one its latest verified sign-in carries (the user stays
        the one its identity is linked to: a name never chooses the user); the user as it is
        then (``None`` when there is no such user)."""
        with self._sql.transaction() as conn:
            conn.execute("UPDATE users SET name=? WHERE id=? AND name IS NOT ?",
                         (name, user_id, name))
            row = conn.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        return _user(row) if row is not None else None

    def get(self, user_id: int) -> User | None:
        row = self._sql.one("SELECT * FROM users WHERE id=?", (user_id,))
        return _user(row) if row is not None else None

    def all(self) -> list[User]:
        return [_user(r) for r in self._sql.all("SELECT * FROM users ORDER BY id")]


def issuer_matches(stored: str, key: str) -> bool:
    """A stored issuer (a key, or a literal issuer) belongs to the issuer key ``key``; a
    literal key (any issuer but Entra's, or an Entra one whose token named another ``tid``)
    matches only itself."""
    return stored == key or (
        key.startswith(ENTRA_KEY_PREFIX) and stored_issuer_key(stored) == key
    )


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"], email=row["email"], name=row["name"], created_at=dt(row["created_at"])
    )
