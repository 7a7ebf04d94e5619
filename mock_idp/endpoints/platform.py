"""The platform's HTTP surface: the event-key JWKS and the ``/_mock/`` installation/event API.

Handlers use the provider's :class:`~mock_idp.platform.PlatformState` part.
Errors are ``{"error": {"code", "message", "field"}}`` with a 4xx status, like the other
test-control endpoints.

| method | path | body / query |
|---|---|---|
| GET | /.well-known/platform-event-keys.json | |
| POST | /_mock/installations | app_id, tenant, events_url?, client_id?, app_version_name? |
| GET | /_mock/installations | ?tenant=&app_id= |
| GET | /_mock/installations/{id} | |
| POST | /_mock/installations/{id}/rotate | revoke_previous? (default true) |
| DELETE | /_mock/installations/{id} | |
| POST | /_mock/installations/{id}/logout | user_id, user_email |
| GET | /_mock/events | ?type= |
| GET | /_mock/events/{id} | |
| POST | /_mock/events/{id}/redeliver | |
| POST | /_mock/events/run | |
| GET | /_mock/deliveries | ?event_id= |
| POST | /_mock/event-keys/rotate | retain_seconds? |
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..platform.errors import InvalidField, NotFound, PlatformError
from ..platform.middleware import RUN_PATH, RunDueEvents
from ..platform.state import PlatformState
from .common import idp, plain_error

__all__ = ["RunDueEvents", "platform", "routes"]


def platform(request: Request) -> PlatformState:
    return idp(request).platform


def request_base_url(request: Request) -> str:
    configured = platform(request).config.base_url
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def error_response(err: PlatformError) -> Response:
    fields = {"field": err.field} if err.field is not None else {}
    return plain_error(err.status, err.description, **fields)


async def read_object(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The JSON object body (an empty body is ``{}``); unknown members are rejected by name."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidField(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidField("request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidField(
            f"unknown field {unknown[0]!r}; expected one of {sorted(allowed)}", field=unknown[0]
        )
    return body


def string_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidField(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{name} must be a non-empty string", field=name)
    return value.strip()


def required_string(body: dict[str, Any], name: str) -> str:
    value = string_field(body, name, required=True)
    assert value is not None
    return value


def bool_field(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidField(f"{name} must be true or false", field=name)
    return value


async def event_keys(request: Request) -> Response:
    return JSONResponse(platform(request).jwks(), headers={"Cache-Control": "max-age=300"})


async def create_installation(request: Request) -> Response:
    allowed = {"app_id", "tenant", "events_url", "client_id", "app_version_name"}
    try:
        body = await read_object(request, allowed)
        result = await platform(request).install(
            app_id=required_string(body, "app_id"),
            tenant=required_string(body, "tenant"),
            events_url=string_field(body, "events_url"),
            client_id=string_field(body, "client_id"),
            app_version_name=string_field(body, "app_version_name") or "1.0.0",
            base_url=request_base_url(request),
        )
    except PlatformError as err:
        return error_response(err)
    return JSONResponse(result.to_json(), status_code=201)


async def list_installations(request: Request) -> Response:
    state = platform(request)
    tenant = request.query_params.get("tenant")
    app_id = request.query_params.get("app_id")
    tenant_id = None
    if tenant:
        ref = state.directory.resolve_tenant(tenant)
        if ref is None:
            return error_response(NotFound(f"unknown tenant {tenant!r}", field="tenant"))
        tenant_id = ref.id
    found = [
        i.to_json()
        for i in state.registry.all()
        if (tenant_id is None or i.tenant.id == tenant_id)
        and (not app_id or i.app_id.lower() == app_id.lower())
    ]
    return JSONResponse({"installations": found})


async def get_installation(request: Request) -> Response:
    state = platform(request)
    installation_id = request.path_params["installation_id"]
    try:
        installation = state.registry.get(installation_id)
    except PlatformError as err:
        return error_response(err)
    users = sorted(state.registry.users(installation_id))
    return JSONResponse({**installation.to_json(), "users": users})


async def rotate_installation(request: Request) -> Response:
    try:
        body = await read_object(request, {"revoke_previous"})
        result = await platform(request).rotate_credentials(
            request.path_params["installation_id"],
            revoke_previous=bool_field(body, "revoke_previous", True),
            base_url=request_base_url(request),
        )
    except PlatformError as err:
        return error_response(err)
    return JSONResponse(result.to_json())


async def delete_installation(request: Request) -> Response:
    try:
        result = await platform(request).uninstall(
            request.path_params["installation_id"], base_url=request_base_url(request)
        )
    except PlatformError as err:
        return error_response(err)
    return JSONResponse(result.to_json())


async def logout_user(request: Request) -> Response:
    try:
        body = await read_object(request, {"user_id", "user_email"})
        result = await platform(request).send_user_logout(
            request.path_params["installation_id"],
            user_id=required_string(body, "user_id"),
            user_email=required_string(body, "user_email"),
            base_url=request_base_url(request),
        )
    except PlatformError as err:
        return error_response(err)
    return JSONResponse(result.to_json())


async def list_events(request: Request) -> Response:
    wanted = request.query_params.get("type")
    found = [e for e in platform(request).events() if not wanted or e["type"] == wanted]
    return JSONResponse({"events": found})


async def get_event(request: Request) -> Response:
    event_id = request.path_params["event_id"]
    found = platform(request).dispatcher.event(event_id)
    if found is None:
        return error_response(NotFound(f"no event {event_id!r}", field="event_id"))
    return JSONResponse(found)


async def redeliver_event(request: Request) -> Response:
    try:
        attempt = await platform(request).redeliver(request.path_params["event_id"])
    except PlatformError as err:
        return error_response(err)
    return JSONResponse({"delivery": attempt.to_json()})


async def run_due_events(request: Request) -> Response:
    state = platform(request)
    attempts = await state.run_due()
    return JSONResponse(
        {"attempts": [a.to_json() for a in attempts], "pending": state.dispatcher.pending()}
    )


async def list_deliveries(request: Request) -> Response:
    state = platform(request)
    event_id = request.query_params.get("event_id") or None
    return JSONResponse(
        {"deliveries": state.delivery_log(event_id), "pending": state.dispatcher.pending()}
    )


async def rotate_event_keys(request: Request) -> Response:
    state = platform(request)
    try:
        body = await read_object(request, {"retain_seconds"})
        retain = body.get("retain_seconds")
        if retain is not None and (
            isinstance(retain, bool) or not isinstance(retain, int) or retain < 0
        ):
            raise InvalidField(
                "retain_seconds must be a non-negative integer", field="retain_seconds"
            )
    except PlatformError as err:
        return error_response(err)
    key = state.keys.rotate(retain_for=None if retain is None else timedelta(seconds=retain))
    return JSONResponse({"kid": key.kid, **state.jwks()})


INSTALLATION = "/_mock/installations/{installation_id}"

routes: list[BaseRoute] = [
    Route("/.well-known/platform-event-keys.json", event_keys, methods=["GET"]),
    Route("/_mock/installations", create_installation, methods=["POST"]),
    Route("/_mock/installations", list_installations, methods=["GET"]),
    Route(INSTALLATION, get_installation, methods=["GET"]),
    Route(INSTALLATION, delete_installation, methods=["DELETE"]),
    Route(f"{INSTALLATION}/rotate", rotate_installation, methods=["POST"]),
    Route(f"{INSTALLATION}/logout", logout_user, methods=["POST"]),
    Route("/_mock/events", list_events, methods=["GET"]),
    Route(RUN_PATH, run_due_events, methods=["POST"]),
    Route("/_mock/events/{event_id}", get_event, methods=["GET"]),
    Route("/_mock/events/{event_id}/redeliver", redeliver_event, methods=["POST"]),
    Route("/_mock/deliveries", list_deliveries, methods=["GET"]),
    Route("/_mock/event-keys/rotate", rotate_event_keys, methods=["POST"]),
]
