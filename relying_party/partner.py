"""Partner-app SSO: the platform's signed events (``POST /events``) and the standalone URL
(``GET /launch``).

An event is verified over its raw bytes, then checked for freshness, then de-duplicated by id;
only then does it change anything. Anything refused gets a 4xx and leaves no trace.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .db import Installation
from .failure import FailureSource, SignInFailed
from .login import begin_login
from .login_errors import InstallationInactive, UnknownInstallation
from .oidc.errors import (
    EventMalformed,
    EventSignatureInvalid,
    EventStale,
    JwksUnavailable,
)
from .oidc.event_signature import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    check_event_freshness,
    verify_event_signature,
)
from .provider import client_for_installation
from .web import AppState, state_of

logger = logging.getLogger("relying_party.events")

MAX_EVENT_BYTES = 64 * 1024
PARTNER_HOME = "/"
_HINT = re.compile(r"[\w.@+\-]{1,256}")


def _reply(
    http_status: int, error: str | None = None, description: str = "", **extra: Any
) -> Response:
    body: dict[str, Any] = {"error": error, "error_description": description} if error else {}
    headers = {"Cache-Control": "no-store"}
    return JSONResponse({**body, **extra}, status_code=http_status, headers=headers)


def _str_field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EventMalformed(f"data.{name} must be a non-empty string")
    return value


def _link(links: Mapping[str, Any], name: str) -> str:
    entry = links.get(name)
    href = entry.get("href") if isinstance(entry, dict) else None
    parts = urlsplit(href) if isinstance(href, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise EventMalformed(f"_links.{name}.href must be an absolute URL")
    assert isinstance(href, str)
    return href


def _installed(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    links = event.get("_links")
    if not isinstance(links, dict):
        raise EventMalformed("_links must be an object")
    installation_id = _str_field(data, "installation_id")
    now = rp.settings.clock.now()
    existing = rp.db.installations.get(installation_id)
    rp.db.installations.upsert(
        Installation(
            installation_id=installation_id,
            account_id=_str_field(data, "account_id"),
            account_name=str(data.get("account_name") or ""),
            app_id=str(event.get("app_id") or ""),
            client_id=_str_field(data, "client_id"),
            client_secret=_str_field(data, "client_secret"),
            authorization_url=_link(links, "authorization"),
            token_url=_link(links, "token"),
            userinfo_url=_link(links, "userinfo"),
            openid_configuration_url=_link(links, "openid_configuration"),
            active=True,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            last_login_at=existing.last_login_at if existing else None,
        )
    )
    return "installed"


def _rotated(rp: AppState, data: Mapping[str, Any]) -> str | Response:
    installation_id = _str_field(data, "installation_id")
    if not rp.db.installations.rotate_secret(
        installation_id,
        _str_field(data, "client_id"),
        _str_field(data, "client_secret"),
        rp.settings.clock.now(),
    ):
        return _reply(404, "unknown_installation", f"no active installation {installation_id}")
    return "credentials_rotated"


def _uninstalled(rp: AppState, data: Mapping[str, Any]) -> str:
    rp.db.deactivate_installation(_str_field(data, "installation_id"), rp.settings.clock.now())
    return "uninstalled"


def _user_logout(rp: AppState, data: Mapping[str, Any]) -> str:
    ended = rp.db.sessions.end_by_platform_user(
        _str_field(data, "installation_id"), _str_field(data, "user_id")
    )
    return f"logged_out:{ended}"


async def receive_event(request: Request) -> Response:
    rp = state_of(request)
    settings = rp.settings
    if settings.event_keys_url is None:
        return _reply(401, "unauthorized", "no platform key set is configured for events")
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        return _reply(413, "payload_too_large", "event body too large")
    try:
        await verify_event_signature(
            body,
            signature=request.headers.get(SIGNATURE_HEADER),
            key_id=request.headers.get(KEY_ID_HEADER),
            keys=rp.providers.jwks.keys_for(settings.event_keys_url),
        )
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EventMalformed("body is not JSON") from exc
        if not isinstance(event, dict):
            raise EventMalformed("body is not a JSON object")
        event_id, event_type = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 128:
            raise EventMalformed("id must be a string")
        if not isinstance(event_type, str) or not event_type:
            raise EventMalformed("type must be a string")
        created_at = event.get("created_at")
        if not isinstance(created_at, str):
            raise EventMalformed("created_at must be a string")
        check_event_freshness(
            created_at,
            now=settings.clock.now(),
            max_age=settings.event_max_age,
            max_skew=settings.event_max_future,
        )
        if rp.db.events.processed(event_id):
            return _reply(200, status="duplicate", id=event_id)
        data = event.get("data")
        if not isinstance(data, dict):
            raise EventMalformed("data must be an object")
        outcome: str | Response
        if event_type == "app.installed":
            outcome = _installed(rp, event, data)
        elif event_type == "app.credentials_rotated":
            outcome = _rotated(rp, data)
        elif event_type == "app.uninstalled":
            outcome = _uninstalled(rp, data)
        elif event_type == "user.logout":
            outcome = _user_logout(rp, data)
        else:
            outcome = "ignored"
        if isinstance(outcome, Response):
            return outcome
    except JwksUnavailable as exc:
        logger.warning("event keys unavailable: %s", exc.detail)
        return _reply(503, "temporarily_unavailable", "platform keys could not be fetched")
    except EventSignatureInvalid as exc:
        logger.warning("event refused: %s", exc)
        return _reply(401, exc.code, exc.message)
    except (EventStale, EventMalformed) as exc:
        logger.warning("event refused: %s", exc)
        return _reply(400, exc.code, f"{exc.message} ({exc.detail})")
    rp.db.events.mark_processed(event_id, event_type, settings.clock.now())
    logger.info("event %s %s: %s", event_id, event_type, outcome)
    return _reply(200, status="processed", id=event_id, outcome=outcome)


def _param(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or request.query_params.get(f"talkdesk_{name}")


async def launch(request: Request) -> Response:
    """Start the code flow at once for an installation. ``user_id`` is only a login hint."""
    rp = state_of(request)
    installation_id = _param(request, "installation_id")
    user_id = _param(request, "user_id")
    source = FailureSource(
        kind="installation" if installation_id else None,
        id=installation_id,
        support_contact=rp.settings.partner_support_contact,
    )
    if not installation_id:
        raise SignInFailed(UnknownInstallation("launch without installation_id"), source)
    installation = rp.db.installations.get(installation_id)
    if installation is None:
        raise SignInFailed(UnknownInstallation(f"installation {installation_id!r}"), source)
    if not installation.active:
        raise SignInFailed(InstallationInactive(f"installation {installation_id!r}"), source)
    hint = user_id if user_id and _HINT.fullmatch(user_id) else None
    client = client_for_installation(installation, rp.settings)
    return await begin_login(request, client, return_to=PARTNER_HOME, login_hint=hint)


routes = [
    Route("/events", receive_event, methods=["POST"]),
    Route("/launch", launch, methods=["GET"]),
]
