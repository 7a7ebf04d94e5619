"""``Date`` response headers from the provider's clock (RFC 9110 §6.6.1).

Servers put their own time in ``Date``; clients such as ``scenarios doctor`` compare it with
theirs to spot skew. The mock's time is its :class:`~mock_idp.clock.Clock`, so a test that moves
the clock by ten minutes sees a provider ten minutes ahead. Run the server without its own
``Date`` header (uvicorn ``date_header=False``) or clients receive both; this one comes last.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock


def _format(instant: datetime) -> bytes:
    """``instant`` as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return format_datetime(instant.astimezone(UTC), usegmt=True).encode("ascii")


class ClockDateHeader:
    """Pure ASGI middleware: replace any ``Date`` header of the app with the clock's time.

    The header has a resolution of one second, so the formatted value is kept until the clock
    reads another second: formatting it for every response was about a fortieth of a login
    flow's CPU."""

    def __init__(self, app: ASGIApp, *, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self._second: int | None = None
        self._value = b""

    def _date(self) -> bytes:
        now = self.clock.now()
        second = int(now.timestamp())
        if second != self._second:
            self._value, self._second = _format(now), second
        return self._value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", self._date()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)
