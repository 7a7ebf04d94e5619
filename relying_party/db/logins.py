"""Sign-ins and sign-outs in flight: login transactions (``state``, nonce, PKCE verifier, the
browser binding) and RP-initiated logout requests (their ``state``).

A login transaction past its end is not dropped at once: for :data:`EXPIRED_KEPT_FOR` more, a
remnant says where the sign-in was headed and when it ended, so a user who comes back from the
provider late is told that the sign-in timed out, with the right support contact. Its nonce,
PKCE verifier, browser binding and return path are wiped when it is found expired, so nothing
of it can complete a sign-in."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from .sqlite import SourceKind, Sqlite, dt, dt_opt, ts

SCHEMA = """
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
    used_at TEXT,
    source_lifetime TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS login_transactions_by_expiry ON login_transactions (expires_at);
CREATE TABLE IF NOT EXISTS logout_requests (
    state TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX IF NOT EXISTS logout_requests_by_expiry ON logout_requests (expires_at);
"""


EXPIRED_KEPT_FOR = timedelta(hours=1)
"""How long the remnant of a login transaction past its end is kept."""


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
    source_lifetime: str = ""
    """A connection's :attr:`~relying_party.db.Connection.lifetime` as the sign-in began;
    ``''`` for an installation's, whose lifetimes are told by time."""


class LoginTransactionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(login_transactions)")}
            if "source_lifetime" not in columns:  # a database made before it
                conn.execute("ALTER TABLE login_transactions"
                             " ADD COLUMN source_lifetime TEXT NOT NULL DEFAULT ''")

    def insert(self, tx: LoginTransaction) -> None:
        """Store a new transaction; at the same time, those past their end are wiped to a
        remnant (see the module docstring) and those ended :data:`EXPIRED_KEPT_FOR` ago
        dropped."""
        with self._sql.transaction() as conn:
            conn.execute(
                "DELETE FROM login_transactions WHERE expires_at<?",
                (ts(tx.created_at - EXPIRED_KEPT_FOR),),
            )
            conn.execute(
                "UPDATE login_transactions SET binding_hash='', nonce='', code_verifier='',"
                " return_to='' WHERE expires_at<=? AND code_verifier!=''",
                (ts(tx.created_at),),
            )
            conn.execute(
                "INSERT INTO login_transactions VALUES (?,?,?,?,?,?,?,?,?,?,NULL,?)",
                (
                    tx.state,
                    tx.binding_hash,
                    tx.nonce,
                    tx.code_verifier,
                    tx.source_kind,
                    tx.source_id,
                    tx.return_to,
                    tx.redirect_uri,
                    ts(tx.created_at),
                    ts(tx.expires_at),
                    tx.source_lifetime,
                ),
            )

    def consume(self, state: str, at: datetime) -> LoginTransaction | None:
        """Mark the transaction used and return it; None if unknown or already used."""
        with self._sql.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM login_transactions WHERE state=?", (state,)
            ).fetchone()
            if row is None or row["used_at"] is not None:
                return None
            conn.execute(
                "UPDATE login_transactions SET used_at=? WHERE state=?", (ts(at), state)
            )
        return _login_transaction(row)

    def get(self, state: str) -> LoginTransaction | None:
        row = self._sql.one("SELECT * FROM login_transactions WHERE state=?", (state,))
        return _login_transaction(row) if row is not None else None


class LogoutRequestStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def insert(self, state: str, at: datetime, expires_at: datetime) -> None:
        """Store a new request; those past their end are dropped at the same time."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM logout_requests WHERE expires_at<?", (ts(at),))
            conn.execute(
                "INSERT INTO logout_requests VALUES (?,?,?,NULL)", (state, ts(at), ts(expires_at))
            )

    def consume(self, state: str, at: datetime) -> bool:
        """True once for a known, unexpired ``state``."""
        changed = self._sql.run(
            "UPDATE logout_requests SET used_at=? WHERE state=? AND used_at IS NULL"
            " AND expires_at>?",
            (ts(at), state, ts(at)),
        )
        return changed > 0


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
        created_at=dt(row["created_at"]),
        expires_at=dt(row["expires_at"]),
        used_at=dt_opt(row["used_at"]),
        source_lifetime=row["source_lifetime"],
    )
