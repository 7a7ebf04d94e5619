"""The platform's Apps API, as a partner app calls it: acknowledging an installation and
rotated credentials.

| method | path (under ``/apps/{app_id}/installations/{installation_id}``) | body |
|---|---|---|
| POST | /state | state (approve, reject), reason? |
| POST | /credentials/{client_id}/state | state (acknowledged) |

The paths, bodies and statuses are Talkdesk's (docs.talkdesk.com/reference/
appsapp_idinstallationsidstate: 200, 403, 404; docs.talkdesk.com/reference/
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

from collections.abc import Awaitable, Callable

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..platform import trials
from ..platform.envelope import installation_url
from ..platform.errors import Conflict, NotFound, PlatformError
from ..platform.installations import Installation, isoformat
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from .common import idp
from .fields import Text, read_fields
from .mock_api import ALL_METHODS
from .payload import BadInput, read_object

INSTALLATION_PATH = "/apps/{app_id}/installations/{installation_id}"
STATE_FIELDS = {
    "state": Text(required=True, nullable=False, max_len=32),
    "reason": Text(max_len=1000),
}
CREDENTIALS_FIELDS = {"state": Text(required=True, nullable=False, max_len=32)}
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type"}


class Refused(Exception):
    def __init__(self, status: int, message: str, field: str) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


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


def _check_token(request: Request, installation: Installation) -> None:
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError as exc:
        raise Refused(401, str(exc), "Authorization") from None
    if claims.get("idtyp") != "app" and "scp" in claims:
        raise Refused(403, "an app-only token from the client-credentials grant is required",
                      "Authorization")
    client_id = str(claims.get("appid") or claims.get("azp") or "")
    if (client_id.lower() != installation.client_id.lower()
            or str(claims.get("tid", "")) != installation.tenant.id):
        raise Refused(403, "the token was not issued to this installation's client",
                      "Authorization")


async def installation_state(request: Request) -> Response:
    """``approve`` or ``reject`` the installation; 200 with its state after the change."""
    installation = _installation(request)
    body = read_fields(await read_object(request), STATE_FIELDS)
    platform = idp(request).platform
    answered = platform.answer_installation(installation.installation_id, body["state"],
                                            body["reason"])
    approval = answered.approval.to_json(platform.clock.now())
    base = _base_url(request)
    # app.trial_started follows the approval (docs.talkdesk.com/reference/apptrial_started),
    # sent once this answer is: the app's call does not wait on the platform's event.
    then = BackgroundTask(trials.start, platform, installation.installation_id, base_url=base)
    return JSONResponse({
        "state": approval["state"], "reason": approval["reason"],
        "updated_at": approval["updated_at"],
        "_links": {"self": {"href": f"{base}{request.url.path}"},
                   "installation": {"href": installation_url(base, installation.installation_id)}},
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
        "_links": {"self": {"href": f"{_base_url(request)}{request.url.path}"}},
    }, status_code=202)


def _base_url(request: Request) -> str:
    configured = idp(request).platform.config.base_url
    return configured.rstrip("/") if configured else f"{request.url.scheme}://{request.url.netloc}"


def _endpoint(handler: Callable[[Request], Awaitable[Response]]) -> Callable[
        [Request], Awaitable[Response]]:
    """POST only; every refusal in this API's error shape."""

    async def dispatch(request: Request) -> Response:
        if request.method != "POST":
            response = error(405, f"{request.method} is not supported here; use POST", "method")
            response.headers["Allow"] = "POST"
            return response
        try:
            return await handler(request)
        except Refused as exc:
            return error(exc.status, exc.message, exc.field)
        except BadInput as exc:
            return error(exc.status, exc.message, exc.field)
        except Conflict as exc:
            return error(409, exc.description, exc.field or "state")
        except PlatformError as exc:
            return error(exc.status, exc.description, exc.field or "body")

    return dispatch


def _route(path: str, handler: Callable[[Request], Awaitable[Response]]) -> Route:
    return Route(path, _endpoint(handler), methods=ALL_METHODS)


routes: list[BaseRoute] = [
    _route(f"{INSTALLATION_PATH}/state", installation_state),
    _route(f"{INSTALLATION_PATH}/credentials/{{client_id}}/state", credentials_state),
]

__all__ = ["Refused", "error", "routes"]
