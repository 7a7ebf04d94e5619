"""The requests a ``hang`` fault held: when each arrived, how long it was held, and how the
hold ended. A hold ends when the client closes its request (``client_left``: the app gave up
on its own timeout, and nothing is answered), when the hang's ``seconds`` pass
(``ran_through``: 504, AADSTS90033), or when the fault is cleared or the server stops
(``released``: the request carries on). How long an app waited on the provider is then read
from the provider's side, where a browser-side clock would also count redirects, page loads
and a loaded machine's scheduling.

All times are real time (a hang holds in real time, whatever the provider's clock says).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast, get_args

from starlette.requests import Request

Ending = Literal["client_left", "ran_through", "released"]
ENDINGS: tuple[Ending, ...] = get_args(Ending)
MAX_HOLDS = 50
"""The holds a fault keeps, the latest (an ``until_cleared`` hang may hold many requests)."""
CLIENT_LEFT_STATUS = 499
"""The status the request log shows for a request whose client left while it was held:
nothing was sent (nginx's "client closed request"; not an HTTP status any client sees)."""


class HoldJson(TypedDict):
    """A hold as the control API and the request log show it."""

    arrived: float
    """Real time the held request arrived, seconds since the epoch."""
    seconds: float
    """How long it was held: until the hold ended, or so far while it lasts."""
    ended: Ending | None
    """How the hold ended; ``None`` while it lasts."""


@dataclass
class Hold:
    """One request a hang held (see the module's docstring)."""

    arrived: float
    """Real time it arrived, seconds since the epoch."""
    started: float
    """:func:`time.monotonic` as it arrived."""
    seconds: float | None = None
    """How long it was held, once the hold ended."""
    ended: Ending | None = None

    @classmethod
    def begin(cls) -> Hold:
        return cls(arrived=time.time(), started=time.monotonic())

    def end(self, how: Ending) -> None:
        self.seconds = time.monotonic() - self.started
        self.ended = how

    def to_json(self) -> HoldJson:
        held = self.seconds if self.seconds is not None else time.monotonic() - self.started
        return {"arrived": round(self.arrived, 3), "seconds": round(held, 3),
                "ended": self.ended}


@dataclass(frozen=True)
class HoldRecord:
    """A hold as read back from :meth:`Hold.to_json` (by the scenarios, over HTTP)."""

    arrived: float
    seconds: float
    ended: Ending | None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> HoldRecord:
        ended = body.get("ended")
        if ended is not None and ended not in ENDINGS:
            raise ValueError(f"unknown hold ending {ended!r}")
        return cls(arrived=float(body["arrived"]), seconds=float(body["seconds"]),
                   ended=cast("Ending | None", ended))


async def watch_for_leaving(request: Request) -> None:
    """Make ``request``'s client leaving visible to :func:`client_left`: its body is read
    first (and kept for the handler), as watching for the end of a connection takes the
    messages the body would come in. Raises :class:`ClientDisconnect` if it left already."""
    try:
        await request.body()
    except RuntimeError:
        pass  # the handler read the body already (a form): nothing left to take


async def client_left(request: Request) -> bool:
    """Whether ``request``'s client closed the connection (ASGI ``http.disconnect``), without
    waiting; only after :func:`watch_for_leaving`."""
    return await request.is_disconnected()
