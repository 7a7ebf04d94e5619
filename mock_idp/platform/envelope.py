"""Event envelopes for the partner-app platform: pure functions from records to JSON-ready dicts.

Every envelope has ``id`` (32 hex), ``created_at`` (UTC, whole seconds, ``Z``; ``user.logout``'s
to the millisecond with ``+00:00``, as each event's reference example writes it), ``api_version``
``"1"``, ``type``, ``app_id``, ``data`` and ``_links`` (``root`` = the provider's base URL,
``self`` = ``<base>/apps/<app_id>/events/<id>``, as the references' examples have it). The
``app.*`` lifecycle events also carry ``app_version_id`` and ``app_version_name``;
``user.logout`` does not.

``app.updated`` (docs.talkdesk.com/reference/app-updated) tells the app whose licence changed and
how the subscription changed. Its ``data`` names only what changed: ``users`` (both of
``adding`` and ``removing``, platform user ids, either list possibly empty) only when users
changed, ``subscription.adding`` only when the subscription did, with ``name`` and ``licenses``
(a string of digits, as the reference's example has it) each only when it changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .errors import InvalidField
from .installation_key import new_hex_id
from .installations import Installation

APP_INSTALLED = "app.installed"
APP_UPDATED = "app.updated"
APP_CREDENTIALS_ROTATED = "app.credentials_rotated"
APP_UNINSTALLED = "app.uninstalled"
USER_LOGOUT = "user.logout"
EVENT_TYPES = (APP_INSTALLED, APP_UPDATED, APP_CREDENTIALS_ROTATED, APP_UNINSTALLED, USER_LOGOUT)

Envelope = dict[str, Any]


def format_created_at(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_logout_created_at(instant: datetime) -> str:
    """``user.logout``'s ``created_at``: milliseconds and a numeric offset
    (``2017-08-18T10:29:52.000+00:00`` in docs.talkdesk.com/reference/userlogout), where the
    ``app.*`` events' references write whole seconds and ``Z`` (``2016-06-14T16:23:07Z`` in
    docs.talkdesk.com/reference/app-installed and appuninstalled). A receiver that reads one
    shape only fails on the other."""
    utc = instant.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}+00:00"


def format_at(instant: datetime | None) -> str | None:
    """A date-time to the second, as the platform writes them in events and its Apps API;
    ``None`` for none."""
    return None if instant is None else format_created_at(instant)


def _href(url: str) -> dict[str, str]:
    return {"href": url}


def event_url(base_url: str, app_id: str, event_id: str) -> str:
    """The event on the Apps API, ``{root}/apps/{app_id}/events/{id}``, where an event's
    ``self`` link points (docs.talkdesk.com/reference/app-installed and userlogout); the
    mock also serves it at ``/_mock/events/{id}``."""
    return f"{base_url}/apps/{app_id}/events/{event_id}"


def installation_url(base_url: str, installation: Installation) -> str:
    """The installation on the Apps API, where events' ``installation`` links point
    (docs.talkdesk.com/reference/userlogout: ``/apps/{app_id}/installations/{id}``)."""
    return f"{base_url}/apps/{installation.app_id}/installations/{installation.installation_id}"


DOT_SEGMENTS = (".", "..")
"""Path segments no encoding keeps: URL parsers resolve them, and ``%2E`` spellings too
(RFC 3986 §5.2.4, WHATWG URL's "single-dot" and "double-dot" segments)."""


def user_url(base_url: str, user_id: str) -> str:
    """The user's link, ``{root}/users/{user_id}`` as docs.talkdesk.com/reference/userlogout
    writes it (the platform's Users API on the API root, :mod:`~mock_idp.endpoints.
    platform_users`): ``user_id`` is one path segment, so it may not be a dot segment
    (:class:`InvalidField` naming ``user_id``)."""
    if user_id in DOT_SEGMENTS:
        raise InvalidField("user_id may not be '.' or '..' (it is a path segment of the "
                           "user's link)", field="user_id")
    return f"{base_url}/users/{quote(user_id, safe='')}"


def tenant_links(base_url: str, tenant_id: str) -> dict[str, dict[str, str]]:
    """The sign-in endpoints an installation needs: the tenant's v2 endpoints and the
    platform's ``/users/me`` on the API root (who signed in, with the platform user id)."""
    return {
        "authorization": _href(f"{base_url}/{tenant_id}/oauth2/v2.0/authorize"),
        "token": _href(f"{base_url}/{tenant_id}/oauth2/v2.0/token"),
        "userinfo": _href(f"{base_url}/users/me"),
        "openid_configuration": _href(
            f"{base_url}/{tenant_id}/v2.0/.well-known/openid-configuration"
        ),
    }


def envelope(
    *,
    event_type: str,
    installation: Installation,
    data: dict[str, Any],
    base_url: str,
    now: datetime,
    lifecycle: bool,
    links: dict[str, dict[str, str]] | None = None,
    event_id: str | None = None,
    created_at: str | None = None,
) -> Envelope:
    """``created_at`` is ``now`` as :func:`format_created_at` writes it unless given."""
    event_id = event_id or new_hex_id()
    body: Envelope = {
        "id": event_id,
        "created_at": created_at or format_created_at(now),
        "api_version": "1",
        "type": event_type,
        "app_id": installation.app_id,
    }
    if lifecycle:
        body["app_version_id"] = installation.app_version_id
        body["app_version_name"] = installation.app_version_name
    body["data"] = data
    body["_links"] = {
        "root": _href(base_url),
        "self": _href(event_url(base_url, installation.app_id, event_id)),
        **(links or {}),
    }
    return body


def credentials_data(installation: Installation) -> dict[str, Any]:
    """The ``data`` of ``app.installed`` and ``app.credentials_rotated``: the installation,
    its account, and the credentials the app stores (client secret and key pair)."""
    return {
        "installation_id": installation.installation_id,
        "account_id": installation.tenant.id,
        "account_name": installation.tenant.domain,
        "client_id": installation.client_id,
        "client_secret": installation.credential.secret_text,
        **installation.key.to_json(),
    }


def app_installed(
    installation: Installation, *, base_url: str, now: datetime, event_id: str | None = None
) -> Envelope:
    return envelope(
        event_type=APP_INSTALLED,
        installation=installation,
        data=credentials_data(installation),
        base_url=base_url,
        now=now,
        lifecycle=True,
        links=tenant_links(base_url, installation.tenant.id),
        event_id=event_id,
    )


def app_updated(
    installation: Installation,
    *,
    adding: Sequence[str] = (),
    removing: Sequence[str] = (),
    subscription_name: str | None = None,
    licenses: int | None = None,
    base_url: str,
    now: datetime,
    event_id: str | None = None,
) -> Envelope:
    """``app.updated``: ``adding`` / ``removing`` are platform user ids (object ids) that gained
    or lost the app's licence; ``subscription_name`` and ``licenses`` what the subscription
    changed to. ``None`` (or no users at all) means unchanged, and its key is left out."""
    data: dict[str, Any] = {
        "installation_id": installation.installation_id,
        "account_id": installation.tenant.id,
        "account_name": installation.tenant.domain,
    }
    if adding or removing:
        data["users"] = {"adding": list(adding), "removing": list(removing)}
    subscription: dict[str, str] = {}
    if subscription_name is not None:
        subscription["name"] = subscription_name
    if licenses is not None:
        subscription["licenses"] = str(licenses)
    if subscription:
        data["subscription"] = {"adding": subscription}
    return envelope(
        event_type=APP_UPDATED,
        installation=installation,
        data=data,
        base_url=base_url,
        now=now,
        lifecycle=True,
        event_id=event_id,
    )


def app_credentials_rotated(
    installation: Installation, *, base_url: str, now: datetime, event_id: str | None = None
) -> Envelope:
    """The new credentials: Talkdesk's reference (docs.talkdesk.com/reference/
    appcredentials_rotated) lists the same members as ``app.installed``'s."""
    return envelope(
        event_type=APP_CREDENTIALS_ROTATED,
        installation=installation,
        data=credentials_data(installation),
        base_url=base_url,
        now=now,
        lifecycle=True,
        event_id=event_id,
    )


def app_uninstalled(
    installation: Installation, *, base_url: str, now: datetime, event_id: str | None = None
) -> Envelope:
    data = {"installation_id": installation.installation_id, "account_id": installation.tenant.id}
    return envelope(
        event_type=APP_UNINSTALLED,
        installation=installation,
        data=data,
        base_url=base_url,
        now=now,
        lifecycle=True,
        event_id=event_id,
    )


def user_logout(
    installation: Installation,
    *,
    user_id: str,
    user_email: str,
    base_url: str,
    now: datetime,
    event_id: str | None = None,
) -> Envelope:
    data = {
        "account_id": installation.tenant.id,
        "user_id": user_id,
        "user_email": user_email,
        "installation_id": installation.installation_id,
    }
    links = {
        "user": _href(user_url(base_url, user_id)),
        "installation": _href(installation_url(base_url, installation)),
    }
    return envelope(
        event_type=USER_LOGOUT,
        installation=installation,
        data=data,
        base_url=base_url,
        now=now,
        lifecycle=False,
        links=links,
        event_id=event_id,
        created_at=format_logout_created_at(now),
    )


def encode(body: Envelope) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON, identical on every retry."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
