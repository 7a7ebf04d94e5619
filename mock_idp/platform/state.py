"""The platform as a whole: installs apps, hands out credentials and sends signed events.

:class:`PlatformState` ties the installation registry, the event keys and the dispatcher to the
provider's app registrations through the small :class:`AppDirectory` protocol, so this package
never reaches into the provider's store.

``user.logout`` goes to every installation in the user's tenant that the user signed in to since
the installation was created (``note_sign_in``), once per sign-out; with
``logout_scope="tenant"`` it goes to every installation of the tenant instead.

``app.updated`` (docs.talkdesk.com/reference/app-updated) is sent when a test says so
(:meth:`PlatformState.update`): which of the tenant's users gained or lost the app's licence,
and what its subscription became. The registry remembers the result, but sign-in and
``/users/me`` go on regardless: the platform authenticates, and whether a user may use the app
is for the app to decide.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

from ..clock import Clock
from . import envelope as events
from . import trials
from .acknowledgements import ACKNOWLEDGEMENT_WINDOW, check_reason
from .app_directory import AppDirectory
from .delivery import RETRY_DELAYS, DeliveryAttempt, EventDispatcher, EventResult
from .envelope import Envelope
from .errors import InvalidField, NotFound, NotInstalled
from .install_checks import check_app_id, check_events_url
from .installations import Installation, InstallationRegistry, TenantRef
from .licences import check_subscription, user_ids
from .signing import EventKeyRing
from .trials import Trial, check_days


@dataclass(frozen=True, kw_only=True)
class PlatformConfig:
    base_url: str | None = None
    """The provider's public base URL; ``None`` means each call (or request) supplies it."""
    delivery_timeout: float = 5.0
    """Seconds a receiver gets to answer one delivery attempt."""
    retry_delays: tuple[timedelta, ...] = RETRY_DELAYS
    secret_lifetime: timedelta = timedelta(days=180)
    acknowledgement_window: timedelta = ACKNOWLEDGEMENT_WINDOW
    """How long an installation awaits the app's approval, and a routine rotation's grace
    period for the secret it replaced (Talkdesk: seven days)."""
    key_retention: timedelta = timedelta(hours=24)
    """How long a rotated-out event-signing key stays in the published JWKS."""
    logout_scope: Literal["signed_in", "tenant"] = "signed_in"


class PlatformState:
    """Everything the platform endpoints need; the provider's ``platform`` part."""

    def __init__(
        self,
        *,
        clock: Clock,
        http_client: httpx.AsyncClient,
        directory: AppDirectory,
        config: PlatformConfig | None = None,
    ) -> None:
        self.config = config or PlatformConfig()
        self.clock = clock
        self.directory = directory
        self.keys = EventKeyRing(clock, retain_for=self.config.key_retention)
        self.registry = InstallationRegistry(
            clock, secret_lifetime=self.config.secret_lifetime,
            acknowledgement_window=self.config.acknowledgement_window)
        self.dispatcher = EventDispatcher(
            clock,
            http_client,
            self.keys,
            self.config.delivery_timeout,
            retry_delays=self.config.retry_delays,
        )
        self._root: str | None = None
        """The base URL of the latest event sent (its ``_links.root``), for the events the
        platform sends on its own before the clock moves back (:meth:`end_due`)."""

    def base_url(self, override: str | None = None) -> str:
        base = override or self.config.base_url
        if not base:
            raise ValueError("no base URL: set PlatformConfig.base_url or pass base_url")
        return base.rstrip("/")

    async def install(
        self,
        *,
        app_id: str,
        tenant: str | TenantRef,
        events_url: str | None = None,
        client_id: str | None = None,
        app_version_name: str = "1.0.0",
        trial_days: int | None = None,
        base_url: str | None = None,
    ) -> EventResult:
        """Install ``app_id`` in ``tenant`` with a new id and secret, and a trial of
        ``trial_days`` that starts once the app approves the installation; send
        ``app.installed``. ``client_id`` names the app registration when ``app_id`` is the
        partner app's own id; without it ``app_id`` names the registration, and the installation
        takes the registration's client id as its app id. A registration has one active
        installation per tenant (:meth:`InstallationRegistry.install`)."""
        base = self.base_url(base_url)
        check_app_id(app_id)
        if events_url is not None:
            check_events_url(events_url)
        ref = tenant if isinstance(tenant, TenantRef) else self.directory.resolve_tenant(tenant)
        if ref is None:
            raise NotFound(f"unknown tenant {tenant!r}", field="tenant")
        app = self.directory.find_app(ref.id, client_id or app_id)
        if app is None:
            field = "client_id" if client_id else "app_id"
            raise NotFound(f"no app {client_id or app_id!r} in tenant {ref.id}", field=field)
        named_client = client_id is not None
        if not named_client:
            app_id = app.client_id  # the registration's spelling of its own id
        client_id = app.client_id
        events_url = check_events_url(events_url or app.events_url)
        trial = None if trial_days is None else Trial(days=check_days(trial_days, "trial_days"))
        installation, timed_out = self.registry.install_replacing(
            app_id=app_id,
            tenant=ref,
            events_url=events_url,
            client_id=client_id if named_client else None,
            app_version_name=app_version_name,
            trial=trial,
        )
        for ended in timed_out:  # no event: Talkdesk's reference names none for a timeout
            self._remove_secrets(ended)
        self.directory.add_client_secret(ref.id, client_id, installation.credential)
        body = events.app_installed(installation, base_url=base, now=self.clock.now())
        return await self.send(installation, body)

    async def rotate_credentials(
        self, installation_id: str, *, compromised: bool = False, base_url: str | None = None
    ) -> EventResult:
        """New secret for the installation, then ``app.credentials_rotated``.

        As Talkdesk's routine rotation does (docs.talkdesk.com/reference/appcredentials_rotated),
        the previous secret keeps working for the grace period
        (:attr:`PlatformConfig.acknowledgement_window`, seven days) or until the app
        acknowledges the new one (:meth:`acknowledge_credentials`); past the grace period it
        is expired at the token endpoint. ``compromised`` revokes it at once. A secret an
        earlier rotation left in its grace period ends now: two sets at most work at a time.
        """
        base = self.base_url(base_url)
        before = self.registry.require_active(installation_id).rotation
        installation, previous = self.registry.rotate_credentials(
            installation_id, compromised=compromised)
        tenant_id, client_id = installation.tenant.id, installation.client_id
        self.directory.add_client_secret(tenant_id, client_id, installation.credential)
        if before is not None:
            self.directory.remove_client_secret(tenant_id, client_id, before.previous_key_id)
        self.directory.remove_client_secret(tenant_id, client_id, previous.key_id)
        rotation = installation.rotation
        assert rotation is not None
        if not compromised:
            self.directory.add_client_secret(
                tenant_id, client_id,
                replace(previous, end=min(previous.end, rotation.grace_ends_at)))
        body = events.app_credentials_rotated(installation, base_url=base, now=self.clock.now())
        return await self.send(installation, body)

    def acknowledge_credentials(self, installation_id: str) -> Installation:
        """The app acknowledges its rotated credentials: the secret they replaced ends now.
        :class:`Conflict` when the installation's credentials were never rotated; again after
        an acknowledgement, nothing changes."""
        installation, previous_worked = self.registry.acknowledge_credentials(installation_id)
        rotation = installation.rotation
        if previous_worked and rotation is not None:
            self.directory.remove_client_secret(
                installation.tenant.id, installation.client_id, rotation.previous_key_id)
        return installation

    def answer_installation(
        self, installation_id: str, requested: str, reason: str | None
    ) -> Installation:
        """The app approves (``approve``) or rejects (``reject``) its installation. A
        rejected installation ends as an uninstalled one does, its secrets removed, but no
        ``app.uninstalled`` is sent: the app itself asked."""
        installation = self.registry.answer(installation_id, requested, check_reason(reason))
        if installation.state == "rejected":
            self._remove_secrets(installation)
        return installation

    def end_due(self, now: datetime) -> None:
        """Before the clock leaves ``now`` for an earlier time, what the platform would have
        done by then is done, and stays done: an approval unanswered past its deadline stays
        ``timeout``, a grace period that has ended stays over (the secret the rotation
        replaced is removed), an active trial past its ``expires_at`` ends as
        ``POST /_mock/events/run`` would have ended it then, its ``app.trial_ended`` queued to
        go out on the next request, the retries due by then stay due
        (:meth:`EventDispatcher.keep_due`), and a retired event-signing key past its retention
        is not published again. Nothing here awaits: the clock may be moved from any
        thread."""
        self.dispatcher.keep_due(now)
        self.keys.drop_retired(now)
        for installation in self.registry.final_at(now):
            assert installation.rotation is not None
            self.directory.remove_client_secret(installation.tenant.id, installation.client_id,
                                                installation.rotation.previous_key_id)
        base = self.config.base_url or self._root
        if base is None:  # no event was ever sent, so no trial has started
            return
        for installation, body in trials.expire(self, now, base_url=base.rstrip("/")):
            self.dispatcher.queue(installation.events_url, body)

    async def uninstall(self, installation_id: str, *, base_url: str | None = None) -> EventResult:
        """An active trial ends (``app.trial_ended``); the installation's secret is removed
        from the app, then ``app.uninstalled``.

        The installation ends, with its trial, in one step before any event goes out, so of
        uninstalls racing each other (two requests, or one and a tenant's deletion) one sends
        the events and the others are :class:`NotInstalled`, sending nothing."""
        base = self.base_url(base_url)
        now = self.clock.now()
        installation = self.registry.uninstall(
            installation_id, trial=lambda trial: trials.ended_by_uninstall(trial, now))
        self._remove_secrets(installation)
        await trials.send_ended_by_uninstall(self, installation, base_url=base, now=now)
        body = events.app_uninstalled(installation, base_url=base, now=now)
        return await self.send(installation, body)

    async def end_tenant(self, tenant_id: str, *, base_url: str | None = None
                         ) -> list[EventResult]:
        """A deleted tenant's installations: each active one ends as :meth:`uninstall` ends it
        (``app.trial_ended`` for an active trial, then ``app.uninstalled``), then every one is
        forgotten with its stored events and queued retries, so nothing more goes out for it."""
        base = self.base_url(base_url)
        results = []
        for installation in self.registry.in_tenant(tenant_id):
            with contextlib.suppress(NotInstalled):  # ended meanwhile by another request
                results.append(await self.uninstall(installation.installation_id, base_url=base))
        self.dispatcher.drop(set(self.registry.forget_tenant(tenant_id)))
        return results

    async def update(
        self,
        installation_id: str,
        *,
        adding: Sequence[str] = (),
        removing: Sequence[str] = (),
        subscription_name: str | None = None,
        licenses: int | None = None,
        base_url: str | None = None,
    ) -> EventResult:
        """Give the app's licence to ``adding`` and take it from ``removing`` (users of the
        installation's tenant by object id or userPrincipalName), and/or change the
        subscription's name or licence count; then ``app.updated`` with the users' object ids.

        Everything is checked before anything is stored: at least one change (else
        :class:`InvalidField` naming ``users``), known users (``users.adding[0]``...), nobody in
        both lists, at most :data:`MAX_UPDATE_USERS` per list, a name of 1 to
        :data:`MAX_SUBSCRIPTION_NAME` characters, 0 to :data:`MAX_LICENSES` licences, and an
        active installation.
        """
        base = self.base_url(base_url)
        installation = self.registry.require_active(installation_id)
        check_subscription(subscription_name, licenses)
        tenant_id = installation.tenant.id
        added = user_ids(self.directory, tenant_id, adding, "users.adding")
        removed = user_ids(self.directory, tenant_id, removing, "users.removing")
        if not added and not removed and subscription_name is None and licenses is None:
            raise InvalidField("an update needs a change: users to add or remove, or a "
                               "subscription name or licence count", field="users")
        both = set(added) & set(removed)
        if both:
            raise InvalidField(f"user {min(both)} is both added and removed", field="users")
        installation = self.registry.update(
            installation_id, adding=added, removing=removed,
            subscription_name=subscription_name, licenses=licenses,
        )
        body = events.app_updated(
            installation, adding=added, removing=removed, subscription_name=subscription_name,
            licenses=licenses, base_url=base, now=self.clock.now(),
        )
        return await self.send(installation, body)

    def note_sign_in(self, *, tenant_id: str, client_id: str, user_id: str) -> None:
        """Call when ``user_id`` (the oid) signs in to an app; installed apps remember the user."""
        self.registry.note_sign_in(tenant_id=tenant_id, client_id=client_id, user_id=user_id)

    async def notify_user_logout(
        self, *, tenant_id: str, user_id: str, user_email: str, base_url: str | None = None
    ) -> list[EventResult]:
        """Call when a user signs out: ``user.logout`` to each installation that should know,
        all at once (a slow receiver holds the sign-out up for one delivery timeout at most)."""
        base = self.base_url(base_url)
        targets: Sequence[Installation] = self.registry.in_tenant(tenant_id)
        if self.config.logout_scope == "signed_in":
            targets = [i for i in targets if user_id in self.registry.users(i.installation_id)]
        for installation in targets:
            self.registry.forget_user(installation.installation_id, user_id)
        sends = (
            self._send_user_logout(installation, user_id=user_id, user_email=user_email,
                                   base_url=base)
            for installation in targets
        )
        return list(await asyncio.gather(*sends))

    async def send_user_logout(
        self, installation_id: str, *, user_id: str, user_email: str, base_url: str | None = None
    ) -> EventResult:
        """``user.logout`` for one installation, whether or not the user signed in through it.
        ``user_id`` names a user of the installation's tenant (object id or
        userPrincipalName; the event carries the object id, as Talkdesk's carries the
        platform user id, docs.talkdesk.com/reference/userlogout); anyone else is
        :class:`NotFound` naming ``user_id``, and nothing is sent. ``user_email`` is the
        platform account's address, which need not be one the provider knows (the partner-sso.md
        reference, b.7: sessions are found by installation and user id); one that another user
        of the tenant holds (e-mail or userPrincipalName) would name two people at once, which
        no genuine event does: :class:`InvalidField` naming ``user_email``, and nothing is
        sent."""
        base = self.base_url(base_url)
        installation = self.registry.require_active(installation_id)
        oid = self.directory.find_user(installation.tenant.id, user_id)
        if oid is None:
            raise NotFound(f"no user {user_id[:80]!r} in tenant {installation.tenant.id}",
                           field="user_id")
        holder = self.directory.address_holder(installation.tenant.id, user_email)
        if holder is not None and holder != oid:
            raise InvalidField(
                f"user_email {user_email[:80]!r} is the address of another user of tenant "
                f"{installation.tenant.id}, not of {user_id[:80]!r}", field="user_email")
        return await self._send_user_logout(installation, user_id=oid, user_email=user_email,
                                            base_url=base)

    async def _send_user_logout(
        self, installation: Installation, *, user_id: str, user_email: str, base_url: str
    ) -> EventResult:
        body = events.user_logout(
            installation,
            user_id=user_id,
            user_email=user_email,
            base_url=base_url,
            now=self.clock.now(),
        )
        return await self.send(installation, body)

    async def redeliver(self, event_id: str) -> DeliveryAttempt:
        """Send a stored event again, byte for byte (a duplicate for idempotency tests)."""
        try:
            return await self.dispatcher.redeliver(event_id)
        except KeyError:
            raise NotFound(f"no event {event_id!r}", field="event_id") from None

    def start_due(self) -> int:
        """Start the due retries in the background; see :meth:`EventDispatcher.start_due`."""
        return self.dispatcher.start_due()

    async def run_due(self) -> list[DeliveryAttempt]:
        """Send the due retries and wait for every delivery in flight to finish."""
        return await self.dispatcher.run_due()

    async def aclose(self) -> None:
        """Stop the deliveries in flight (they go back to the queue)."""
        await self.dispatcher.aclose()

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return self.keys.jwks()

    def events(self) -> list[Envelope]:
        return self.dispatcher.events()

    def delivery_log(self, event_id: str | None = None) -> list[dict[str, Any]]:
        return self.dispatcher.delivery_log(event_id)

    def reset(self) -> None:
        """Forget installations, events, deliveries and keys (app secrets are the caller's)."""
        self.registry.reset()
        self.dispatcher.reset()
        self.keys.reset()

    def _remove_secrets(self, installation: Installation) -> None:
        """The installation's secret, and one a rotation left in its grace period."""
        tenant_id, client_id = installation.tenant.id, installation.client_id
        self.directory.remove_client_secret(tenant_id, client_id, installation.credential.key_id)
        if installation.rotation is not None:
            self.directory.remove_client_secret(tenant_id, client_id,
                                                installation.rotation.previous_key_id)

    async def send(self, installation: Installation, body: Envelope) -> EventResult:
        """Deliver ``body`` about ``installation`` (its first attempt; retries follow)."""
        self._root = body["_links"]["root"]["href"]
        delivery = await self.dispatcher.dispatch(installation.events_url, body)
        return EventResult(installation=installation, event=body, delivery=delivery,
                           at=self.clock.now())
