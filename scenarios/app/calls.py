"""Making a profile's HTTP calls to the app: fill the templates, send, check, capture."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from scenarios.app.profile import HttpCall, JsonValue
from scenarios.app.templating import render

__all__ = ["CallError", "absolute", "captured", "dig", "fill_json", "response_json", "run_call",
           "string_list"]

_MISSING = object()


class CallError(RuntimeError):
    """A call the profile describes failed: unreachable, an unexpected status, no JSON.
    ``status`` and ``body``: the unexpected answer, when there was one."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def absolute(url: str, base_url: str) -> str:
    return url if url.startswith(("http://", "https://")) else base_url + url


def fill_json(value: JsonValue | None, values: Mapping[str, str]) -> JsonValue | None:
    if isinstance(value, str):
        return render(value, values)
    if isinstance(value, list):
        return [item for item in (fill_json(v, values) for v in value) if item is not None]
    if isinstance(value, dict):
        return {k: v for k, v in ((k, fill_json(v, values)) for k, v in value.items())
                if v is not None}
    return value


def run_call(http: httpx.Client, call: HttpCall, *, base_url: str, values: Mapping[str, str],
             what: str) -> httpx.Response:
    """Send ``call``; :class:`CallError` (naming ``what`` it was for) unless it succeeded."""
    url = absolute(render(call.url, values), base_url)
    headers = {name: render(value, values) for name, value in call.headers.items()}
    body: dict[str, Any] = {}
    if call.json is not None:
        body["json"] = fill_json(call.json, values)
    if call.form is not None:
        body["data"] = {name: render(value, values) for name, value in call.form.items()}
    try:
        response = http.request(call.method, url, headers=headers, **body)
    except httpx.HTTPError as exc:
        raise CallError(f"{what}: {call.method} {url} failed: {str(exc) or type(exc).__name__}"
                        ) from None
    ok = (response.status_code in call.expect_status if call.expect_status
          else response.is_success)
    if not ok:
        expected = (", ".join(map(str, call.expect_status)) if call.expect_status else "2xx")
        raise CallError(f"{what}: {call.method} {url} answered HTTP {response.status_code} "
                        f"(expected {expected}): {response.text[:300]}",
                        status=response.status_code, body=response.text)
    return response


def dig(data: object, path: str) -> object:
    """The value at a dotted path (``a.b``, ``items.0.id``), or :data:`None` when absent."""
    found = _at(data, path)
    return None if found is _MISSING else found


def holds(data: object, path: str) -> bool:
    """Whether a dotted path leads to a member, ``null`` included (:func:`dig` reads a
    missing one as ``None`` too)."""
    return _at(data, path) is not _MISSING


def _at(data: object, path: str) -> object:
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            current = _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def string_list(value: object, what: str) -> tuple[str, ...]:
    """A JSON array of strings (absent: empty), or an AssertionError naming ``what``."""
    if value is None:
        return ()
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), (
        f"{what} is not a list of strings: {str(value)[:200]}")
    return tuple(value)


def response_json(response: httpx.Response, what: str) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CallError(f"{what}: {response.request.method} {response.request.url} did not "
                        f"answer JSON: {response.text[:200]}") from None


def captured(call: HttpCall, response: httpx.Response, what: str) -> dict[str, str]:
    """The values ``call`` captures from its JSON response."""
    if not call.capture:
        return {}
    data = response_json(response, what)
    found: dict[str, str] = {}
    for name, path in call.capture.items():
        value = dig(data, path)
        if value is None or isinstance(value, dict | list):
            raise CallError(f"{what}: the response has no value at {path!r} for {{{name}}}: "
                            f"{response.text[:200]}")
        found[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return found
