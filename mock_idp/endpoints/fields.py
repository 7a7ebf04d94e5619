"""Declarative field specs for JSON bodies: what each member must be, checked in one call.

A handler names its members and their specs, and :func:`read_fields` refuses unknown members,
then reads each one (absent members read as their ``default``)::

    values = read_fields(body, {
        "retain_seconds": Number(minimum=0, maximum=MAX_RETAIN, integer=True),
        "events_url": WebUrl(),
        "app_id": Text(required=True, max_len=64),
    })

Every spec raises :class:`~.payload.BadInput` naming the member, so a new field (an optional
claim, an extension attribute) is one line here rather than new checks in a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..protocol.urls import WEB_SCHEMES, UrlError, split_url
from .payload import (
    MAX_STRING,
    BadInput,
    check_known,
    get_bool,
    get_int,
    get_number,
    get_object,
    get_str,
    get_str_list,
    path,
)


class Spec(Protocol):
    def read(self, obj: Mapping[str, Any], key: str, where: str) -> Any:
        """The member's value (its default when absent), or :class:`BadInput`."""
        ...


@dataclass(frozen=True)
class Text:
    required: bool = False
    nullable: bool = True
    max_len: int = MAX_STRING
    strip: bool = False
    non_empty: bool = False
    default: str | None = None
    problem: Callable[[str], str | None] | None = None
    """What else the value must be (a :mod:`mock_idp.text_policy` predicate), checked after
    the rest."""

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> str | None:
        value = get_str(obj, key, where, required=self.required, max_len=self.max_len,
                        nullable=self.nullable)
        if value is None:
            return self.default
        if self.strip:
            value = value.strip()
        name = path(where, key)
        if self.non_empty and not value:
            raise BadInput(f"{name!r} must not be empty", field=name)
        if self.problem is not None and (problem := self.problem(value)) is not None:
            raise BadInput(f"{name!r} {problem}", field=name)
        return value


@dataclass(frozen=True)
class Flag:
    default: bool | None = None

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> bool | None:
        value = get_bool(obj, key, where) if obj.get(key) is not None else None
        return self.default if value is None else value


@dataclass(frozen=True)
class Number:
    minimum: float
    maximum: float
    default: float | None = None
    integer: bool = False
    """Refuse fractions: the value is an ``int``."""

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> float | None:
        if obj.get(key) is None:
            return self.default
        if self.integer:
            return get_int(obj, key, where, minimum=int(self.minimum), maximum=int(self.maximum))
        return get_number(obj, key, where, minimum=self.minimum, maximum=self.maximum)


@dataclass(frozen=True)
class WebUrl:
    """An absolute URL with a host, of one of ``schemes``."""

    required: bool = False
    schemes: Collection[str] = WEB_SCHEMES
    max_len: int = 2048

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> str | None:
        value = get_str(obj, key, where, required=self.required, max_len=self.max_len,
                        nullable=True)
        if value is None:
            return None
        return checked_url(value, path(where, key), schemes=self.schemes)


@dataclass(frozen=True)
class TextList:
    max_items: int = 256
    max_len: int = MAX_STRING

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> list[str] | None:
        return get_str_list(obj, key, where, max_items=self.max_items, max_len=self.max_len)


@dataclass(frozen=True)
class Members:
    """A nested object whose members ``specs`` read (``where`` names them ``key.member``);
    ``None`` when absent or null. ``non_empty`` refuses an object with no non-null member."""

    specs: Mapping[str, Spec]
    non_empty: bool = False

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
        value = get_object(obj, key, where)
        if value is None:
            return None
        name = path(where, key)
        if self.non_empty and all(v is None for v in value.values()):
            raise BadInput(f"{name!r} must name at least one of {', '.join(self.specs)}",
                           field=name)
        return read_fields(value, self.specs, name)


def checked_url(value: str, name: str, *, schemes: Collection[str] | None = WEB_SCHEMES) -> str:
    """``value`` if it is a usable URL (see :mod:`mock_idp.protocol.urls`), else BadInput."""
    try:
        split_url(value, schemes=schemes)
    except UrlError as exc:
        raise BadInput(f"{name!r} {exc}", field=name) from None
    return value


def read_fields(obj: Mapping[str, Any], specs: Mapping[str, Spec],
                where: str = "") -> dict[str, Any]:
    """Every member of ``specs`` read from ``obj``, after refusing members it does not name."""
    check_known(obj, specs, where)
    return {key: spec.read(obj, key, where) for key, spec in specs.items()}
