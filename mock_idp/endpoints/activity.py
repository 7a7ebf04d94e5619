"""``/_mock/activity`` and ``/_mock/sessions``: what the provider saw and did, in one read.

``GET /_mock/activity?since=<epoch seconds>&limit=<n>`` answers the request log, the logout
notifications, the platform's event deliveries (and the events delivered) and the armed faults
since that real time, newest last, every secret masked (:mod:`mock_idp.redaction`): one call is
all a test needs to draw a scenario's exchange. ``GET /_mock/sessions`` lists the provider's
browser sessions; ``POST /_mock/sessions`` starts one for a user and answers with the cookies a
sign-in would set, so a test's browser (or HTTP client) starts out signed in at the company, as
after an earlier sign-in, without typing a password. The console (:mod:`.console`) shows the
same data through the same functions.
"""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..guest_home import may_sign_in
from ..redaction import mask_json
from ..state import IdpState
from ..store import Session, Tenant, User
from . import browser_sessions as cookies
from .common import idp
from .control import clock_json, recent_requests
from .mock_api import route
from .payload import BadInput, check_known, get_bool, iso, read_object, require_str
from .signin import start_session

MAX_LIMIT = 2000
DEFAULT_LIMIT = 500


def session_json(state: IdpState, session: Session) -> dict[str, Any]:
    """One browser session: who, where, since when, until when, which apps it signed into."""
    tenant = state.store.tenants.get(session.tenant_id)
    user = tenant.users.get(session.user_id) if tenant else None
    return {
        "sid": session.id, "tenant": session.tenant_id,
        "user": user.upn if user else session.user_id, "auth_time": iso(session.auth_time),
        "expires_at": iso(session.expires_at),
        "active": cookies.session_is_valid(state, session),
        "mfa": session.mfa, "persistent": session.persistent,
        "apps": {client_id: iso(at) for client_id, at in session.apps.items()},
    }


def sessions_json(state: IdpState) -> list[dict[str, Any]]:
    """Every browser session kept (:func:`session_json`): one past its window is dropped
    first, rather than listed until the store's next write drops it."""
    state.store.sessions.drop_expired()
    state.store.session_cookies.drop_expired()
    return [session_json(state, session) for session in state.store.sessions.values()]


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
    check_known(params, {"since", "limit"})
    since = _number(params.get("since"), "since", 0, 1e11)
    limit = _number(params.get("limit"), "limit", 1, MAX_LIMIT, integer=True)
    return JSONResponse(activity_json(idp(request), since=since or 0.0,
                                      limit=int(limit or DEFAULT_LIMIT)))


async def sessions(request: Request) -> Response:
    return JSONResponse({"sessions": sessions_json(idp(request))})


def _session_user(state: IdpState, body: dict[str, Any]) -> tuple[Tenant, User]:
    """The tenant and the enabled user ``body`` names (``user`` by UPN or object id; ``tenant``
    by id or domain, needed only when the user is in several tenants)."""
    name = require_str(body, "user")
    tenant_name = body.get("tenant")
    if tenant_name is not None:
        tenant = state.store.resolve_tenant(require_str(body, "tenant"))
        if tenant is None:
            raise BadInput(f"no tenant {tenant_name!r}", field="tenant", status=404)
        tenants = [tenant]
    else:
        tenants = list(state.store.tenants.values())
    found = [(t, u) for t in tenants if (u := t.find_user(name)) is not None]
    if not found:
        raise BadInput(f"no user {name!r}", field="user", status=404)
    if len(found) > 1:
        raise BadInput(f"user {name!r} is in several tenants: name one", field="tenant")
    tenant, user = found[0]
    if not may_sign_in(state.store.tenants, user):  # a guest's home account too
        raise BadInput(f"user {user.upn!r} is disabled, and a disabled account cannot sign in "
                       "(AADSTS50057)", field="user", status=409)
    return tenant, user


async def start_browser_session(request: Request) -> Response:
    """``POST /_mock/sessions`` ``{"user", "tenant"?, "persistent"?, "mfa"?}``: a new IdP
    session for the user, named in the answer's cookies as a password sign-in names it
    (``persistent``: as after "Stay signed in?" answered Yes; ``mfa``: as after an
    authenticator app's code, so v1 tokens say ``amr`` ``mfa``)."""
    state = idp(request)
    body = await read_object(request)
    check_known(body, {"user", "tenant", "persistent", "mfa"})
    persistent = bool(get_bool(body, "persistent"))
    mfa = bool(get_bool(body, "mfa"))
    tenant, user = _session_user(state, body)
    session = start_session(state, tenant, user, mfa=mfa)
    response = JSONResponse({"session": session_json(state, session)}, status_code=201)
    cookies.add_session(response, request, state, session, persistent=persistent)
    return response


routes: list[BaseRoute] = [
    route("/_mock/activity", {"GET": activity}),
    route("/_mock/sessions", {"GET": sessions, "POST": start_browser_session}),
]
