"""Where the provider's clock may be moved, checked alike by the test-control API
(``POST /_mock/clock``, :mod:`mock_idp.endpoints.control`) and the Python API
(:meth:`mock_idp.testing.MockIdp.advance`)."""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""Date-times outside these years are refused: adding a lifetime to them must not overflow."""


class ClockRangeError(ValueError):
    """A move that would take the clock outside :data:`EARLIEST` .. :data:`LATEST`; ``field``
    names what asked for it (a request's field, or the keyword arguments of a call)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def clock_target(instant: datetime, field: str) -> datetime:
    """``instant`` when a clock may be moved there, else :class:`ClockRangeError` naming
    ``field``."""
    if not EARLIEST <= instant <= LATEST:
        raise ClockRangeError(
            f"{field!r} would move the clock outside {EARLIEST.year}..{LATEST.year}",
            field=field)
    return instant
