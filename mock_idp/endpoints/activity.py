"""``/_mock/activity`` and ``/_mock/sessions``: what the provider saw and did, in one read.

``GET /_mock/activity?since=<epoch seconds>&limit=<n>`` answers the request log, the logout
notifications, the platform's event deliveries (and the events delivered) and the armed faults
since that real time, newest last, every secret masked (:mod:`mock_idp.redaction`): one call is
all a test needs to draw a scenario's exchange. ``GET /_mock/sessions`` lists the provider's
browser sessions. The console (:mod:`.console`) shows the same data through the same
functions.
"""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..redaction import mask_json
from ..state import IdpState
from .common import idp, plain_error
from .control import clock_json, recent_requests
from .payload import BadInput, check_known, iso

MAX_LIMIT = 2000
DEFAULT_LIMIT = 500


def sessions_json(state: IdpState) -> list[dict[str, Any]]:
    """Every browser session: who, where, since when, until when, which apps it signed into."""
    now = state.clock.now()
    out = []
    for session in state.store.sessions.values():
        tenant = state.store.tenants.get(session.tenant_id)
        user = tenant.users.get(session.user_id) if tenant else None
        out.append({
            "sid": session.id, "tenant": session.tenant_id,
            "user": user.upn if user else session.user_id, "auth_time": iso(session.auth_time),
            "expires_at": iso(session.expires_at),
            "active": session.active and now < session.expires_at,
            "apps": {client_id: iso(at) for client_id, at in session.apps.items()},
        })
    return out


def notifications_json(state: IdpState, since: float, limit: int) -> list[dict[str, Any]]:
    notes = [n for n in state.notifier.log() if n.wall >= since]
    return [mask_json(n.to_json()) for n in notes[-limit:]]


def deliveries_json(state: IdpState, since: float, limit: int) -> list[dict[str, Any]]:
    attempts = [a for a in state.platform.dispatcher.attempts() if a.wall >= since]
    return [a.to_json() for a in attempts[-limit:]]


def activity_json(state: IdpState, *, since: float = 0.0, limit: int = DEFAULT_LIMIT
                  ) -> dict[str, Any]:
    """Everything since the real time ``since``, at most ``limit`` entries of each kind."""
    requests = recent_requests(state, limit, since=since)
    deliveries = deliveries_json(state, since, limit)
    delivered = {d["event_id"] for d in deliveries}
    events = [mask_json(e) for e in state.platform.events() if e["id"] in delivered]
    return {
        "clock": clock_json(state), "wall": round(time.time(), 3), "since": since,
        "requests": requests, "notifications": notifications_json(state, since, limit),
        "deliveries": deliveries, "events": events,
        "faults": [f.to_json() for f in state.faults.list()],
    }


def _number(text: str | None, name: str, low: float, high: float, *,
            integer: bool = False) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    kind = "an integer" if integer else "a number"
    if not (math.isfinite(value) and low <= value <= high) or (integer and value % 1):
        raise BadInput(f"{name!r} must be {kind} from {low:g} to {high:g}", field=name)
    return value


async def activity(request: Request) -> Response:
    params = request.query_params
    try:
        check_known(params, {"since", "limit"})
        since = _number(params.get("since"), "since", 0, 1e11)
        limit = _number(params.get("limit"), "limit", 1, MAX_LIMIT, integer=True)
    except BadInput as exc:
        return plain_error(exc.status, exc.message, field=exc.field)
    return JSONResponse(activity_json(idp(request), since=since or 0.0,
                                      limit=int(limit or DEFAULT_LIMIT)))


async def sessions(request: Request) -> Response:
    return JSONResponse({"sessions": sessions_json(idp(request))})


routes: list[BaseRoute] = [
    Route("/_mock/activity", activity, methods=["GET"]),
    Route("/_mock/sessions", sessions, methods=["GET"]),
]
