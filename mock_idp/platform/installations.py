"""Installations of partner apps in tenants, and the client credentials each one hands out.

Pure bookkeeping: no HTTP, no app registrations. The caller adds the generated
:class:`ClientSecret` to the app registration (and removes it on rotation or uninstall). Each
installation also hands out a key pair (:class:`InstallationKey`), which ``app.installed`` carries
as Talkdesk's does; rotation renews both, and ``app.credentials_rotated`` carries both
(docs.talkdesk.com/reference/appcredentials_rotated lists the key pair among its members).

One active installation per (app, tenant): app ids compare ignoring case, and an app registration
(``client_id``) has one active installation per tenant whatever app id it was installed under,
so a sign-in by that client belongs to one installation. An uninstalled installation stays
readable by id, with ``state == "uninstalled"`` (``"rejected"`` when the app rejected it through
the Apps API, ``"timeout"`` when an install replaced it, unapproved past its deadline), so a
test can still inspect it; installing the same app again creates a new installation id.

Each installation also keeps the app's acknowledgements (:mod:`.acknowledgements`): its answer to
the installation, and the latest credential rotation with its grace period.

Each installation also keeps what ``app.updated`` has told the app
(docs.talkdesk.com/reference/app-updated): the users whose licence was taken away and not given
back, and the subscription's latest name and licence count. The mock only records them; it
refuses nobody's sign-in for them, since deciding who may use the app is the app's own job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..clock import Clock
from .acknowledgements import ACKNOWLEDGEMENT_WINDOW, Approval, Rotation, credentials_json
from .client_secret import ClientSecret as ClientSecret  # also named from here
from .errors import AlreadyInstalled, Conflict, NotInstalled, UnknownInstallation
from .installation_key import InstallationKey, new_hex_id
from .licences import Subscription

if TYPE_CHECKING:
    from .trials import Trial

InstallationState = Literal["installed", "uninstalled", "rejected", "timeout"]


def isoformat(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class TenantRef:
    """The tenant an app is installed in: ``id`` is the GUID, ``domain`` its primary domain."""

    id: str
    domain: str


@dataclass(frozen=True, kw_only=True)
class Installation:
    installation_id: str
    app_id: str
    app_version_id: str
    app_version_name: str
    tenant: TenantRef
    client_id: str
    credential: ClientSecret
    key: InstallationKey
    events_url: str
    installed_at: datetime
    rotated_at: datetime | None = None
    uninstalled_at: datetime | None = None
    state: InstallationState = "installed"
    unlicensed_users: frozenset[str] = frozenset()
    """Object ids of the users ``app.updated`` removed and has not added back since."""
    subscription: Subscription | None = None
    approval: Approval
    rotation: Rotation | None = None
    trial: Trial | None = None
    """The trial the customer chose at the install (:mod:`.trials`), if any."""

    @property
    def active(self) -> bool:
        return self.state == "installed"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The installation as the control API shows it at ``now`` (an approval past its
        deadline reads ``timeout``, a grace period past its end ``grace_ended``)."""
        return {
            "installation_id": self.installation_id,
            "app_id": self.app_id,
            "app_version_id": self.app_version_id,
            "app_version_name": self.app_version_name,
            "account_id": self.tenant.id,
            "account_name": self.tenant.domain,
            "client_id": self.client_id,
            "client_secret": self.credential.secret_text,
            "secret_key_id": self.credential.key_id,
            "secret_expires_at": isoformat(self.credential.end),
            **self.key.to_json(),
            "events_url": self.events_url,
            "state": self.state,
            "installed_at": isoformat(self.installed_at),
            "rotated_at": isoformat(self.rotated_at),
            "uninstalled_at": isoformat(self.uninstalled_at),
            "unlicensed_users": sorted(self.unlicensed_users),
            "subscription": None if self.subscription is None else self.subscription.to_json(),
            "approval": self.approval.to_json(now),
            "credentials": credentials_json(self.rotation, now),
            "trial": None if self.trial is None else self.trial.to_json(now),
        }


@dataclass
class InstallationRegistry:
    """Installations by id, the active one per (app, tenant), and who signed in through each."""

    clock: Clock
    secret_lifetime: timedelta = timedelta(days=180)
    acknowledgement_window: timedelta = ACKNOWLEDGEMENT_WINDOW
    """How long an installation awaits approval, and a routine rotation's grace period."""
    _by_id: dict[str, Installation] = field(default_factory=dict)
    _app_versions: dict[str, str] = field(default_factory=dict)
    _users: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def install(self, *, app_id: str, tenant: TenantRef, events_url: str,
                client_id: str | None = None, app_version_name: str = "1.0.0",
                trial: Trial | None = None) -> Installation:
        """:meth:`install_replacing`'s new installation."""
        return self.install_replacing(
            app_id=app_id, tenant=tenant, events_url=events_url, client_id=client_id,
            app_version_name=app_version_name, trial=trial)[0]

    def install_replacing(
        self,
        *,
        app_id: str,
        tenant: TenantRef,
        events_url: str,
        client_id: str | None = None,
        app_version_name: str = "1.0.0",
        trial: Trial | None = None,
    ) -> tuple[Installation, list[Installation]]:
        """A new installation with fresh credentials for ``client_id`` (default ``app_id``),
        and the ``trial`` the customer chose, if any. :class:`AlreadyInstalled` when the app
        (``app_id``, case ignored) or the registration (``client_id``, named as ``app_id`` when
        it defaults to it) has an active installation in the tenant, unless its approval timed
        out: that one ends first (``state == "timeout"``), as Talkdesk lets the customer repeat
        an installation once it has timed out (docs.talkdesk.com/docs/app-enablement). Returns
        the new installation and those it ended, whose secrets the caller removes."""
        now = self.clock.now()
        client = client_id or app_id
        with self._lock:
            by_app = self.find(app_id=app_id, tenant_id=tenant.id)
            taken = self.find(client_id=client, tenant_id=tenant.id)
            if by_app is not None and by_app.approval.state_at(now) != "timeout":
                raise AlreadyInstalled(
                    f"app {app_id} is already installed in tenant {tenant.id}", field="app_id"
                )
            if taken is not None and taken.approval.state_at(now) != "timeout":
                raise AlreadyInstalled(
                    f"app registration {client} is already installed in tenant {tenant.id} "
                    f"(installation {taken.installation_id}, app {taken.app_id})",
                    field="client_id" if client_id else "app_id",
                )
            ended = [self._end(i.installation_id, "timeout", now)
                     for i in {i.installation_id: i for i in (by_app, taken) if i}.values()]
            installation_id = new_hex_id()
            installation = Installation(
                installation_id=installation_id,
                app_id=app_id,
                app_version_id=self._app_versions.setdefault(app_id.lower(), new_hex_id()),
                app_version_name=app_version_name,
                tenant=tenant,
                client_id=client,
                credential=self._new_secret(now, installation_id),
                key=InstallationKey.generate(),
                events_url=events_url,
                installed_at=now,
                approval=Approval.start(now, self.acknowledgement_window),
                trial=trial,
            )
            self._by_id[installation_id] = installation
            self._users[installation_id] = set()
            return installation, ended

    def change(self, installation_id: str, *, trial: Trial) -> Installation:
        """The active installation with its trial replaced."""
        with self._lock:
            updated = replace(self.require_active(installation_id), trial=trial)
            self._by_id[installation_id] = updated
            return updated

    def change_if(self, installation_id: str, *, was: Trial, trial: Trial
                  ) -> Installation | None:
        """The active installation with its trial replaced, if it is still active with the
        trial ``was``; else ``None`` (ended or changed meanwhile on another thread)."""
        with self._lock:
            current = self._by_id.get(installation_id)
            if current is None or not current.active or current.trial is not was:
                return None
            return self.change(installation_id, trial=trial)

    def rotate_credentials(
        self, installation_id: str, *, compromised: bool = False
    ) -> tuple[Installation, ClientSecret]:
        """Issue a new secret and key pair (Talkdesk's ``app.credentials_rotated`` carries
        both); returns the updated installation and the secret it replaced. The rotation
        records a grace period of :attr:`acknowledgement_window` for the replaced secret, none
        when ``compromised``."""
        now = self.clock.now()
        with self._lock:
            current = self.require_active(installation_id)
            grace = timedelta(0) if compromised else self.acknowledgement_window
            rotation = Rotation(rotated_at=now, previous_key_id=current.credential.key_id,
                                compromised=compromised, grace_ends_at=now + grace)
            updated = replace(current, credential=self._new_secret(now, installation_id),
                              key=InstallationKey.generate(), rotated_at=now, rotation=rotation)
            self._by_id[installation_id] = updated
            return updated, current.credential

    def acknowledge_credentials(self, installation_id: str) -> tuple[Installation, bool]:
        """Record the app's acknowledgement of its current credentials; returns the
        installation and whether the replaced secret was still working (and must now end)."""
        now = self.clock.now()
        with self._lock:
            current = self.require_active(installation_id)
            rotation = current.rotation
            if rotation is None:
                raise Conflict("no credential rotation awaits acknowledgement",
                               field="state")
            if rotation.acknowledged_at is not None:
                return current, False
            was_working = rotation.previous_works_at(now)
            updated = replace(current, rotation=replace(rotation, acknowledged_at=now))
            self._by_id[installation_id] = updated
            return updated, was_working

    def answer(self, installation_id: str, requested: str, reason: str | None) -> Installation:
        """The app approves or rejects the installation (:meth:`Approval.answer`); a rejected
        installation ends (``state == "rejected"``)."""
        now = self.clock.now()
        with self._lock:
            current = self.require_active(installation_id)
            approval = current.approval.answer(requested, reason, now)
            if approval is current.approval:
                return current
            updated = replace(current, approval=approval)
            if approval.state == "rejected":
                updated = replace(updated, state="rejected", uninstalled_at=now,
                                  unlicensed_users=frozenset(), subscription=None)
                self._users.pop(installation_id, None)
            self._by_id[installation_id] = updated
            return updated

    def final_at(self, now: datetime) -> list[Installation]:
        """The clock leaves ``now`` for an earlier time: every approval unanswered past its
        deadline stays timed out, and every grace period that has ended stays over
        (:meth:`Approval.final_at`, :meth:`Rotation.final_at`). Returns the installations
        whose grace period this ended, whose replaced secret the caller removes."""
        ended = []
        with self._lock:
            for key, current in list(self._by_id.items()):
                approval = current.approval.final_at(now)
                rotation = None if current.rotation is None else current.rotation.final_at(now)
                if approval is current.approval and rotation is current.rotation:
                    continue
                self._by_id[key] = replace(current, approval=approval, rotation=rotation)
                if rotation is not current.rotation:
                    ended.append(self._by_id[key])
        return ended

    def update(
        self,
        installation_id: str,
        *,
        adding: Iterable[str] = (),
        removing: Iterable[str] = (),
        subscription_name: str | None = None,
        licenses: int | None = None,
    ) -> Installation:
        """Record an ``app.updated``: ``adding`` regain their licence, ``removing`` lose it, and
        the subscription takes the name and licence count given (``None`` keeps the current)."""
        with self._lock:
            current = self.require_active(installation_id)
            unlicensed = (current.unlicensed_users - set(adding)) | set(removing)
            subscription = current.subscription
            if subscription_name is not None or licenses is not None:
                previous = subscription or Subscription()
                subscription = Subscription(
                    name=previous.name if subscription_name is None else subscription_name,
                    licenses=previous.licenses if licenses is None else licenses,
                )
            updated = replace(current, unlicensed_users=frozenset(unlicensed),
                              subscription=subscription)
            self._by_id[installation_id] = updated
            return updated

    def uninstall(self, installation_id: str, *,
                  trial: Callable[[Trial | None], Trial | None] | None = None) -> Installation:
        """The active installation, uninstalled now with its trial as ``trial`` leaves it;
        :class:`NotInstalled` when it is not active, so of two uninstalls one ends it."""
        now = self.clock.now()
        with self._lock:
            current = self.require_active(installation_id)
            return self._end(installation_id, "uninstalled", now,
                             trial=current.trial if trial is None else trial(current.trial))

    def _end(self, installation_id: str, state: InstallationState, now: datetime,
             **changes: Any) -> Installation:
        """The installation, ended now in ``state`` (its licences and sign-ins forgotten)."""
        with self._lock:
            current = self._by_id[installation_id]
            updated = replace(current, state=state, uninstalled_at=now,
                              unlicensed_users=frozenset(), subscription=None,
                              approval=current.approval.final_at(now), **changes)
            self._by_id[installation_id] = updated
            self._users.pop(installation_id, None)
            return updated

    def get(self, installation_id: str) -> Installation:
        with self._lock:
            found = self._by_id.get(installation_id)
        if found is None:
            raise UnknownInstallation(
                f"no installation {installation_id!r}", field="installation_id"
            )
        return found

    def find(self, *, tenant_id: str, app_id: str | None = None, client_id: str | None = None
             ) -> Installation | None:
        """The active installation in ``tenant_id`` of ``app_id`` or of the registration
        ``client_id`` (either compared ignoring case), if any."""
        def matches(mine: str, wanted: str | None) -> bool:
            return wanted is None or mine.lower() == wanted.lower()

        with self._lock:
            return next((i for i in self.in_tenant(tenant_id)
                         if matches(i.app_id, app_id) and matches(i.client_id, client_id)), None)

    def all(self) -> list[Installation]:
        with self._lock:
            return list(self._by_id.values())

    def in_tenant(self, tenant_id: str) -> list[Installation]:
        with self._lock:
            return [i for i in self._by_id.values() if i.active and i.tenant.id == tenant_id]

    def note_sign_in(self, *, tenant_id: str, client_id: str, user_id: str) -> Installation | None:
        """Record that ``user_id`` signed in to the installed app; returns the installation."""
        with self._lock:
            installation = self.find(tenant_id=tenant_id, client_id=client_id)
            if installation is not None:
                self._users[installation.installation_id].add(user_id)
            return installation

    def users(self, installation_id: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self._users.get(installation_id, ()))

    def forget_user(self, installation_id: str, user_id: str) -> None:
        with self._lock:
            self._users.get(installation_id, set()).discard(user_id)

    def reset(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._app_versions.clear()
            self._users.clear()

    def forget_tenant(self, tenant_id: str) -> list[str]:
        """Drop every installation of a deleted tenant (its account), active or not; their ids."""
        with self._lock:
            forgotten = [k for k, i in self._by_id.items() if i.tenant.id == tenant_id]
            for key in forgotten:
                del self._by_id[key]
                self._users.pop(key, None)
            return forgotten

    def require_active(self, installation_id: str) -> Installation:
        current = self.get(installation_id)
        if not current.active:
            raise NotInstalled(
                f"installation {installation_id} is {current.state}", field="installation_id"
            )
        return current

    def _new_secret(self, now: datetime, installation_id: str) -> ClientSecret:
        return ClientSecret.generate(
            now=now, lifetime=self.secret_lifetime, display_name=f"installation {installation_id}"
        )
