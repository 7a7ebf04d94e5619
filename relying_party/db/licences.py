"""Who of an installation's users holds the app's licence, and its subscription (``app.updated``).

The platform's ``app.installed`` names no users, so there is no list of licensed users to keep:
every user of the installation's account holds a licence until an ``app.updated`` takes it
(``users.removing``), and holds it again once one gives it back (``users.adding``). What is kept
is each user's latest change, as the ``created_at`` of the event that made it: a change older
than the one kept is a late retry and leaves the user as they are. A user whose licence was
taken stays on record until it is given back; one given back stays only while an older event
could still arrive (older ones are refused as stale by then), as that is all the record is for.

Of two changes of one user created in the same second, the removal stands, whichever arrives
last. The platform's events are dated to the second (``"2016-06-14T16:23:07Z"``) and carry
nothing finer to order them by (the envelope's ``id`` is opaque:
docs.talkdesk.com/docs/events-api), and a failed delivery comes again 5 and 10 minutes later;
so a removal followed by a re-adding cannot be told from the reverse, and the user is kept out
(the safe side) until a later event gives the licence back. Subscription changes, only shown,
apply in arrival order.

An installation's lifetime starts at the ``app.installed`` that created or re-activated it:
changes made before it belong to an earlier installation and are stale. Everything here about
an installation goes when it is uninstalled, or installed afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .sqlite import Sqlite, dt, dt_opt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS licence_changes (
    installation_id TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    licensed INTEGER NOT NULL,
    PRIMARY KEY (installation_id, platform_user_id)
);
CREATE INDEX IF NOT EXISTS licence_changes_by_time ON licence_changes (licensed, changed_at);
CREATE TABLE IF NOT EXISTS licence_lifetimes (
    installation_id TEXT PRIMARY KEY,
    since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS installation_subscriptions (
    installation_id TEXT PRIMARY KEY,
    name TEXT,
    name_changed_at TEXT,
    licenses INTEGER,
    licenses_changed_at TEXT
);
"""


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """The installation's subscription as ``app.updated`` last described it; ``None`` for what
    it never named. Informational: nothing is decided by it."""

    name: str | None
    licenses: int | None


class LicenceStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def begin(self, installation_id: str, since: datetime) -> None:
        """A new lifetime of the installation, installed by an event created at ``since``:
        whatever was kept about an earlier one goes, and changes older than ``since`` are
        stale."""
        with self._sql.transaction() as conn:
            self._forget(installation_id)
            conn.execute("INSERT INTO licence_lifetimes VALUES (?,?)",
                         (installation_id, ts(since)))

    def forget(self, installation_id: str) -> None:
        """Drop everything kept about the installation's licences (it was uninstalled)."""
        with self._sql.transaction():
            self._forget(installation_id)

    def _forget(self, installation_id: str) -> None:
        for table in ("licence_changes", "licence_lifetimes", "installation_subscriptions"):
            self._sql.run(f"DELETE FROM {table} WHERE installation_id=?", (installation_id,))

    def predates(self, installation_id: str, created_at: datetime) -> bool:
        """Whether a change created at ``created_at`` is older than the installation's
        current lifetime."""
        row = self._sql.one("SELECT since FROM licence_lifetimes WHERE installation_id=?",
                            (installation_id,))
        return row is not None and created_at < dt(row["since"])

    def change(self, installation_id: str, platform_user_id: str, *, licensed: bool,
               changed_at: datetime, forget_before: datetime) -> bool:
        """Give (``licensed``) or take the user's licence by a change made at ``changed_at``;
        False, changing nothing, when the change kept for the user is newer, or of the same
        instant and took the licence while this one gives it: of two changes of one second the
        removal stands, whichever arrives last. Licences given back before ``forget_before``
        are dropped: no change older than them is taken any more."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM licence_changes WHERE licensed=1 AND changed_at<?",
                         (ts(forget_before),))
            row = conn.execute(
                "SELECT changed_at, licensed FROM licence_changes"
                " WHERE installation_id=? AND platform_user_id=?",
                (installation_id, platform_user_id),
            ).fetchone()
            if row is not None:
                kept = dt(row["changed_at"])
                if kept > changed_at or (kept == changed_at and licensed
                                         and not row["licensed"]):
                    return False
            conn.execute(
                "INSERT OR REPLACE INTO licence_changes VALUES (?,?,?,?)",
                (installation_id, platform_user_id, ts(changed_at), int(licensed)),
            )
        return True

    def taken_at(self, installation_id: str, platform_user_id: str) -> datetime | None:
        """When the user's licence was taken (the event's ``created_at``); None while they
        hold one."""
        row = self._sql.one(
            "SELECT changed_at FROM licence_changes"
            " WHERE installation_id=? AND platform_user_id=? AND licensed=0",
            (installation_id, platform_user_id),
        )
        return dt(row["changed_at"]) if row is not None else None

    def unlicensed(self, installation_id: str) -> list[str]:
        """The platform user ids whose licence was taken and not given back."""
        rows = self._sql.all(
            "SELECT platform_user_id FROM licence_changes WHERE installation_id=? AND licensed=0"
            " ORDER BY platform_user_id",
            (installation_id,),
        )
        return [r["platform_user_id"] for r in rows]

    def set_subscription(self, installation_id: str, *, name: str | None, licenses: int | None,
                         changed_at: datetime) -> None:
        """Take the name and licence count given (``None``: not changed), each unless a newer
        change of it is kept."""
        with self._sql.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO installation_subscriptions (installation_id)"
                         " VALUES (?)", (installation_id,))
            row = conn.execute("SELECT * FROM installation_subscriptions WHERE"
                               " installation_id=?", (installation_id,)).fetchone()
            for column, value in (("name", name), ("licenses", licenses)):
                kept = dt_opt(row[f"{column}_changed_at"])
                if value is None or (kept is not None and kept > changed_at):
                    continue
                conn.execute(
                    f"UPDATE installation_subscriptions SET {column}=?, {column}_changed_at=?"
                    " WHERE installation_id=?",
                    (value, ts(changed_at), installation_id),
                )

    def subscription(self, installation_id: str) -> Subscription | None:
        row = self._sql.one("SELECT * FROM installation_subscriptions WHERE installation_id=?"
                            " AND (name IS NOT NULL OR licenses IS NOT NULL)",
                            (installation_id,))
        return Subscription(name=row["name"], licenses=row["licenses"]) if row else None

    def subscriptions(self) -> dict[str, Subscription]:
        """Every installation's subscription that ``app.updated`` described, by installation."""
        rows = self._sql.all("SELECT * FROM installation_subscriptions"
                             " WHERE name IS NOT NULL OR licenses IS NOT NULL")
        return {r["installation_id"]: Subscription(name=r["name"], licenses=r["licenses"])
                for r in rows}
