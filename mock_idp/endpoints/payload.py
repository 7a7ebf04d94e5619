"""JSON request bodies for the management and test-control APIs: the one reader at their edge.

:func:`read_object` checks a body before any handler sees it: the content type, the size
(``MAX_BODY_BYTES``), UTF-8, JSON syntax (no ``NaN`` or ``Infinity``), the nesting depth
(``MAX_DEPTH``), that every string and member name is valid Unicode (no lone surrogates, which
JSON can spell but UTF-8 cannot carry), that no object names a member twice (JSON parsers
disagree on which of two values wins, RFC 8259 §4, so the body is refused rather than read one
way here and another way elsewhere), and that every number is finite with integers within
``MAX_DIGITS`` digits. The field readers below (and the declarative specs in
:mod:`.fields`, built on them) then check each member's type and range, and every string read
as text against :func:`mock_idp.text_policy.text_problem` (no control characters, nothing that
reorders the text). Every refusal is a :class:`BadInput` naming the field, raised before
anything is stored.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from .. import clock_range
from ..clock_range import EARLIEST, LATEST, ClockRangeError
from ..config_fields import is_guid
from ..text_policy import text_problem

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_PARSED_DEPTH = 500
"""Text nested deeper than this is refused before it is parsed, naming the whole body. Python's
parser gives up (``RecursionError``) at a depth that depends on its version (about 1,000 levels
on 3.11, ten times that on 3.13): left to it, a body 5,000 levels deep was refused naming the
body on one version and the member it nests in on another."""
MAX_DIGITS = 18
"""Integers beyond 18 digits are refused outright; fields narrow the range further."""
MAX_STRING = 256
MAX_LIST = 256
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
                       r"(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.IGNORECASE)
"""OData's ``Edm.DateTimeOffset`` as Graph reads it: the extended ISO 8601 form with a date and a
time (``2027-01-01T00:00:00Z``); here the offset may be left out and is then UTC."""


class BadInput(Exception):
    """A request the API refuses; ``field`` names what was wrong (``body`` for the whole)."""

    def __init__(self, message: str, *, field: str = "body", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


class _OutOfRange:
    """A JSON number the reader will not hand on (too many digits, or not finite)."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Repeated(dict[str, Any]):
    """A JSON object that named ``member`` more than once (:func:`check_tree` refuses it)."""

    def __init__(self, pairs: list[tuple[str, Any]], member: str) -> None:
        super().__init__(pairs)
        self.member = member


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Repeated(pairs, key)
        seen.add(key)
    return dict(pairs)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _parse_int(text: str) -> int | _OutOfRange:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else _OutOfRange(text)


def _parse_float(text: str) -> float | _OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


def shown(text: str, limit: int = 80) -> str:
    """``text`` fit to echo in a message: cut to ``limit`` and with lone surrogates escaped."""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


async def read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BadInput(f"the request body is larger than {limit} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(f"the request body is larger than {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def check_json_type(request: Request) -> None:
    """Refuse (415) a ``Content-Type`` other than JSON; no ``Content-Type`` is taken as JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise BadInput(f"unsupported content type {shown(media_type, 64)!r}; send Content-Type: "
                       "application/json", field="content-type", status=415)


async def read_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a checked JSON object; ``{}`` for an empty body when ``optional``."""
    check_json_type(request)
    raw = await read_body(request)
    if not raw.strip():
        if optional:
            return {}
        raise BadInput("the request body is empty; send a JSON object")
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadInput(f"the request body must be a JSON object, not {_kind(data)}")
    return data


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON that passed every check of this module's docstring."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("the request body is not UTF-8") from exc
    if _nests_past(text, MAX_PARSED_DEPTH):
        raise BadInput(f"the request body nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int,
                          parse_float=_parse_float, object_pairs_hook=_object)
    except RecursionError as exc:
        raise BadInput(f"the request body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise BadInput(f"the request body is not valid JSON: {shown(str(exc), 120)}") from exc
    check_tree(data)
    return data


def _nests_past(text: str, limit: int) -> bool:
    """Whether the arrays and objects of ``text`` nest deeper than ``limit``, brackets inside
    strings left out. Only a text with more than ``limit`` opening brackets is read through."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def check_tree(root: Any) -> None:
    """Depth, Unicode, repeated-member and number checks over a parsed JSON value, without
    recursion."""
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list) and depth >= MAX_DEPTH:
            raise BadInput(f"the request body nests deeper than {MAX_DEPTH} levels",
                           field=where or "body")
        if isinstance(value, _Repeated):
            name = path(where, shown(value.member))
            raise BadInput(f"member {name!r} appears more than once; send each member once",
                           field=name)
        if isinstance(value, dict):
            for key, item in value.items():
                if has_surrogate(key):
                    name = path(where, shown(key))
                    raise BadInput(f"member name {name!r} is not valid Unicode (it has a lone "
                                   f"surrogate)", field=name)
                stack.append((item, path(where, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and has_surrogate(value):
            raise BadInput(f"{where or 'the body'!r} is not valid Unicode (it has a lone "
                           f"surrogate)", field=where or "body")
        elif isinstance(value, _OutOfRange):
            raise BadInput(f"{where or 'the body'!r} is a number out of range "
                           f"({shown(value.text, 24)})", field=where or "body")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def check_known(obj: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
    allowed = set(allowed)
    for key in obj:
        if key not in allowed and not key.startswith("@odata."):
            name = path(where, shown(key))
            raise BadInput(f"unknown property {name!r}; allowed: {', '.join(sorted(allowed))}",
                           field=name)


def member_named(obj: Mapping[str, Any], name: str) -> str:
    """The key ``obj`` spells ``name`` with in any case (``Username``, ``username``), or
    ``name``: for bodies Entra reads without regard to the members' case."""
    return next((key for key in obj if key.lower() == name.lower()), name)


def get_str(obj: Mapping[str, Any], key: str, where: str = "", *, required: bool = False,
            max_len: int = MAX_STRING, nullable: bool = False, multiline: bool = False,
            raw: bool = False) -> str | None:
    """The member as a string, checked as text (see :func:`check_text`; ``multiline`` also takes
    tab and line breaks); ``raw`` skips that check, for a value a policy of its own judges
    (a password)."""
    name = path(where, key)
    if key not in obj or (obj[key] is None and nullable):
        if required:
            raise BadInput(f"{name!r} is required", field=name)
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise BadInput(f"{name!r} must be a string, not {_kind(value)}", field=name)
    if required and not value.strip():
        raise BadInput(f"{name!r} must not be empty", field=name)
    if len(value) > max_len:
        raise BadInput(f"{name!r} is longer than {max_len} characters", field=name)
    return value if raw else check_text(value, name, multiline=multiline)


def check_text(value: str, name: str, *, multiline: bool = False) -> str:
    """``value`` if it is acceptable text (:func:`mock_idp.text_policy.text_problem`)."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise BadInput(f"{name!r} {problem}", field=name)
    return value


def require_str(obj: Mapping[str, Any], key: str, where: str = "", *,
                max_len: int = MAX_STRING) -> str:
    value = get_str(obj, key, where, required=True, max_len=max_len)
    assert value is not None
    return value


def get_bool(obj: Mapping[str, Any], key: str, where: str = "") -> bool | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, bool):
        name = path(where, key)
        raise BadInput(f"{name!r} must be true or false, not {_kind(value)}", field=name)
    return value


def get_number(obj: Mapping[str, Any], key: str, where: str = "", *,
               minimum: float, maximum: float) -> float | None:
    if key not in obj:
        return None
    value = obj[key]
    name = path(where, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"{name!r} must be a number, not {_kind(value)}", field=name)
    if not minimum <= value <= maximum or not math.isfinite(value):
        raise BadInput(f"{name!r} must be between {minimum:g} and {maximum:g}", field=name)
    return float(value)


def get_int(obj: Mapping[str, Any], key: str, where: str = "", *,
            minimum: int, maximum: int) -> int | None:
    """:func:`get_number`, for a member that must be a whole number."""
    if isinstance(obj.get(key), float):
        name = path(where, key)
        raise BadInput(f"{name!r} must be an integer from {minimum} to {maximum}", field=name)
    return None if get_number(obj, key, where, minimum=minimum, maximum=maximum) is None \
        else int(obj[key])


def get_object(obj: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    if key not in obj or obj[key] is None:
        return None
    value = obj[key]
    if not isinstance(value, dict):
        name = path(where, key)
        raise BadInput(f"{name!r} must be an object, not {_kind(value)}", field=name)
    return value


def get_str_list(obj: Mapping[str, Any], key: str, where: str = "", *,
                 max_items: int = MAX_LIST, max_len: int = MAX_STRING) -> list[str] | None:
    if key not in obj:
        return None
    value = obj[key]
    name = path(where, key)
    if not isinstance(value, list):
        raise BadInput(f"{name!r} must be an array of strings, not {_kind(value)}", field=name)
    if len(value) > max_items:
        raise BadInput(f"{name!r} has more than {max_items} entries", field=name)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise BadInput(f"{name}[{i}] must be a non-empty string", field=f"{name}[{i}]")
        if len(item) > max_len:
            raise BadInput(f"{name}[{i}] is longer than {max_len} characters",
                           field=f"{name}[{i}]")
        check_text(item, f"{name}[{i}]")
    return list(value)


def get_guid(obj: Mapping[str, Any], key: str, where: str = "", *,
             required: bool = False) -> str | None:
    value = get_str(obj, key, where, required=required, max_len=64)
    if value is None:
        return None
    return parse_guid(value, path(where, key))


def parse_guid(value: str, name: str) -> str:
    """``value``, 8-4-4-4-12 ASCII hex (:func:`is_guid`), in lower case; ``uuid.UUID`` also
    reads ``urn:uuid:…``, dashes anywhere and other scripts' digits, other spellings of an id."""
    if not is_guid(value):
        raise BadInput(f"{name!r} must be a GUID, got {shown(value, 64)!r}", field=name)
    return value.lower()


def parse_datetime(value: str, name: str) -> datetime:
    """An ISO 8601 date-time with a date and a time (:data:`_DATETIME`), in UTC; without an
    offset it is read as UTC."""
    text = value.strip()
    parsed: datetime | None = None
    if _DATETIME.fullmatch(text):
        with contextlib.suppress(ValueError):  # a month 13, a 25th hour
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed is None:
        raise BadInput(f"{name!r} must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z, "
                       f"got {shown(value, 64)!r}", field=name)
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed <= LATEST:
        raise BadInput(f"{name!r} must be between {EARLIEST.year} and {LATEST.year}",
                       field=name)
    return parsed.astimezone(UTC)


def clock_target(instant: datetime, field: str) -> datetime:
    """``instant`` when a clock may be moved there (:func:`mock_idp.clock_range.clock_target`),
    else :class:`BadInput` naming ``field``."""
    try:
        return clock_range.clock_target(instant, field)
    except ClockRangeError as err:
        raise BadInput(err.message, field=err.field) from None


def get_datetime(obj: Mapping[str, Any], key: str, where: str = "") -> datetime | None:
    value = get_str(obj, key, where, max_len=64, nullable=True)
    if value is None:
        return None
    return parse_datetime(value, path(where, key))


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
