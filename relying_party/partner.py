"""Partner-app SSO: the platform's signed events (``POST /events``) and the standalone URL
(``GET /launch``).

An event is verified over its raw bytes, then parsed and checked for freshness; its id is then
recorded in the same transaction that applies it, so an event delivered twice, even at the same
moment to two workers, is applied once. Anything refused gets a 4xx and leaves no trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .db import Installation
from .failure import FailureSource, SignInFailed
from .inputs import InputError, parse_json_object, url_problem
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
    if not isinstance(value, str) or not value.strip() or len(value) > 1024:
        raise EventMalformed(f"data.{name} must be a non-empty string")
    return value


def _link(links: Mapping[str, Any], name: str) -> str:
    entry = links.get(name)
    href = entry.get("href") if isinstance(entry, dict) else None
    if not isinstance(href, str) or url_problem(href, allow_http=True) is not None:
        raise EventMalformed(f"_links.{name}.href must be an absolute http(s) URL")
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


class UnknownTarget(Exception):
    """The event names an installation this RP does not have (404; nothing is recorded)."""


def _rotated(rp: AppState, data: Mapping[str, Any]) -> str:
    installation_id = _str_field(data, "installation_id")
    if not rp.db.installations.rotate_secret(
        installation_id,
        _str_field(data, "client_id"),
        _str_field(data, "client_secret"),
        rp.settings.clock.now(),
    ):
        raise UnknownTarget(f"no active installation {installation_id}")
    return "credentials_rotated"


def _uninstalled(rp: AppState, data: Mapping[str, Any]) -> str:
    rp.db.deactivate_installation(_str_field(data, "installation_id"), rp.settings.clock.now())
    return "uninstalled"


def _user_logout(rp: AppState, data: Mapping[str, Any]) -> str:
    ended = rp.db.sessions.end_by_platform_user(
        _str_field(data, "installation_id"), _str_field(data, "user_id")
    )
    return f"logged_out:{ended}"


EFFECTS: dict[str, Callable[[AppState, Mapping[str, Any], Mapping[str, Any]], str]] = {
    "app.installed": _installed,
    "app.credentials_rotated": lambda rp, event, data: _rotated(rp, data),
    "app.uninstalled": lambda rp, event, data: _uninstalled(rp, data),
    "user.logout": lambda rp, event, data: _user_logout(rp, data),
}


def _parse(body: bytes) -> tuple[dict[str, Any], str, str]:
    """The event object, its id and its type."""
    try:
        event = parse_json_object(body, max_bytes=MAX_EVENT_BYTES)
    except InputError as exc:
        raise EventMalformed(str(exc)) from exc
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 128:
        raise EventMalformed("id must be a string")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 128:
        raise EventMalformed("type must be a string")
    return event, event_id, event_type


def apply_once(rp: AppState, event: Mapping[str, Any], event_id: str, event_type: str) -> str:
    """Record the event id and apply the event in one transaction: ``"duplicate"`` when the id
    is already recorded, else the effect's outcome. A refusal rolls both back."""
    settings = rp.settings
    now = settings.clock.now()
    # An id older than the freshness window plus the allowed skew cannot come back as fresh.
    forget_before = now - settings.event_max_age - settings.event_max_future
    with rp.db.transaction():
        if not rp.db.events.mark_processed(event_id, event_type, now, forget_before=forget_before):
            return "duplicate"
        data = event.get("data")
        if not isinstance(data, dict):
            raise EventMalformed("data must be an object")
        effect = EFFECTS.get(event_type)
        return effect(rp, event, data) if effect is not None else "ignored"


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
        event, event_id, event_type = _parse(body)
        created_at = event.get("created_at")
        if not isinstance(created_at, str):
            raise EventMalformed("created_at must be a string")
        check_event_freshness(
            created_at,
            now=settings.clock.now(),
            max_age=settings.event_max_age,
            max_skew=settings.event_max_future,
        )
        outcome = apply_once(rp, event, event_id, event_type)
    except JwksUnavailable as exc:
        logger.warning("event keys unavailable: %s", exc.detail)
        return _reply(503, "temporarily_unavailable", "platform keys could not be fetched")
    except EventSignatureInvalid as exc:
        logger.warning("event refused: %s", exc)
        return _reply(401, exc.code, exc.message)
    except (EventStale, EventMalformed) as exc:
        logger.warning("event refused: %s", exc)
        return _reply(400, exc.code, f"{exc.message} ({exc.detail})")
    except UnknownTarget as exc:
        return _reply(404, "unknown_installation", str(exc))
    if outcome == "duplicate":
        return _reply(200, status="duplicate", id=event_id)
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
