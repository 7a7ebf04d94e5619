"""Reading the tables of an ``idp.toml``: typed getters that raise :class:`ConfigError` naming
the key's path (``tenants[0].apps[1].client_id must be a non-empty string``).

Every string is read as text (:func:`mock_idp.text_policy.text_problem`: no control
characters, nothing that reorders the text; ``multiline`` ones such as a PEM certificate may
hold line breaks). Shared by :mod:`mock_idp.config` and :mod:`mock_idp.directory_config`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .protocol.urls import UrlError, split_url
from .registration_rules import web_url_problem
from .text_policy import text_problem

_OID_NAMESPACE = uuid.UUID("3f6b8d0e-2a4c-4e71-9d5b-7c1a0f2e6b94")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                       r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?")
"""A date-time as ``idp.toml`` documents it (``2027-06-30T00:00:00Z``): a date alone is not one,
in a string as in a TOML date."""
_COUNTRY = re.compile(r"[A-Za-z]{2}")
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


def is_guid(value: str) -> bool:
    """``value`` is a GUID in its usual form, ``8-4-4-4-12`` hex digits: the only one Entra's
    endpoints and Graph take in a path (``uuid.UUID`` also reads ``{...}``, ``urn:uuid:`` and
    32 digits without dashes, which would name the same object two ways)."""
    return _GUID.fullmatch(value) is not None


def opt_guid(d: Mapping[str, Any], key: str, where: str) -> str | None:
    """A GUID in its usual form (:func:`is_guid`), lower-cased, as Graph addresses objects by
    it."""
    value = opt_str(d, key, where)
    if value is not None and not is_guid(value):
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
            if not _DATETIME.fullmatch(value):
                raise ValueError(value)
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"{where}.{key} is not an ISO 8601 date-time with a time, such "
                              f"as 2027-06-30T00:00:00Z") from exc
    else:
        raise ConfigError(f"{where}.{key} must be a date-time with a time, such as "
                          f"2027-06-30T00:00:00Z")
    if not 1971 <= parsed.year < LATEST_YEAR:
        raise ConfigError(f"{where}.{key} must be a date-time between 1971 and {LATEST_YEAR}")
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def country(d: Mapping[str, Any], key: str, where: str) -> str | None:
    """A two-letter (ISO 3166-1 alpha-2) country code such as ``FR``, upper-cased: the ``ctry``
    and ``tenant_ctry`` optional claims carry one."""
    value = opt_str(d, key, where)
    if value is not None and not _COUNTRY.fullmatch(value):
        raise ConfigError(f"{where}.{key} must be a two-letter country code such as FR")
    return None if value is None else value.upper()


def checked(value: str, name: str, problem: str | None) -> str:
    """``value``, or :class:`ConfigError` naming ``name`` with the ``problem`` a rule of
    :mod:`mock_idp.registration_rules` found."""
    if problem is not None:
        raise ConfigError(f"{name} {problem}")
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
    """A logout or notification URL, by Graph's rules for ``web.logoutUrl``."""
    value = opt_str(d, key, where)
    return None if value is None else checked(value, f"{where}.{key}", web_url_problem(value))


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


def keyed(where: str, key: str, values: list[str]) -> list[tuple[str, str]]:
    """``values`` as :func:`unique` takes them: ``("where[i].key", value)``."""
    return [(f"{where}[{i}].{key}", value) for i, value in enumerate(values)]


def unique(entries: list[tuple[str, str]], kind: str,
           same: Callable[[str], str] = str.lower, why: str = "") -> None:
    """:class:`ConfigError` naming the first ``(path, value)`` whose value an earlier one has
    (in any case, or as ``same`` compares them): a second app with a client id, or user with a
    UPN, would replace the first. The earlier one is named within its tenant when it is the
    same tenant (the management API names fields without ``tenants[0].``)."""
    seen: dict[str, str] = {}
    for path, value in entries:
        earlier = seen.setdefault(same(value), path)
        if earlier != path:
            shown = earlier.removeprefix(path.partition(".")[0] + ".")
            raise ConfigError(f"{path} {value!r} is already {shown}; each {kind} needs its "
                              f"own{why}")
