"""Short, stable labels for a failed event delivery (``timeout``, ``connection refused``...)."""

from __future__ import annotations

import errno
from collections.abc import Iterator

import httpx


def classify_error(exc: Exception) -> str:
    """A short, stable label for a failed send: ``timeout``, ``connection refused``, ..."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in str(exc).lower() or any(
            isinstance(e, ConnectionRefusedError)
            or (isinstance(e, OSError) and e.errno == errno.ECONNREFUSED)
            for e in _chain(exc)
        ):
            return "connection refused"
        return "connection error"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "invalid url"
    return "transport error"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, exception-group members)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = getattr(current, "exceptions", ())
        stack.extend(e for e in (current.__cause__, current.__context__, *nested) if e is not None)
