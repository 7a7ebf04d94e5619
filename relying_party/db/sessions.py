"""Signed-in sessions: stored under the digest of the token in the browser's cookie, never the
token, each keeping the literal issuer of its ID token. A logout matches a session by the key
that issuer has for the session's own connection or installation (the origin that served it,
:data:`Origins`), and by when its sign-in began, which a platform ``user.logout`` is compared
with. The table is made with the users' (:data:`relying_party.db.users.SCHEMA`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..oidc.issuer_key import entra_tenant, session_keys
from .sqlite import SourceKind, Sqlite, digest, dt, ts

Origins = Mapping[tuple[SourceKind, str], str | None]
"""Each connection's and installation's identity origin
(:attr:`relying_party.provider.ClientConfig.identity_origin`), by (kind, id)."""

_SIGN_IN_STARTED = """
ALTER TABLE sessions ADD COLUMN sign_in_started_at TEXT;
UPDATE sessions SET sign_in_started_at = created_at;
"""
"""A database from before sessions kept their sign-in's start: each session's creation stands
in for it (what a ``user.logout`` was compared with until then)."""


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
    sign_in_started_at: datetime
    """When its sign-in began (its login transaction was made): a platform ``user.logout``
    ends the sessions whose sign-in began before it, however late the callback came."""


class SessionStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(sessions)")}
            if "sign_in_started_at" not in columns:
                for statement in filter(str.strip, _SIGN_IN_STARTED.split(";")):
                    conn.execute(statement)

    def create(self, token: str, session: Session, *, replaces: str | None) -> None:
        """Store ``session`` under ``token``; the session under ``replaces`` ends with it, and
        sessions past their end are dropped."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at<=?", (ts(session.created_at),))
            if replaces is not None:
                conn.execute("DELETE FROM sessions WHERE token_hash=?", (digest(replaces),))
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, source_kind, source_id, issuer,"
                " subject, sid, platform_user_id, id_token, created_at, expires_at,"
                " sign_in_started_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    ts(session.sign_in_started_at),
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
        self, sid: str, *, issuer: str | None, origins: Origins,
        source: tuple[SourceKind, str] | None = None,
    ) -> int:
        """End the sessions with this ``sid``: of this issuer (an issuer key), of this
        connection or installation, or both. Never by ``sid`` alone (another issuer may use
        the same)."""
        if issuer is None and source is None:
            raise ValueError("a sid is only meaningful with its issuer or its source")
        where, params = "sid=?", [sid]
        if source is not None:
            where, params = where + " AND source_kind=? AND source_id=?", [*params, *source]
        return self._end_where(where, tuple(params), issuer, origins)

    def end_by_subject(self, issuer: str, subject: str, *, origins: Origins) -> int:
        """End the sessions of (``issuer``, ``subject``); ``issuer`` is an issuer key."""
        return self._end_where("subject=?", (subject,), issuer, origins)

    def subjects_of_sid(self, sid: str, *, issuer: str, origins: Origins,
                        sources: Collection[tuple[SourceKind, str]]) -> set[str]:
        """The subjects of the sessions with this ``sid`` of this issuer (an issuer key)
        signed in through one of ``sources``: one client's, whose subjects are one space."""
        rows = self._sql.all(
            "SELECT subject, issuer, source_kind, source_id FROM sessions WHERE sid=?", (sid,))
        return {r["subject"] for r in rows
                if (r["source_kind"], r["source_id"]) in sources
                and _session_matches(r, issuer, origins)}

    def _end_where(self, where: str, params: tuple[object, ...], issuer: str | None,
                   origins: Origins) -> int:
        if issuer is None:
            return self._sql.run(f"DELETE FROM sessions WHERE {where}", params)
        with self._sql.transaction() as conn:
            rows = conn.execute(
                f"SELECT token_hash, issuer, source_kind, source_id FROM sessions WHERE {where}",
                params,
            ).fetchall()
            ended = [r["token_hash"] for r in rows if _session_matches(r, issuer, origins)]
            conn.executemany(
                "DELETE FROM sessions WHERE token_hash=?", [(h,) for h in ended]
            )
        return len(ended)

    def end_by_platform_user(
        self, installation_id: str, platform_user_id: str, *, started_before: datetime
    ) -> int:
        """End the platform user's sessions of this installation whose sign-in began at or
        before ``started_before`` (the bound a sign-in in progress is refused by, too), however
        late it finished; those begun later began after the logout and stay."""
        return self._sql.run(
            "DELETE FROM sessions WHERE source_kind='installation' AND source_id=?"
            " AND platform_user_id=? AND sign_in_started_at<=?",
            (installation_id, platform_user_id, ts(started_before)),
        )

    def end_for_source(self, kind: SourceKind, source_id: str) -> int:
        return self._sql.run(
            "DELETE FROM sessions WHERE source_kind=? AND source_id=?", (kind, source_id)
        )

    def count(self) -> int:
        row = self._sql.one("SELECT COUNT(*) FROM sessions")
        return int(row[0]) if row is not None else 0


def _session_matches(row: sqlite3.Row, key: str, origins: Origins) -> bool:
    """A session's literal issuer stands for ``key`` as read for the client it signed in
    through; a session of no known client matches only by an issuer that is its own key."""
    source = (row["source_kind"], row["source_id"])
    if source not in origins:
        return entra_tenant(row["issuer"]) is None and row["issuer"] == key
    return key in session_keys(row["issuer"], origins[source])


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
        sign_in_started_at=dt(row["sign_in_started_at"]),
    )
