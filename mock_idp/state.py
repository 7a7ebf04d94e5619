"""The provider and its parts; every handler reads them from ``request.app.state.idp``."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field, fields
from datetime import datetime

import httpx

from .clock import Clock, MockClock
from .config import IdpConfig
from .expiry import ExpiringMap, ExpiringSet
from .faults import FaultRegistry
from .keys import KeyRing
from .notifications import Notifier
from .outgoing import new_client
from .platform import PlatformConfig, PlatformState
from .platform.directory import StoreDirectory
from .set_ups import SetUp
from .store import Store


@dataclass(eq=False)
class IdpState:
    """One mock provider, made of these parts (built by :meth:`create`)."""

    config: IdpConfig
    """The frozen configuration it started from; :meth:`reset` goes back to it."""
    clock: Clock
    """The single source of time for every expiry."""
    store: Store
    """The directory (tenants, apps, users) and the protocol records (sessions, codes, tokens)."""
    keys: KeyRing
    """The token-signing keys published in the JWKS."""
    faults: FaultRegistry
    """Faults armed through ``/_mock/faults``."""
    platform: PlatformState
    """Partner-app installations, their credentials and signed platform events."""
    notifier: Notifier
    """Logout notifications: front-channel, back-channel and platform ``user.logout``."""
    outgoing: httpx.AsyncClient
    """The HTTP client of the provider's own calls (back-channel logout, platform events)."""
    owns_outgoing: bool = False
    """Whether :meth:`aclose` closes ``outgoing`` (made here rather than injected)."""
    console_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Signs the console's form tokens (:mod:`mock_idp.endpoints.console`)."""
    set_ups: list[SetUp] = field(default_factory=list)
    """What a program running the provider arranged in it (``make demo``), made again after
    each reset that does not leave it out (:mod:`mock_idp.set_ups`); a reset keeps the list."""
    flow_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Derives each sign-in page's flow token and canary from its ``ctx``
    (:mod:`mock_idp.signin.server_data`)."""
    resetting: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by a reset of the control API or the console until its set-ups are made again, so
    a second reset waits: made at once, it would wipe what a set-up still running had made,
    and the set-up would then hand its program something no longer in the provider (the
    demo's relying party a secret the app no longer has)."""
    tenant_changes: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a tenant is made, deleted (until its installations have ended, an await of
    their events) or put back by a reset, so that these come one after another: a tenant made
    again under a deleted one's id while its deletion still ends its installations would
    have its own new installations forgotten with them."""

    @classmethod
    def create(cls, config: IdpConfig, *,
               http_client: httpx.AsyncClient | None = None) -> IdpState:
        """Every part, wired to the others; without ``http_client`` one is made (and closed
        by :meth:`aclose`)."""
        clock = config.clock
        outgoing = http_client or new_client()
        store = Store.from_config(config, clock.now())
        keys = KeyRing(clock=clock, retain_for=config.key_retention)
        faults = FaultRegistry(clock, keys)
        platform = PlatformState(
            clock=clock, http_client=outgoing, directory=StoreDirectory(store),
            config=PlatformConfig(base_url=config.public_url,
                                  delivery_timeout=config.event_timeout.total_seconds(),
                                  key_retention=config.key_retention),
        )
        notifier = Notifier(clock=clock, store=store, keys=keys, faults=faults,
                            platform=platform, http_client=outgoing,
                            timeout=config.logout_timeout.total_seconds())
        state = cls(config=config, clock=clock, store=store, keys=keys, faults=faults,
                    platform=platform, notifier=notifier, outgoing=outgoing,
                    owns_outgoing=http_client is None)
        if isinstance(clock, MockClock):
            clock.before_moving_back(state.drop_ended)
            clock.before_moving_back(platform.end_due)
        return state

    def drop_ended(self, now: datetime) -> None:
        """Before the clock leaves ``now`` for an earlier time, drop every protocol record
        whose lifetime has ended by then (sessions, codes and the marks of redeemed ones,
        refresh tokens, ID-token records, sign-in pages, device codes; those kept past their
        expiry to say so too), end the lockouts that ran out, mark the client secrets and
        certificates past their end as expired for good (still listed, as Entra lists them)
        and stop publishing the retired signing keys whose time was up: what has expired
        stays expired, whether or not a write had dropped it yet (:mod:`mock_idp.expiry`).

        The clock may be moved from another thread while the server's thread answers requests
        (:meth:`mock_idp.testing.MockIdp.advance`), so the directory is read over copies."""
        for item in fields(self.store):
            records = getattr(self.store, item.name)
            if isinstance(records, ExpiringMap | ExpiringSet):
                records.drop_ended(now)
        for tenant in list(self.store.tenants.values()):
            tenant.lockout.end_lockouts(now)
            for app in list(tenant.apps.values()):
                for secret in list(app.secrets):
                    secret.end_if_over(now)
                for certificate in list(app.certificates):
                    certificate.end_if_over(now)
        self.keys.drop_retired(now)

    def reset(self, *, clock: bool = False, keys: bool = False) -> None:
        """Back to the configured directory, with no sessions, codes, tokens, faults,
        notifications, installations or events, and no cookie an app set in its answer to the
        provider's own calls (``outgoing`` would send it with the next call to that app); also
        the clock and the signing keys when asked. The clock goes first, so the rebuilt
        directory is dated by the reset clock."""
        if clock and isinstance(self.clock, MockClock):
            self.clock.reset()
        if keys:
            self.keys.reset()
        self.store.reset(self.config, self.clock.now())
        self.faults.clear()
        self.notifier.clear()
        self.platform.reset()
        self.outgoing.cookies.clear()

    async def aclose(self) -> None:
        """Release what the provider holds open (its own outgoing HTTP client)."""
        if self.owns_outgoing:
            await self.outgoing.aclose()
