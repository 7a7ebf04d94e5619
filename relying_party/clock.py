"""The relying party's source of time.

Every expiry the relying party evaluates (ID tokens, caches, events, sessions) reads
``clock.now()``; tests pass a clock they can move instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant as a timezone-aware datetime."""
        ...


class SystemClock:
    """Wall-clock time, always UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
