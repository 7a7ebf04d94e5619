"""Reading the HTTP calls a profile describes (``[[configure]]``, ``error_log``, ``renew_secret``
...), and the template and URL checks their values share with the other sections."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from scenarios.app.sections import HttpCall, JsonValue
from scenarios.app.templating import (
    APP_VARIABLES,
    PROVIDER_VARIABLES,
    check_template,
    placeholders,
)
from scenarios.app.validation import Table

__all__ = [
    "BUILTIN_VARIABLES",
    "DOTTED_PATH",
    "Check",
    "read_call",
    "read_calls",
    "read_json",
    "read_one_call",
    "template_check",
    "url_check",
    "url_problem",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BUILTIN_VARIABLES = frozenset(APP_VARIABLES) | frozenset(PROVIDER_VARIABLES)
_CAPTURE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
DOTTED_PATH = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
Check = Callable[[str], str | None]


URL_VARIABLES = frozenset({
    "base_url", "idp_url", "authority", "issuer", "discovery_url", "authorize_url", "token_url",
    "jwks_url", "end_session_url", "graph_url", "redirect_uri", "post_logout_redirect_uri",
    "event_keys_url",
})
"""The template names whose values are absolute URLs."""
SAMPLE_URL = "http://127.0.0.1:8"
"""What a URL-valued name stands for when a template is parsed at load time; every other name
(a port, an id, a captured value) stands for ``1``, which fits a host, a port and a path."""


def url_check(allowed: frozenset[str] | set[str]) -> Check:
    def check(value: str) -> str | None:
        if (message := check_template(value, allowed)) is not None:
            return message
        return url_problem(value)

    return check


def url_problem(template: str, *, absolute: bool = False) -> str | None:
    """Why ``template`` (already checked by :func:`check_template`), once filled in, is not a
    path starting with ``/`` or an http(s) URL that parses (a host, a port in range), or
    (``absolute``) not such a URL; ``None`` when it is, or when it starts with a value that is
    known only at run time (a captured one) and may be a URL."""
    names = placeholders(template)
    if not absolute and template.startswith("{") and not template.startswith("{{") and (
            names[0] not in URL_VARIABLES):
        return None
    filled = template.format_map({n: SAMPLE_URL if n in URL_VARIABLES else "1" for n in names})
    if filled.startswith("/") and not absolute:
        filled = SAMPLE_URL + filled
    elif not filled.startswith(("http://", "https://")):
        return "must be an http(s) URL" if absolute else ("must be a path starting with / or "
                                                           "an http(s) URL")
    try:
        parts = urlsplit(filled)
        _ = parts.port  # raises for a port out of range or not a number
        httpx.URL(filled)
    except (ValueError, httpx.InvalidURL) as exc:
        return f"is not a valid URL ({exc})"
    if not parts.hostname:
        return "is not a valid URL (no host name)"
    if any(c.isspace() for c in parts.netloc):
        return "is not a valid URL (a space in its host)"
    return None


def template_check(allowed: frozenset[str] | set[str]) -> Check:
    return lambda value: check_template(value, allowed)


def read_json(table: Table, value: object, path: tuple[str, ...],
              allowed: frozenset[str] | set[str]) -> JsonValue | None:
    if isinstance(value, str):
        if (message := check_template(value, allowed)) is not None:
            table.reader.problem(path, message)
        return value
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        items = [read_json(table, v, (*path, str(i)), allowed) for i, v in enumerate(value)]
        return [i for i in items if i is not None]
    if isinstance(value, dict):
        out: dict[str, JsonValue] = {}
        for k, v in value.items():
            item = read_json(table, v, (*path, k), allowed)
            if item is not None:
                out[k] = item
        return out
    table.reader.problem(path, f"cannot be sent as JSON ({type(value).__name__})")
    return None


def read_call(table: Table, allowed: frozenset[str] | set[str], *, default_method: str,
              capturing: bool = False) -> HttpCall | None:
    method = table.choice("method", METHODS, default_method)
    url = table.string("url", required=True, check=url_check(allowed))
    headers = table.str_map("headers", check=template_check(allowed))
    body: JsonValue | None = None
    if table.has("json"):
        body = read_json(table, table.data["json"], table.where("json"), allowed)
    form = table.str_map("form", check=template_check(allowed)) if table.has("form") else None
    if body is not None and form is not None:
        table.problem("form", "give json or form, not both")
    statuses: tuple[int, ...] = ()
    raw = table.raw("expect_status")
    if raw is not None:
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599
                   for v in values):
            table.problem("expect_status", "must be an HTTP status or a list of them")
        else:
            statuses = tuple(int(v) for v in values)  # type: ignore[arg-type]
    capture: dict[str, str] = {}
    if capturing:
        capture = table.str_map("capture", check=lambda v: None if DOTTED_PATH.match(v)
                                else "must be a dotted path into the JSON response, e.g. id")
        for name in list(capture):
            if not _CAPTURE_NAME.match(name) or name in BUILTIN_VARIABLES:
                table.reader.problem((*table.where("capture"), name),
                                     "must be a new lowercase name (not a built-in one)")
                del capture[name]
    table.done()
    if url is None:
        return None
    return HttpCall(method=method, url=url, headers=headers, json=body, form=form,
                    expect_status=statuses, capture=capture)


def read_calls(root: Table, key: str, allowed: frozenset[str] | set[str], *, default_method: str,
               capturing: bool = False) -> list[HttpCall]:
    calls: list[HttpCall] = []
    names = set(allowed)
    for table in root.tables(key):
        call = read_call(table, names, default_method=default_method, capturing=capturing)
        if call is not None:
            calls.append(call)
            names |= set(call.capture)
    return calls


def read_one_call(root: Table, key: str, allowed: frozenset[str] | set[str], *,
                  default_method: str = "GET") -> HttpCall | None:
    table = root.table(key)
    return read_call(table, allowed, default_method=default_method) if table is not None else None
