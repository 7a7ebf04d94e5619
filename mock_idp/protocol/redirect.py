"""Redirect URI rules as Entra applies them.

Exact string match, except that for ``http`` loopback URIs (``localhost``, ``127.0.0.1``) the port
is ignored. A URI without a path is registered and compared with a trailing ``/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _normalise(uri: str, *, drop_port: bool) -> str:
    parts = urlsplit(uri)
    path = parts.path or "/"
    netloc = parts.netloc
    if drop_port and parts.hostname is not None:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc = host
    return urlunsplit((parts.scheme.lower(), netloc.lower(), path, parts.query, ""))


def is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    return parts.scheme == "http" and (host in ("localhost", "127.0.0.1", "::1"))


def matches(requested: str, registered: Iterable[str]) -> bool:
    try:
        if urlsplit(requested).fragment:
            return False
        loopback = is_loopback_http(requested)
        wanted = _normalise(requested, drop_port=loopback)
        for candidate in registered:
            if loopback == is_loopback_http(candidate) and wanted == _normalise(
                candidate, drop_port=loopback
            ):
                return True
    except ValueError:
        return False
    return False
