"""The platform's Apps API, as a partner app calls it: reading its installation and trial,
acknowledging an installation and rotated credentials.

| method | path (under ``/apps/{app_id}/installations/{installation_id}``) | body |
|---|---|---|
| GET | (the installation itself) | |
| GET | /trial | |
| POST | /state | state (approve, reject), reason? |
| POST | /credentials/{client_id}/state | state (acknowledged) |

and ``GET /apps/{app_id}/events/{event_id}``, an event the platform sent the app, where its
``self`` link points (docs.talkdesk.com/reference/app-installed: ``{root}/apps/{app_id}/events/
{id}``), for a token of the client of the installation the event is about.

The paths, bodies and statuses are Talkdesk's (docs.talkdesk.com/reference/
appsapp_idinstallationsid: 200; docs.talkdesk.com/reference/installation-trial-information:
200, 400, 401, 403, 404; docs.talkdesk.com/reference/appsapp_idinstallationsidstate: 200, 403,
404; docs.talkdesk.com/reference/
appsapp_idinstallationsinstallation_idcredentialsclient_idstate: 202, 401, 403, 404, 409), on
the API root that events name as ``_links.root``. Talkdesk asks for an account-level token from
the client-credentials grant with the installation's credentials (docs.talkdesk.com/docs/
app-enablement); here that is an app-only token for Microsoft Graph (``scope=
https://graph.microsoft.com/.default``) from the installation's ``token`` link, issued to the
installation's client id in its tenant, as ``/users/me`` takes a user's token for Graph.

Errors are ``{"code", "message", "fields": [{"name", "description"}]}``, the shape Talkdesk's
credentials reference gives; the codes are the mock's own (the reference lists none).
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..platform import trials
from ..platform.envelope import format_at, installation_url
from ..platform.errors import NotFound, PlatformError
from ..platform.installations import Installation, isoformat
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from .common import idp
from .fields import Text, read_fields
from .mock_api import route
from .payload import read_object
from .platform import request_base_url

INSTALLATION_PATH = "/apps/{app_id}/installations/{installation_id}"
STATE_FIELDS = {
    "state": Text(required=True, nullable=False, max_len=32),
    "reason": Text(max_len=1000),
}
CREDENTIALS_FIELDS = {"state": Text(required=True, nullable=False, max_len=32)}
INSTALLATION_SCOPES = ("openid", "apps:read", "apps:write")
"""The scopes an installation shows as granted: the sign-in's and those of the Apps API calls
the mock serves (both among the scopes Talkdesk lists for an app, docs.talkdesk.com/reference/
appsid). The mock lets every installation's client make all of them."""
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type"}


class Refused(PlatformError):
    """A refusal of this API's own (authentication, the path's ids) with its status."""

    def __init__(self, status: int, message: str, field: str) -> None:
        super().__init__(message, field=field)
        self.status = status


def error(status: int, message: str, field: str) -> JSONResponse:
    body = {"code": _CODES.get(status, "error"), "message": message,
            "fields": [{"name": field, "description": message}]}
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _installation(request: Request) -> Installation:
    """The path's installation of the path's app, active, called with a token of its own."""
    platform = idp(request).platform
    installation_id = request.path_params["installation_id"]
    try:
        installation = platform.registry.get(installation_id)
    except NotFound:
        raise Refused(404, "installation not found", "installation_id") from None
    if installation.app_id.lower() != request.path_params["app_id"].lower():
        raise Refused(404, "app not found", "app_id")
    _check_token(request, installation)
    if not installation.active:
        raise Refused(409, f"the installation is {installation.state}", "installation_id")
    return installation


def app_only_token(request: Request) -> tuple[str, str]:
    """The (tenant id, client id) of the request's bearer token, an app-only token from the
    client-credentials grant: 401 for a missing or bad token, 403 for a user's."""
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError as exc:
        raise Refused(401, str(exc), "Authorization") from None
    if claims.get("idtyp") != "app" and "scp" in claims:
        raise Refused(403, "an app-only token from the client-credentials grant is required",
                      "Authorization")
    return str(claims.get("tid", "")), str(claims.get("appid") or claims.get("azp") or "")


def _check_token(request: Request, installation: Installation) -> None:
    tenant_id, client_id = app_only_token(request)
    if (client_id.lower() != installation.client_id.lower()
            or tenant_id != installation.tenant.id):
        raise Refused(403, "the token was not issued to this installation's client",
                      "Authorization")


async def installation_information(request: Request) -> Response:
    """The installation as Talkdesk's Installation Information shows it: its ids, account,
    scopes and creation date, and its approval's state embedded. The mock does not model the
    administrator who installed the app nor auto-provisioning: ``_embedded`` has no
    ``created_by`` and ``auto_provision_filters`` is empty."""
    installation = _installation(request)
    approval = installation.approval
    url = installation_url(request_base_url(request), installation)
    return JSONResponse({
        "id": installation.installation_id, "app_id": installation.app_id,
        "account_id": installation.tenant.id, "scopes": list(INSTALLATION_SCOPES),
        "auto_provision_filters": [], "created_at": format_at(installation.installed_at),
        "_embedded": {"state": {
            "state": approval.state_at(idp(request).clock.now()), "reason": approval.reason,
            "updated_at": format_at(approval.updated_at),
            "_links": {"self": {"href": f"{url}/state"}},
        }},
        "_links": {"self": {"href": url}},
    })


async def trial_information(request: Request) -> Response:
    """The installation's trial as Talkdesk's Installation Trial Information shows it (``offered``
    until the app approves the installation, then ``active``, ``expired`` or ``ended``); 404
    naming ``trial`` for an installation made without one."""
    installation = _installation(request)
    trial = installation.trial
    if trial is None:
        raise Refused(404, "the installation has no trial", "trial")
    subscription = installation.subscription
    url = installation_url(request_base_url(request), installation)
    return JSONResponse({
        "state": trial.state_at(idp(request).clock.now()),
        "started_at": format_at(trial.started_at),
        "expires_at": format_at(trial.expires_at), "ended_at": format_at(trial.ended_at),
        "ended_reason": trial.ended_reason,
        "subscription_name": None if subscription is None else subscription.name,
        "_links": {"self": {"href": f"{url}/trial"}, "installation": {"href": url}},
    })


async def installation_state(request: Request) -> Response:
    """``approve`` or ``reject`` the installation; 200 with its state after the change."""
    installation = _installation(request)
    body = read_fields(await read_object(request), STATE_FIELDS)
    platform = idp(request).platform
    answered = platform.answer_installation(installation.installation_id, body["state"],
                                            body["reason"])
    approval = answered.approval.to_json(platform.clock.now())
    base = request_base_url(request)
    # app.trial_started follows the approval (docs.talkdesk.com/reference/apptrial_started),
    # sent once this answer is: the app's call does not wait on the platform's event.
    then = BackgroundTask(trials.start, platform, installation.installation_id, base_url=base)
    return JSONResponse({
        "state": approval["state"], "reason": approval["reason"],
        "updated_at": approval["updated_at"],
        "_links": {"self": {"href": f"{base}{request.url.path}"},
                   "installation": {"href": installation_url(base, installation)}},
    }, background=then if approval["state"] == "completed" else None)


async def credentials_state(request: Request) -> Response:
    """``acknowledged``: the app has the rotated credentials; 202, and the old secret ends."""
    installation = _installation(request)
    if request.path_params["client_id"].lower() != installation.client_id.lower():
        raise Refused(404, "credentials not found", "client_id")
    body = read_fields(await read_object(request), CREDENTIALS_FIELDS)
    if body["state"] != "acknowledged":
        raise Refused(400, 'state must be "acknowledged"', "state")
    platform = idp(request).platform
    acknowledged = platform.acknowledge_credentials(installation.installation_id)
    rotation = acknowledged.rotation
    return JSONResponse({
        "state": "acknowledged",
        "acknowledged_at": None if rotation is None else isoformat(rotation.acknowledged_at),
        "_links": {"self": {"href": f"{request_base_url(request)}{request.url.path}"}},
    }, status_code=202)


async def event_information(request: Request) -> Response:
    """The event as it was sent (a redelivery sends the same bytes); 404 naming ``event_id``
    for one the platform did not send this app (or forgot with its tenant)."""
    platform = idp(request).platform
    event = platform.dispatcher.event(request.path_params["event_id"])
    if event is None or str(event["app_id"]).lower() != request.path_params["app_id"].lower():
        raise Refused(404, "event not found", "event_id")
    try:
        installation = platform.registry.get(str(event["data"]["installation_id"]))
    except NotFound:
        raise Refused(404, "event not found", "event_id") from None
    _check_token(request, installation)
    return JSONResponse(event)


routes: list[BaseRoute] = [
    route("/apps/{app_id}/events/{event_id}", {"GET": event_information}, error),
    route(INSTALLATION_PATH, {"GET": installation_information}, error),
    route(f"{INSTALLATION_PATH}/trial", {"GET": trial_information}, error),
    route(f"{INSTALLATION_PATH}/state", {"POST": installation_state}, error),
    route(f"{INSTALLATION_PATH}/credentials/{{client_id}}/state", {"POST": credentials_state},
          error),
]

__all__ = ["Refused", "error", "routes"]
