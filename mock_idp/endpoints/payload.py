"""JSON request bodies for the management and test-control APIs.

Every reader raises :class:`BadInput` naming the offending field, so handlers can answer with a
clear 4xx instead of a 500: wrong content type, oversized or malformed bodies, wrong types,
unknown members and out-of-range values.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

MAX_BODY_BYTES = 256 * 1024
MAX_STRING = 256
MAX_LIST = 256


class BadInput(Exception):
    """A request the API refuses; ``field`` names what was wrong (``body`` for the whole)."""

    def __init__(self, message: str, *, field: str = "body", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


async def read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadInput(f"the request body is larger than {limit} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(f"the request body is larger than {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object; ``{}`` for an empty body when ``optional``."""
    raw = await read_body(request)
    if not raw.strip():
        if optional:
            return {}
        raise BadInput("the request body is empty; send a JSON object")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise BadInput(
            f"unsupported content type {media_type!r}; send Content-Type: application/json",
            field="content-type", status=415,
        )
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise BadInput("the request body is not UTF-8") from exc
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadInput(f"the request body must be a JSON object, not {_kind(data)}")
    return data


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
            raise BadInput(
                f"unknown property {path(where, key)!r}; allowed: {', '.join(sorted(allowed))}",
                field=path(where, key),
            )


def get_str(obj: Mapping[str, Any], key: str, where: str = "", *, required: bool = False,
            max_len: int = MAX_STRING, nullable: bool = False) -> str | None:
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
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise BadInput(f"{name!r} must be between {minimum:g} and {maximum:g}", field=name)
    return float(value)


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
    return list(value)


def get_guid(obj: Mapping[str, Any], key: str, where: str = "", *,
             required: bool = False) -> str | None:
    value = get_str(obj, key, where, required=required, max_len=64)
    if value is None:
        return None
    return parse_guid(value, path(where, key))


def parse_guid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise BadInput(f"{name!r} must be a GUID, got {value[:64]!r}", field=name) from exc


def parse_datetime(value: str, name: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise BadInput(
            f"{name!r} must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z, "
            f"got {value[:64]!r}", field=name,
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def get_datetime(obj: Mapping[str, Any], key: str, where: str = "") -> datetime | None:
    value = get_str(obj, key, where, max_len=64, nullable=True)
    if value is None:
        return None
    return parse_datetime(value, path(where, key))


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
