"""A request's body read before its handler looks anything up.

A handler of the management or test-control APIs finds what the path names (a tenant, an app,
a user) and then reads the body. The body may arrive in pieces, and while the handler waits for
the rest the provider answers other requests: one may delete what was found, or reset the
directory. The handler would then change a record no longer in the directory and answer as if
it had worked (``addPassword`` a 200 with a secret on no app). Reading the whole body first
leaves no wait between the look-up and the change, so the handler finds the directory as it is
once the body is in (a deleted app is a 404).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message

from .payload import MAX_BODY_BYTES, BadInput, read_body


async def read_first(request: Request, *, limit: int = MAX_BODY_BYTES) -> Request:
    """``request`` with its body already in, up to ``limit`` bytes; the handler reads it again
    as before (its own limit, content type and JSON checks apply then). A body over ``limit``
    is refused when the handler reads it, as it would be without this; a handler that reads no
    body never sees the refusal."""
    refused: BadInput | None = None
    try:
        raw = await read_body(request, limit=limit)
    except BadInput as exc:
        refused, raw = exc, b""
    given = False
    receive = request.receive

    async def replay() -> Message:
        nonlocal given
        if refused is not None:
            raise refused
        if given:  # the body was given once: what comes next (a disconnect) is the client's
            return await receive()
        given = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(request.scope, replay)
