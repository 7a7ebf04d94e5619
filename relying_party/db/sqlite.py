"""The one SQLite connection of an app, and the value conversions every table shares.

One connection per app, serialised by a lock, in WAL mode, autocommit outside explicit
transactions. Timestamps are stored as ISO-8601 UTC strings and always come from the injected
clock. Secrets handed to browsers (session ids, login bindings) are stored only as SHA-256
digests (:func:`digest`). The file holds client secrets, private keys, ID tokens and the key
that signs browser tokens, so it and its journal files are readable by the owner only
(:func:`owner_only`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Literal

logger = logging.getLogger("relying_party")

SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps next to a database; it creates them with the database file's mode."""

SourceKind = Literal["connection", "installation"]
"""What a sign-in ran through: an admin-configured connection or a platform installation."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def ts(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def ts_opt(instant: datetime | None) -> str | None:
    return ts(instant) if instant is not None else None


def dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def dt_opt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def owner_only(path: str) -> None:
    """Create the database file at ``path`` readable and writable by its owner only (0600),
    whatever the umask, or narrow an existing one (and its side files) that others may read,
    saying so in the log. An in-memory database (``:memory:``, ``""``) has no file."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        _refuse_other_files(path)  # before any mode is changed: a wrong --db changes nothing
    for name in (path, *(path + suffix for suffix in SIDE_FILES)):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(name, mode & 0o700)
            logger.warning("%s was readable by others (mode %04o): narrowed to %04o",
                           name, mode, mode & 0o700)


SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file (https://www.sqlite.org/fileformat.html)."""


def _refuse_other_files(path: str) -> None:
    """Raise when the existing ``path`` is not a database SQLite could open: a directory
    (:class:`IsADirectoryError`) or a non-empty file without SQLite's header
    (:class:`sqlite3.DatabaseError`, as SQLite itself would say once the mode was narrowed)."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a database file")
    with open(path, "rb") as file:
        head = file.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:
        raise sqlite3.DatabaseError(f"{path} is not a SQLite database")


class Sqlite:
    """A connection shared by the stores of one app. Each call runs under one lock;
    :meth:`transaction` nests, so an outer transaction can span several stores."""

    def __init__(self, path: str, schema: str) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        owner_only(path)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the database; a power cut may lose the last few
        # commits (sign-ins in flight, a session), not the connections. Commits skip an fsync.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        # One transaction: one write to disk for the whole schema, not one per statement.
        self._conn.executescript(f"BEGIN;\n{schema}\nCOMMIT;")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an exception). Inside another
        transaction of this thread it joins that one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def run(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        with self._lock:
            return self._conn.execute(sql, params).rowcount
