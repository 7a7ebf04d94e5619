"""Platform installations of the partner app, created and changed by platform events.

The key pair an ``app.installed`` may carry (``key_id``, ``key_algorithm``, ``public_key``,
``private_key``) is kept in a table of its own, one row per installation that has one, so a
database made before it still opens as it is. The platform's API root (``api_root``) came later
as a column: a database made before it gets the column, empty for the installations it holds.

The credentials of an ``app.credentials_rotated`` created in the same second as the event that
gave the installation its current ones are kept beside them as *spares*
(:mod:`relying_party.installation_credentials`), in a table of their own."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from .sqlite import Sqlite, dt, dt_opt, ts, ts_opt

SCHEMA = """
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
    last_login_at TEXT,
    api_root TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS installation_keys (
    installation_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS installation_lifecycle (
    installation_id TEXT PRIMARY KEY,
    last_event_at TEXT NOT NULL,
    uninstalled INTEGER NOT NULL,
    rotated INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS installation_spare_credentials (
    installation_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    PRIMARY KEY (installation_id, client_id, client_secret)
);
CREATE TABLE IF NOT EXISTS installation_lifetimes (
    installation_id TEXT PRIMARY KEY,
    began_at TEXT NOT NULL
);
"""
_API_ROOT = "ALTER TABLE installations ADD COLUMN api_root TEXT NOT NULL DEFAULT ''"
"""A database from before the API root was kept: its installations have none until an event
names it."""
_ROTATED = "ALTER TABLE installation_lifecycle ADD COLUMN rotated INTEGER NOT NULL DEFAULT 0"
"""A database from before the mark said which event it was: its marks read as installs."""
MAX_SPARES = 3
"""The most spare credentials an installation keeps; a fourth replaces the oldest."""
_COLUMNS = (
    "installation_id, account_id, account_name, app_id, client_id, client_secret,"
    " authorization_url, token_url, userinfo_url, openid_configuration_url, active, created_at,"
    " updated_at, last_login_at, api_root"
)


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
    api_root: str = ""
    """The platform's API root (the event's ``_links.root``), where its Apps API is; ``""``
    for an installation stored before it was kept."""
    key_id: str = ""
    key_algorithm: str = ""
    """``ES256``, ``ES384``, ``ES512``, ``PS256``, ``PS384`` or ``PS512``; ``""`` when not given."""
    public_key: str = ""
    private_key: str = field(default="", repr=False)
    """A secret like ``client_secret``: no admin view shows it; forgotten at uninstall."""

    @property
    def has_key(self) -> bool:
        return any((self.key_id, self.key_algorithm, self.public_key, self.private_key))


@dataclass(frozen=True, kw_only=True)
class InstallationKeyPair:
    """The key pair an ``app.credentials_rotated`` hands out with the new secret."""

    key_id: str
    key_algorithm: str
    public_key: str
    private_key: str = field(repr=False)


_SELECT = (
    "SELECT installations.*, k.key_id, k.key_algorithm, k.public_key, k.private_key"
    " FROM installations LEFT JOIN installation_keys AS k USING (installation_id)"
)


@dataclass(frozen=True, kw_only=True)
class LifecycleMark:
    """The newest lifecycle event (installed, credentials rotated, uninstalled) applied to an
    installation id. Kept for an id uninstalled before it was ever installed here too: that
    tombstone is what makes a late ``app.installed`` for it stale."""

    event_created_at: datetime
    uninstalled: bool
    rotated: bool = False
    """The event was an ``app.credentials_rotated`` (else an install or an uninstall)."""


class InstallationStore:
    def __init__(self, sql: Sqlite) -> None:
        self._sql = sql
        with sql.transaction() as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(installations)")}
            if "api_root" not in columns:
                conn.execute(_API_ROOT)
            marks = {row["name"] for row in
                     conn.execute("PRAGMA table_info(installation_lifecycle)")}
            if "rotated" not in marks:
                conn.execute(_ROTATED)

    def upsert(self, inst: Installation) -> None:
        """Insert, or update everything but ``created_at`` and ``last_login_at``; the key pair
        is replaced by the one given (none when it has none)."""
        with self._sql.transaction():
            self._upsert(inst)

    def _upsert(self, inst: Installation) -> None:
        self._sql.run(
            f"INSERT INTO installations ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(installation_id) DO UPDATE SET account_id=excluded.account_id,"
            " account_name=excluded.account_name, app_id=excluded.app_id,"
            " client_id=excluded.client_id, client_secret=excluded.client_secret,"
            " authorization_url=excluded.authorization_url, token_url=excluded.token_url,"
            " userinfo_url=excluded.userinfo_url,"
            " openid_configuration_url=excluded.openid_configuration_url,"
            " active=excluded.active, updated_at=excluded.updated_at, api_root=excluded.api_root",
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
                ts(inst.created_at),
                ts(inst.updated_at),
                ts_opt(inst.last_login_at),
                inst.api_root,
            ),
        )
        self._sql.run("DELETE FROM installation_keys WHERE installation_id=?",
                      (inst.installation_id,))
        self._forget_spares(inst.installation_id)
        if inst.has_key:
            self._sql.run(
                "INSERT INTO installation_keys VALUES (?,?,?,?,?)",
                (inst.installation_id, inst.key_id, inst.key_algorithm, inst.public_key,
                 inst.private_key),
            )

    def get(self, installation_id: str) -> Installation | None:
        row = self._sql.one(f"{_SELECT} WHERE installation_id=?", (installation_id,))
        return _installation(row) if row is not None else None

    def all(self) -> list[Installation]:
        rows = self._sql.all(f"{_SELECT} ORDER BY installations.created_at")
        return [_installation(r) for r in rows]

    def rotate_secret(
        self, installation_id: str, client_id: str, client_secret: str, at: datetime, *,
        api_root: str | None = None, key: InstallationKeyPair | None = None,
    ) -> bool:
        """New client credentials for an active installation, the API root when the event
        names one, and the key pair when it carries one; False when there is none. Spare
        credentials are dropped: these are newer than any of them."""
        with self._sql.transaction():
            changed = self._sql.run(
                "UPDATE installations SET client_id=?, client_secret=?, updated_at=?,"
                " api_root=coalesce(?, api_root) WHERE installation_id=? AND active=1",
                (client_id, client_secret, ts(at), api_root, installation_id),
            )
            if changed:
                self._forget_spares(installation_id)
            if changed and key is not None:
                self._sql.run(
                    "INSERT INTO installation_keys VALUES (?,?,?,?,?)"
                    " ON CONFLICT(installation_id) DO UPDATE SET key_id=excluded.key_id,"
                    " key_algorithm=excluded.key_algorithm, public_key=excluded.public_key,"
                    " private_key=excluded.private_key",
                    (installation_id, key.key_id, key.key_algorithm, key.public_key,
                     key.private_key),
                )
        return changed > 0

    def keep_spare(self, installation_id: str, client_id: str, client_secret: str) -> bool:
        """Keep credentials beside an active installation's current ones (a rotation of the
        same second as theirs), unless they are those; False when there is no active
        installation."""
        with self._sql.transaction() as conn:
            row = conn.execute("SELECT client_id, client_secret FROM installations"
                               " WHERE installation_id=? AND active=1",
                               (installation_id,)).fetchone()
            if row is None:
                return False
            if (row["client_id"], row["client_secret"]) == (client_id, client_secret):
                return True
            conn.execute("INSERT OR IGNORE INTO installation_spare_credentials VALUES (?,?,?)",
                         (installation_id, client_id, client_secret))
            conn.execute(
                "DELETE FROM installation_spare_credentials WHERE installation_id=? AND rowid"
                " NOT IN (SELECT rowid FROM installation_spare_credentials WHERE"
                " installation_id=? ORDER BY rowid DESC LIMIT ?)",
                (installation_id, installation_id, MAX_SPARES))
        return True

    def spares(self, installation_id: str) -> tuple[tuple[str, str], ...]:
        """The installation's spare credentials, ``(client_id, client_secret)``, oldest
        first."""
        rows = self._sql.all("SELECT client_id, client_secret FROM"
                             " installation_spare_credentials WHERE installation_id=?"
                             " ORDER BY rowid", (installation_id,))
        return tuple((r["client_id"], r["client_secret"]) for r in rows)

    def promote_spare(self, installation_id: str, *, refused: tuple[str, str],
                      spare: tuple[str, str], at: datetime) -> bool:
        """Make a spare the installation's credentials, in place of ``refused`` (which the
        provider refused), and drop the other spares; False, changing nothing, when the
        installation's credentials are no longer ``refused`` (a newer rotation came) or the
        spare is gone."""
        with self._sql.transaction() as conn:
            if conn.execute("SELECT 1 FROM installation_spare_credentials WHERE"
                            " installation_id=? AND client_id=? AND client_secret=?",
                            (installation_id, *spare)).fetchone() is None:
                return False
            changed = conn.execute(
                "UPDATE installations SET client_id=?, client_secret=?, updated_at=?"
                " WHERE installation_id=? AND active=1 AND client_id=? AND client_secret=?",
                (*spare, ts(at), installation_id, *refused)).rowcount
            if changed:
                self._forget_spares(installation_id)
        return changed > 0

    def _forget_spares(self, installation_id: str) -> None:
        self._sql.run("DELETE FROM installation_spare_credentials WHERE installation_id=?",
                      (installation_id,))

    def deactivate(self, installation_id: str, at: datetime) -> bool:
        """Mark uninstalled and forget the client secret, spare credentials and the private
        key."""
        with self._sql.transaction():
            self._forget_spares(installation_id)
            self._sql.run("UPDATE installation_keys SET private_key='' WHERE installation_id=?",
                          (installation_id,))
            changed = self._sql.run(
                "UPDATE installations SET active=0, client_secret='', updated_at=?"
                " WHERE installation_id=?",
                (ts(at), installation_id),
            )
        return changed > 0

    def last_event(self, installation_id: str) -> LifecycleMark | None:
        row = self._sql.one(
            "SELECT * FROM installation_lifecycle WHERE installation_id=?", (installation_id,)
        )
        if row is None:
            return None
        return LifecycleMark(
            event_created_at=dt(row["last_event_at"]), uninstalled=bool(row["uninstalled"]),
            rotated=bool(row["rotated"]),
        )

    def record_event(
        self, installation_id: str, mark: LifecycleMark, *, forget_before: datetime
    ) -> None:
        """Make ``mark`` the id's newest applied lifecycle event. Tombstones of ids never
        installed here, for events created before ``forget_before``, are dropped: any event
        older than them is refused as stale before it gets this far."""
        with self._sql.transaction() as conn:
            conn.execute(
                "DELETE FROM installation_lifecycle WHERE uninstalled=1 AND last_event_at<?"
                " AND installation_id NOT IN (SELECT installation_id FROM installations)",
                (ts(forget_before),),
            )
            conn.execute(
                "INSERT INTO installation_lifecycle"
                " (installation_id, last_event_at, uninstalled, rotated) VALUES (?,?,?,?)"
                " ON CONFLICT(installation_id) DO UPDATE SET"
                " last_event_at=excluded.last_event_at, uninstalled=excluded.uninstalled,"
                " rotated=excluded.rotated",
                (installation_id, ts(mark.event_created_at), int(mark.uninstalled),
                 int(mark.rotated)),
            )

    def begin_lifetime(self, installation_id: str, at: datetime) -> None:
        """The ``app.installed`` that created or re-activated the installation arrived ``at``
        (the RP's clock): every sign-in begun until then belongs to an earlier lifetime."""
        self._sql.run(
            "INSERT OR REPLACE INTO installation_lifetimes VALUES (?,?)",
            (installation_id, ts(at)),
        )

    def lifetime_began(self, installation_id: str) -> datetime | None:
        """When the installation's current lifetime began (:meth:`begin_lifetime`); None for
        one installed before that was kept."""
        row = self._sql.one(
            "SELECT began_at FROM installation_lifetimes WHERE installation_id=?",
            (installation_id,),
        )
        return dt(row["began_at"]) if row is not None else None

    def record_login(self, installation_id: str, at: datetime) -> None:
        self._sql.run(
            "UPDATE installations SET last_login_at=? WHERE installation_id=?",
            (ts(at), installation_id),
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
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        last_login_at=dt_opt(row["last_login_at"]),
        api_root=row["api_root"],
        key_id=row["key_id"] or "",
        key_algorithm=row["key_algorithm"] or "",
        public_key=row["public_key"] or "",
        private_key=row["private_key"] or "",
    )
