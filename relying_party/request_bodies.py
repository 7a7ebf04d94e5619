"""Reading request bodies: the admin API's JSON objects and the browser routes' forms, each
refused (:class:`~relying_party.inputs.InputError`, naming the field) in the route's own error
shape.

A JSON body must say it is one: ``Content-Type: application/json`` (or a ``+json`` type), in
UTF-8 when it names a charset (RFC 8259 §8.1: JSON exchanged between systems is UTF-8). Another
type, none, or another charset is 415 naming ``content-type``, as the mock's APIs answer, so
that a form post or a ``text/plain`` request made by a page (which a browser sends across sites
without asking first) is never read as JSON. An empty body needs no type (``POST …/enable``).
A body past the route's bound is 413 naming ``body``, however far past: past the app's
1 MiB limit (:class:`relying_party.middleware.BodyLimit`) too."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .inputs import (
    MAX_FORM_FIELDS,
    MAX_JSON_BYTES,
    InputError,
    parse_json_object,
    valid_unicode,
)

CONTENT_TYPE = "content-type"
"""The field a refused content type is named by."""


def json_media_type_problem(header: str | None) -> str | None:
    """Why a ``Content-Type`` header does not announce JSON in UTF-8; None when it does."""
    if not header:
        return "is missing; send Content-Type: application/json"
    media_type, *params = header.split(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
            media_type.startswith("application/") and media_type.endswith("+json")):
        shown = media_type[:64].encode("ascii", "backslashreplace").decode("ascii")
        return f"{shown!r} is not JSON; send Content-Type: application/json"
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            shown = charset[:32].encode("ascii", "backslashreplace").decode("ascii")
            return f"names the charset {shown!r}; JSON is sent in UTF-8 (RFC 8259 §8.1)"
    return None


async def read_json_object(request: Request, *, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` (see the module docstring)."""
    try:
        raw = await request.body()
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        raise InputError.of("body", f"must be at most {max_bytes} bytes", status=413) from None
    if not raw.strip():
        return {}
    if problem := json_media_type_problem(request.headers.get(CONTENT_TYPE)):
        raise InputError.of(CONTENT_TYPE, problem, status=415)
    return parse_json_object(raw, max_bytes=max_bytes)


async def read_form(request: Request) -> dict[str, str]:
    """The form body's text fields (urlencoded or multipart; files are refused, and so is text
    that is not valid Unicode: a multipart body may name any charset, ``unicode_escape`` or
    ``utf-7`` among them, and so spell a lone surrogate, which nothing here can store, hash or
    send on)."""
    try:
        form: FormData = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:
        if exc.status_code != 400:  # 413 from the body limit keeps its status
            raise
        raise InputError.of("body", f"is not a valid form ({exc.detail})") from None
    except (ValueError, KeyError, UnicodeDecodeError, AssertionError):
        raise InputError.of("body", "is not a valid form") from None
    items = form.multi_items()
    if len(items) > MAX_FORM_FIELDS:  # older Starlettes count only a multipart body's
        raise InputError.of("body", f"is not a valid form (more than {MAX_FORM_FIELDS} fields)")
    fields: dict[str, str] = {}
    for key, value in items:
        if not valid_unicode(key):
            raise InputError.of("body", "has a field name that is not valid Unicode (an "
                                "unpaired surrogate)")
        if not isinstance(value, str):
            raise InputError.of(key, "must be text, not a file")
        if not valid_unicode(value):
            raise InputError.of(key, "contains invalid Unicode (an unpaired surrogate)")
        fields.setdefault(key, value)
    return fields
