"""JSON admin API: SSO connections, installations and the error log.

An installation shows what the platform said of its licences and trial, and what it was told
of it (``approval``, ``credentials_ack``: :mod:`relying_party.acknowledgements`); ``POST
/api/admin/installations/{installation_id}/acknowledge`` retries what did not succeed.

Every call needs the admin bearer token (:mod:`relying_party.admin_auth`); a call from a browser
must also come from the RP's own public origin (checked on ``Origin``). Client secrets, and
installations' private keys, never appear in responses. Errors are
``{"error", "error_description"}``, plus ``"fields"`` (each refused member and why) for invalid
input.

A connection carries its ``version``, bumped by each change that changes something, and an
``ETag``, ``"<version>-<digest of the body>"`` (:mod:`relying_party.connection_representation`,
which also says which members are read-only). Every change to one (``PUT``, ``PATCH``,
``DELETE``, enable, disable) names the version it was made from, as ``If-Match`` or a
``"version"`` member, or is refused (428 naming ``If-Match``):
:mod:`relying_party.connection_versions`. A ``GET`` with ``If-None-Match`` naming the ``ETag``
is 304, and one with an ``If-Match`` naming another version 412. The lists take the query
parameters :mod:`relying_party.admin_queries` names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import preconditions
from .acknowledgements import APPROVAL, CREDENTIALS, retry
from .admin_auth import api_error, api_route
from .admin_queries import query_params
from .connection_admin import (
    delete_connection,
    edit_connection,
    new_connection,
    set_enabled,
    validated,
)
from .connection_representation import connection_json, etag, representation_tag, writable
from .connection_versions import Change, no_connection, no_other_member, read_failed, versioned
from .db import (
    AckKind,
    Acknowledgement,
    Connection,
    ErrorRecord,
    Installation,
    Subscription,
    Trial,
)
from .inputs import InputError, escape_invisible, json_booleans
from .redirect_uris import connection_id_problem
from .request_bodies import read_json_object
from .web import AppState, state_of


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def error_json(e: ErrorRecord) -> dict[str, Any]:
    return {
        "ref": e.ref,
        "created_at": _iso(e.created_at),
        "status": e.status,
        "code": e.code,
        "message": e.message,
        "detail": e.detail,
        "admin_hint": e.admin_hint,
        "idp_error_code": e.idp_error_code,
        "source_kind": e.source_kind,
        "source_id": e.source_id,
        "support_contact": e.support_contact,
    }


def acknowledgement_json(a: Acknowledgement | None) -> dict[str, Any] | None:
    """``state`` is ``pending``, ``approved`` / ``acknowledged`` or ``failed`` (with
    ``reason`` and the error log's ``error_ref``); ``at``: when it started or ended."""
    if a is None:
        return None
    return {"state": a.state, "reason": a.reason, "error_ref": a.error_ref, "at": _iso(a.at)}


def trial_json(t: Trial | None) -> dict[str, Any] | None:
    """``state`` is ``active`` or ``ended``; ``ended_at``, ``ended_reason`` and ``ended_by``
    are null until it ended (:mod:`relying_party.trials`)."""
    if t is None:
        return None
    return {"state": t.state, "expires_at": _iso(t.expires_at), "ended_at": _iso(t.ended_at),
            "ended_reason": t.ended_reason, "ended_by": t.ended_by}


def installation_json(i: Installation, *, subscription: Subscription | None = None,
                      unlicensed: Sequence[str] = (), trial: Trial | None = None,
                      acknowledgements: Mapping[AckKind, Acknowledgement] | None = None,
                      ) -> dict[str, Any]:
    """``subscription`` and ``unlicensed`` (the platform user ids whose licence was taken) are
    what ``app.updated`` said of it, ``trial`` what the trial events did (:func:`trial_json`,
    null without one); ``approval`` and ``credentials_ack`` what the app told the
    platform (:func:`acknowledgement_json`; ``credentials_ack`` is null before a rotation), at
    its ``api_root`` (null for one stored before the app kept it)."""
    acks = acknowledgements or {}
    return {
        "installation_id": i.installation_id,
        "account_id": i.account_id,
        "account_name": i.account_name,
        "app_id": i.app_id,
        "client_id": i.client_id,
        "authorization_url": i.authorization_url,
        "token_url": i.token_url,
        "userinfo_url": i.userinfo_url,
        "openid_configuration_url": i.openid_configuration_url,
        "key_id": i.key_id or None,
        "key_algorithm": i.key_algorithm or None,
        "public_key": i.public_key or None,
        "private_key_set": bool(i.private_key),
        "active": i.active,
        "last_login_at": _iso(i.last_login_at),
        "subscription": None if subscription is None else {
            "name": subscription.name, "licenses": subscription.licenses},
        "unlicensed_users": list(unlicensed),
        "trial": trial_json(trial),
        "api_root": i.api_root or None,
        "approval": acknowledgement_json(acks.get(APPROVAL)),
        "credentials_ack": acknowledgement_json(acks.get(CREDENTIALS)),
    }


_READS = ("GET", "HEAD")
"""Starlette answers ``HEAD`` with the ``GET`` route's handler: a read, never a change, whatever
body it carries (RFC 9110 §9.3.2)."""


async def list_or_create(request: Request) -> Response:
    rp = state_of(request)
    if request.method in _READS:
        query_params(request)
        return JSONResponse([connection_json(rp, c) for c in rp.db.connections.all()])
    body = json_booleans(await read_json_object(request), "enabled")
    refused: dict[str, str] = {}
    try:
        chosen = _chosen_id(rp, body)
    except InputError as exc:
        if exc.status != 400:
            raise
        chosen, refused = None, exc.errors
    try:
        data = validated(rp, body, previous=None)
    except InputError as exc:
        raise InputError({**refused, **exc.errors}) from None
    if refused:
        raise InputError(refused)
    try:
        connection = new_connection(rp, data, connection_id=chosen)
    except sqlite3.IntegrityError:
        if chosen is None:
            raise
        raise InputError.of("id", _ID_TAKEN, status=409) from None
    return JSONResponse(
        connection_json(rp, connection),
        status_code=201,
        headers={"Location": f"/api/admin/connections/{connection.id}",
                 "ETag": etag(rp, connection)},
    )


_ID_TAKEN = "another connection has this id"


def _chosen_id(rp: AppState, body: dict[str, Any]) -> str | None:
    """The ``id`` a new connection is given, when the body names one (taken out of ``body``):
    its redirect URI, ``…/auth/callback/{id}``, can then be registered at the provider before
    the connection is made. 400 naming ``id`` when it cannot be a path segment, 409 when
    another connection has it."""
    if "id" not in body:
        return None
    chosen = body.pop("id")
    if (problem := connection_id_problem(chosen)) is not None:
        raise InputError.of("id", problem)
    assert isinstance(chosen, str)
    if rp.db.connections.get(chosen) is not None:
        raise InputError.of("id", _ID_TAKEN, status=409)
    return chosen


def _one(rp: AppState, connection: Connection) -> JSONResponse:
    shown = connection_json(rp, connection)
    return JSONResponse(shown, headers={"ETag": representation_tag(connection.version, shown)})


async def get_connection(request: Request) -> Response:
    """The connection and its ``ETag``; with ``If-None-Match`` naming that ``ETag`` (by the weak
    comparison) or ``*``, 304 with the ``ETag`` and no body (RFC 9110 §13.1.2, §15.4.5). The
    ``ETag`` covers the whole body, ``health`` included, so a 304 never hides a change of it:
    :mod:`relying_party.connection_representation`. An ``If-Match`` naming another version
    than the connection's is 412 first (:func:`relying_party.connection_versions.read_failed`).
    """
    rp = state_of(request)
    required = preconditions.if_match(request)
    condition = preconditions.if_none_match(request)
    connection = rp.db.connections.get(request.path_params["connection_id"])
    if connection is None:
        return no_connection()
    answer = _one(rp, connection)
    tag = answer.headers["ETag"]
    if (failed := read_failed(required, connection, tag)) is not None:
        return failed
    if condition is not None and condition.matches_weakly(tag):
        return Response(status_code=304, headers={"ETag": tag})
    return answer


def _edit(rp: AppState, connection: Connection, body: dict[str, Any],
          expected: int | None) -> Response:
    """``PATCH``: the fields the body leaves out keep their value."""
    return _one(rp, _changed(rp, connection, body, expected, replacing=False))


def _replace(rp: AppState, connection: Connection, body: dict[str, Any],
             expected: int | None) -> Response:
    """``PUT``, a full replacement (RFC 9110 §9.3.4): a required field left out is refused,
    an optional one returns to its default (:data:`relying_party.connection_admin.REQUIRED`)."""
    return _one(rp, _changed(rp, connection, body, expected, replacing=True))


def _changed(rp: AppState, connection: Connection, body: dict[str, Any],
             expected: int | None, *, replacing: bool) -> Connection:
    """A ``PUT``'s or ``PATCH``'s change, its read-only members (those ``GET`` answers) taken
    out: :func:`relying_party.connection_representation.writable`."""
    refused = writable(connection_json(rp, connection), body)
    if refused:  # named with the other refused fields; nothing is stored
        try:
            validated(rp, body, previous=connection, replacing=replacing)
        except InputError as exc:
            raise InputError({**refused, **exc.errors}) from None
        raise InputError(refused)
    return edit_connection(rp, connection, body, expected_version=expected,
                           replacing=replacing)


def _delete(rp: AppState, connection: Connection, body: dict[str, Any],
            expected: int | None) -> Response:
    no_other_member(body)
    delete_connection(rp, connection, expected_version=expected)
    return Response(status_code=204)


def _toggle(enabled: bool) -> Change:
    def change(rp: AppState, connection: Connection, body: dict[str, Any],
               expected: int | None) -> Response:
        no_other_member(body)
        return _one(rp, set_enabled(rp, connection, enabled, expected_version=expected))
    return change


_CHANGES: dict[str, Change] = {"PUT": _replace, "PATCH": _edit, "DELETE": _delete}


async def one_connection(request: Request) -> Response:
    if request.method in _READS:
        return await get_connection(request)
    return await versioned(request, _CHANGES[request.method])


async def enable(request: Request) -> Response:
    return await versioned(request, _toggle(True))


async def disable(request: Request) -> Response:
    return await versioned(request, _toggle(False))


async def list_errors(request: Request) -> Response:
    rp = state_of(request)
    params = query_params(request, ("source_kind", "source_id"))
    kind = params.get("source_kind")
    source_id = params.get("source_id")
    if kind is not None and kind not in ("connection", "installation"):
        raise InputError.of("source_kind", "must be connection or installation")
    if (kind is None) != (source_id is None):
        raise InputError.of("source_id", "give both source_kind and source_id, or neither")
    records = rp.db.errors.all(source_kind=kind, source_id=source_id, limit=200)  # type: ignore[arg-type]
    return JSONResponse([error_json(e) for e in records])


async def one_error(request: Request) -> Response:
    record = state_of(request).db.errors.get(request.path_params["ref"])
    if record is None:
        return api_error(404, "not_found", "no error with this reference")
    return JSONResponse(error_json(record))


async def list_installations(request: Request) -> Response:
    query_params(request)
    db = state_of(request).db
    subscriptions = db.licences.subscriptions()
    trials = db.trials.all()
    acknowledgements = db.acknowledgements.all()
    return JSONResponse([
        installation_json(i, subscription=subscriptions.get(i.installation_id),
                          unlicensed=db.licences.unlicensed(i.installation_id),
                          trial=trials.get(i.installation_id),
                          acknowledgements=acknowledgements.get(i.installation_id))
        for i in db.installations.all()
    ])


async def acknowledge_installation(request: Request) -> Response:
    """Retry what the platform was not told of the installation (:func:`retry`), and answer
    with the installation as it is then. It takes no body member: one is refused (400 naming
    it), not ignored."""
    if body := await read_json_object(request):
        raise InputError({escape_invisible(name)[:100]: "is not taken here: this call takes "
                          "no body" for name in body})
    rp = state_of(request)
    installation = rp.db.installations.get(request.path_params["installation_id"])
    if installation is None:
        return api_error(404, "not_found", "no such installation")
    if not installation.active:
        return api_error(409, "conflict", "the installation is uninstalled: the platform has "
                         "nothing to acknowledge")
    acknowledgements = await retry(rp, installation)
    installation_id = installation.installation_id
    return JSONResponse(installation_json(
        installation, subscription=rp.db.licences.subscriptions().get(installation_id),
        unlicensed=rp.db.licences.unlicensed(installation_id),
        trial=rp.db.trials.get(installation_id), acknowledgements=acknowledgements))


routes = [
    api_route("/api/admin/connections", list_or_create, methods=["GET", "POST"]),
    api_route(
        "/api/admin/connections/{connection_id}",
        one_connection,
        methods=["GET", "PUT", "PATCH", "DELETE"],
    ),
    api_route("/api/admin/connections/{connection_id}/enable", enable,
          methods=["POST"]),
    api_route("/api/admin/connections/{connection_id}/disable", disable,
          methods=["POST"]),
    api_route("/api/admin/errors", list_errors, methods=["GET"]),
    api_route("/api/admin/errors/{ref}", one_error, methods=["GET"]),
    api_route("/api/admin/installations", list_installations, methods=["GET"]),
    api_route("/api/admin/installations/{installation_id}/acknowledge",
          acknowledge_installation, methods=["POST"]),
]
