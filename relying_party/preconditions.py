"""Conditional requests on the admin API (RFC 9110 §13.1.1, RFC 6585 §3): every change to a
stored record names the state it was made from in ``If-Match``, so that a change made from an
old read is refused instead of undoing another admin's. Used by the connections
(:mod:`relying_party.connection_versions`) and the users (:mod:`relying_party.user_admin`).

``If-Match`` is ``*`` (the record as it is) or a list of entity tags (RFC 9110 §13.1.1; two
``If-Match`` lines are one list, §5.3; empty elements, ``"1", ,`` or an empty line, are read
and ignored, §5.6.1, up to :data:`MAX_EMPTY` of them); the change goes ahead when one of them
is the record's ``ETag`` by the strong comparison (§8.8.3.2: not weak, the same characters),
so ``W/"3"`` and ``"03"`` match no ``"3"`` (a connection's strong tags are compared by the
version they name, :mod:`relying_party.connection_versions`). A value that is not that (``*``
in a list, a tag without its quotes, nothing but empty elements) is 400 naming ``If-Match``.
A change that names no state is 428 ``precondition_required`` naming ``If-Match``; one whose
tags do not match is 412 ``precondition_failed`` naming it, with the record's ``ETag`` now.
Each answer is the admin API's error shape (``error``, ``error_description``, ``fields``).

``If-None-Match`` (a conditional read, §13.1.2) is read the same way, weak tags kept, and
compared by the weak comparison (:meth:`IfMatch.matches_weakly`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse

from .inputs import InputError

HEADER = "If-Match"
MAX_TAGS = 32
"""The most entity tags an ``If-Match`` may list."""
MAX_EMPTY = 32
"""The most empty list elements (``"1", ,``, or an empty header line) read and ignored, as RFC
9110 §5.6.1 asks of a recipient for "a reasonable number" of them; more is 400."""
_EMPTY = re.compile(r"[ \t]*,")
"""An empty list element: nothing but whitespace before its comma (RFC 9110 §5.6.1)."""
_MEMBER = re.compile(r'[ \t]*(?:(\*)|(W/)?("[\x21\x23-\x7e\x80-\xff]*"))[ \t]*(?:,|\Z)')
"""One element of the list, an ``entity-tag`` (RFC 9110 §8.8.3: ``[ W/ ] DQUOTE *etagc
DQUOTE``) or ``*``, and its comma."""
_MALFORMED = ('must be "*" or the ETag GET answers ("…"; a list of them matches when one '
              "does)")


@dataclass(frozen=True)
class IfMatch:
    """A request's ``If-Match`` (or ``If-None-Match``): ``*`` (:attr:`any`), or the entity tags
    it lists, with their quotes: the strong ones (:attr:`tags`) and the weak ones without their
    ``W/`` (:attr:`weak_tags`; never matched by ``If-Match``)."""

    any: bool
    tags: tuple[str, ...] = ()
    weak_tags: tuple[str, ...] = ()

    @property
    def weak(self) -> bool:
        return bool(self.weak_tags)

    def matches(self, current: str) -> bool:
        """Whether the record whose ``ETag`` is ``current`` meets the condition."""
        return self.any or current in self.tags

    def matches_weakly(self, current: str) -> bool:
        """Whether one of the tags is ``current`` by the weak comparison (RFC 9110 §8.8.3.2:
        the same opaque tag, either or both weak), as ``If-None-Match`` compares (§13.1.2)."""
        return self.any or current in self.tags or current in self.weak_tags

    def mismatch(self, current: str) -> str:
        """Why the record whose ``ETag`` is ``current`` does not meet it."""
        if self.weak and not self.tags:
            return (f"names only a weak tag (W/…), which never matches here: If-Match uses "
                    f"the strong comparison (RFC 9110 §13.1.1); the ETag is now {current}")
        return f"names {', '.join(self.tags)}; the ETag is now {current}"


def if_match(request: Request) -> IfMatch | None:
    """The request's ``If-Match`` (None without one), or :class:`InputError` naming it."""
    return _entity_tags(request, HEADER)


def if_none_match(request: Request) -> IfMatch | None:
    """The request's ``If-None-Match`` (None without one), or :class:`InputError` naming it."""
    return _entity_tags(request, "If-None-Match")


def _entity_tags(request: Request, header: str) -> IfMatch | None:
    lines = request.headers.getlist(header)
    if not lines:
        return None
    # two lines are one list (§5.3), an empty one an empty element
    value = ",".join(line.strip(" \t") for line in lines)
    tags: list[str] = []
    weak: list[str] = []
    star = at = empties = 0
    while at < len(value):
        member = _EMPTY.match(value, at) or _MEMBER.match(value, at)
        if member is None:
            raise InputError.of(header, _MALFORMED)
        if member.lastindex is None:  # an empty element
            empties += 1
        elif member.group(1):
            star += 1
        else:
            (weak if member.group(2) else tags).append(member.group(3))
        if empties > MAX_EMPTY or len(tags) + len(weak) > MAX_TAGS:
            raise InputError.of(header, _MALFORMED)
        at = member.end()
    if star:  # "*" alone, empty elements aside: "*" in a list is no entity tag
        if star > 1 or tags or weak:
            raise InputError.of(header, _MALFORMED)
        return IfMatch(any=True)
    if not tags and not weak:  # nothing but empty elements (or whitespace)
        raise InputError.of(header, _MALFORMED)
    return IfMatch(any=False, tags=tuple(tags), weak_tags=tuple(weak))


def required(method: str, what: str, *, alternative: str = "") -> JSONResponse:
    """428: a change naming no state it was made from."""
    text = (f"a {method} must name the version of the {what} it was made from: "
            f'If-Match: "…" (the ETag GET answers; "*" for the {what} as it is){alternative}')
    return JSONResponse({"error": "precondition_required", "error_description": text,
                         "fields": {HEADER: text}},
                        status_code=428, headers={"Cache-Control": "no-store"})


def failed(description: str, detail: str, *, now: str, field: str = HEADER,
           status: int = 412, error: str = "precondition_failed") -> JSONResponse:
    """412 (or, for a version named in the body, 409 ``conflict``): the record changed since
    the state the change names; ``now`` is its ``ETag`` now."""
    return JSONResponse({"error": error, "error_description": description,
                         "fields": {field: detail}},
                        status_code=status, headers={"Cache-Control": "no-store", "ETag": now})
