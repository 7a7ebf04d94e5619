"""The admin's operations on SSO connections, shared by the admin pages
(:mod:`relying_party.connection_pages`) and the admin API (:mod:`relying_party.admin_api`).

Every change is made from a version of the connection (:attr:`Connection.version`): the one
the admin's form or ``If-Match`` names, else the one just read. When the stored connection
moved on meanwhile, :class:`StaleEdit` is raised and nothing is stored, so a second tab's
stale form never puts old values back."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .connection_rules import change_problems
from .connections import ConnectionInput, discovery_url_for, parse_connection_input
from .db import Connection
from .inputs import InputError
from .secret_health import Health, health
from .web import AppState


class StaleEdit(Exception):
    """The change was made from ``expected`` but the connection is now at ``current``."""

    def __init__(self, current: Connection, expected: int) -> None:
        super().__init__(f"connection {current.id} is at version {current.version}, "
                         f"not {expected}")
        self.current = current
        self.expected = expected


class ConnectionGone(Exception):
    """The connection was deleted while the change was being made."""


def connection_health(rp: AppState, connection: Connection) -> Health:
    errors = rp.db.errors.all(source_kind="connection", source_id=connection.id, limit=5,
                              attributed_only=True)
    return health(
        connection,
        today=rp.settings.clock.now().date(),
        errors=tuple(errors),
        warning_days=rp.settings.secret_expiry_warning_days,
    )


REQUIRED = ("authorization_uri", "token_url", "client_id", "secret_expires_on",
            "support_contact")
"""The fields a connection cannot do without: a ``PUT`` (a full replacement) that leaves one
out is refused naming it. The others return to their defaults when left out (``name``: the
authorization URI's host, ``discovery_url``: derived, ``client_auth_method``: ``post``,
``enabled``: true), but for ``client_secret``, which is never read back and so cannot be sent
back: left out, the stored one is kept, under the same rules as an edit's."""
_LEFT_OUT = ("is required: a PUT replaces the whole connection; send every field (GET "
             "answers them), or PATCH only the ones to change")


def validated(rp: AppState, changes: Mapping[str, object], *,
              previous: Connection | None, replacing: bool = False) -> ConnectionInput:
    """``changes`` checked field by field and against ``previous`` (on an edit, absent fields
    keep their value; on a replacement, ``replacing``, they do not, see :data:`REQUIRED`):
    one :class:`InputError` naming every refused field."""
    today = rp.settings.clock.now().date()
    problems = change_problems(changes, previous=previous, today=today)
    merged: Mapping[str, object] = (
        changes if previous is None or replacing
        else {**connection_values(previous), **changes})
    try:
        data = parse_connection_input(merged, creating=previous is None,
                                      allow_http=rp.settings.allow_http_idp, previous=previous)
    except InputError as exc:
        errors = dict(exc.errors)
        if replacing:
            errors.update({field: _LEFT_OUT for field in REQUIRED if field not in changes})
        if "client_id" in errors:  # the secret is asked for a Client ID that is kept
            problems.pop("client_secret", None)
        raise InputError({**problems, **errors}) from None
    if problems:
        raise InputError(problems)
    return data


def new_connection(rp: AppState, data: ConnectionInput, *,
                   form_nonce: str | None = None, connection_id: str | None = None) -> Connection:
    """Store a new connection, as ``connection_id`` or a random id; with the add form's
    ``form_nonce``, which may make one only (:class:`relying_party.db.DuplicateFormNonce` for
    a second)."""
    now = rp.settings.clock.now()
    assert data.client_secret is not None
    connection = Connection(
        id=connection_id or secrets.token_hex(8),
        name=data.name,
        authorization_uri=data.authorization_uri,
        token_url=data.token_url,
        client_id=data.client_id,
        client_secret=data.client_secret,
        secret_expires_on=data.secret_expires_on,
        support_contact=data.support_contact,
        discovery_url=data.discovery_url,
        client_auth_method=data.client_auth_method,
        enabled=data.enabled,
        created_at=now,
        updated_at=now,
        last_login_at=None,
        secret_saved_at=now,
        form_nonce=form_nonce,
        lifetime=new_lifetime(),
    )
    rp.db.connections.insert(connection)
    return connection


def connection_values(connection: Connection) -> dict[str, Any]:
    """The stored values as admin input (the secret is never echoed back)."""
    return {
        "name": connection.name,
        "authorization_uri": connection.authorization_uri,
        "token_url": connection.token_url,
        "client_id": connection.client_id,
        "secret_expires_on": connection.secret_expires_on.isoformat(),
        "support_contact": connection.support_contact,
        "discovery_url": connection.discovery_url or "",
        "client_auth_method": connection.client_auth_method,
        "enabled": connection.enabled,
    }


def _expect(connection: Connection, expected_version: int | None) -> int:
    if expected_version is not None and expected_version != connection.version:
        raise StaleEdit(connection, expected_version)
    return connection.version


def new_lifetime() -> str:
    """A stamp for a connection's new lifetime (:attr:`Connection.lifetime`)."""
    return secrets.token_hex(16)


def _store(rp: AppState, before: Connection, after: Connection, version: int) -> Connection:
    """Store ``after`` and end the sessions it ends, in one transaction: a change that fails
    half-way leaves the connection and its sessions as they were. A change that changes
    nothing (``PATCH {}``, a field set to the value it has, enabling an enabled connection)
    stores nothing and answers ``before``: its version, and so its ``ETag``, stay, and no other
    admin's read goes stale for it. A client secret sent is always a change, the same one again
    too: it is saved anew (:attr:`Connection.secret_saved_at`)."""
    if replace(after, updated_at=before.updated_at) == before:
        return before
    if ends_sign_ins(before, after):
        after = replace(after, lifetime=new_lifetime())
    with rp.db.transaction():
        stored = rp.db.connections.update(after, expected_version=version)
        if stored is None:
            current = rp.db.connections.get(before.id)
            if current is None:
                raise ConnectionGone(before.id)
            raise StaleEdit(current, version)
        after_change(rp, before, stored)
    return stored


def edit_connection(
    rp: AppState, connection: Connection, changes: Mapping[str, object], *,
    expected_version: int | None = None, replacing: bool = False,
) -> Connection:
    """Apply admin changes (absent fields keep their value; with ``replacing``, a ``PUT``'s,
    they return to their defaults or are refused: :data:`REQUIRED`) made from
    ``expected_version`` (default: ``connection``'s); ends sessions if disabled. The stored
    secret is kept only while every endpoint stays on its host and the Client ID stays the
    same."""
    version = _expect(connection, expected_version)
    data = validated(rp, changes, previous=connection, replacing=replacing)
    now = rp.settings.clock.now()
    updated = replace(
        connection,
        name=data.name,
        authorization_uri=data.authorization_uri,
        token_url=data.token_url,
        client_id=data.client_id,
        client_secret=data.client_secret or connection.client_secret,
        secret_expires_on=data.secret_expires_on,
        support_contact=data.support_contact,
        discovery_url=data.discovery_url,
        client_auth_method=data.client_auth_method,
        enabled=data.enabled,
        updated_at=now,
        secret_saved_at=now if data.client_secret is not None else connection.secret_saved_at,
    )
    return _store(rp, connection, updated, version)


def set_enabled(rp: AppState, connection: Connection, enabled: bool, *,
                expected_version: int | None = None) -> Connection:
    version = _expect(connection, expected_version)
    updated = replace(connection, enabled=enabled, updated_at=rp.settings.clock.now())
    return _store(rp, connection, updated, version)


def delete_connection(rp: AppState, connection: Connection, *,
                      expected_version: int | None = None) -> None:
    version = _expect(connection, expected_version)
    if not rp.db.delete_connection(connection.id, expected_version=version):
        current = rp.db.connections.get(connection.id)
        if current is None:
            raise ConnectionGone(connection.id)
        raise StaleEdit(current, version)
    rp.providers.forget(discovery_url_for(connection))


def after_change(rp: AppState, before: Connection, after: Connection) -> None:
    """Drop cached provider metadata. A disabled connection keeps no signed-in users, nor does
    one whose client id or provider changed: its sessions came from another client or issuer."""
    rp.providers.forget(discovery_url_for(before))
    rp.providers.forget(discovery_url_for(after))
    if not after.enabled or identity_changed(before, after):
        rp.db.sessions.end_for_source("connection", after.id)


def ends_sign_ins(before: Connection, after: Connection) -> bool:
    """Whether the change ends the connection's sign-ins in progress: it is disabled (enabled
    again, it is a new lifetime all the same), or a code its provider issued would now be
    redeemed at another token endpoint or as another client."""
    return (not after.enabled or identity_changed(before, after)
            or before.token_url != after.token_url)


def identity_changed(before: Connection, after: Connection) -> bool:
    """Whether the connection now names another client or another provider (tenant, issuer)."""
    return (
        before.client_id != after.client_id
        or discovery_url_for(before) != discovery_url_for(after)
    )
