"""Reading the tables of an ``idp.toml``: typed getters that raise :class:`ConfigError` naming
the key's path (``tenants[0].apps[1].client_id must be a non-empty string``).

Shared by :mod:`mock_idp.config` and :mod:`mock_idp.directory_config`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .protocol.urls import WEB_SCHEMES, UrlError, split_url

_OID_NAMESPACE = uuid.UUID("3f6b8d0e-2a4c-4e71-9d5b-7c1a0f2e6b94")


def stable_oid(tenant_id: str, name: str) -> str:
    """An object id derived from the tenant and a name, the same on every start."""
    return str(uuid.uuid5(_OID_NAMESPACE, f"{tenant_id}/{name.lower()}"))


class ConfigError(ValueError):
    """An ``idp.toml`` (or programmatic config) that cannot describe a directory."""


def req_str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value


def opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string")
    return value


def str_list(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
        isinstance(v, str) for v in value
    ):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return tuple(value)


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
    if not 1971 <= parsed.year < 9000:  # so that moving the clock cannot overflow it
        raise ConfigError(f"{where}.{key} must be a date-time between 1971 and 9000")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def url(value: str, name: str, schemes: tuple[str, ...] | None = WEB_SCHEMES) -> str:
    """``value`` if it is a URL the provider can use (see :mod:`mock_idp.protocol.urls`)."""
    try:
        split_url(value, schemes=schemes)
    except UrlError as exc:
        raise ConfigError(f"{name} {exc}") from None
    return value


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
