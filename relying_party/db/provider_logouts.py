"""Provider sign-outs (back- and front-channel logout) that sign-ins still in progress must
honour.

A logout ends the sessions of a provider session (``sid``) or, without one, of a user
(``sub``); a sign-in whose callback is still waiting on the provider (code exchange, UserInfo,
groups) when it comes has no session yet. So each valid logout is kept, whether it ended a
session or not, and the callback makes no session it names
(:func:`relying_party.in_flight.check_not_logged_out`): one of a logged-out ``sid``, or of a
logged-out ``sub`` whose sign-in began at or before the logout. A logout names its issuer by
key (:mod:`relying_party.oidc.issuer_key`), the connection it came through (front-channel
logout on a connection's own URL), or both; a name it leaves out matches any."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .sqlite import SourceKind, Sqlite, dt_opt, ts, ts_opt

SCHEMA = """
CREATE TABLE IF NOT EXISTS provider_logouts (
    issuer TEXT,
    source_kind TEXT,
    source_id TEXT,
    sid TEXT,
    subject TEXT,
    sign_ins_before TEXT,
    kept_until TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS provider_logouts_by_sid ON provider_logouts (sid);
CREATE INDEX IF NOT EXISTS provider_logouts_by_subject ON provider_logouts (subject);
CREATE INDEX IF NOT EXISTS provider_logouts_by_time ON provider_logouts (kept_until);
"""


@dataclass(frozen=True, kw_only=True)
class ProviderLogout:
    """One logout: of the sessions with ``sid`` or, when it has none, of those of
    ``subject`` whose sign-in began at or before ``sign_ins_before``."""

    issuer: str | None
    """An issuer key; None when only ``source`` names where the ``sid`` belongs."""
    source: tuple[SourceKind, str] | None = None
    sid: str | None = None
    subject: str | None = None
    sign_ins_before: datetime | None = None


class ProviderLogoutStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def record(self, logout: ProviderLogout, *, at: datetime, kept_until: datetime) -> None:
        """Keep ``logout`` until ``kept_until``; those kept until before ``at`` are dropped."""
        kind, source_id = logout.source or (None, None)
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM provider_logouts WHERE kept_until<?", (ts(at),))
            conn.execute(
                "INSERT INTO provider_logouts VALUES (?,?,?,?,?,?,?)",
                (logout.issuer, kind, source_id, logout.sid, logout.subject,
                 ts_opt(logout.sign_ins_before), ts(kept_until)),
            )

    def naming(self, *, sid: str | None, subject: str, source: tuple[SourceKind, str],
               at: datetime) -> list[ProviderLogout]:
        """The logouts still kept at ``at`` of ``sid`` or of ``subject`` that may concern a
        sign-in through ``source``; the caller matches their issuers."""
        rows = self._sql.all(
            "SELECT * FROM provider_logouts WHERE kept_until>=?"
            " AND (sid=? OR (sid IS NULL AND subject=?))"
            " AND (source_kind IS NULL OR (source_kind=? AND source_id=?))",
            (ts(at), sid, subject, *source),
        )
        return [_logout(row) for row in rows]


def _logout(row: sqlite3.Row) -> ProviderLogout:
    kind, source_id = row["source_kind"], row["source_id"]
    return ProviderLogout(
        issuer=row["issuer"],
        source=(kind, source_id) if kind is not None else None,
        sid=row["sid"],
        subject=row["subject"],
        sign_ins_before=dt_opt(row["sign_ins_before"]),
    )
