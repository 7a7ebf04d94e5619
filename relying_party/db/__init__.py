"""SQLite persistence of the relying party: one store per aggregate on one shared connection.

``Database`` names its stores (``db.connections``, ``db.sessions``, …); operations that change
several aggregates at once are its own methods and run in one transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from sqlite3 import Connection as SqliteConnection

from . import (
    acknowledgements,
    admin_sessions,
    connections,
    errors,
    events,
    groups,
    identity_removals,
    installations,
    keys,
    licences,
    logins,
    platform_logouts,
    provider_logouts,
    trials,
    users,
)
from .acknowledgements import AckKind, Acknowledgement, AcknowledgementStore, AckState
from .admin_sessions import AdminSessionStore
from .connections import Connection, ConnectionStore, DuplicateFormNonce
from .errors import ErrorLog, ErrorRecord
from .events import EventStore
from .groups import SessionGroups, SessionGroupStore
from .identity_removals import IdentityRemovalStore
from .installations import Installation, InstallationKeyPair, InstallationStore, LifecycleMark
from .keys import KeyStore
from .licences import LicenceStore, Subscription
from .logins import LoginTransaction, LoginTransactionStore, LogoutRequestStore
from .platform_logouts import PlatformLogoutStore
from .provider_logouts import ProviderLogout, ProviderLogoutStore
from .sessions import Origins, Session, SessionStore
from .sqlite import SourceKind, Sqlite, digest
from .trials import Trial, TrialState, TrialStore
from .users import (
    EmailTaken,
    LinkedIdentity,
    User,
    UserChanged,
    UserListing,
    UserStore,
)

__all__ = [
    "AckKind",
    "AckState",
    "Acknowledgement",
    "Connection",
    "Database",
    "DuplicateFormNonce",
    "EmailTaken",
    "ErrorRecord",
    "Installation",
    "InstallationKeyPair",
    "LifecycleMark",
    "LinkedIdentity",
    "LoginTransaction",
    "ProviderLogout",
    "Session",
    "SessionGroups",
    "SourceKind",
    "Subscription",
    "Trial",
    "TrialState",
    "User",
    "UserChanged",
    "UserListing",
    "digest",
]

SCHEMA = "".join(
    module.SCHEMA
    for module in (
        connections, installations, users, groups, logins, events, errors, admin_sessions, keys,
        platform_logouts, provider_logouts, licences, acknowledgements, trials,
        identity_removals,
    )
)


class Database:
    """The RP's store. Methods are small and synchronous; each runs under one lock."""

    def __init__(self, path: str) -> None:
        self._sql = Sqlite(path, SCHEMA)
        self.connections = ConnectionStore(self._sql)
        self.installations = InstallationStore(self._sql)
        self.users = UserStore(self._sql)
        self.identity_removals = IdentityRemovalStore(self._sql)
        self.sessions = SessionStore(self._sql)
        self.groups = SessionGroupStore(self._sql)
        self.logins = LoginTransactionStore(self._sql)
        self.logouts = LogoutRequestStore(self._sql)
        self.platform_logouts = PlatformLogoutStore(self._sql)
        self.provider_logouts = ProviderLogoutStore(self._sql)
        self.licences = LicenceStore(self._sql)
        self.trials = TrialStore(self._sql)
        self.acknowledgements = AcknowledgementStore(self._sql)
        self.events = EventStore(self._sql)
        self.errors = ErrorLog(self._sql)
        self.admin_sessions = AdminSessionStore(self._sql)
        self.keys = KeyStore(self._sql)

    def close(self) -> None:
        self._sql.close()

    def transaction(self) -> AbstractContextManager[SqliteConnection]:
        """Run the store calls made inside as one SQLite transaction."""
        return self._sql.transaction()

    def delete_connection(self, connection_id: str, *,
                          expected_version: int | None = None) -> bool:
        """Delete a connection (only at ``expected_version``, when given), end the sessions
        signed in through it and detach its failures (:meth:`ErrorLog.detach`); False, and
        nothing changed, when it was not deleted."""
        with self.transaction():
            if not self.connections.delete(connection_id, expected_version=expected_version):
                return False
            self.sessions.end_for_source("connection", connection_id)
            self.errors.detach("connection", connection_id)
            return True

    def remove_user(self, user_id: int, *, at: datetime, forget_before: datetime,
                    as_shown: tuple[datetime, str | None] | None = None) -> int | None:
        """Remove the user (:meth:`UserStore.remove`, which says what it returns); the sign-ins
        of its identities in progress make no session (:class:`IdentityRemovalStore`, the
        record kept until ``forget_before`` passes it)."""
        with self.transaction():
            self.identity_removals.record(user_id, at, forget_before=forget_before)
            return self.users.remove(user_id, as_shown=as_shown)

    def begin_installation(self, installation_id: str, since: datetime, *,
                           received_at: datetime) -> None:
        """A new lifetime of the installation, installed by an event created at ``since`` and
        received at ``received_at``: the licences and trial of an earlier one go, changes to
        them older than ``since`` are stale, and sign-ins begun until ``received_at`` make no
        session."""
        with self.transaction():
            self.licences.begin(installation_id, since)
            self.trials.begin(installation_id, since)
            self.installations.begin_lifetime(installation_id, received_at)

    def deactivate_installation(self, installation_id: str, at: datetime) -> bool:
        """Forget the credentials, licences, trial and acknowledgements of an uninstalled
        installation and end its sessions."""
        with self.transaction():
            self.sessions.end_for_source("installation", installation_id)
            self.licences.forget(installation_id)
            self.trials.forget(installation_id)
            self.acknowledgements.forget(installation_id)
            return self.installations.deactivate(installation_id, at)

    def log_out_platform_user(
        self, installation_id: str, platform_user_id: str, *, started_before: datetime,
        received_at: datetime, keep_for: timedelta,
    ) -> int:
        """End the platform user's sessions of the installation whose sign-in began before
        ``started_before``; the number ended. Their sign-ins in progress that began up to then,
        or up to ``received_at`` when that is earlier (one begun after the logout arrived began
        after it), make no session either (:class:`PlatformLogoutStore`). That record is kept
        for ``keep_for``: the partner events give twice ``login_timeout``, as a sign-in's state
        expires that long after it began and it gets as long again to finish."""
        sign_ins_before = min(started_before, received_at)
        with self.transaction():
            self.platform_logouts.record(installation_id, platform_user_id, sign_ins_before,
                                         forget_before=received_at - keep_for)
            return self.sessions.end_by_platform_user(
                installation_id, platform_user_id, started_before=started_before
            )

    def log_out_provider_session(self, logout: ProviderLogout, *, origins: Origins,
                                 at: datetime, kept_until: datetime) -> int:
        """End the sessions of a provider's logout, by ``sid`` or else by ``subject`` (every
        one of them, whenever it began); the number ended. Sign-ins in progress it names make
        no session either (:class:`ProviderLogoutStore`, the record kept until
        ``kept_until``)."""
        with self.transaction():
            self.provider_logouts.record(logout, at=at, kept_until=kept_until)
            if logout.sid is not None:
                return self.sessions.end_by_sid(logout.sid, issuer=logout.issuer,
                                                origins=origins, source=logout.source)
            if logout.issuer is None or logout.subject is None:
                raise ValueError("a logout without a sid names its issuer and subject")
            return self.sessions.end_by_subject(logout.issuer, logout.subject, origins=origins)

    def take_licence(
        self, installation_id: str, platform_user_id: str, *, changed_at: datetime,
        received_at: datetime, keep_for: timedelta, forget_before: datetime,
    ) -> int | None:
        """Take the platform user's licence for the installation (an ``app.updated`` created
        at ``changed_at``) and end their sessions of it and their sign-ins in progress, as a
        ``user.logout`` would (:meth:`log_out_platform_user`): the number of sessions ended.
        Unlike a logout, which leaves a session begun after it, this ends every one begun
        before the change arrived (``received_at``): a user without a licence keeps none, even
        one begun before a late delivery. None, changing nothing, when a newer change of the
        user's licence is kept (:meth:`LicenceStore.change`)."""
        with self.transaction():
            if not self.licences.change(installation_id, platform_user_id, licensed=False,
                                        changed_at=changed_at, forget_before=forget_before):
                return None
            return self.log_out_platform_user(
                installation_id, platform_user_id, started_before=received_at,
                received_at=received_at, keep_for=keep_for)

    def record_login(self, kind: SourceKind, source_id: str, at: datetime, *,
                     secret: str) -> None:
        """A sign-in through it succeeded, its code redeemed with ``secret``."""
        if kind == "connection":
            self.connections.record_login(source_id, at, secret=secret)
        else:
            self.installations.record_login(source_id, at)
