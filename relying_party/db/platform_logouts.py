"""Platform sign-outs (``user.logout``) that sign-ins still in progress must honour.

A ``user.logout`` ends the sessions its user has; a sign-in of that user already under way
when it arrives has no session yet, so the logout is kept, per (installation, platform user),
as the instant up to which a sign-in that began is refused when its session is made (the
instant itself included: a session surviving a logout is worse than a sign-in to repeat). That
instant is the one up to which the logout ends sessions (its ``created_at`` plus the clock skew
allowed), or its arrival when that is earlier: a sign-in begun after the RP had the logout began
after the logout."""

from __future__ import annotations

from datetime import datetime

from .sqlite import Sqlite, dt, ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS platform_logouts (
    installation_id TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    sign_ins_before TEXT NOT NULL,
    PRIMARY KEY (installation_id, platform_user_id)
);
CREATE INDEX IF NOT EXISTS platform_logouts_by_time ON platform_logouts (sign_ins_before);
"""


class PlatformLogoutStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql

    def record(self, installation_id: str, platform_user_id: str, sign_ins_before: datetime,
               *, forget_before: datetime) -> None:
        """Sign-ins of the user that began at or before ``sign_ins_before`` make no session
        (the later of this and any instant already kept). Records whose instant is before
        ``forget_before`` are dropped: the sign-ins they refuse are over by then."""
        with self._sql.transaction() as conn:
            conn.execute("DELETE FROM platform_logouts WHERE sign_ins_before<?",
                         (ts(forget_before),))
            row = conn.execute(
                "SELECT sign_ins_before FROM platform_logouts"
                " WHERE installation_id=? AND platform_user_id=?",
                (installation_id, platform_user_id),
            ).fetchone()
            if row is not None and dt(row["sign_ins_before"]) >= sign_ins_before:
                return
            conn.execute(
                "INSERT OR REPLACE INTO platform_logouts VALUES (?,?,?)",
                (installation_id, platform_user_id, ts(sign_ins_before)),
            )

    def sign_ins_before(self, installation_id: str, platform_user_id: str) -> datetime | None:
        """Sign-ins of the user that began at or before this instant make no session; None
        when no logout of theirs is kept."""
        row = self._sql.one(
            "SELECT sign_ins_before FROM platform_logouts"
            " WHERE installation_id=? AND platform_user_id=?",
            (installation_id, platform_user_id),
        )
        return dt(row["sign_ins_before"]) if row is not None else None
