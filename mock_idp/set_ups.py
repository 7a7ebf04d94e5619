"""What a program running the provider arranged in it, made again after each reset.

``make demo`` gives its relying party a client secret, registers the app's redirect and logout
URIs and installs the partner app for the tenant. A reset (``POST /_mock/reset``, the console's
Reset) puts the provider back as configured, which drops all three, so the demo's app would
stop working. The demo therefore registers a :class:`SetUp` on the provider's state
(``IdpState.set_ups``); after a reset the provider calls it from a worker thread while it goes
on answering requests, so the set-up is made again through the provider's HTTP API as it was
the first time, before the reset answers (the console's page after the reset shows it made). A
reset may leave it out (``{"set_up": false}``, the console's box unticked), to try the app with
its set-up gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

__all__ = ["SetUp", "set_up_again"]

SAID = 200
"""The most of what one set-up says that a reset's answer keeps."""


@dataclass(frozen=True)
class SetUp:
    name: str
    """Who made it and what it is, as the console's Reset section lists it."""
    again: Callable[[], str]
    """Makes it again through the provider's HTTP API (called from a worker thread, never the
    provider's own); returns what it did, one line."""


async def set_up_again(set_ups: Sequence[SetUp]) -> list[str]:
    """Each of ``set_ups`` made again, in order; what each said. One that fails says so, and
    the others are still made: the reset is done either way."""
    said = []
    for set_up in set_ups:
        try:
            line = await run_in_threadpool(set_up.again)
        except Exception as exc:  # the program's own failure, told rather than a 500
            line = f"{set_up.name}: not made again ({type(exc).__name__}: {exc})"
        said.append(line[:SAID])
    return said
