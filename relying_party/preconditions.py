"""Conditional changes on the admin API (RFC 9110 §13.1.1, RFC 6585 §3): every change to a
stored record names the state it was made from in ``If-Match``, so that a change made from an
old read is refused instead of undoing another admin's. Used by the connections
(:mod:`relying_party.connection_versions`) and the users (:mod:`relying_party.user_admin`).

``If-Match`` holds one strong entity tag, as the record's ``ETag`` spells it, or ``*`` (the
record as it is); a weak tag (``W/``), a list or a malformed value is 400 naming ``If-Match``.
A change that names no state is 428 ``precondition_required`` naming ``If-Match``; one whose
tag no longer matches is 412 ``precondition_failed`` naming it, with the record's ``ETag``
now. Each answer is the admin API's error shape (``error``, ``error_description``,
``fields``)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse

from .inputs import InputError

HEADER = "If-Match"


def if_match(request: Request, tag: re.Pattern[str]) -> tuple[bool, str | None]:
    """Whether ``If-Match`` was given, and the entity tag it names without its quotes (None
    for ``*``). ``tag`` is what may stand between the quotes. Two ``If-Match`` lines are one
    list (RFC 9110 §5.3), refused as such."""
    lines = request.headers.getlist("if-match")
    if not lines:
        return False, None
    value = ", ".join(lines).strip()
    if value == "*":
        return True, None
    if not (len(value) >= 2 and value[0] == value[-1] == '"' and tag.fullmatch(value[1:-1])):
        raise InputError.of(HEADER, 'must be the ETag GET answers ("…", one only), or "*"')
    return True, value[1:-1]


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
