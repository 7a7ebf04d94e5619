"""Removals of local users that sign-ins still in progress must honour.

An admin's removal of a user ends its sessions (:meth:`relying_party.db.users.UserStore.remove`);
a sign-in of one of its identities already under way has no session yet, so the removal is kept,
per identity (issuer key or literal issuer, as stored, and subject), as the instant at or after
which a sign-in begun before it is refused when its session is made
(:func:`relying_party.in_flight.check_not_removed`). A sign-in begun after the removal makes a
new user, as the removal promises."""

from __future__ import annotations

from datetime import datetime

from .sqlite import Sqlite, dt, ts
from .users import issuer_matches

SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_removals (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    removed_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX IF NOT EXISTS identity_removals_by_time ON identity_removals (removed_at);
"""


class IdentityRemovalStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def record(self, user_id: int, at: datetime, *, forget_before: datetime) -> None:
        """Keep that the identities of the user were removed ``at``; call it in the removal's
        transaction, before the identities go. Records from before ``forget_before`` are
        dropped: the sign-ins they refuse are over by then."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM identity_removals WHERE removed_at<?", (ts(forget_before),))
            conn.execute("INSERT OR REPLACE INTO identity_removals"
                         " SELECT issuer, subject, ? FROM identities WHERE user_id=?",
                         (ts(at), user_id))

    def since(self, issuer: str, subject: str, started_at: datetime) -> datetime | None:
        """The last removal kept of the user of (``issuer``, an issuer key, ``subject``) at or
        after ``started_at``; ``issuer`` matched as
        :meth:`~relying_party.db.users.UserStore.find_by_identity` matches it."""
        rows = self._sql.all(
            "SELECT issuer, removed_at FROM identity_removals WHERE subject=? AND removed_at>=?",
            (subject, ts(started_at)))
        return max((dt(r["removed_at"]) for r in rows if issuer_matches(r["issuer"], issuer)),
                   default=None)
