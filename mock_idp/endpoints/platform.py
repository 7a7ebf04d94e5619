"""The platform's HTTP surface: the event-key JWKS and the ``/_mock/`` installation/event API.

Handlers use the provider's :class:`~mock_idp.platform.PlatformState` part.
Errors are ``{"error": {"code", "message", "field"}}`` with a 4xx status, like the other
test-control endpoints.

| method | path | body / query |
|---|---|---|
| GET | /.well-known/platform-event-keys.json | |
| GET | /users/me | Authorization: Bearer (a user's token for an installed app) |
| POST | /_mock/installations | app_id, tenant, events_url?, client_id?, app_version_name?, … |
| GET | /_mock/installations | ?tenant=&app_id= |
| GET | /_mock/installations/{id} | |
| POST | /_mock/installations/{id}/rotate | compromised? (default false: a 7-day grace) |
| DELETE | /_mock/installations/{id} | |
| POST | /_mock/installations/{id}/update | users?.adding/removing, subscription?.name/licenses |
| POST | /_mock/installations/{id}/logout | user_id (a user of its tenant), user_email |
| POST | /_mock/installations/{id}/trial | action (extend, end), days? (extend), reason? (end) |
| POST | /_mock/installations/{id}/forged-events | type, forgery?, user_id?, user_email?, app_id? |
| GET | /_mock/events | ?type= |
| GET | /_mock/events/{id} | |
| POST | /_mock/events/{id}/redeliver | |
| POST | /_mock/events/run | (also ends the trials past their end) |
| GET | /_mock/deliveries | ?event_id= |
| POST | /_mock/event-keys/rotate | retain_seconds? |

``POST /_mock/installations`` also takes ``trial_days``: the trial the customer chose, which starts
once the app approves the installation (:mod:`~mock_idp.platform.trials`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..platform import trials
from ..platform.errors import NotFound
from ..platform.forgery import send_forged
from ..platform.licences import MAX_LICENSES, MAX_SUBSCRIPTION_NAME, MAX_UPDATE_USERS
from ..platform.middleware import RUN_PATH, RunDueEvents
from ..platform.state import PlatformState
from ..platform.trials import MAX_TRIAL_DAYS
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from ..text_policy import mail_problem, text_problem
from .common import idp
from .fields import Flag, Members, Number, Spec, Text, TextList, WebUrl, read_fields
from .mock_api import route
from .payload import BadInput, read_object
from .userinfo import userinfo, userinfo_claims

__all__ = ["RunDueEvents", "platform", "routes"]

MAX_RETAIN_SECONDS = 100 * 365 * 86400
INSTALL_FIELDS: dict[str, Spec] = {
    "app_id": Text(required=True, nullable=False, strip=True, non_empty=True, max_len=64),
    "tenant": Text(required=True, nullable=False, strip=True, non_empty=True, max_len=256),
    "events_url": WebUrl(),
    "client_id": Text(strip=True, non_empty=True, max_len=64),
    "app_version_name": Text(strip=True, non_empty=True, max_len=64, default="1.0.0"),
    "trial_days": Number(minimum=1, maximum=MAX_TRIAL_DAYS, integer=True),
}
TRIAL_FIELDS: dict[str, Spec] = {
    "action": Text(required=True, nullable=False, strip=True, max_len=16),
    "days": Number(minimum=1, maximum=MAX_TRIAL_DAYS, integer=True),
    "reason": Text(strip=True, max_len=32),
}
UPDATE_FIELDS: dict[str, Spec] = {
    "users": Members({"adding": TextList(max_items=MAX_UPDATE_USERS),
                      "removing": TextList(max_items=MAX_UPDATE_USERS)}),
    "subscription": Members({"name": Text(strip=True, non_empty=True,
                                          max_len=MAX_SUBSCRIPTION_NAME),
                             "licenses": Number(minimum=0, maximum=MAX_LICENSES, integer=True)},
                            non_empty=True),
}
LOGOUT_FIELDS: dict[str, Spec] = {
    "user_id": Text(required=True, nullable=False, strip=True, non_empty=True,
                    problem=text_problem),
    "user_email": Text(required=True, nullable=False, strip=True, non_empty=True,
                       problem=mail_problem),
}
FORGED_FIELDS: dict[str, Spec] = {
    "type": Text(required=True, nullable=False, strip=True, non_empty=True, max_len=64),
    "forgery": Text(strip=True, non_empty=True, max_len=64, default="unknown_key"),
    "user_id": Text(strip=True, non_empty=True),
    "user_email": Text(strip=True, non_empty=True),
    "app_id": Text(strip=True, non_empty=True, max_len=64),
}


def platform(request: Request) -> PlatformState:
    return idp(request).platform


def request_base_url(request: Request) -> str:
    configured = platform(request).config.base_url
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


async def event_keys(request: Request) -> Response:
    return JSONResponse(platform(request).jwks(), headers={"Cache-Control": "max-age=300"})


async def platform_user(request: Request) -> Response:
    """The installation's ``userinfo`` link: who the bearer token's user is, with ``id``, the
    platform user id that ``user.logout`` names (the user's object id).

    Talkdesk's partner apps call ``GET /users/me`` on the API root after the code exchange to
    learn the authenticated user's id (docs.talkdesk.com/docs/authenticating-users). The answer
    is Graph's UserInfo for the same token (``sub``, name and e-mail by the token's scopes,
    the same refusals), plus ``id``; a token issued to an app with no active installation in
    the user's tenant is refused with 403."""
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError:
        return await userinfo(request, graph=True)  # its 401, with the challenge
    client_id = str(claims.get("appid") or claims.get("azp") or "")
    registry = platform(request).registry
    if registry.find(tenant_id=str(claims.get("tid", "")), client_id=client_id) is None:
        message = "The token's app has no active installation in the user's tenant."
        return JSONResponse({"error": {"code": "Authorization_RequestDenied", "message": message}},
                            status_code=403)
    user = await userinfo_claims(request, graph=True)
    if isinstance(user, Response):  # a refusal, or a fault armed at userinfo
        return user
    return JSONResponse({"id": str(claims.get("oid", "")), **user},
                        headers={"Cache-Control": "no-store"})


async def create_installation(request: Request) -> Response:
    body = read_fields(await read_object(request, optional=True), INSTALL_FIELDS)
    days = body.pop("trial_days")
    result = await platform(request).install(**body, trial_days=None if days is None else int(days),
                                             base_url=request_base_url(request))
    return JSONResponse(result.to_json(), status_code=201)


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > 256:
        raise BadInput(f"{name!r} is longer than 256 characters", field=name)
    return value


async def list_installations(request: Request) -> Response:
    state = platform(request)
    tenant = _query(request, "tenant")
    app_id = _query(request, "app_id")
    tenant_id = None
    if tenant:
        ref = state.directory.resolve_tenant(tenant)
        if ref is None:
            raise NotFound(f"unknown tenant {tenant[:80]!r}", field="tenant")
        tenant_id = ref.id
    now = state.clock.now()
    found = [
        i.to_json(now)
        for i in state.registry.all()
        if (tenant_id is None or i.tenant.id == tenant_id)
        and (not app_id or i.app_id.lower() == app_id.lower())
    ]
    return JSONResponse({"installations": found})


async def get_installation(request: Request) -> Response:
    state = platform(request)
    installation_id = request.path_params["installation_id"]
    installation = state.registry.get(installation_id)
    users = sorted(state.registry.users(installation_id))
    return JSONResponse({**installation.to_json(state.clock.now()), "users": users})


async def rotate_installation(request: Request) -> Response:
    body = read_fields(await read_object(request, optional=True),
                       {"compromised": Flag(default=False)})
    result = await platform(request).rotate_credentials(
        request.path_params["installation_id"], compromised=bool(body["compromised"]),
        base_url=request_base_url(request),
    )
    return JSONResponse(result.to_json())


async def delete_installation(request: Request) -> Response:
    result = await platform(request).uninstall(
        request.path_params["installation_id"], base_url=request_base_url(request)
    )
    return JSONResponse(result.to_json())


async def update_installation(request: Request) -> Response:
    """Send ``app.updated``: users (object ids or UPNs) gaining or losing the app's licence,
    and/or the subscription's new name or licence count (see :meth:`PlatformState.update`)."""
    body = read_fields(await read_object(request, optional=True), UPDATE_FIELDS)
    users: dict[str, Any] = body["users"] or {}
    subscription: dict[str, Any] = body["subscription"] or {}
    licenses = subscription.get("licenses")
    result = await platform(request).update(
        request.path_params["installation_id"],
        adding=users.get("adding") or (), removing=users.get("removing") or (),
        subscription_name=subscription.get("name"),
        licenses=None if licenses is None else int(licenses),
        base_url=request_base_url(request),
    )
    return JSONResponse(result.to_json())


async def change_trial(request: Request) -> Response:
    """Extend the installation's active trial by ``days`` (``app.trial_extended``) or end it
    (``app.trial_ended``, ``reason`` ``trial_expired`` or ``plan_upgraded``)."""
    body = read_fields(await read_object(request, optional=True), TRIAL_FIELDS)
    days = body["days"]
    result = await trials.change(
        platform(request), request.path_params["installation_id"], action=body["action"],
        days=None if days is None else int(days), reason=body["reason"],
        base_url=request_base_url(request))
    return JSONResponse(result.to_json())


async def logout_user(request: Request) -> Response:
    body = read_fields(await read_object(request, optional=True), LOGOUT_FIELDS)
    result = await platform(request).send_user_logout(
        request.path_params["installation_id"], **body, base_url=request_base_url(request)
    )
    return JSONResponse(result.to_json())


async def forge_event(request: Request) -> Response:
    """Deliver a well-formed event whose signature is wrong, or one validly signed for another
    partner app (``forgery`` ``foreign_app``, that app's id ``app_id``; see
    :mod:`~mock_idp.platform.forgery`), once; the delivery (the app's answer) is in the reply
    and in the delivery log."""
    body = read_fields(await read_object(request, optional=True), FORGED_FIELDS)
    result = await send_forged(
        platform(request), request.path_params["installation_id"], event_type=body["type"],
        forgery=body["forgery"], user_id=body["user_id"], user_email=body["user_email"],
        app_id=body["app_id"], base_url=request_base_url(request),
    )
    return JSONResponse(result.to_json())


async def list_events(request: Request) -> Response:
    wanted = _query(request, "type")
    found = [e for e in platform(request).events() if not wanted or e["type"] == wanted]
    return JSONResponse({"events": found})


async def get_event(request: Request) -> Response:
    event_id = request.path_params["event_id"]
    found = platform(request).dispatcher.event(event_id)
    if found is None:
        raise NotFound(f"no event {event_id[:64]!r}", field="event_id")
    return JSONResponse(found)


async def redeliver_event(request: Request) -> Response:
    attempt = await platform(request).redeliver(request.path_params["event_id"])
    return JSONResponse({"delivery": attempt.to_json()})


async def run_due_events(request: Request) -> Response:
    """The due retries, and the end of every trial past its ``expires_at``
    (``app.trial_ended``); their attempts once finished."""
    state = platform(request)
    attempts = await trials.run_due(state, base_url=request_base_url(request))
    return JSONResponse(
        {"attempts": [a.to_json() for a in attempts], "pending": state.dispatcher.pending()}
    )


async def list_deliveries(request: Request) -> Response:
    state = platform(request)
    event_id = _query(request, "event_id") or None
    return JSONResponse(
        {"deliveries": state.delivery_log(event_id),
         "pending": state.dispatcher.pending(event_id)}
    )


async def rotate_event_keys(request: Request) -> Response:
    state = platform(request)
    body = read_fields(await read_object(request, optional=True),
                       {"retain_seconds": Number(minimum=0, maximum=MAX_RETAIN_SECONDS,
                                                  integer=True)})
    retain: Any = body["retain_seconds"]
    key = state.keys.rotate(retain_for=None if retain is None else timedelta(seconds=retain))
    return JSONResponse({"kid": key.kid, **state.jwks()})


INSTALLATION = "/_mock/installations/{installation_id}"
USER_PATH = "/users/me"

routes: list[BaseRoute] = [
    Route("/.well-known/platform-event-keys.json", event_keys, methods=["GET"]),
    Route(USER_PATH, platform_user, methods=["GET"]),
    route("/_mock/installations", {"POST": create_installation, "GET": list_installations}),
    route(INSTALLATION, {"GET": get_installation, "DELETE": delete_installation}),
    route(f"{INSTALLATION}/rotate", {"POST": rotate_installation}),
    route(f"{INSTALLATION}/update", {"POST": update_installation}),
    route(f"{INSTALLATION}/logout", {"POST": logout_user}),
    route(f"{INSTALLATION}/trial", {"POST": change_trial}),
    route(f"{INSTALLATION}/forged-events", {"POST": forge_event}),
    route("/_mock/events", {"GET": list_events}),
    route(RUN_PATH, {"POST": run_due_events}),
    route("/_mock/events/{event_id}", {"GET": get_event}),
    route("/_mock/events/{event_id}/redeliver", {"POST": redeliver_event}),
    route("/_mock/deliveries", {"GET": list_deliveries}),
    route("/_mock/event-keys/rotate", {"POST": rotate_event_keys}),
]
