"""A session keeps when its sign-in began, which a platform ``user.logout`` is compared with; a
database written before sessions kept it is migrated, the session's creation standing for it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from relying_party.db import Database, Session, digest

CREATED = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
INSTALLATION = "inst-1"
PLATFORM_USER = "platform-user-1"

BEFORE_SIGN_IN_START = f"""
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT,
    email_key TEXT UNIQUE,
    name TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
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
INSERT INTO users VALUES (1, NULL, NULL, NULL, '{CREATED.isoformat()}');
INSERT INTO sessions VALUES ('{digest("old-token")}', 1, 'installation', '{INSTALLATION}',
    'https://op.example', 'sub-1', NULL, '{PLATFORM_USER}', 'x', '{CREATED.isoformat()}',
    '{(CREATED + timedelta(hours=8)).isoformat()}');
"""
"""The user and session tables as a database written before sessions kept their sign-in's
start holds them, with one session."""


def old_database(tmp_path: Path) -> str:
    path = str(tmp_path / "rp.sqlite3")
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(BEFORE_SIGN_IN_START)
    return path


def test_an_older_database_keeps_its_sessions_and_their_logout(tmp_path: Path) -> None:
    path = old_database(tmp_path)
    db = Database(path)
    old = db.sessions.get("old-token", CREATED)
    assert old is not None and old.sign_in_started_at == CREATED
    assert db.sessions.end_by_platform_user(
        INSTALLATION, PLATFORM_USER, started_before=CREATED - timedelta(seconds=1)) == 0
    assert db.sessions.end_by_platform_user(
        INSTALLATION, PLATFORM_USER, started_before=CREATED + timedelta(seconds=1)) == 1
    db.close()


def test_a_migrated_database_stores_new_sessions_with_their_sign_in_start(
        tmp_path: Path) -> None:
    path = old_database(tmp_path)
    Database(path).close()
    db = Database(path)  # opened again: nothing left to migrate
    began = CREATED - timedelta(minutes=2)
    db.sessions.create("new-token", Session(
        user_id=1, source_kind="installation", source_id=INSTALLATION,
        issuer="https://op.example", subject="sub-1", sid=None, platform_user_id=PLATFORM_USER,
        id_token="x", created_at=CREATED, expires_at=CREATED + timedelta(hours=8),
        sign_in_started_at=began), replaces=None)
    new = db.sessions.get("new-token", CREATED)
    assert new is not None and new.sign_in_started_at == began and new.created_at == CREATED
    assert db.sessions.end_by_platform_user(
        INSTALLATION, PLATFORM_USER, started_before=began + timedelta(seconds=1)) == 1
    old = db.sessions.get("old-token", CREATED)
    assert old is not None
    db.close()
