"""``/_mock/console``: a live page over the provider, for people (``make demo``, debugging).

It shows tenants, apps and when their secrets expire, users (a lockout, an authenticator app),
browser sessions, armed faults, the
clock, the signing keys, recent requests, logout notifications and event deliveries, read
through the same functions as the control API (:mod:`.control`, :mod:`.activity`,
:mod:`.faults`), so it shows nothing the API does not (secrets never: an app's secrets appear as
their hint and end date, logs masked). Its buttons are forms that post to
``/_mock/console/<action>`` (another method there is the API's 405 naming ``method``) and call
the functions the control API calls, so they change nothing the API cannot. Every form carries
a token derived from the provider's console key, and a post that a page of another origin sent
is refused (403), judged as the control API judges one (its ``public_url`` is its own too,
behind a proxy): another page cannot press these buttons. A request whose ``Host`` is not one
of the mock's names gets a short 403 page instead (:mod:`.host_check`, DNS rebinding).
Server-rendered with jinja2; no script, no build step.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..clock import MockClock
from ..errors import EntraError
from ..faults import ENDPOINTS, KINDS, FaultSpecError
from ..platform import trials
from ..state import IdpState
from ..store import Tenant, User
from .activity import deliveries_json, notifications_json, sessions_json
from .common import idp, plain_error, templates
from .control import (
    change_clock,
    clock_json,
    keys_json,
    recent_requests,
    reset_provider,
    rotate_signing_keys,
    tenant_json,
)
from .faults import arm_fault
from .forms import form_fields
from .mock_api import ALL_METHODS, from_another_page
from .payload import BadInput, iso
from .platform import request_base_url

PATH = "/_mock/console"
SHOWN = 50
"""Entries of each log shown (newest first)."""
CLOCK_STEPS = ("1m", "5m", "1h", "1d", "30d", "181d")
MAX_FIELD = 256
ARM_NUMBERS = frozenset({"times", "code", "status", "retry_after", "delay_ms", "seconds"})
"""The arm form's fields that the control API takes as numbers."""
ARM_FIELDS = frozenset({"kind", "endpoint", "tenant", "app", "user", "error", "suberror",
                        *ARM_NUMBERS})
"""The arm form's fields: a refusal naming one focuses it (``autofocus``), any other refusal
of the form its message, as the form posts to an address without a fragment (a fragment would
stop the browser from honouring ``autofocus``) and the page has no script to do it."""

Action = Callable[[Request, IdpState, Mapping[str, str]], Awaitable[str]]


def csrf_token(state: IdpState) -> str:
    """The token every console form carries: an HMAC of the provider's console key."""
    return hmac.new(state.console_key, b"console-form", hashlib.sha256).hexdigest()


def _span(seconds: float) -> str | None:
    """``seconds`` (a length of time) in its largest whole unit, rounded down, so a label
    never says more time than there is ("23 h" at 23 h 59 min); None under a minute."""
    for unit, name in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= unit:
            return f"{int(seconds // unit)} {name}"
    return None


def when(value: object) -> str:
    """A time as the console writes every time: ISO 8601 to the second, in UTC (``Z``); a
    value that is no time, as it is (cut short)."""
    if value is None or value == "":
        return ""
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text[:40]
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digits(text: str) -> bool:
    """A whole number in ASCII digits (``str.isdigit`` also takes "²" and "٣")."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def secret_status(end: str | None, now: datetime) -> tuple[str, str]:
    """(css class, words) for a credential ending at ``end`` (ISO) seen at ``now``. ``end`` is
    what the provider stored, so it is read, not judged: a default end two years after a late
    start may lie past the years an API accepts."""
    if not end:
        return "ok", "no end date"
    try:
        ends = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return "warn", f"ends {end[:40]}"
    left = (ends - now).total_seconds()
    if left <= 0:
        span = _span(-left)
        return "bad", f"expired {span} ago" if span else "expired less than a minute ago"
    span = _span(left)
    return (("warn" if left < 30 * 86400 else "ok"),
            f"expires in {span}" if span else "expires in less than a minute")


def _tenants(request: Request, state: IdpState) -> list[dict[str, Any]]:
    now = state.clock.now()
    out = []
    for tenant in state.store.tenants.values():
        apps = []
        for app in tenant.apps.values():
            graph = app.graph()
            secrets = [{**s, "status": ("bad", "expired") if cred.ended
                        else secret_status(s.get("endDateTime"), now)}
                       for s, cred in zip(graph["passwordCredentials"], app.secrets, strict=True)]
            apps.append({**graph, "secrets": secrets})
        out.append({**tenant_json(request, tenant), "apps": apps,
                    "users": [_user(tenant, u, now) for u in tenant.users.values()]})
    return out


def _user(tenant: Tenant, user: User, now: datetime) -> dict[str, Any]:
    """A user's Graph properties, and what stands in a sign-in's way beyond the password: a
    lockout (until when), an authenticator app's code and a password that must change."""
    locked = tenant.lockout.locked_until(user.id, now)
    return {**user.graph(), "locked_until": iso(locked) if locked is not None else None,
            "authenticator": user.totp_secret is not None,
            "must_change_password": user.force_change_password}


def _installations(state: IdpState) -> list[dict[str, Any]]:
    """The platform's installations, newest first, without their secrets or private keys:
    what the partner app was told and has answered (approval, credentials, trial, licences)."""
    now = state.clock.now()
    found = sorted(state.platform.registry.all(), key=lambda i: i.installed_at, reverse=True)
    shown = []
    for installation in found[:SHOWN]:
        full = installation.to_json(now)
        shown.append({k: full[k] for k in (
            "installation_id", "app_id", "account_name", "state", "installed_at", "approval",
            "credentials", "trial", "unlicensed_users", "subscription")})
    return shown


async def _view(request: Request, state: IdpState) -> dict[str, Any]:
    return {
        "clock": clock_json(state), "movable": isinstance(state.clock, MockClock),
        "clock_steps": CLOCK_STEPS, "keys": await run_in_threadpool(keys_json, state),
        "tenants": _tenants(request, state), "sessions": sessions_json(state),
        "faults": [f.to_json() for f in state.faults.list()],
        "kinds": sorted(KINDS), "endpoints": sorted(ENDPOINTS),
        "requests": recent_requests(state, SHOWN)[::-1],
        "notifications": notifications_json(state, 0.0, SHOWN)[::-1],
        "deliveries": deliveries_json(state, 0.0, SHOWN)[::-1],
        "installations": _installations(state),
        "pending": state.platform.dispatcher.pending(),
        "set_ups": [set_up.name for set_up in state.set_ups],
        "csrf": csrf_token(state), "path": PATH, "when": when,
    }


def _refresh(request: Request) -> int | None:
    """The seconds between reloads the address asks for (``?refresh=5``), when sensible. The
    forms post to an address carrying it, and come back to one, so an action keeps it."""
    refresh = request.query_params.get("refresh", "")
    return int(refresh) if _digits(refresh) and 2 <= int(refresh) <= 600 else None


def _at(request: Request) -> str:
    """The section whose form an action came from (``?at=faults``, as the action's redirect
    names it), where its outcome is shown; any other value: the top of the page."""
    at = request.query_params.get("at", "")
    return at if at in SECTIONS else "top"


async def _render(request: Request, *, status: int = 200, error: str | None = None,
                  field: str | None = None, at: str | None = None,
                  typed: Mapping[str, str] | None = None, arm: bool = False) -> HTMLResponse:
    """The page; ``typed``: what a refused arm form held, shown in it again (escaped, as every
    value is), the field the refusal names marked invalid; ``arm``: the arm form was refused,
    and the field, or else the message, is focused (:data:`ARM_FIELDS`). What an action did
    (``done``) is shown whole, escaped: a reset's says what each set-up made again."""
    state = idp(request)
    refresh = _refresh(request)
    focus_field = field if arm and typed is not None and field in ARM_FIELDS else None
    html = templates.get_template("console.html").render(
        **await _view(request, state), error=error, field=field, at=at or _at(request),
        typed=typed, focus_field=focus_field, focus_error=arm and focus_field is None,
        done=request.query_params.get("done", ""), refresh=refresh,
        query=f"?refresh={refresh}" if refresh else "", request_path=request.url.path)
    return HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "form-action 'self'; frame-ancestors 'none'"})


async def page(request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        response = plain_error(405, f"{request.method} is not supported here; use GET, or "
                               f"POST to {PATH}/<action>", field="method")
        response.headers["Allow"] = "GET"
        return response
    return await _render(request)


# --- actions: each calls what the control API's route calls -------------------------------

async def _clock(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    if "freeze" in form:  # anything but true or false is refused naming freeze
        freeze = form["freeze"]
        body: dict[str, Any] = {"freeze": {"true": True, "false": False}.get(freeze, freeze)}
    elif "now" in form:  # the "Set to" form, even empty: its field is the one to name
        body = {"now": form["now"]}
    else:
        body = {"advance": form.get("advance", "")}
    now = change_clock(state, body)["now"]
    return f"clock: {now}" + (" (frozen)" if body.get("freeze") else "")


async def _reset(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    if form.get("confirm") != "on":  # the box asks it of a browser; this, of any client
        raise BadInput("tick the box to confirm: a reset drops what the section lists, an "
                       "app's secret added at run time too", field="confirm")
    said = (await reset_provider(state, {"clock": form.get("clock") == "on",
                                         "keys": form.get("keys") == "on",
                                         "set_up": form.get("set_up") == "on"}))["set_up"]
    if said:
        return "provider reset; " + "; ".join(said)
    return "provider reset: an app given a secret at run time needs it again"


async def _arm(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    """The arm form: its fields are the JSON API's (a number typed as digits, an AADSTS code
    with or without its prefix); an empty one is left out, and any other is refused by
    :func:`~mock_idp.faults.parse_fault` naming it, as the API refuses it."""
    body: dict[str, Any] = {}
    for name, raw in form.items():
        value = raw.strip()
        if name == "csrf" or not value:
            continue
        if name == "code" and value[:6].upper() == "AADSTS":
            value = value[6:]
        body[name] = _number_in(value) if name in ARM_NUMBERS else value
    try:
        fault = arm_fault(state, body)
    except FaultSpecError as err:
        raise BadInput(str(err), field=err.field) from None
    return f"armed {fault.kind} ({fault.id})"


def _number_in(text: str) -> int | float | str:
    """Digits as a number (``1.5`` too), else the text, for the fault's parser to refuse."""
    if _digits(text):
        return int(text)
    whole, dot, part = text.partition(".")
    if dot and _digits(whole) and _digits(part):
        return float(text)
    return text


async def _clear_faults(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    fault_id = form.get("fault_id") or None
    cleared = state.faults.clear(fault_id)
    if fault_id and not cleared:
        raise BadInput(f"no armed fault {fault_id[:64]!r}", field="fault_id")
    return f"cleared {cleared} fault{'s' if cleared != 1 else ''}"


async def _rotate(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    keys = await run_in_threadpool(rotate_signing_keys, state, {})
    return f"active signing key: {keys['active']}"


async def _clear_requests(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    state.store.request_log.clear()
    return "request log cleared"


async def _run_events(request: Request, state: IdpState, form: Mapping[str, str]) -> str:
    attempts = await trials.run_due(state.platform, base_url=request_base_url(request))
    return f"{len(attempts)} due delivery attempt{'s' if len(attempts) != 1 else ''} sent"


ACTIONS: dict[str, tuple[Action, str]] = {
    "clock": (_clock, "clock"),
    "reset": (_reset, "reset-provider"),
    "arm": (_arm, "faults"),
    "clear-faults": (_clear_faults, "faults"),
    "rotate-keys": (_rotate, "keys"),
    "clear-requests": (_clear_requests, "requests"),
    "run-events": (_run_events, "deliveries"),
}
"""Action name -> (what it does, the section its form is in: the page comes back to it, and
shows there what the action did or why it was refused)."""
SECTIONS = frozenset(section for _, section in ACTIONS.values())


async def act(request: Request) -> Response:
    name = request.path_params["action"]
    if request.method != "POST":
        if name not in ACTIONS:
            return plain_error(404, f"no console action {name[:64]!r}", field="action")
        response = plain_error(405, f"{request.method} is not supported here; a console "
                               f"action takes POST (from the console's forms)", field="method")
        response.headers["Allow"] = "POST"
        return response
    if name not in ACTIONS:
        return await _render(request, status=404, error=f"no console action {name[:64]!r}",
                             field="action", at="top")
    action, section = ACTIONS[name]
    # A refusal is shown in the form's section, where its action's address (#section) leaves
    # the page (the arm form's: its focused field or message, :data:`ARM_FIELDS`); a success
    # comes back there too (``at``), the page's state read afresh.
    arm = name == "arm"
    if from_another_page(request):
        return await _render(request, status=403, error="refused: the form came from another "
                             "site", field="origin", at=section, arm=arm)
    try:
        fields = await form_fields(request)
    except EntraError:
        return await _render(request, status=400, error="unreadable form", field="body",
                             at=section, arm=arm)
    form: dict[str, str] = {}
    # A refused arm form comes back holding what was typed; the other forms hold nothing.
    typed = form if arm else None
    for key, value in fields:
        if key in form:  # as the control API refuses a duplicated parameter
            return await _render(request, status=400, error=f"{key[:64]!r} is given twice; "
                                 "send it once", field=key[:64], at=section, typed=typed,
                                 arm=arm)
        form[key] = value[:MAX_FIELD]
    if not hmac.compare_digest(form.get("csrf", "").encode(), csrf_token(idp(request)).encode()):
        return await _render(request, status=403, error="refused: the form's token is missing "
                             "or stale; reload the console", field="csrf", at=section,
                             typed=typed, arm=arm)
    try:
        done = await action(request, idp(request), form)
    except BadInput as exc:
        return await _render(request, status=exc.status, error=exc.message, field=exc.field,
                             at=section, typed=typed, arm=arm)
    refresh = _refresh(request)
    again = f"refresh={refresh}&" if refresh else ""
    return RedirectResponse(f"{PATH}?{again}done={quote(done)}&at={section}#{section}",
                            status_code=303)


routes: list[BaseRoute] = [
    Route(PATH, page, methods=ALL_METHODS),
    Route(PATH + "/{action}", act, methods=ALL_METHODS),
]
