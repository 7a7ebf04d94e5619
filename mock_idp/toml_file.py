"""Reading an ``idp.toml`` file into a mapping, every failure a :class:`ConfigError` that says
where: an unreadable file, text that is not UTF-8 (line and column), values nested deeper than
:data:`MAX_DEPTH` (the key and line: :mod:`tomllib` parses arrays and inline tables by
recursion, and a few hundred levels end in ``RecursionError``), and TOML syntax errors.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .config_fields import ConfigError

MAX_DEPTH = 32
"""Arrays and inline tables within one another: as many as the management API's JSON bodies
may nest; no key of ``idp.toml`` needs more than a few."""


def read_toml(path: str | Path) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"cannot read {path}: line {line}, column {column}: byte "
                          f"0x{raw[exc.start]:02x} is not UTF-8 (TOML files are UTF-8 text)"
                          ) from None
    deep = too_deep(text)
    if deep is not None:
        raise ConfigError(f"{deep}: arrays and inline tables nested more than {MAX_DEPTH} deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except RecursionError:  # too_deep() counts what tomllib recurses on: kept as a backstop
        raise ConfigError(f"cannot read {path}: values nested too deeply") from None


def too_deep(text: str) -> str | None:
    """The key (``table.key (line N)``) whose value nests arrays and inline tables more than
    :data:`MAX_DEPTH` deep, or ``None``. A lexical pass: strings and comments are skipped, so
    brackets in them do not count; malformed TOML is left to :mod:`tomllib`."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth, line, i, n = 0, 1, 0, len(text)
    statement, header_at, table, key = 0, -1, "", ""
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            if depth == 0:
                statement = i + 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "\"'":
            end = _string_end(text, i)
            if end < 0:
                return None
            line += text.count("\n", i, end)
            i = end
            continue
        elif c in "[{":
            if depth == 0 and not text[statement:i].strip():
                header_at = i  # a [table] or [[array]] header
            depth += 1
            if depth > MAX_DEPTH:
                name = f"{table}.{key}" if table and key else key or table or "(top level)"
                return f"{name} (line {line})"
        elif c in "]}" and depth > 0:
            depth -= 1
            if depth == 0 and header_at >= 0:
                table, key, header_at = text[header_at:i + 1].strip("[] \t"), "", -1
        elif c == "=" and depth == 0:
            key = text[statement:i].strip()
        i += 1
    return None


def _string_end(text: str, start: int) -> int:
    """The index just past the string that starts at ``start``, or -1 if it does not end."""
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    delimiter = quote * 3 if triple else quote
    i = start + len(delimiter)
    while i < len(text):
        c = text[i]
        if c == "\\" and quote == '"':
            i += 2
            continue
        if not triple and c == "\n":
            return -1
        if text.startswith(delimiter, i):
            end = i + len(delimiter)
            while triple and end < len(text) and text[end] == quote and end - i < 5:
                end += 1  # up to two quotes may end a multi-line string's content
            return end
        i += 1
    return -1
