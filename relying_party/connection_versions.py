"""The admin API's one gate for a change to an existing SSO connection: the version it was
made from.

Every change to a stored connection (``PUT``, ``PATCH``, ``DELETE``, ``POST …/enable``,
``POST …/disable``) names the version it was made from, as ``If-Match`` (the ``ETag`` a
``GET`` answers, or ``"<version>"``, or a list of tags of which one names the version: only
the version is compared, :func:`relying_party.connection_representation.tag_version`; 412
``precondition_failed`` when none names it, the connection having changed since) or
as a ``"version"`` member of its JSON body (409 ``conflict``), and stores nothing then. A change
naming neither is refused, 428 ``precondition_required`` naming ``If-Match`` (RFC 6585 §3):
without it a replace, a delete or a toggle made from an old read silently undoes another
admin's save. ``If-Match: *`` says the change applies to the connection as it is
(:mod:`relying_party.preconditions` reads the header and shapes these answers). Creating a
connection (``POST /api/admin/connections``) has no version to name. A ``GET`` (or ``HEAD``)
with ``If-Match`` is compared the same way, 412 when it names another version
(:func:`read_failed`).

``DELETE``, enable and disable take no other member than ``version``: a body saying
``{"enabled": false}`` to ``…/enable`` is refused rather than ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import preconditions
from .admin_auth import api_error
from .connection_admin import ConnectionGone, StaleEdit
from .connection_representation import etag, tag_version
from .db import Connection
from .inputs import InputError, escape_invisible, json_booleans
from .request_bodies import read_json_object
from .web import AppState, state_of

Change = Callable[[AppState, Connection, dict[str, Any], int | None], Response]
"""Applies a change to ``connection`` from the version it names (None: ``If-Match: *``), with
the JSON body's other members; raises :class:`StaleEdit` or :class:`ConnectionGone`."""

def no_connection() -> JSONResponse:
    return api_error(404, "not_found", "no such SSO connection")


def _body_version(body: dict[str, Any]) -> int | None:
    if "version" not in body:
        return None
    version = body.pop("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError.of("version", "must be the connection's version, a whole number "
                            "(from GET)")
    return version


def _changed(since: str, now: int) -> str:
    return (f"the connection changed since {since}: it is now at version {now}; GET it and "
            "apply the change again")


def _stale(rp: AppState, exc: StaleEdit | ConnectionGone, *, if_match: bool) -> JSONResponse:
    if isinstance(exc, ConnectionGone):
        return no_connection()
    now = exc.current.version
    tag = etag(rp, exc.current)
    description = _changed("that ETag" if if_match else f"version {exc.expected}", now)
    detail = f"names version {exc.expected}; the connection is now at version {now}"
    if if_match:
        return preconditions.failed(description, detail, now=tag)
    return preconditions.failed(description, detail, now=tag, field="version",
                                status=409, error="conflict")


def no_other_member(body: dict[str, Any]) -> None:
    """Refuse a body member besides ``version`` (taken out already) on a change that takes
    none."""
    if body:
        raise InputError({escape_invisible(name)[:100]: 'is not taken here: this change takes '
                          'no body, or only "version"' for name in body})


def names_version(condition: preconditions.IfMatch, version: int) -> bool:
    """Whether ``If-Match`` names the connection at ``version``: ``*``, or a strong tag naming
    that version (:func:`tag_version`: the ``ETag`` a ``GET`` answered at it, or
    ``"<version>"``); a weak tag names none (the strong comparison, RFC 9110 §13.1.1)."""
    return condition.any or version in {tag_version(tag) for tag in condition.tags}


def read_failed(condition: preconditions.IfMatch | None, connection: Connection,
                now: str) -> JSONResponse | None:
    """412 for a ``GET`` (or ``HEAD``) of the connection whose ``If-Match`` (``condition``)
    names another version than the one it is at (RFC 9110 §13.1.1: a server evaluating
    ``If-Match`` answers 412 when no tag matches; ``*`` matches the connection as it is),
    compared as a change compares it (:func:`names_version`), ``now`` being its ``ETag``; None
    when there is no ``If-Match`` or it is met. The caller evaluates it before
    ``If-None-Match`` (§13.2.2)."""
    if condition is None or names_version(condition, connection.version):
        return None
    return preconditions.failed(
        f"the connection is not at the version If-Match names: it is now at version "
        f"{connection.version}", condition.mismatch(now), now=now)


async def versioned(request: Request, change: Change) -> Response:
    """Apply ``change`` to the connection the path names, once the request names the version
    it was made from (see the module docstring); 404 for no such connection."""
    body = json_booleans(await read_json_object(request), "enabled")
    condition = preconditions.if_match(request)
    in_body = _body_version(body)
    header = condition is not None and not condition.any
    named = {tag_version(tag) for tag in condition.tags} if condition is not None else set()
    # only a strong tag that names a version can name another one: a weak tag or a "03" with
    # a body version is the 412 it is alone
    if in_body is not None and header and named - {None} and in_body not in named:
        raise InputError.of("version", "names another version than If-Match")
    rp = state_of(request)
    connection = rp.db.connections.get(request.path_params["connection_id"])
    if connection is None:
        return no_connection()
    if condition is None and in_body is None:
        return preconditions.required(request.method, "connection",
                                      alternative=', or a "version" member')
    if condition is not None and not names_version(condition, connection.version):
        now = etag(rp, connection)
        return preconditions.failed(_changed("that ETag", connection.version),
                                    condition.mismatch(now), now=now)
    try:
        return change(rp, connection, body, in_body if in_body is not None or not header
                      else connection.version)
    except (StaleEdit, ConnectionGone) as exc:
        return _stale(rp, exc, if_match=header)
