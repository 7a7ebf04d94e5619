"""Telling apps that a session ended: front-channel, back-channel and platform ``user.logout``.

Front-channel notifications are iframes the signed-out page loads in the browser; the page
reports back when each one has loaded. Back-channel notifications are logout tokens (OpenID
Connect Back-Channel Logout 1.0 §2.4) POSTed form-encoded. Every notification is recorded with
the app, URL, payload, the app's HTTP status and the time, readable at
``/_mock/notifications``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from .clock import Clock, epoch
from .faults import FaultRegistry
from .keys import KeyRing
from .platform import PlatformState
from .protocol import claims as claimset
from .protocol import tenants
from .store import Application, Session, Store, Tenant
from .tokens import sign

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120
MAX_LOGGED = 1000
"""Notifications kept in the log; older ones fall off."""


def _wall_clock() -> float:
    return time.time()


@dataclass
class Notification:
    kind: str
    """``frontchannel``, ``backchannel`` or ``platform``."""
    trigger: str
    client_id: str | None
    app_name: str | None
    url: str | None
    payload: dict[str, Any]
    time: datetime
    status: int | None = None
    error: str | None = None
    duration_ms: float | None = None
    loaded_at: datetime | None = None
    headers: dict[str, str] | None = None
    """The app's response headers (back-channel only)."""
    faults: list[dict[str, Any]] = field(default_factory=list)
    """What armed faults changed in the payload (see :mod:`mock_idp.faults.effects`)."""
    wall: float = field(default_factory=lambda: _wall_clock())
    """Real time it was sent, seconds since the epoch (for ordering against other logs)."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "trigger": self.trigger,
            "client_id": self.client_id, "app_name": self.app_name, "url": self.url,
            "payload": self.payload, "status": self.status, "error": self.error,
            "time": self.time.isoformat(), "duration_ms": self.duration_ms,
            "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
            "headers": self.headers, "faults": self.faults, "wall": round(self.wall, 3),
        }


def frontchannel_url(logout_url: str, *, sid: str, iss: str | None) -> str:
    """The app's logout URL with ``sid`` (and ``iss``) added, keeping its own query."""
    parts = urlsplit(logout_url)
    extra = {"sid": sid} if iss is None else {"iss": iss, "sid": sid}
    query = f"{parts.query}&{urlencode(extra)}" if parts.query else urlencode(extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def signed_in_through(session: Session, client_id: str) -> str:
    """The endpoint version of the session's sign-in to the app: a v1 sign-in's ID tokens name
    ``https://sts.windows.net/{tid}/``, and its logout notifications must name the same issuer
    for the app to take them (OpenID Connect Back-Channel Logout 1.0 §2.6, ``iss``)."""
    return session.versions.get(client_id, "2.0")


def logout_token_claims(*, issuer: str, client_id: str, sub: str | None, sid: str | None,
                        now: datetime) -> dict[str, Any]:
    iat = epoch(now)
    claims: dict[str, Any] = {
        "iss": issuer, "aud": client_id, "iat": iat, "exp": iat + LOGOUT_TOKEN_LIFETIME,
        "jti": str(uuid.uuid4()), "events": {BACKCHANNEL_EVENT: {}},
    }
    if sub is not None:
        claims["sub"] = sub
    if sid is not None:
        claims["sid"] = sid
    return claims


class Notifier:
    """Sends and records logout notifications for one provider."""

    def __init__(self, *, clock: Clock, store: Store, keys: KeyRing, faults: FaultRegistry,
                 platform: PlatformState, http_client: httpx.AsyncClient,
                 timeout: float) -> None:
        self._clock = clock
        self._store = store
        self._keys = keys
        self._faults = faults
        self._platform = platform
        self._http = http_client
        self._timeout = timeout
        """Seconds an app gets to answer a back-channel logout."""
        self._log: deque[Notification] = deque(maxlen=MAX_LOGGED)
        self._lock = threading.Lock()
        self._generation = 0
        """Bumped by :meth:`clear`: a notification sent before it leaves no trace after it."""

    def log(self) -> list[Notification]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        """Forget every notification; one still being sent is not recorded when it ends."""
        with self._lock:
            self._generation += 1
            self._log.clear()

    def _current(self) -> int:
        with self._lock:
            return self._generation

    def _record(self, note: Notification, generation: int) -> Notification:
        """Log ``note``, begun in ``generation``, unless the log was cleared since."""
        with self._lock:
            if generation == self._generation:
                self._log.append(note)
        return note

    def mark_loaded(self, note_id: str) -> bool:
        with self._lock:
            for note in self._log:
                if note.id == note_id and note.kind == "frontchannel":
                    note.loaded_at = self._clock.now()
                    return True
        return False

    def _signed_in_apps(self, sessions: list[Session]
                        ) -> Iterator[tuple[Session, Tenant, Application]]:
        """Every (session, tenant, app) the sessions signed into, apps still registered."""
        for session in sessions:
            tenant = self._store.tenants.get(session.tenant_id)
            if tenant is None:
                continue
            for client_id in session.apps:
                app = tenants.app_in(self._store, tenant, client_id)
                if app is not None:
                    yield session, tenant, app

    def frontchannel(self, base: str, sessions: list[Session], trigger: str
                     ) -> list[Notification]:
        """Record the iframes the signed-out page must load, one per app of each session."""
        notes = []
        generation = self._current()
        for session, tenant, app in self._signed_in_apps(sessions):
            client_id = app.client_id
            if app.logout_url:
                iss = claimset.issuer(base, tenant.id, signed_in_through(session, client_id))
                url = frontchannel_url(app.logout_url, sid=session.id,
                                       iss=iss if app.frontchannel_logout_iss else None)
                notes.append(self._record(Notification(
                    kind="frontchannel", trigger=trigger, client_id=client_id,
                    app_name=app.name, url=url,
                    payload={"sid": session.id, **({"iss": iss}
                                                   if app.frontchannel_logout_iss else {})},
                    time=self._clock.now()), generation))
        return notes

    async def backchannel(self, base: str, sessions: list[Session], trigger: str
                          ) -> list[Notification]:
        notes = []
        for session, tenant, app in self._signed_in_apps(sessions):
            client_id = app.client_id
            if app.backchannel_logout_uri:
                version = signed_in_through(session, client_id)
                claims = logout_token_claims(
                    issuer=claimset.issuer(base, tenant.id, version), client_id=client_id,
                    sub=claimset.pairwise_sub(session.user_id, client_id), sid=session.id,
                    now=self._clock.now())
                changes: list[dict[str, Any]] = []
                tamper = self._faults.logout_token_tamper(
                    {"tenant": tenant.id, "app": client_id, "user": session.user_id},
                    observe=changes.append)
                token = sign(self._keys, claims, version=version, tamper=tamper,
                             typ="logout+jwt")
                notes.append(await self._post(app.backchannel_logout_uri, token, client_id,
                                              app.name, claims, trigger, changes))
        return notes

    async def _post(self, url: str, token: str, client_id: str, app_name: str,
                    claims: dict[str, Any], trigger: str,
                    faults: list[dict[str, Any]]) -> Notification:
        note = Notification(kind="backchannel", trigger=trigger, client_id=client_id,
                            app_name=app_name, url=url,
                            payload={"logout_token": token, "claims": claims},
                            time=self._clock.now(), faults=faults)
        generation = self._current()
        started = time.perf_counter()
        try:
            # httpx's timeout bounds each read: a receiver trickling its answer would hold the
            # sign-out for as long as it liked. The attempt as a whole gets the timeout, and the
            # answer's body (which nothing reads) is not taken in.
            async with asyncio.timeout(self._timeout), self._http.stream(
                    "POST", url, data={"logout_token": token},
                    timeout=self._timeout) as response:
                note.status = response.status_code
                note.headers = dict(response.headers)
        except (TimeoutError, httpx.TimeoutException):
            note.error = "timeout"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            note.error = f"{type(exc).__name__}: {exc}"[:300]
        note.duration_ms = round((time.perf_counter() - started) * 1000, 2)
        return self._record(note, generation)

    async def platform(self, base: str, sessions: list[Session], trigger: str
                       ) -> list[Notification]:
        notes = []
        seen: set[tuple[str, str]] = set()
        for session in sessions:
            key = (session.tenant_id, session.user_id)
            tenant = self._store.tenants.get(session.tenant_id)
            user = tenant.users.get(session.user_id) if tenant else None
            if key in seen or user is None:
                continue
            seen.add(key)
            generation = self._current()
            results = await self._platform.notify_user_logout(
                tenant_id=session.tenant_id, user_id=user.id, user_email=user.email or user.upn,
                base_url=base)
            for result in results:
                delivery = result.delivery
                client_id = result.installation.client_id
                app = tenants.app_in(self._store, tenant, client_id) if tenant else None
                notes.append(self._record(Notification(
                    kind="platform", trigger=trigger, client_id=client_id,
                    app_name=app.name if app else None, url=delivery.url,
                    payload=dict(result.event), status=delivery.status, error=delivery.error,
                    duration_ms=round(delivery.duration_ms, 2), time=delivery.at),
                    generation))
        return notes

    async def sessions_ended(self, base: str, sessions: list[Session], trigger: str
                             ) -> list[Notification]:
        """Back-channel and platform notifications for sessions that ended."""
        notes = await self.backchannel(base, sessions, trigger)
        notes += await self.platform(base, sessions, trigger)
        return notes

