"""Partner-app SSO: the platform's signed events (``POST /events``); the standalone URL is
:mod:`relying_party.launch`.

An event is verified over its raw bytes, then parsed and checked for freshness and for being
addressed to this app (``app_id``: the platform signs every partner app's events with the same
keys) and, when it is about an installation this app holds, to that installation's account
(:mod:`relying_party.event_account`). Its id is then recorded in the same transaction that
applies it, so an event delivered twice, even at the same moment to two workers, is applied
once. Lifecycle events change an installation only when they are newer than the last one
applied to it (retries arrive out of order); an older one is answered ``ignored_stale``, and a
rotation of the same second as the rotation that gave the current credentials keeps its own
beside them (:mod:`relying_party.installation_credentials`); a
``user.logout`` ends only the sessions whose sign-in began before it was created. Anything
refused gets a 4xx naming what was wrong and leaves no trace.

``app.updated`` takes users' licences and gives them back (:mod:`relying_party.app_updated`);
the trial events record the installation's trial (:mod:`relying_party.trials`). A new
installation is approved, and rotated credentials acknowledged, through the platform's Apps API
at ``_links.root`` once the event is answered (:mod:`relying_party.acknowledgements`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .acknowledgements import APPROVAL, CREDENTIALS, follow_up
from .app_updated import apply_update, licence_update
from .db import Installation, InstallationKeyPair, LifecycleMark
from .event_account import check_account, check_held_account
from .event_links import api_root_link, discovery_link, link
from .inputs import (
    InputError,
    display_name,
    identifier,
    key_text,
    parse_json_object,
    text,
)
from .lifecycle import STALE, TIED, UnknownTarget, active, is_stale, ties
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
    parse_event_time,
    verify_event_signature,
)
from .oidc.jwks import POSTED
from .settings import Settings
from .trials import TRIAL_EFFECTS
from .web import AppState, state_of

logger = logging.getLogger("relying_party.events")

MAX_EVENT_BYTES = 64 * 1024
KEY_ALGORITHMS = ("ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
"""The ``key_algorithm`` values of an ``app.installed`` key pair."""
MAX_ENVELOPE_ID = 128


def _reply(
    http_status: int, error: str | None = None, description: str = "", *,
    background: BackgroundTask | None = None, **extra: Any,
) -> Response:
    body: dict[str, Any] = {"error": error, "error_description": description} if error else {}
    headers = {"Cache-Control": "no-store"}
    return JSONResponse({**body, **extra}, status_code=http_status, headers=headers,
                        background=background)


class ForeignEvent(Exception):
    """An authentic event for another partner app on the platform (403; nothing is recorded).
    The platform signs every app's events with the same keys, so only ``app_id`` tells them
    apart."""


def _id_field(data: Mapping[str, Any], name: str) -> str:
    return identifier(data.get(name), f"data.{name}")


def _secret_field(data: Mapping[str, Any], name: str) -> str:
    return text(data.get(name), f"data.{name}", max_length=1024)


def _key_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The optional key pair of ``app.installed`` and ``app.credentials_rotated`` (kept per
    installation, not used yet)."""
    algorithm = data.get("key_algorithm")
    if algorithm not in (None, "", *KEY_ALGORITHMS):
        raise InputError.of("data.key_algorithm", f"must be one of {', '.join(KEY_ALGORITHMS)}")
    return {
        "key_id": identifier(data.get("key_id"), "data.key_id", required=False),
        "key_algorithm": algorithm or "",
        "public_key": key_text(data.get("public_key"), "data.public_key"),
        "private_key": key_text(data.get("private_key"), "data.private_key"),
    }


def check_app(event: Mapping[str, Any], partner_app_id: str | None) -> str:
    """The event's ``app_id`` when it is this app's; :class:`ForeignEvent` when it is not (or
    when this app's id is not configured)."""
    app_id = identifier(event.get("app_id"), "app_id")
    # ASCII only, compared with str.lower(): casefold() and Unicode case rules would make
    # other ids equal to this one (the long s "ſ" folds to "s", the Kelvin sign to "k").
    expected = (partner_app_id or "").strip()
    if (not expected or not app_id.isascii() or not expected.isascii()
            or app_id.lower() != expected.lower()):
        raise ForeignEvent(f"app_id {app_id!r} is not this app's id")
    return app_id


def _forget_before(settings: Settings) -> datetime:
    """Events created before this are refused as stale whatever the skew, so records that only
    keep older events out (event ids, tombstones) can be dropped."""
    return settings.clock.now() - settings.event_max_age - settings.event_max_future


def _record(rp: AppState, installation_id: str, created_at: datetime, *, uninstalled: bool,
            rotated: bool = False) -> None:
    rp.db.installations.record_event(
        installation_id,
        LifecycleMark(event_created_at=created_at, uninstalled=uninstalled, rotated=rotated),
        forget_before=_forget_before(rp.settings),
    )


def _installed(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
               created_at: datetime) -> str:
    links = event.get("_links")
    if not isinstance(links, dict):
        raise InputError.of("_links", "must be an object")
    allow_http = rp.settings.allow_http_idp
    installation_id = _id_field(data, "installation_id")
    authorization_url = link(links, "authorization", allow_http=allow_http)
    now = rp.settings.clock.now()
    installation = Installation(
        installation_id=installation_id,
        account_id=_id_field(data, "account_id"),
        account_name=display_name(data.get("account_name"), "data.account_name",
                                  max_length=256, required=False),
        app_id=check_app(event, rp.settings.partner_app_id),
        client_id=_id_field(data, "client_id"),
        client_secret=_secret_field(data, "client_secret"),
        authorization_url=authorization_url,
        token_url=link(links, "token", allow_http=allow_http),
        userinfo_url=link(links, "userinfo", allow_http=allow_http),
        openid_configuration_url=discovery_link(links, authorization_url,
                                                allow_http=allow_http),
        api_root=api_root_link(links, allow_http=allow_http),
        active=True,
        created_at=now,
        updated_at=now,
        last_login_at=None,
        **_key_fields(data),
    )
    if is_stale(rp, installation_id, created_at, installing=True):
        return STALE
    existing = rp.db.installations.get(installation_id)
    if existing is not None and existing.active:
        check_account(existing, data)
    if existing is not None:
        installation = replace(installation, created_at=existing.created_at,
                               last_login_at=existing.last_login_at)
    if existing is None or not existing.active:
        rp.db.begin_installation(installation_id, created_at, received_at=now)
    rp.db.installations.upsert(installation)
    rp.db.acknowledgements.start(installation_id, APPROVAL, now)
    rp.db.acknowledgements.forget(installation_id, CREDENTIALS)  # those credentials are gone
    _record(rp, installation_id, created_at, uninstalled=False)
    return "installed"


def _rotated(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
             created_at: datetime) -> str:
    installation_id = _id_field(data, "installation_id")
    client_id = _id_field(data, "client_id")
    client_secret = _secret_field(data, "client_secret")
    key_fields = _key_fields(data)  # the new pair Talkdesk's event carries beside the secret
    key = InstallationKeyPair(**key_fields) if any(key_fields.values()) else None
    links = event.get("_links")
    api_root = (api_root_link(links, allow_http=rp.settings.allow_http_idp)
                if isinstance(links, dict) and "root" in links else None)
    if is_stale(rp, installation_id, created_at):
        return STALE
    now = rp.settings.clock.now()
    tied = ties(rp, installation_id, created_at)  # which is newer is unknown: keep both
    if not (rp.db.installations.keep_spare(installation_id, client_id, client_secret) if tied
            else rp.db.installations.rotate_secret(installation_id, client_id, client_secret,
                                                   now, api_root=api_root, key=key)):
        raise UnknownTarget(f"no active installation {installation_id}")
    rp.db.acknowledgements.start(installation_id, CREDENTIALS, now)
    _record(rp, installation_id, created_at, uninstalled=False, rotated=True)
    return TIED if tied else "credentials_rotated"


def _uninstalled(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
                 created_at: datetime) -> str:
    """Also for an installation this RP never saw: the tombstone keeps a late
    ``app.installed`` from creating it."""
    installation_id = _id_field(data, "installation_id")
    if is_stale(rp, installation_id, created_at):
        return STALE
    rp.db.deactivate_installation(installation_id, rp.settings.clock.now())
    _record(rp, installation_id, created_at, uninstalled=True)
    return "uninstalled"


LOGOUT_CLOCK_SKEW = timedelta(seconds=30)
"""How far the platform's clock may lag the RP's for a ``user.logout``: sessions whose sign-in
began up to this long after the event's ``created_at`` (by the RP's clock) still end. A session
surviving a logout is worse than a sign-in made right after one ending; a retry comes 5 or 10
minutes late, well past this."""


def logged_out_before(created_at: datetime) -> datetime:
    """Sessions whose sign-in began before this are the ones a ``user.logout`` created at
    ``created_at`` ends; one begun later began after the logout, surviving a late retry. It
    allows :data:`LOGOUT_CLOCK_SKEW` between the platform's clock and this app's (events up
    to five minutes ahead are taken, so both run on their own clocks)."""
    return created_at + LOGOUT_CLOCK_SKEW


def _user_logout(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
                 created_at: datetime) -> str:
    ended = rp.db.log_out_platform_user(
        _id_field(data, "installation_id"), _id_field(data, "user_id"),
        started_before=logged_out_before(created_at), received_at=rp.settings.clock.now(),
        keep_for=2 * rp.settings.login_timeout)
    return f"logged_out:{ended}"


def _updated(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
             created_at: datetime) -> str:
    installation_id = _id_field(data, "installation_id")
    update = licence_update(data)
    if not active(rp, installation_id, created_at):
        return STALE
    outcome = apply_update(rp, installation_id, update, created_at,
                           forget_before=_forget_before(rp.settings))
    return STALE if outcome is None else outcome


Effect = Callable[[AppState, Mapping[str, Any], Mapping[str, Any], datetime], str]
"""``(rp, event, event["data"], created_at)`` → the outcome; refusals raise."""

EFFECTS: dict[str, Effect] = {
    "app.installed": _installed,
    "app.credentials_rotated": _rotated,
    "app.updated": _updated,
    "app.uninstalled": _uninstalled,
    "user.logout": _user_logout,
    **TRIAL_EFFECTS,
}


def _parse(body: bytes) -> tuple[dict[str, Any], str, str, datetime]:
    """The event object, its id, its type and when it was created; a refusal names the
    member (``body`` for the JSON text as a whole)."""
    event = parse_json_object(body, max_bytes=MAX_EVENT_BYTES)
    if event.get("api_version") != "1":  # the one version: docs.talkdesk.com/docs/events-api
        raise InputError.of("api_version", 'must be "1"')
    event_id = identifier(event.get("id"), "id", max_length=MAX_ENVELOPE_ID)
    event_type = identifier(event.get("type"), "type", max_length=MAX_ENVELOPE_ID)
    return event, event_id, event_type, parse_event_time(event.get("created_at"))


def apply_once(rp: AppState, event: Mapping[str, Any], event_id: str, event_type: str, *,
               created_at: datetime) -> str:
    """Check that the event is for this app, then record its id and apply it in one
    transaction: ``"duplicate"`` when the id is already recorded, else the effect's outcome
    (:data:`STALE` for a lifecycle event older than what it would change). A refusal rolls
    both back."""
    settings = rp.settings
    check_app(event, settings.partner_app_id)
    now = settings.clock.now()
    with rp.db.transaction():
        if not rp.db.events.mark_processed(event_id, event_type, now,
                                           forget_before=_forget_before(settings)):
            return "duplicate"
        data = event.get("data")
        if not isinstance(data, dict):
            raise InputError.of("data", "must be an object")
        effect = EFFECTS.get(event_type)
        if effect is None:
            return "ignored"
        check_held_account(rp, event_type, data)
        return effect(rp, event, data, created_at)


def _one_header(request: Request, name: str) -> str | None:
    """The header's value; :class:`EventSignatureInvalid` when it is given more than once
    (which of them the platform sent is unknown)."""
    values = request.headers.getlist(name)
    if len(values) > 1:
        raise EventSignatureInvalid(f"{name} given {len(values)} times", field=name,
                                    message=f"The event gives {name} more than once.")
    return values[0] if values else None


async def receive_event(request: Request) -> Response:
    rp = state_of(request)
    settings = rp.settings
    if settings.event_keys_url is None:
        return _reply(401, "unauthorized", "no platform key set is configured for events")
    if not settings.partner_app_id:
        return _reply(401, "unauthorized", "no partner app id is configured for events")
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        return _reply(413, "payload_too_large", "event body too large")
    try:
        await verify_event_signature(
            body,
            signature=_one_header(request, SIGNATURE_HEADER),
            key_id=_one_header(request, KEY_ID_HEADER),
            keys=rp.providers.jwks.keys_for(settings.event_keys_url, lane=POSTED),
        )
        event, event_id, event_type, created_at = _parse(body)
        created = check_event_freshness(
            created_at,
            now=settings.clock.now(),
            max_age=settings.event_max_age,
            max_skew=settings.event_max_future,
        )
        outcome = apply_once(rp, event, event_id, event_type, created_at=created)
    except JwksUnavailable as exc:
        logger.warning("event keys unavailable: %s", exc.detail)
        return _reply(503, "temporarily_unavailable", "platform keys could not be fetched")
    except EventSignatureInvalid as exc:
        logger.warning("event refused: %s", exc)
        return _reply(401, exc.code, exc.message, fields={exc.field: exc.message})
    except EventStale as exc:
        logger.warning("event refused: %s", exc)
        return _reply(400, exc.code, f"{exc.message} ({exc.detail})",
                      fields={"created_at": exc.detail})
    except EventMalformed as exc:
        logger.warning("event refused: %s", exc)
        return _reply(400, exc.code, f"{exc.message} ({exc.detail})", fields=exc.fields)
    except InputError as exc:
        logger.warning("event refused: %s", exc)
        return _reply(exc.status, EventMalformed.code,
                      f"{EventMalformed.default_message} ({exc})", fields=exc.errors)
    except ForeignEvent as exc:
        logger.warning("event refused: %s", exc)
        return _reply(403, "wrong_app", str(exc),
                      fields={"app_id": "is not this partner app's id"})
    except UnknownTarget as exc:
        return _reply(404, "unknown_installation", str(exc))
    if outcome == "duplicate":
        return _reply(200, status="duplicate", id=event_id)
    logger.info("event %s %s: %s", event_id, event_type, outcome)
    return _reply(200, status="processed", id=event_id, outcome=outcome,
                  background=BackgroundTask(follow_up, rp, event, outcome))


routes = [Route("/events", receive_event, methods=["POST"])]
