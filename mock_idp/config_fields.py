"""Reading the tables of an ``idp.toml``: typed getters that raise :class:`ConfigError` naming
the key's path (``tenants[0].apps[1].client_id must be a non-empty string``).

Every string is read as text (:func:`mock_idp.text_policy.text_problem`: no control
characters, nothing that reorders the text; ``multiline`` ones such as a PEM certificate may
hold line breaks). Shared by :mod:`mock_idp.config` and :mod:`mock_idp.directory_config`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .protocol.urls import WEB_SCHEMES, UrlError, split_url
from .text_policy import text_problem

_OID_NAMESPACE = uuid.UUID("3f6b8d0e-2a4c-4e71-9d5b-7c1a0f2e6b94")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
LATEST_YEAR = 9000
"""Date-times from 1971 up to (not including) this year: moving the clock cannot overflow them."""


def stable_oid(tenant_id: str, name: str) -> str:
    """An object id derived from the tenant and a name, the same on every start."""
    return str(uuid.uuid5(_OID_NAMESPACE, f"{tenant_id}/{name.lower()}"))


class ConfigError(ValueError):
    """An ``idp.toml`` (or programmatic config) that cannot describe a directory."""


def text(value: str, name: str, *, multiline: bool = False) -> str:
    """``value`` if it is acceptable text (:func:`mock_idp.text_policy.text_problem`)."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ConfigError(f"{name} {problem}")
    return value


def req_str(d: Mapping[str, Any], key: str, where: str, default: str | None = None, *,
            multiline: bool = False) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return text(value, f"{where}.{key}", multiline=multiline)


def opt_str(d: Mapping[str, Any], key: str, where: str, *, multiline: bool = False
            ) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string")
    return None if value is None else text(value, f"{where}.{key}", multiline=multiline)


def str_list(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
        isinstance(v, str) for v in value
    ):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return tuple(text(v, f"{where}.{key}[{i}]") for i, v in enumerate(value))


def req_guid(d: Mapping[str, Any], key: str, where: str) -> str:
    """:func:`opt_guid` for a key that must be there."""
    req_str(d, key, where)
    value = opt_guid(d, key, where)
    assert value is not None
    return value


def opt_guid(d: Mapping[str, Any], key: str, where: str) -> str | None:
    """A GUID in its usual form (``8-4-4-4-12`` hex digits), lower-cased, as Graph addresses
    objects by it."""
    value = opt_str(d, key, where)
    if value is not None and not _GUID.fullmatch(value):
        raise ConfigError(f"{where}.{key} must be a GUID such as "
                          f"2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473")
    return None if value is None else value.lower()


def flag(d: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} must be true or false")
    return value


def whole(d: Mapping[str, Any], key: str, where: str, default: int, *, minimum: int,
          maximum: int) -> int:
    value = d.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ConfigError(f"{where}.{key} must be a whole number from {minimum} to {maximum}")
    return value


def when(d: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"{where}.{key} is not an ISO 8601 date-time") from exc
    else:
        raise ConfigError(f"{where}.{key} must be a date-time")
    if not 1971 <= parsed.year < LATEST_YEAR:
        raise ConfigError(f"{where}.{key} must be a date-time between 1971 and {LATEST_YEAR}")
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def url(value: str, name: str, schemes: tuple[str, ...] | None = WEB_SCHEMES) -> str:
    """``value`` if it is a URL the provider can use (see :mod:`mock_idp.protocol.urls`)."""
    try:
        split_url(value, schemes=schemes)
    except UrlError as exc:
        raise ConfigError(f"{name} {exc}") from None
    return value


def base_url(value: Any, name: str) -> str:
    """An absolute http(s) URL with no query or fragment (``public_url``), without a trailing
    slash."""
    try:
        if not isinstance(value, str):
            raise UrlError("is not a string")
        split_url(value)
        if "?" in value or "#" in value:
            raise UrlError("has a query or fragment")
    except UrlError as exc:
        raise ConfigError(f"{name} must be an absolute http(s) URL (this one {exc})") from None
    return value.rstrip("/")


def opt_url(d: Mapping[str, Any], key: str, where: str) -> str | None:
    value = opt_str(d, key, where)
    return None if value is None else url(value, f"{where}.{key}")


def known(d: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")


def tables(d: Mapping[str, Any], key: str, where: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The array of tables ``d[key]`` as ``(path, table)`` pairs."""
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ConfigError(f"{where}.{key} must be an array of tables")
    return [(f"{where}.{key}[{i}]", item) for i, item in enumerate(value)]
