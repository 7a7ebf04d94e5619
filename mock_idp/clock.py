"""The provider's single source of time.

Every expiry in the mock (codes, tokens, secrets, sessions, event retries) reads ``clock.now()``.
Tests and scenarios move a :class:`MockClock` instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, always UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class MockClock:
    """Wall-clock time plus an offset, or a frozen instant; both can be moved.

    ``advance`` and ``set`` shift what ``now`` returns for every reader at once, so a running
    server observes the jump on its next request.
    """

    def __init__(self, *, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at = _aware(frozen_at) if frozen_at is not None else None

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
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
