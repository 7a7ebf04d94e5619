"""Reading a TOML table strictly: every key known, every value of its type, problems collected.

``tomllib`` keeps no positions, so :class:`LineIndex` finds a key's line by scanning the file's
table headers and ``key =`` lines; a problem names the key path and, where found, ``file:line``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

__all__ = ["LineIndex", "Problem", "ProfileError", "Reader", "Table"]

T = TypeVar("T")

_HEADER = re.compile(r"^\s*\[(\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\-]+)\s*=""")
_INLINE_KEY = re.compile(r"""(?:^|[{,]\s*)("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a profile: the key path, what is wrong, and where."""

    path: str
    message: str
    file: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.line:
            where = f"line {self.line}: "
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" and key[-1:] == key[:1] else key


def _split_dotted(text: str) -> list[str]:
    return [_unquote(part.strip()) for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text)]


class LineIndex:
    """Where keys are written in a TOML file (best effort: tables, dotted keys, inline tables)."""

    def __init__(self, text: str) -> None:
        self._entries: list[tuple[tuple[str, ...], int]] = []
        counts: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parts = tuple(_split_dotted(header.group(2)))
                if header.group(1):  # [[array.of.tables]]: number its items
                    index = counts.get(parts, 0)
                    counts[parts] = index + 1
                    table = (*parts, str(index))
                else:
                    table = parts
                self._entries.append((table, number))
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_split_dotted(key.group(1)))
                self._entries.append((path, number))
                rest = line[key.end():]
                for inner in _INLINE_KEY.finditer(rest):
                    self._entries.append(((*path, _unquote(inner.group(1))), number))

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """The line of ``path``, else of its nearest written ancestor."""
        for length in range(len(path), 0, -1):
            wanted = path[:length]
            for written, number in self._entries:
                if written == wanted:
                    return number
            # an inline table's keys are indexed without array positions
            plain = tuple(p for p in wanted if not p.isdigit())
            for written, number in self._entries:
                if tuple(p for p in written if not p.isdigit()) == plain and plain:
                    return number
        return None


NEAR_MISS = 0.8
"""How alike a key and one of its table's must be (``difflib`` ratio) to be taken for a typo
of it rather than a key of another table."""


def _near_miss(key: str, known: Iterable[str]) -> bool:
    return bool(difflib.get_close_matches(key, known, n=1, cutoff=NEAR_MISS))


@dataclass
class Reader:
    """Collects problems while a profile is read."""

    file: Path | None = None
    lines: LineIndex | None = None
    problems: list[Problem] = field(default_factory=list)
    sections: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    """The keys each table read takes (recorded by :meth:`Table.done`)."""
    strays: list[tuple[int, tuple[str, ...], str]] = field(default_factory=list)
    """Unknown keys: (index of the problem, table, key)."""

    def problem(self, path: tuple[str, ...], message: str) -> None:
        line = self.lines.line_of(path) if self.lines is not None else None
        self.problems.append(Problem(_dotted(path), message, self.file, line))

    def place_strays(self) -> None:
        """Say where an unknown key belongs when another table takes it, rather than a close
        name here: ``https`` written under ``[app]``, or above the first table, is ``[provider]
        https``; ``me_url`` under ``[sign_in]`` is ``[signed_in] me_url``, not ``urls``. Only
        the profile's top-level tables are homes (a request table such as ``[admin.*]`` or a
        ``[failure.expect.*]`` entry would list a dozen), and a near-miss of a key of its own
        table (``url`` under ``[sign_in]``: ``urls``) keeps its "did you mean". Called once
        every table has been read."""
        for index, path, key in self.strays:
            homes = [f"[{_dotted(table)}]" for table, known in self.sections.items()
                     if key in known and table != path and len(table) == 1]
            if homes and not _near_miss(key, self.sections.get(path, frozenset())):
                self.problems[index] = replace(
                    self.problems[index],
                    message=f"unknown key here (it belongs in {' or '.join(sorted(homes))})")

    def table(self, data: Mapping[str, object], path: tuple[str, ...] = ()) -> Table:
        return Table(self, data, path)


def _dotted(path: tuple[str, ...]) -> str:
    out = ""
    for part in path:
        if part.isdigit():
            out += f"[{part}]"
        else:
            quoted = part if re.fullmatch(r"[A-Za-z0-9_\-]+", part) else f'"{part}"'
            out += f".{quoted}" if out else quoted
    return out


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number",
               float: "a number", list: "a list", dict: "a table"}


class Table:
    """One TOML table being read: typed getters, and :meth:`done` reports keys nobody asked for."""

    def __init__(self, reader: Reader, data: Mapping[str, object], path: tuple[str, ...]) -> None:
        self.reader = reader
        self.data = data
        self.path = path
        self._seen: set[str] = set()

    def where(self, key: str) -> tuple[str, ...]:
        return (*self.path, key)

    def problem(self, key: str | None, message: str) -> None:
        self.reader.problem(self.where(key) if key is not None else self.path, message)

    def has(self, key: str) -> bool:
        self._seen.add(key)
        return key in self.data

    def _get(self, key: str, kind: type[T], required: bool) -> T | None:
        self._seen.add(key)
        if key not in self.data:
            if required:
                self.problem(key, "is required")
            return None
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(key, f"must be {_TYPE_NAMES[kind]}, not {_describe(value)}")
            return None
        return value

    def string(self, key: str, *, required: bool = False, check: Callable[[str], str | None] | None
            = None) -> str | None:
        value = self._get(key, str, required)
        if value is None:
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        if check is not None and (message := check(value)) is not None:
            self.problem(key, message)
            return None
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, bool, False)
        return default if value is None else value

    def number(self, key: str, *, minimum: float, maximum: float) -> float | None:
        value = self._get(key, float, False)
        if value is None:
            return None
        if not minimum <= value <= maximum:
            self.problem(key, f"must be between {minimum:g} and {maximum:g}, not {value:g}")
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(key, str, False)
        if value is None:
            return default
        if value not in choices:
            self.problem(key, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
            return default
        return value

    def str_list(self, key: str, *, one_ok: bool = False,
                 check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        """A list of non-empty strings (``one_ok``: a single string is a list of one)."""
        self._seen.add(key)
        if key not in self.data:
            return ()
        value = self.data[key]
        if one_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(key, "must be a list of non-empty strings"
                         + (" (or one string)" if one_ok else ""))
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            message = check(item) if check is not None else None
            if message is not None:
                self.reader.problem((*self.where(key), str(index)), message)
            else:
                items.append(item)
        return tuple(items)

    def str_map(self, key: str, *, check: Callable[[str], str | None] | None = None
                ) -> dict[str, str]:
        """A table of string values (its keys are free-form)."""
        sub = self.table(key)
        if sub is None:
            return {}
        out: dict[str, str] = {}
        for name, value in sub.data.items():
            sub._seen.add(name)
            if not isinstance(value, str):
                sub.problem(name, f"must be a string, not {_describe(value)}")
                continue
            message = check(value) if check is not None else None
            if message is not None:
                sub.problem(name, message)
                continue
            out[name] = value
        return out

    def table(self, key: str) -> Table | None:
        value = self._get(key, dict, False)
        return Table(self.reader, value, self.where(key)) if value is not None else None

    def tables(self, key: str) -> list[Table]:
        """An array of tables (``[[key]]``); a single table counts as a list of one."""
        self._seen.add(key)
        if key not in self.data:
            return []
        value = self.data[key]
        if isinstance(value, dict):
            return [Table(self.reader, value, self.where(key))]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, "must be a table or a list of tables ([[...]])")
            return []
        return [Table(self.reader, v, (*self.where(key), str(i))) for i, v in enumerate(value)]

    def raw(self, key: str) -> object | None:
        self._seen.add(key)
        return self.data.get(key)

    def done(self, known_hint: Iterable[str] = ()) -> None:
        """Report every key that no getter asked for."""
        known = sorted(set(known_hint) or self._seen)
        self.reader.sections[self.path] = frozenset(known)
        for key in self.data:
            if key not in self._seen:
                self.reader.strays.append((len(self.reader.problems), self.path, key))
                close = difflib.get_close_matches(key, known, n=1)
                if close:
                    self.problem(key, f"unknown key (did you mean {close[0]!r}?)")
                else:
                    self.problem(key, "unknown key" + (f" (known here: {', '.join(known)})"
                                                       if known else ""))


def _describe(value: object) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    return type(value).__name__
