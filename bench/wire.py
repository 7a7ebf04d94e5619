"""The timed flows' HTTP client: one keep-alive HTTP/1.1 connection through ``http.client``.

The load generator's clients share one process and so one interpreter lock. With
``httpx.Client`` a login flow cost the clients about 1.1 ms of CPU, as much as the provider
under test spent answering it, and on two cores flows per second then measured the clients
as much as the provider. The standard library's ``http.client`` sends the same requests for
a fraction of that (``client CPU per flow`` in the table), so the provider sets the pace.
Set-up (signing in, discovery) still goes through ``httpx``, cookies and all; the session
cookie it got is handed to the connection.
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

__all__ = ["Connection", "Reply", "cookie_header"]


@dataclass(frozen=True)
class Reply:
    """What a flow reads of a response."""

    status_code: int
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @classmethod
    def of(cls, response: httpx.Response) -> Reply:
        return cls(response.status_code, response.headers.get("location", ""),
                   response.content)


def cookie_header(client: httpx.Client) -> str:
    """The cookies ``client`` holds, as one ``Cookie`` header value."""
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


class Connection:
    """Requests to one origin over one kept-alive connection; reconnects after an error."""

    def __init__(self, base_url: str, *, cookies: str = "", timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{base_url!r} is not a plain-http origin")
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self._headers = {"Cookie": cookies} if cookies else {}

    def get(self, url: str, *, params: Mapping[str, str]) -> Reply:
        return self._send("GET", _target(url, params), None, self._headers)

    def post(self, url: str, *, data: Mapping[str, str], params: Mapping[str, str] | None = None,
             auth: tuple[str, str] | None = None) -> Reply:
        headers = {**self._headers, "Content-Type": "application/x-www-form-urlencoded"}
        if auth is not None:
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {pair}"
        return self._send("POST", _target(url, params), urlencode(data).encode("ascii"),
                          headers)

    def _send(self, method: str, target: str, body: bytes | None,
              headers: Mapping[str, str]) -> Reply:
        try:
            self._conn.request(method, target, body=body, headers=dict(headers))
            response = self._conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            self._conn.close()  # the next request opens a new connection
            raise
        return Reply(response.status, response.getheader("location", "") or "", content)

    def close(self) -> None:
        self._conn.close()


def _target(url: str, params: Mapping[str, str] | None) -> str:
    """The request target: the URL's path and query, ``params`` added to the query."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
    return f"{parts.path or '/'}?{query}" if query else parts.path or "/"
