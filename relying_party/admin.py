"""Admin HTML pages: SSO connections (CSRF-protected forms), installations and the error log.

An installation's row shows what the platform was told of it, and a form retries what did not
succeed (:mod:`relying_party.acknowledgements`).

Every page and form needs an admin session (:mod:`relying_party.admin_auth`)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .acknowledgements import APPROVAL, CREDENTIALS, due, retry
from .admin_auth import requires_session
from .connections import (
    APPS,
    ConnectionInput,
    Health,
    discovery_url_for,
    frontchannel_logout_url,
    health,
    parse_connection_input,
    sign_in_urls,
)
from .db import AckKind, Acknowledgement, Connection
from .inputs import InputError, read_form
from .trials import describe
from .web import (
    CSRF_FIELD,
    AppState,
    csrf_valid,
    origin_allowed,
    render_with_csrf,
    state_of,
    templates,
)


def connection_health(rp: AppState, connection: Connection) -> Health:
    errors = rp.db.errors.all(source_kind="connection", source_id=connection.id, limit=5)
    return health(
        connection,
        today=rp.settings.clock.now().date(),
        errors=tuple(errors),
        warning_days=rp.settings.secret_expiry_warning_days,
    )


def new_connection(rp: AppState, data: ConnectionInput) -> Connection:
    now = rp.settings.clock.now()
    assert data.client_secret is not None
    connection = Connection(
        id=secrets.token_hex(8),
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


def edit_connection(
    rp: AppState, connection: Connection, changes: Mapping[str, object]
) -> Connection:
    """Apply admin changes (absent fields keep their value); ends sessions if disabled. The
    stored secret is kept only while every endpoint stays on its host."""
    merged: dict[str, object] = {**connection_values(connection), **changes}
    data = parse_connection_input(
        merged, creating=False, allow_http=rp.settings.allow_http_idp, previous=connection
    )
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
        updated_at=rp.settings.clock.now(),
    )
    rp.db.connections.update(updated)
    after_change(rp, connection, updated)
    return updated


def set_enabled(rp: AppState, connection: Connection, enabled: bool) -> Connection:
    updated = replace(connection, enabled=enabled, updated_at=rp.settings.clock.now())
    rp.db.connections.update(updated)
    after_change(rp, connection, updated)
    return updated


def delete_connection(rp: AppState, connection: Connection) -> None:
    rp.db.delete_connection(connection.id)
    rp.providers.forget(discovery_url_for(connection))


def after_change(rp: AppState, before: Connection, after: Connection) -> None:
    """Drop cached provider metadata. A disabled connection keeps no signed-in users, nor does
    one whose client id or provider changed: its sessions came from another client or issuer."""
    rp.providers.forget(discovery_url_for(before))
    rp.providers.forget(discovery_url_for(after))
    if not after.enabled or identity_changed(before, after):
        rp.db.sessions.end_for_source("connection", after.id)


def identity_changed(before: Connection, after: Connection) -> bool:
    """Whether the connection now names another client or another provider (tenant, issuer)."""
    return (
        before.client_id != after.client_id
        or discovery_url_for(before) != discovery_url_for(after)
    )


def _page(
    request: Request,
    *,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    rp = state_of(request)
    base = rp.settings.base_url
    connections = [
        {
            "connection": c,
            "health": connection_health(rp, c),
            "sign_in_urls": sign_in_urls(base, c.id),
            "frontchannel_logout_url": frontchannel_logout_url(base, c.id),
            "discovery_url": discovery_url_for(c),
        }
        for c in rp.db.connections.all()
    ]
    defaults = {"client_auth_method": "post"}
    installations = rp.db.installations.all()
    acknowledgements = rp.db.acknowledgements.all()
    return render_with_csrf(
        request,
        "admin.html",
        {
            "connections": connections,
            "installations": installations,
            "approvals": {i: a.get(APPROVAL) for i, a in acknowledgements.items()},
            "credentials_acks": {i: a.get(CREDENTIALS) for i, a in acknowledgements.items()},
            "retry_due": {i.installation_id for i in installations if i.active
                          and due(acknowledgements.get(i.installation_id, {}))},
            "subscriptions": rp.db.licences.subscriptions(),
            "trials": {i: describe(t) for i, t in rp.db.trials.all().items()},
            "errors_log": rp.db.errors.all(limit=50),
            "apps": APPS,
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "notice": notice,
        },
        status=status,
    )


def _csrf_refused(request: Request) -> Response:
    return templates.TemplateResponse(
        request,
        "message.html",
        {
            "title": "Form expired",
            "message": "This form is no longer valid (missing or wrong security token). "
            "Reload the admin page and try again.",
            "link": "/admin",
            "link_text": "Back to the admin page",
        },
        status_code=403,
    )


async def _form(request: Request) -> dict[str, str] | None:
    """The submitted form fields, or None when the CSRF token or the origin does not check
    out."""
    fields = await read_form(request)
    if not origin_allowed(request, state_of(request).settings):
        return None
    if not csrf_valid(request, fields.get(CSRF_FIELD)):
        return None
    fields.pop(CSRF_FIELD, None)
    return fields


def _connection_or_404(request: Request) -> Connection | None:
    return state_of(request).db.connections.get(request.path_params["connection_id"])


def _not_found(request: Request) -> Response:
    return templates.TemplateResponse(
        request,
        "message.html",
        {"title": "Not found", "message": "No such SSO connection.", "link": "/admin",
         "link_text": "Back to the admin page"},
        status_code=404,
    )


def _acknowledged_notice(installation_id: str,
                         acknowledgements: Mapping[AckKind, Acknowledgement]) -> str:
    approval, credentials = acknowledgements.get(APPROVAL), acknowledgements.get(CREDENTIALS)
    return (f"Installation {installation_id}: approval "
            f"{approval.summary if approval else 'not sent'}; credentials "
            f"{credentials.summary if credentials else 'not rotated'}.")


async def admin_page(request: Request) -> Response:
    """The admin page; after "Add connection" (``?created={id}``) it says what was added, after
    a retry (``?acknowledged={installation_id}``) what the platform was told."""
    db = state_of(request).db
    created = request.query_params.get("created")
    connection = db.connections.get(created) if created else None
    notice = (f"Connection {connection.name} ({connection.id}) added. Its sign-in URLs and "
              "front-channel logout URL are below." if connection is not None else None)
    acknowledged = request.query_params.get("acknowledged")
    if acknowledged and db.installations.get(acknowledged) is not None:
        notice = _acknowledged_notice(acknowledged, db.acknowledgements.of(acknowledged))
    return _page(request, notice=notice)


async def create_connection(request: Request) -> Response:
    fields = await _form(request)
    if fields is None:
        return _csrf_refused(request)
    rp = state_of(request)
    try:
        data = parse_connection_input(
            fields, creating=True, allow_http=rp.settings.allow_http_idp
        )
    except InputError as exc:
        return _page(request, status=400, values=fields, errors=exc.errors)
    connection = new_connection(rp, data)
    return RedirectResponse(f"/admin?created={connection.id}", status_code=303)


async def edit_page(request: Request) -> Response:
    connection = _connection_or_404(request)
    if connection is None:
        return _not_found(request)
    return _edit_page(request, connection, connection_values(connection), {})


def _edit_page(
    request: Request,
    connection: Connection,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    return render_with_csrf(
        request,
        "connection_edit.html",
        {"connection": connection, "values": values, "errors": errors},
        status=status,
    )


async def update_connection(request: Request) -> Response:
    connection = _connection_or_404(request)
    fields = await _form(request)
    if fields is None:
        return _csrf_refused(request)
    if connection is None:
        return _not_found(request)
    try:
        edit_connection(state_of(request), connection, fields)
    except InputError as exc:
        return _edit_page(request, connection, fields, exc.errors, status=400)
    return RedirectResponse("/admin", status_code=303)


async def connection_action(request: Request) -> Response:
    connection = _connection_or_404(request)
    action = request.path_params["action"]
    fields = await _form(request)
    if fields is None:
        return _csrf_refused(request)
    if connection is None or action not in ("enable", "disable", "delete"):
        return _not_found(request)
    rp = state_of(request)
    if action == "delete":
        delete_connection(rp, connection)
    else:
        set_enabled(rp, connection, action == "enable")
    return RedirectResponse("/admin", status_code=303)


def _message(request: Request, status: int, title: str, message: str) -> Response:
    return templates.TemplateResponse(
        request, "message.html",
        {"title": title, "message": message, "link": "/admin",
         "link_text": "Back to the admin page"},
        status_code=status,
    )


async def acknowledge_installation(request: Request) -> Response:
    """Retry what the platform was not told of an installation, then show the admin page."""
    fields = await _form(request)
    if fields is None:
        return _csrf_refused(request)
    rp = state_of(request)
    installation_id = request.path_params["installation_id"]
    installation = rp.db.installations.get(installation_id)
    if installation is None:
        return _message(request, 404, "Not found", "No such installation.")
    if not installation.active:
        return _message(request, 409, "Uninstalled", "This installation is uninstalled: the "
                        "platform has nothing to acknowledge.")
    await retry(rp, installation)
    return RedirectResponse(f"/admin?acknowledged={quote(installation_id, safe='')}",
                            status_code=303)


async def error_page(request: Request) -> Response:
    record = state_of(request).db.errors.get(request.path_params["ref"])
    if record is None:
        return templates.TemplateResponse(
            request,
            "message.html",
            {"title": "Not found", "message": "No error with this reference.", "link": "/admin",
             "link_text": "Back to the admin page"},
            status_code=404,
        )
    return render_with_csrf(request, "error_detail.html", {"record": record})


routes = [
    Route("/admin", requires_session(admin_page), methods=["GET"]),
    Route("/admin/connections", requires_session(create_connection), methods=["POST"]),
    Route("/admin/connections/{connection_id}/edit", requires_session(edit_page), methods=["GET"]),
    Route("/admin/connections/{connection_id}", requires_session(update_connection),
          methods=["POST"]),
    Route(
        "/admin/connections/{connection_id}/{action:str}",
        requires_session(connection_action),
        methods=["POST"],
    ),
    Route("/admin/errors/{ref}", requires_session(error_page), methods=["GET"]),
    Route("/admin/installations/{installation_id}/acknowledge",
          requires_session(acknowledge_installation), methods=["POST"]),
]
