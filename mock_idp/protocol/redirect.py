"""Redirect URI rules as Entra applies them.

Exact string match, except that for ``http`` loopback URIs (``localhost``, ``127.0.0.1``) the port
is ignored. A URI without a path is registered and compared with a trailing ``/``. A URI that is
not a usable URL (see :mod:`.urls`) matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlunsplit

from .urls import UrlError, split_url

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _split(uri: str) -> SplitResult | None:
    try:
        return split_url(uri, schemes=None)
    except UrlError:
        return None


def _normalise(parts: SplitResult, *, drop_port: bool) -> str:
    path = parts.path or "/"
    netloc = parts.netloc
    if drop_port and parts.hostname is not None:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc = host
    return urlunsplit((parts.scheme.lower(), netloc.lower(), path, parts.query, ""))


def _loopback(parts: SplitResult) -> bool:
    return parts.scheme == "http" and (parts.hostname or "") in ("localhost", "127.0.0.1", "::1")


def is_loopback_http(uri: str) -> bool:
    parts = _split(uri)
    return parts is not None and _loopback(parts)


def matches(requested: str, registered: Iterable[str]) -> bool:
    wanted_parts = _split(requested)
    if wanted_parts is None or wanted_parts.fragment:
        return False
    loopback = _loopback(wanted_parts)
    wanted = _normalise(wanted_parts, drop_port=loopback)
    for candidate in registered:
        parts = _split(candidate)
        if parts is not None and loopback == _loopback(parts) and wanted == _normalise(
            parts, drop_port=loopback
        ):
            return True
    return False
