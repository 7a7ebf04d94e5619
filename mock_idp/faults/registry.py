"""The armed faults of one provider, and how an endpoint takes the one that applies to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..clock import Clock
from ..errors import EntraError
from ..keys import KeyRing, SigningKey
from ..request_log import annotate
from ..tokens import TokenTamper
from . import responses
from .effects import Observer, body_changes, observed, response_note
from .holds import MAX_HOLDS, Ending, Hold, client_left, watch_for_leaving
from .id_tokens import OWN_ACCESS_TOKEN_KINDS, JwksTransform, id_token_tamper, jwks_transform
from .logout_tokens import logout_token_tamper
from .spec import (
    ID_TOKEN_ENDPOINTS,
    ID_TOKEN_KINDS,
    LOGOUT_TOKEN_KINDS,
    RESPONSE_KINDS,
    USERINFO_KINDS,
    Fault,
    Scope,
)
from .userinfo import about_another_subject

UserinfoTransform = Callable[[dict[str, Any]], dict[str, Any]]
KEY_SET_KINDS = frozenset({"kid_absent", "kid_absent_multiple"})
"""ID-token faults that also change the published key set, for as long as the fault lasts."""

HELD = "mock_idp.fault_held"
"""Set in a request's ASGI scope once a latency or hang fault held it (:func:`held`)."""


def held(request: Request) -> bool:
    """Whether a latency or hang fault held ``request``: other requests were answered
    meanwhile, so what it looked up before may have changed."""
    return bool(request.scope.get(HELD))


@dataclass(frozen=True)
class TokenTampers:
    """What a token fault does to one token response: its ID token, and its access token when
    that token is the app's own (:data:`~mock_idp.faults.id_tokens.OWN_ACCESS_TOKEN_KINDS`)."""

    id_token: TokenTamper | None = None
    own_access_token: TokenTamper | None = None


@dataclass
class _KeySetChange:
    mode: str
    tenant: str | None = None
    """The tenant the fault that made it is scoped to: only that tenant's key set (and the
    multi-tenant aliases', which serve every tenant's keys) shows it."""
    added: SigningKey | None = None

    def shown_at(self, tenant: str | None) -> bool:
        return self.tenant is None or tenant is None or tenant.lower() == self.tenant


class FaultRegistry:
    """Armed faults, taken by the endpoints they match; the provider's ``faults`` part.

    A fault whose uses are spent stays listed (``times`` 0) while its effect lasts: a hang while
    it holds a request, a key-set fault until the JWKS has been served once more (the read that
    checks its token), ``key_rotated`` until it is cleared. Clearing a fault ends its effect: it
    releases the requests it holds, and undoes a rotation (the key active before signs again and
    the new one is no longer published), so that what runs next starts from the same keys."""

    def __init__(self, clock: Clock, keys: KeyRing) -> None:
        self._clock = clock
        self._keys = keys
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._holding: dict[str, int] = {}
        """How many requests each hang holds, by fault id."""
        self._let_go = 0
        """How many times every held request was let go (:meth:`release_held`)."""
        self._key_sets: dict[str, _KeySetChange] = {}
        """Key-set changes by fault id, the one made last at the end."""
        self._stray_rsa: rsa.RSAPrivateKey | None = None
        self._rotations: dict[str, list[tuple[SigningKey, SigningKey]]] = {}
        """The rotations each ``key_rotated`` fault made, by fault id: (key before, new key)."""

    # -- management ---------------------------------------------------------------------------
    def arm(self, fault: Fault) -> Fault:
        if fault.created_at is None:
            fault.created_at = self._clock.now()
        with self._lock:
            self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self, fault_id: str | None = None) -> int:
        """Disarm one fault, or all of them, and end what they still do (a JWKS change)."""
        with self._lock:
            gone = [f for f in self._faults if fault_id is None or f.id == fault_id]
            for fault in gone:
                self._drop(fault)
            return len(gone)

    def clear_scoped(self, *, tenants: Iterable[str] = (), apps: Iterable[str] = (),
                     users: Iterable[str] = ()) -> int:
        """Disarm the faults scoped to deleted tenants, apps or users, as :meth:`clear` does:
        armed for what no longer exists, they would otherwise fire on a tenant, app or user
        made again under the same id (a user's id follows from its tenant and UPN)."""
        gone_scope = {name: {value.lower() for value in values}
                      for name, values in (("tenant", tenants), ("app", apps), ("user", users))}
        with self._lock:
            gone = [f for f in self._faults
                    if any(getattr(f, name) in values for name, values in gone_scope.items())]
            for fault in gone:
                self._drop(fault)
            return len(gone)

    def _drop(self, fault: Fault) -> None:
        """Remove ``fault`` and its key-set change; the caller holds the lock."""
        self._faults = [f for f in self._faults if f is not fault]
        self._holding.pop(fault.id, None)
        change = self._key_sets.pop(fault.id, None)
        if change is not None and change.added is not None:
            self._keys.remove_published(change.added)
        for previous, fresh in reversed(self._rotations.pop(fault.id, [])):
            self._keys.undo_rotation(previous, fresh)

    def _take(self, endpoint: str, scope: Scope, kinds: frozenset[str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.kind in kinds and fault.times != 0
                        and fault.matches(endpoint, scope)):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                    if fault.kind == "hang":
                        self._holding[fault.id] = self._holding.get(fault.id, 0) + 1
                    elif fault.kind in KEY_SET_KINDS:
                        change = self._key_sets.pop(fault.id, None) or _KeySetChange(
                            fault.kind, fault.tenant)
                        self._key_sets[fault.id] = change
                    elif fault.times == 0 and fault.kind != "key_rotated":
                        self._faults.remove(fault)
                    return fault
        return None

    # -- response faults ----------------------------------------------------------------------
    async def response_fault(self, request: Request, endpoint: str,
                             scope: Scope) -> Response | EntraError | None:
        """The armed fault's answer; latency (and a hang released by clearing) delays the
        request, then any other fault armed for it still applies."""
        fault = self._take(endpoint, scope, RESPONSE_KINDS)
        while fault is not None and fault.kind in ("latency", "hang"):
            request.scope[HELD] = True
            note = response_note(fault, endpoint)
            annotate(request.scope, note)
            if fault.kind == "latency":
                await self._delay(float(fault.params["delay_ms"]) / 1000)
            else:
                hold = await self._hang(fault, request)
                note["held"] = hold.to_json()
                if hold.ended == "client_left":
                    return responses.Unanswered()
                if hold.ended == "ran_through":
                    return responses.timed_out(request, endpoint)
            fault = self._take(endpoint, scope, RESPONSE_KINDS - {"latency", "hang"})
        if fault is None:
            return None
        annotate(request.scope, response_note(fault, endpoint))
        return responses.render(fault, request, endpoint, scope)

    async def _hang(self, fault: Fault, request: Request) -> Hold:
        """Hold ``request`` open, in real time, until its client leaves (nothing is answered),
        the hang's ``seconds`` pass (the caller answers 504) or ``fault`` is cleared (the
        request carries on); the hold, ended, is in ``fault.holds`` too."""
        hold = Hold.begin()
        with self._lock:
            fault.holds.append(hold)
            del fault.holds[:-MAX_HOLDS]
        let_go = self._let_go_count()
        try:
            await watch_for_leaving(request)
            outcome = await _until(float(fault.params["seconds"]),
                                   lambda: self._cleared(fault, let_go),
                                   gone=lambda: client_left(request))
        except ClientDisconnect:
            outcome = "gone"
        finally:
            self._release(fault)
        hold.end(_ENDINGS[outcome])
        return hold

    async def _delay(self, seconds: float) -> None:
        """Wait ``seconds``, in real time, or until the requests held are let go
        (:meth:`release_held`): a stopping server answers a delayed request within its stop,
        rather than cancelling it once its graceful time is up (a 500, with a traceback in
        its log)."""
        let_go = self._let_go_count()
        await _until(seconds, lambda: self._let_go_count() != let_go)

    def _let_go_count(self) -> int:
        with self._lock:
            return self._let_go

    def release_held(self) -> None:
        """Let every request a hang holds (or a latency fault delays) now carry on, as if its
        fault were cleared (the fault stays armed): the server is stopping, and would otherwise
        cut them off once its graceful time is up, an error with a traceback in its log
        (:mod:`mock_idp.serving`)."""
        with self._lock:
            self._let_go += 1

    def _cleared(self, fault: Fault, let_go: int) -> bool:
        """Whether ``fault`` was cleared, or the requests held were let go, since ``let_go``."""
        with self._lock:
            return self._let_go != let_go or all(f is not fault for f in self._faults)

    def _release(self, fault: Fault) -> None:
        """One request ``fault`` held is done; a spent hang goes with the last of them."""
        with self._lock:
            left = self._holding.get(fault.id, 0) - 1
            if left > 0:
                self._holding[fault.id] = left
            elif fault.id in self._holding:
                del self._holding[fault.id]
                if fault.times == 0:
                    self._drop(fault)

    # -- token faults -------------------------------------------------------------------------
    def id_token_tamper(self, endpoint: str, scope: Scope, *,
                        observe: Observer | None = None) -> TokenTamper | None:
        """The tampering of the ID token ``endpoint`` is about to issue; ``observe`` is told
        what it changed."""
        return self.token_tampers(endpoint, scope, observe=observe).id_token

    def token_tampers(self, endpoint: str, scope: Scope, *, observe: Observer | None = None,
                      id_token: bool = True) -> TokenTampers:
        """The tampering of the ID token ``endpoint`` is about to issue, and of the access
        token issued beside it should that be the app's own; ``observe`` is told what each
        changed. Without an ID token in the answer (``id_token`` false: a v2.0 request
        without ``openid`` for the app's own API) only a fault that also spoils the app's own
        access token is taken, and spoils that token alone: an app that signs people in on it
        is exercised as one on the v1 endpoints is, and a fault about the ID token alone stays
        armed for a token it can reach."""
        if endpoint not in ID_TOKEN_ENDPOINTS:
            return TokenTampers()
        fault = self._take(endpoint, scope, ID_TOKEN_KINDS if id_token else OWN_ACCESS_TOKEN_KINDS)
        if fault is None:
            return TokenTampers()
        if fault.kind == "kid_absent_multiple":
            self._publish_extra_key(fault)
        tamper = id_token_tamper(fault.kind, self._clock, self._keys, self._stray_key,
                                 rotate=lambda: self._rotate(fault))
        own = observed(fault, endpoint, "access_token", tamper, observe) \
            if fault.kind in OWN_ACCESS_TOKEN_KINDS else None
        if not id_token:
            return TokenTampers(None, own)
        return TokenTampers(observed(fault, endpoint, "id_token", tamper, observe), own)

    def _rotate(self, fault: Fault) -> SigningKey:
        """A new active signing key for ``key_rotated`` ``fault``, until the fault is cleared
        (at once, when it was cleared as its token was being signed)."""
        previous = self._keys.active
        fresh = self._keys.rotate()
        with self._lock:
            if any(f is fault for f in self._faults):
                self._rotations.setdefault(fault.id, []).append((previous, fresh))
                return fresh
        self._keys.undo_rotation(previous, fresh)
        return fresh

    def userinfo_transform(self, scope: Scope, *,
                           observe: Observer | None = None) -> UserinfoTransform | None:
        fault = self._take("userinfo", scope, USERINFO_KINDS)
        if fault is None:
            return None

        def transform(body: dict[str, Any]) -> dict[str, Any]:
            changed = about_another_subject(body)
            if observe is not None:
                observe({**response_note(fault, "userinfo"), "target": "userinfo",
                         "changes": body_changes(body, changed)})
            return changed

        return transform

    def _publish_extra_key(self, fault: Fault) -> None:
        """A second published key for ``fault``'s change, unless the key set has two already;
        it goes when the change does."""
        if len(self._keys.published()) >= 2:
            return
        key = self._keys.add_published()
        with self._lock:
            change = self._key_sets.get(fault.id)
            if change is not None and change.added is None:
                change.added = key
                return
        self._keys.remove_published(key)

    def jwks_transform(self, tenant: str | None = None, *,
                       observe: Observer | None = None) -> JwksTransform | None:
        """The change the last key-set fault to fire makes to ``tenant``'s JWKS (``None``: a
        multi-tenant alias's); a spent fault's change is served this once more, then dropped
        with the fault. A fault scoped to another tenant changes nothing here, nor is spent."""
        with self._lock:
            shown = {fid: c for fid, c in self._key_sets.items() if c.shown_at(tenant)}
            if not shown:
                return None
            mode = list(shown.values())[-1].mode
            for fault in [f for f in self._faults if f.id in shown and f.times == 0]:
                self._drop(fault)
        if observe is not None:
            observe({"fault": {"kind": mode, "endpoint": "jwks"}, "target": "jwks",
                     "effect": "kid and x5t removed from the published keys"})
        return jwks_transform(mode, self._keys.active.kid)

    def logout_token_tamper(self, scope: Scope, *,
                            observe: Observer | None = None) -> TokenTamper | None:
        fault = self._take("logout_token", scope, LOGOUT_TOKEN_KINDS)
        if fault is None:
            return None
        return observed(fault, "logout_token", "logout_token",
                        logout_token_tamper(fault.kind, self._keys), observe)

    def _stray_key(self) -> rsa.RSAPrivateKey:
        if self._stray_rsa is None:
            self._stray_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._stray_rsa


Outcome = Literal["done", "time", "gone"]
_ENDINGS: dict[Outcome, Ending] = {"done": "released", "time": "ran_through",
                                   "gone": "client_left"}


async def _until(seconds: float, done: Callable[[], bool],
                 gone: Callable[[], Awaitable[bool]] | None = None) -> Outcome:
    """Wait up to ``seconds`` of real time, looking every 20 ms whether ``done()`` (another
    thread's change, so polled rather than awaited) and whether ``gone()`` (the client left):
    which came true first, or ``"time"``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if done():
            return "done"
        if gone is not None and await gone():
            return "gone"
        await asyncio.sleep(min(0.02, max(deadline - loop.time(), 0)))
    return "done" if done() else "time"
