"""SQLite persistence: schema and small typed repository methods.

One connection per app, serialised by a lock, in WAL mode, autocommit outside explicit
transactions. Secrets handed to browsers (session ids, login bindings) are stored only as SHA-256
digests. Timestamps are stored as ISO-8601 UTC strings and always come from the injected clock.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

SourceKind = Literal["connection", "installation"]

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
CREATE TABLE IF NOT EXISTS installations (
    installation_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    account_name TEXT NOT NULL,
    app_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    authorization_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    userinfo_url TEXT NOT NULL,
    openid_configuration_url TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_login_at TEXT
);
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
CREATE TABLE IF NOT EXISTS login_transactions (
    state TEXT PRIMARY KEY,
    binding_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    return_to TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE IF NOT EXISTS logout_requests (
    state TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE IF NOT EXISTS processed_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_logout_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE TABLE IF NOT EXISTS error_log (
    ref TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    detail TEXT NOT NULL,
    admin_hint TEXT,
    idp_error_code TEXT,
    source_kind TEXT,
    source_id TEXT,
    support_contact TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS error_log_by_source ON error_log (source_kind, source_id, created_at);
"""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _ts(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _dt_req(value: str) -> datetime:
    return datetime.fromisoformat(value)


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


@dataclass(frozen=True, kw_only=True)
class Installation:
    """A platform installation of the partner app, from ``app.installed``."""

    installation_id: str
    account_id: str
    account_name: str
    app_id: str
    client_id: str
    client_secret: str
    authorization_url: str
    token_url: str
    userinfo_url: str
    openid_configuration_url: str
    active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


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


@dataclass(frozen=True, kw_only=True)
class LoginTransaction:
    state: str
    binding_hash: str
    nonce: str
    code_verifier: str
    source_kind: SourceKind
    source_id: str
    return_to: str
    redirect_uri: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class ErrorRecord:
    ref: str
    created_at: datetime
    status: int
    code: str
    message: str
    detail: str
    admin_hint: str | None
    idp_error_code: str | None
    source_kind: SourceKind | None
    source_id: str | None
    support_contact: str


class EmailTaken(Exception):
    """Another user already holds this e-mail address."""


class Database:
    """The RP's store. Methods are small and synchronous; each runs under one lock."""

    def __init__(self, path: str) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, params: tuple[object, ...]) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def _run(self, sql: str, params: tuple[object, ...]) -> int:
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    # -- connections ---------------------------------------------------------------------------

    def insert_connection(self, connection: Connection) -> None:
        self._run(
            "INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _connection_params(connection),
        )

    def update_connection(self, connection: Connection) -> None:
        params = _connection_params(connection)
        self._run(
            "UPDATE connections SET name=?, authorization_uri=?, token_url=?, client_id=?,"
            " client_secret=?, secret_expires_on=?, support_contact=?, discovery_url=?,"
            " client_auth_method=?, enabled=?, created_at=?, updated_at=?, last_login_at=?"
            " WHERE id=?",
            (*params[1:], params[0]),
        )

    def get_connection(self, connection_id: str) -> Connection | None:
        row = self._one("SELECT * FROM connections WHERE id=?", (connection_id,))
        return _connection(row) if row is not None else None

    def list_connections(self) -> list[Connection]:
        return [_connection(r) for r in self._all("SELECT * FROM connections ORDER BY created_at")]

    def delete_connection(self, connection_id: str) -> bool:
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM sessions WHERE source_kind='connection' AND source_id=?",
                (connection_id,),
            )
            return conn.execute("DELETE FROM connections WHERE id=?", (connection_id,)).rowcount > 0

    def end_source_sessions(self, kind: SourceKind, source_id: str) -> int:
        return self._run(
            "DELETE FROM sessions WHERE source_kind=? AND source_id=?", (kind, source_id)
        )

    def record_login(self, kind: SourceKind, source_id: str, at: datetime) -> None:
        table, key = (
            ("connections", "id") if kind == "connection" else ("installations", "installation_id")
        )
        self._run(f"UPDATE {table} SET last_login_at=? WHERE {key}=?", (_ts(at), source_id))

    # -- installations -------------------------------------------------------------------------

    def upsert_installation(self, inst: Installation) -> None:
        self._run(
            "INSERT INTO installations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(installation_id) DO UPDATE SET account_id=excluded.account_id,"
            " account_name=excluded.account_name, app_id=excluded.app_id,"
            " client_id=excluded.client_id, client_secret=excluded.client_secret,"
            " authorization_url=excluded.authorization_url, token_url=excluded.token_url,"
            " userinfo_url=excluded.userinfo_url,"
            " openid_configuration_url=excluded.openid_configuration_url,"
            " active=excluded.active, updated_at=excluded.updated_at",
            (
                inst.installation_id,
                inst.account_id,
                inst.account_name,
                inst.app_id,
                inst.client_id,
                inst.client_secret,
                inst.authorization_url,
                inst.token_url,
                inst.userinfo_url,
                inst.openid_configuration_url,
                int(inst.active),
                _ts(inst.created_at),
                _ts(inst.updated_at),
                _ts(inst.last_login_at) if inst.last_login_at else None,
            ),
        )

    def get_installation(self, installation_id: str) -> Installation | None:
        row = self._one(
            "SELECT * FROM installations WHERE installation_id=?", (installation_id,)
        )
        return _installation(row) if row is not None else None

    def list_installations(self) -> list[Installation]:
        rows = self._all("SELECT * FROM installations ORDER BY created_at")
        return [_installation(r) for r in rows]

    def rotate_installation_secret(
        self, installation_id: str, client_id: str, client_secret: str, at: datetime
    ) -> bool:
        return (
            self._run(
                "UPDATE installations SET client_id=?, client_secret=?, updated_at=?"
                " WHERE installation_id=? AND active=1",
                (client_id, client_secret, _ts(at), installation_id),
            )
            > 0
        )

    def deactivate_installation(self, installation_id: str, at: datetime) -> bool:
        """Forget the credentials of an uninstalled installation and end its sessions."""
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM sessions WHERE source_kind='installation' AND source_id=?",
                (installation_id,),
            )
            return (
                conn.execute(
                    "UPDATE installations SET active=0, client_secret='', updated_at=?"
                    " WHERE installation_id=?",
                    (_ts(at), installation_id),
                ).rowcount
                > 0
            )

    # -- users and identities ------------------------------------------------------------------

    def find_user_by_identity(self, issuer: str, subject: str) -> User | None:
        row = self._one(
            "SELECT users.* FROM identities JOIN users ON users.id = identities.user_id"
            " WHERE identities.issuer=? AND identities.subject=?",
            (issuer, subject),
        )
        return _user(row) if row is not None else None

    def create_user_with_identity(
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
        with self.transaction() as conn:
            if email_key is not None:
                taken = conn.execute(
                    "SELECT 1 FROM users WHERE email_key=?", (email_key,)
                ).fetchone()
                if taken is not None:
                    raise EmailTaken(email)
            cursor = conn.execute(
                "INSERT INTO users (email, email_key, name, created_at) VALUES (?,?,?,?)",
                (email, email_key, name, _ts(at)),
            )
            user_id = cursor.lastrowid
            assert user_id is not None
            conn.execute(
                "INSERT INTO identities VALUES (?,?,?,?,?,?)",
                (issuer, subject, user_id, source_kind, source_id, _ts(at)),
            )
        return User(id=user_id, email=email, name=name, created_at=at)

    def get_user(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id=?", (user_id,))
        return _user(row) if row is not None else None

    def list_users(self) -> list[User]:
        return [_user(r) for r in self._all("SELECT * FROM users ORDER BY id")]

    # -- sessions ------------------------------------------------------------------------------

    def create_session(self, token: str, session: Session, *, replaces: str | None) -> None:
        with self.transaction() as conn:
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
                    _ts(session.created_at),
                    _ts(session.expires_at),
                ),
            )

    def get_session(self, token: str, now: datetime) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE token_hash=?", (digest(token),))
        if row is None:
            return None
        session = _session(row)
        if session.expires_at <= now:
            self.delete_session(token)
            return None
        return session

    def delete_session(self, token: str) -> Session | None:
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE token_hash=?", (digest(token),)
            ).fetchone()
            conn.execute("DELETE FROM sessions WHERE token_hash=?", (digest(token),))
        return _session(row) if row is not None else None

    def end_sessions_by_sid(self, sid: str, issuer: str | None = None) -> int:
        if issuer is None:
            return self._run("DELETE FROM sessions WHERE sid=?", (sid,))
        return self._run("DELETE FROM sessions WHERE sid=? AND issuer=?", (sid, issuer))

    def end_sessions_by_subject(self, issuer: str, subject: str) -> int:
        return self._run(
            "DELETE FROM sessions WHERE issuer=? AND subject=?", (issuer, subject)
        )

    def end_sessions_by_platform_user(self, installation_id: str, platform_user_id: str) -> int:
        return self._run(
            "DELETE FROM sessions WHERE source_kind='installation' AND source_id=?"
            " AND platform_user_id=?",
            (installation_id, platform_user_id),
        )

    def count_sessions(self) -> int:
        row = self._one("SELECT COUNT(*) FROM sessions", ())
        return int(row[0]) if row is not None else 0

    # -- login transactions --------------------------------------------------------------------

    def insert_login_transaction(self, tx: LoginTransaction) -> None:
        self._run(
            "INSERT INTO login_transactions VALUES (?,?,?,?,?,?,?,?,?,?,NULL)",
            (
                tx.state,
                tx.binding_hash,
                tx.nonce,
                tx.code_verifier,
                tx.source_kind,
                tx.source_id,
                tx.return_to,
                tx.redirect_uri,
                _ts(tx.created_at),
                _ts(tx.expires_at),
            ),
        )

    def consume_login_transaction(self, state: str, at: datetime) -> LoginTransaction | None:
        """Mark the transaction used and return it; None if unknown or already used."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM login_transactions WHERE state=?", (state,)
            ).fetchone()
            if row is None or row["used_at"] is not None:
                return None
            conn.execute(
                "UPDATE login_transactions SET used_at=? WHERE state=?", (_ts(at), state)
            )
        return _login_transaction(row)

    def get_login_transaction(self, state: str) -> LoginTransaction | None:
        row = self._one("SELECT * FROM login_transactions WHERE state=?", (state,))
        return _login_transaction(row) if row is not None else None

    # -- RP-initiated logout -------------------------------------------------------------------

    def insert_logout_request(self, state: str, at: datetime, expires_at: datetime) -> None:
        self._run(
            "INSERT INTO logout_requests VALUES (?,?,?,NULL)", (state, _ts(at), _ts(expires_at))
        )

    def consume_logout_request(self, state: str, at: datetime) -> bool:
        return (
            self._run(
                "UPDATE logout_requests SET used_at=? WHERE state=? AND used_at IS NULL"
                " AND expires_at>?",
                (_ts(at), state, _ts(at)),
            )
            > 0
        )

    # -- events and logout tokens --------------------------------------------------------------

    def event_processed(self, event_id: str) -> bool:
        return self._one("SELECT 1 FROM processed_events WHERE id=?", (event_id,)) is not None

    def mark_event_processed(self, event_id: str, type_: str, at: datetime) -> bool:
        """Record the event id; False when it was already there."""
        return (
            self._run(
                "INSERT OR IGNORE INTO processed_events VALUES (?,?,?)",
                (event_id, type_, _ts(at)),
            )
            > 0
        )

    def remember_logout_jti(self, issuer: str, jti: str, expires_at: datetime,
                            now: datetime) -> bool:
        """Record a logout token id; False when it was seen before (a replay)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM seen_logout_jti WHERE expires_at<?", (_ts(now),))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO seen_logout_jti VALUES (?,?,?)",
                (issuer, jti, _ts(expires_at)),
            )
            return cursor.rowcount > 0

    # -- error log -----------------------------------------------------------------------------

    def insert_error(self, record: ErrorRecord) -> None:
        self._run(
            "INSERT INTO error_log VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.ref,
                _ts(record.created_at),
                record.status,
                record.code,
                record.message,
                record.detail,
                record.admin_hint,
                record.idp_error_code,
                record.source_kind,
                record.source_id,
                record.support_contact,
            ),
        )

    def get_error(self, ref: str) -> ErrorRecord | None:
        row = self._one("SELECT * FROM error_log WHERE ref=?", (ref,))
        return _error(row) if row is not None else None

    def list_errors(
        self, *, source_kind: SourceKind | None = None, source_id: str | None = None,
        limit: int = 50,
    ) -> list[ErrorRecord]:
        if source_kind is None:
            rows = self._all(
                "SELECT * FROM error_log ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            )
        else:
            rows = self._all(
                "SELECT * FROM error_log WHERE source_kind=? AND source_id=?"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (source_kind, source_id, limit),
            )
        return [_error(r) for r in rows]


def _connection_params(c: Connection) -> tuple[object, ...]:
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
        _ts(c.created_at),
        _ts(c.updated_at),
        _ts(c.last_login_at) if c.last_login_at else None,
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
        created_at=_dt_req(row["created_at"]),
        updated_at=_dt_req(row["updated_at"]),
        last_login_at=_dt(row["last_login_at"]),
    )


def _installation(row: sqlite3.Row) -> Installation:
    return Installation(
        installation_id=row["installation_id"],
        account_id=row["account_id"],
        account_name=row["account_name"],
        app_id=row["app_id"],
        client_id=row["client_id"],
        client_secret=row["client_secret"],
        authorization_url=row["authorization_url"],
        token_url=row["token_url"],
        userinfo_url=row["userinfo_url"],
        openid_configuration_url=row["openid_configuration_url"],
        active=bool(row["active"]),
        created_at=_dt_req(row["created_at"]),
        updated_at=_dt_req(row["updated_at"]),
        last_login_at=_dt(row["last_login_at"]),
    )


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"], email=row["email"], name=row["name"], created_at=_dt_req(row["created_at"])
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
        created_at=_dt_req(row["created_at"]),
        expires_at=_dt_req(row["expires_at"]),
    )


def _login_transaction(row: sqlite3.Row) -> LoginTransaction:
    return LoginTransaction(
        state=row["state"],
        binding_hash=row["binding_hash"],
        nonce=row["nonce"],
        code_verifier=row["code_verifier"],
        source_kind=row["source_kind"],
        source_id=row["source_id"],
        return_to=row["return_to"],
        redirect_uri=row["redirect_uri"],
        created_at=_dt_req(row["created_at"]),
        expires_at=_dt_req(row["expires_at"]),
        used_at=_dt(row["used_at"]),
    )


def _error(row: sqlite3.Row) -> ErrorRecord:
    return ErrorRecord(
        ref=row["ref"],
        created_at=_dt_req(row["created_at"]),
        status=row["status"],
        code=row["code"],
        message=row["message"],
        detail=row["detail"],
        admin_hint=row["admin_hint"],
        idp_error_code=row["idp_error_code"],
        source_kind=row["source_kind"],
        source_id=row["source_id"],
        support_contact=row["support_contact"],
    )
