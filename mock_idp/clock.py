"""The provider's single source of time.

Every expiry in the mock (codes, tokens, secrets, sessions, event retries) reads ``clock.now()``.
Tests and scenarios move a :class:`MockClock` instead of sleeping.

Expiry is final: before a :class:`MockClock` moves back, it tells the parts that asked
(:meth:`MockClock.before_moving_back`) the time it is leaving, and they drop what has expired by
then, so a record past its lifetime never comes back to life at an earlier time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import MethodType
from typing import Protocol

Leaving = Callable[[datetime], object]
"""Told the time a clock leaves, before it moves back (:meth:`MockClock.before_moving_back`)."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, always UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class MockClock:
    """Wall-clock time plus an offset, or a frozen instant; both can be moved.

    ``advance`` and ``set`` shift what ``now`` returns for every reader at once, so a running
    server observes the jump on its next request. A move back (``advance`` by a negative delta,
    ``set`` to an earlier instant, ``reset`` from ahead of the real time) first calls every
    :meth:`before_moving_back` listener with the time it leaves.
    """

    def __init__(self, *, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at = _aware(frozen_at) if frozen_at is not None else None
        self._listeners: list[Callable[[], Leaving | None]] = []
        """Each listener behind a call that returns it, or ``None`` once it is gone."""

    def before_moving_back(self, listener: Leaving) -> None:
        """Call ``listener`` with the time the clock leaves, before each move back. A bound
        method is held weakly (a provider dropped is not kept alive by a clock it shared), any
        other callable strongly. It runs on the thread that moves the clock, which may not be
        the server's (``MockIdp.advance`` from a test): it reads what requests change over
        copies or under their lock, and tolerates a record a request removed meanwhile."""
        ref: Callable[[], Leaving | None] = (
            weakref.WeakMethod(listener) if isinstance(listener, MethodType)
            else lambda: listener)
        with self._lock:
            self._listeners = [r for r in self._listeners if r() is not None] + [ref]

    def _leaving_for(self, target: datetime | None) -> None:
        """Tell the listeners the time being left when ``target`` (``None``: the real time,
        where ``reset`` goes) is earlier than now."""
        now = self.now()
        if now <= (datetime.now(UTC) if target is None else target):
            return
        with self._lock:
            listeners = [r() for r in self._listeners]
        for listener in listeners:
            if listener is not None:
                listener(now)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, delta: timedelta) -> datetime:
        """Move by ``delta``; a move past what ``datetime`` holds raises ``OverflowError``
        and changes nothing."""
        if delta < timedelta(0):
            self._leaving_for(self.now() + delta)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = self._frozen_at + delta
                return self._frozen_at
            offset = self._offset + delta
            moved = datetime.now(UTC) + offset
            self._offset = offset
            return moved

    def set(self, instant: datetime) -> datetime:
        instant = _aware(instant)
        self._leaving_for(instant)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - datetime.now(UTC)
            return instant

    def freeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = datetime.now(UTC) + self._offset
            return self._frozen_at

    def unfreeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None
            return datetime.now(UTC) + self._offset

    def reset(self) -> None:
        self._leaving_for(None)
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
