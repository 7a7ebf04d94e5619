"""The test-control API under ``/_mock/``: health, tenants, reset, the clock, keys, request log,
per-user custom claims (:mod:`.custom_claims`: a test-only escape hatch, not Entra
behaviour) and a user's authenticator app (:mod:`.authenticator`).

Tests, scripts and CI in any language arrange the provider over HTTP here. Every refusal is a
4xx ``{"error": {"code", "message", "field"}}``. ``RequestLogMiddleware`` (in
:mod:`mock_idp.request_log`) fills the request log.

Long because: the tenant routes check each setting a tenant update may change (sign-in,
consent, lockout, authentication contexts) before changing any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .. import lockout
from ..clock import MockClock, epoch
from ..config import ConfigError, IdpConfig, TenantConfig
from ..protocol import auth_contexts
from ..set_ups import set_up_again
from ..state import IdpState
from ..store import Tenant
from . import authenticator, custom_claims
from .common import base_url, idp, plain_error
from .graph_rules import check_new_tenant
from .mock_api import ALL_METHODS, route
from .payload import (
    BadInput,
    check_known,
    clock_target,
    get_bool,
    get_int,
    get_number,
    get_str,
    iso,
    parse_datetime,
    read_object,
)
from .platform import request_base_url

MAX_SHIFT = timedelta(days=100 * 365)
MAX_LOG_LIMIT = 2000

# --- durations ------------------------------------------------------------------------------

# ASCII digits only (re.ASCII): "\d" alone would also read "１" or "٣" as a number.
_ISO_DURATION = re.compile(
    r"^(?P<sign>[+-])?P(?:(?P<w>\d+(?:[.,]\d+)?)W)?(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE | re.ASCII,
)
_SHORT_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", re.IGNORECASE | re.ASCII)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``PT5M``, ``P1DT2H``, ``-PT30S`` or the short forms ``5m``, ``2h``, ``181d``, ``1h30m``."""
    value = text.strip()
    match = _ISO_DURATION.match(value)
    empty = value.upper().lstrip("+-") in ("P", "PT") or value.upper().endswith("T")
    if match is not None and not empty:
        parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items()
                 if k != "sign" and v is not None}
        seconds = (parts.get("w", 0) * 604800 + parts.get("d", 0) * 86400
                   + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0))
        return timedelta(seconds=-seconds if match.group("sign") == "-" else seconds)
    if re.match(r"^[+-]?P", value, re.IGNORECASE) and re.search(
            r"[0-9]+[YM]", value.split("T")[0], re.IGNORECASE):
        raise ValueError("years and months have no fixed length; use days, e.g. P181D")
    sign, body = (value[0], value[1:]) if value[:1] in "+-" and value else ("+", value)
    body = body.replace(" ", "")
    if body and _SHORT_PART.sub("", body) == "":
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _SHORT_PART.findall(body))
        return timedelta(seconds=-seconds if sign == "-" else seconds)
    raise ValueError(f"{text[:64]!r} is not a duration; use ISO 8601 (PT5M, P1DT2H) or a short "
                     f"form (30s, 5m, 2h, 181d)")


# --- health and tenants ---------------------------------------------------------------------

async def health(request: Request) -> Response:
    state = idp(request)
    return JSONResponse({"status": "ok", "now": iso(state.clock.now()),
                         "tenants": len(state.store.tenants)})


def tenant_json(request: Request, tenant: Tenant) -> dict[str, Any]:
    base = base_url(request)
    return {**tenant.graph(), "authority": f"{base}/{tenant.id}",
            "issuer": f"{base}/{tenant.id}/v2.0",
            "show_keep_me_signed_in": tenant.show_keep_me_signed_in,
            "allow_user_consent": tenant.allow_user_consent,
            "lockout_threshold": tenant.lockout.threshold,
            "lockout_duration_seconds": int(tenant.lockout.duration.total_seconds()),
            "auth_contexts": dict(sorted(tenant.auth_contexts.items(),
                                         key=lambda kv: int(kv[0][1:]))),
            "mfa_at_sign_in": tenant.mfa_at_sign_in}


async def list_tenants(request: Request) -> Response:
    tenants = idp(request).store.tenants.values()
    return JSONResponse({"tenants": [tenant_json(request, t) for t in tenants]})


def tenant_config_from_mapping(data: Mapping[str, Any]) -> TenantConfig:
    """One ``[[tenants]]`` entry of ``idp.toml`` (as a mapping) -> a :class:`TenantConfig`."""
    return IdpConfig.from_mapping({"tenants": [data]}).tenants[0]


def _precheck_tenant(body: Mapping[str, Any]) -> None:
    """Shape checks the TOML loader leaves to the TOML parser, plus no file reads over HTTP."""
    get_str(body, "region", max_len=16)
    for kind in ("apps", "users"):
        items = body.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise BadInput(f"{kind!r} must be an array of objects", field=kind)
    for i, app in enumerate(body.get("apps", [])):
        for kind in ("secrets", "certificates"):
            items = app.get(kind, [])
            where = f"apps[{i}].{kind}"
            if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                raise BadInput(f"{where!r} must be an array of objects", field=where)
            for j, item in enumerate(items):
                if "pem_file" in item:
                    raise BadInput("'pem_file' is not accepted over HTTP; send 'pem'",
                                   field=f"{where}[{j}].pem_file")
                get_str(item, "display_name", f"{where}[{j}]")


_CONFIG_WHERE = re.compile(r"^tenants\[0\]\.?(?P<field>[^\s:]*):?\s*(?P<rest>.*)$")


def _config_error(exc: Exception) -> BadInput:
    text = str(exc)
    match = _CONFIG_WHERE.match(text)
    if match is None:
        return BadInput(f"invalid tenant: {text}")
    field = match.group("field")
    unknown = re.match(r"unknown key '([^']+)'", match.group("rest"))
    if unknown:
        field = f"{field}.{unknown.group(1)}" if field else unknown.group(1)
    message = f"{match.group('field')} {match.group('rest')}".strip()
    return BadInput(f"invalid tenant: {message}", field=field or "body")


async def create_tenant(request: Request) -> Response:
    body = await read_object(request)
    _precheck_tenant(body)
    try:
        cfg = tenant_config_from_mapping(body)
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise _config_error(exc) from exc
    state = idp(request)
    async with state.tenant_changes:  # after a deletion of the same id has ended
        if cfg.id in state.store.tenants:
            raise BadInput(f"a tenant with id {cfg.id} already exists", field="id", status=409)
        if state.store.resolve_tenant(cfg.domain) is not None:
            raise BadInput(f"a tenant with domain {cfg.domain} already exists", field="domain",
                           status=409)
        check_new_tenant(cfg, state.store)
        try:
            tenant = state.store.add_tenant(cfg, state.clock.now())
        except ValueError as exc:  # a guest's home (a ConfigError), or a certificate
            raise _config_error(exc) if isinstance(exc, ConfigError) else BadInput(
                f"invalid certificate: {exc}", field="apps.certificates") from exc
    return JSONResponse(tenant_json(request, tenant), status_code=201)


async def update_tenant(request: Request) -> Response:
    """The tenant's sign-in settings: ``{"show_keep_me_signed_in": false}`` turns "Stay signed
    in?" off, as company branding's "Show option to remain signed in" does in Entra;
    ``{"allow_user_consent": false}`` is the user consent setting "Do not allow user consent";
    ``lockout_threshold`` and ``lockout_duration_seconds`` are smart lockout's settings;
    ``{"auth_contexts": {"c1": "mfa"}}`` defines Conditional Access authentication contexts
    and what their policies ask (``mfa`` or ``none``; ``null`` removes one), and
    ``{"mfa_at_sign_in": false}`` asks an authenticator app's code only where one does."""
    segment = request.path_params["tenant"]
    tenant = idp(request).store.resolve_tenant(segment)
    if tenant is None:
        raise BadInput(f"no tenant {segment[:80]!r}", field="tenant", status=404)
    body = await read_object(request)
    check_known(body, {"show_keep_me_signed_in", "allow_user_consent", "lockout_threshold",
                       "lockout_duration_seconds", "auth_contexts", "mfa_at_sign_in"})
    show = get_bool(body, "show_keep_me_signed_in")
    mfa_at_sign_in = get_bool(body, "mfa_at_sign_in")
    contexts = _auth_contexts(body)
    allow = get_bool(body, "allow_user_consent")
    threshold = get_int(body, "lockout_threshold", minimum=1, maximum=lockout.MAX_THRESHOLD)
    seconds = get_int(body, "lockout_duration_seconds", minimum=1,
                      maximum=int(lockout.MAX_DURATION.total_seconds()))
    if threshold is not None:
        tenant.lockout.threshold = threshold
    if seconds is not None:
        tenant.lockout.duration = timedelta(seconds=seconds)
    if show is not None:
        tenant.show_keep_me_signed_in = show
    if allow is not None:
        tenant.allow_user_consent = allow
    if mfa_at_sign_in is not None:
        tenant.mfa_at_sign_in = mfa_at_sign_in
    for context, need in contexts.items():
        if need is None:
            tenant.auth_contexts.pop(context, None)
        else:
            tenant.auth_contexts[context] = need
    return JSONResponse(tenant_json(request, tenant))


def _auth_contexts(body: Mapping[str, Any]) -> dict[str, str | None]:
    """``auth_contexts`` of a tenant update: context ids mapped to a requirement or ``null``."""
    value = body.get("auth_contexts", {})
    if not isinstance(value, dict):
        raise BadInput("'auth_contexts' must be an object of context ids (c1 ... c99) and "
                       "requirements", field="auth_contexts")
    for key, need in value.items():
        if not auth_contexts.is_context_id(key):
            raise BadInput(f"{key[:20]!r} is not an authentication context id (c1 ... c99)",
                           field=f"auth_contexts.{key[:20]}")
        if need is not None and need not in auth_contexts.REQUIREMENTS:
            raise BadInput(f"'auth_contexts.{key}' must be one of: "
                           f"{', '.join(auth_contexts.REQUIREMENTS)}, or null",
                           field=f"auth_contexts.{key}")
    return value


async def delete_tenant(request: Request) -> Response:
    """The tenant, its sessions, codes, refresh tokens, device codes and sign-in pages, and its
    platform installations: each active one ends as ``DELETE /_mock/installations/{id}`` ends
    one, then all are forgotten with their events and queued retries
    (:meth:`~mock_idp.platform.PlatformState.end_tenant`); the faults scoped to it, its users or
    its apps are cleared."""
    state = idp(request)
    segment = request.path_params["tenant"]
    async with state.tenant_changes:  # a tenant made again under its id waits for the end
        store = state.store
        tenant = store.resolve_tenant(segment)
        if tenant is None:
            raise BadInput(f"no tenant {segment[:80]!r}", field="tenant", status=404)
        del store.tenants[tenant.id]
        store.end([s for s in store.sessions.values() if s.tenant_id == tenant.id])
        for code in [k for k, c in store.codes.items() if c.tenant_id == tenant.id]:
            store.codes.pop(code, None)
        for token in [k for k, t in store.refresh_tokens.items() if t.tenant_id == tenant.id]:
            store.refresh_tokens.pop(token, None)
        # A device's sign-in too, approved or not: it would otherwise be redeemed (or approved)
        # in a tenant made again under the same id, whose users have the same ids.
        for device in [k for k, d in store.device_codes.items() if d.tenant_id == tenant.id]:
            store.device_codes.pop(device, None)
        # And its sign-in pages still waiting for a form: their password would otherwise be
        # checked against (and sign in) the user of the same name in one made again.
        for ctx in [c for c, t in store.pending.items() if t.tenant_id == tenant.id]:
            store.pending.pop(ctx, None)
        state.faults.clear_scoped(  # and those of its apps no other tenant registers
            tenants=[tenant.id], users=list(tenant.users),
            apps=[app for app in tenant.apps if store.find_app_any(app) is None])
        await state.platform.end_tenant(tenant.id, base_url=request_base_url(request))
    return Response(status_code=204)


# --- reset and clock ------------------------------------------------------------------------

def _mock_clock(state: IdpState) -> MockClock:
    if not isinstance(state.clock, MockClock):
        raise BadInput("the provider's clock is not a MockClock, so it cannot be moved",
                       field="clock", status=409)
    return state.clock


async def reset_provider(state: IdpState, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /_mock/reset``'s work: back to the configured directory (and, when ``body``
    asks, the clock and the keys), then what a program running the provider set up in it made
    again unless ``set_up`` is false (``set_up`` in the answer: what each said); the console's
    reset button calls it too."""
    check_known(body, {"clock", "keys", "set_up"})
    clock = bool(get_bool(body, "clock"))
    keys = bool(get_bool(body, "keys"))
    set_up = get_bool(body, "set_up") is not False
    if clock:
        _mock_clock(state)
    async with state.resetting:  # one reset at a time, each with its set-ups
        async with state.tenant_changes:  # not in the middle of a tenant's deletion
            state.reset(clock=clock, keys=keys)
        said = await set_up_again(state.set_ups) if set_up else []
        # The keys published afterwards, as GET /_mock/keys lists them: a harness that checks
        # whether a scenario changed them (scenarios.shared_servers) needs no second request.
        signing_keys = await run_in_threadpool(keys_json, state)
        return {"reset": True, **clock_json(state), "set_up": said,
                "signing_keys": signing_keys}


async def reset(request: Request) -> Response:
    body = await read_object(request, optional=True)
    return JSONResponse(await reset_provider(idp(request), body))


def clock_json(state: IdpState) -> dict[str, Any]:
    now = state.clock.now()
    frozen = isinstance(state.clock, MockClock) and state.clock.frozen
    return {"now": iso(now), "frozen": frozen, "epoch": epoch(now)}


async def get_clock(request: Request) -> Response:
    return JSONResponse(clock_json(idp(request)))


def change_clock(state: IdpState, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /_mock/clock``'s work: exactly one of ``advance_seconds``, ``advance`` (a
    duration), ``now`` or ``freeze``; the console's clock buttons call it too."""
    options = ("advance_seconds", "advance", "now", "freeze")
    check_known(body, options)
    given = [k for k in options if k in body]
    if len(given) != 1:
        raise BadInput("send exactly one of " + ", ".join(options) + (
            f"; got {', '.join(given)}" if given else ""), field=given[-1] if given else "body")
    clock = _mock_clock(state)
    option = given[0]
    try:
        if option == "advance_seconds":
            limit = MAX_SHIFT.total_seconds()
            seconds = get_number(body, option, minimum=-limit, maximum=limit) or 0.0
            clock_target(clock.now() + timedelta(seconds=seconds), option)
            clock.advance(timedelta(seconds=seconds))
        elif option == "advance":
            text = get_str(body, option, required=True, max_len=64) or ""
            try:
                delta = parse_duration(text)
            except ValueError as exc:
                raise BadInput(str(exc), field=option) from exc
            if abs(delta) > MAX_SHIFT:
                raise BadInput("'advance' must be at most 100 years", field=option)
            clock_target(clock.now() + delta, option)
            clock.advance(delta)
        elif option == "now":
            text = get_str(body, option, required=True, max_len=64) or ""
            clock.set(clock_target(parse_datetime(text, option), option))
        else:
            if get_bool(body, option):
                clock.freeze()
            else:
                clock.unfreeze()
    except OverflowError as exc:
        raise BadInput(f"{option!r} moves the clock out of range", field=option) from exc
    return clock_json(state)


async def move_clock(request: Request) -> Response:
    body = await read_object(request)
    return JSONResponse(change_clock(idp(request), body))


# --- signing keys ---------------------------------------------------------------------------

def keys_json(state: IdpState) -> dict[str, Any]:
    """The published keys; each one's ``state``: ``active`` (signs), ``retired`` (rotated out,
    published until its time is up) or ``extra`` (published beside them, never signs: by
    ``publish-extra`` or a key-set fault)."""
    active = state.keys.active.kid
    extras = {k.kid for k in state.keys.extras()}
    return {"active": active, "keys": [
        {"kid": k.kid, "created_at": iso(k.created_at), "active": k.kid == active,
         "state": "active" if k.kid == active else "extra" if k.kid in extras else "retired"}
        for k in state.keys.published()
    ]}


async def get_keys(request: Request) -> Response:
    state = idp(request)
    return JSONResponse(await run_in_threadpool(keys_json, state))


def rotate_signing_keys(state: IdpState, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /_mock/keys/rotate``'s work (``retain_seconds`` optional); the console's rotate
    button calls it too. Key generation is slow: call it off the event loop."""
    check_known(body, {"retain_seconds"})
    seconds = get_number(body, "retain_seconds", minimum=0, maximum=MAX_SHIFT.total_seconds())
    state.keys.rotate(retain_for=None if seconds is None else timedelta(seconds=seconds))
    return keys_json(state)


async def rotate_keys(request: Request) -> Response:
    body = await read_object(request, optional=True)
    return JSONResponse(await run_in_threadpool(rotate_signing_keys, idp(request), body))


async def publish_extra_key(request: Request) -> Response:
    body = await read_object(request, optional=True)
    check_known(body, set())
    state = idp(request)
    await run_in_threadpool(state.keys.add_published)
    return JSONResponse(await run_in_threadpool(keys_json, state))


# --- request log ----------------------------------------------------------------------------

def recent_requests(state: IdpState, limit: int, prefix: str = "", since: float = 0.0
                    ) -> list[dict[str, Any]]:
    """The last ``limit`` logged requests whose path starts with ``prefix`` (and that started
    at or after the real time ``since``), masked."""
    entries = [e for e in state.store.request_log
               if e.path.startswith(prefix) and e.wall >= since]
    return [e.to_json() for e in entries[-limit:]]


async def list_requests(request: Request) -> Response:
    params = request.query_params
    check_known(params, {"limit", "path"})
    limit_text = params.get("limit", "100")
    if not (limit_text.isascii() and limit_text.isdigit() and 0 < int(limit_text) <= MAX_LOG_LIMIT):
        raise BadInput(f"'limit' must be an integer from 1 to {MAX_LOG_LIMIT}", field="limit")
    prefix = params.get("path", "")
    if len(prefix) > 2048:
        raise BadInput("'path' is longer than 2048 characters", field="path")
    return JSONResponse({"requests": recent_requests(idp(request), int(limit_text), prefix)})


async def clear_requests(request: Request) -> Response:
    idp(request).store.request_log.clear()
    return Response(status_code=204)


async def unknown_control_path(request: Request) -> Response:
    return plain_error(404, f"no test-control endpoint at {request.url.path[:200]}", field="path")


routes: list[BaseRoute] = [
    route("/_mock/health", {"GET": health}),
    route("/_mock/tenants", {"GET": list_tenants, "POST": create_tenant}),
    route("/_mock/tenants/{tenant}", {"PATCH": update_tenant, "DELETE": delete_tenant}),
    route("/_mock/reset", {"POST": reset}),
    route("/_mock/clock", {"GET": get_clock, "POST": move_clock}),
    route("/_mock/keys", {"GET": get_keys}),
    route("/_mock/keys/rotate", {"POST": rotate_keys}),
    route("/_mock/keys/publish-extra", {"POST": publish_extra_key}),
    route("/_mock/requests", {"GET": list_requests, "DELETE": clear_requests}),
    route("/_mock/tenants/{tenant}/users/{user}/claims",
          {"GET": custom_claims.get_claims, "PUT": custom_claims.put_claims,
           "DELETE": custom_claims.delete_claims}),
    route("/_mock/tenants/{tenant}/users/{user}/authenticator",
          {"GET": authenticator.get_authenticator, "PUT": authenticator.put_authenticator,
           "DELETE": authenticator.delete_authenticator}),
]

fallback_routes: list[BaseRoute] = [
    Route("/_mock/{rest:path}", unknown_control_path, methods=ALL_METHODS)
]
"""Mount after every other ``/_mock/`` route: a JSON 404 for unknown test-control paths."""
