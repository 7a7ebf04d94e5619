"""Bounded HTTP calls to the identity provider, with transport failures mapped to login errors."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

import httpx

from ..inputs import InputError, parse_json_object
from .errors import IdpTimeout, IdpUnreachable

MAX_PROVIDER_JSON_BYTES = 1024 * 1024

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""No provider call may hang a login: 5 s to connect, 10 s for each read/write/pool wait."""


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    endpoint: str,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One request; :class:`IdpTimeout` or :class:`IdpUnreachable` instead of httpx errors."""
    try:
        return await client.request(
            method, url, headers=headers, data=data, content=content, timeout=timeout,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise IdpTimeout(f"{endpoint} at {url} timed out", endpoint=endpoint) from exc
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # ValueError: a URL httpx cannot turn into a request (e.g. an invalid IDNA host)
        raise IdpUnreachable(
            f"{endpoint} at {url} unreachable: {type(exc).__name__}: {exc}", endpoint=endpoint
        ) from exc


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` when it is not one (or not within the bounds of
    :func:`relying_party.inputs.parse_json`: size, nesting, valid Unicode)."""
    return answer_object(response.content, max_bytes=MAX_PROVIDER_JSON_BYTES)


def answer_object(content: bytes, *, max_bytes: int) -> dict[str, Any] | None:
    """A server's answer as a JSON object of at most ``max_bytes``, or ``None``."""
    if content.startswith(codecs.BOM_UTF8):
        # RFC 8259 §8.1 lets a parser ignore it, and servers on IIS/.NET send it: a server's
        # answer is not this app's input to refuse (its own JSON routes do refuse a BOM).
        content = content[len(codecs.BOM_UTF8):]
    try:
        return parse_json_object(content, max_bytes=max_bytes)
    except InputError:
        return None
