"""The accounts signed in in one browser: IdP sessions named by cookies.

Like Entra's ``ESTSAUTH`` / ``ESTSAUTHPERSISTENT`` pair, there are two cookies: one that lasts
as long as the browser (the answer "No" to "Stay signed in?", or the question hidden) and one
that persists for the session's lifetime (the answer "Yes"). Each holds the cookie values of
the sessions of the accounts signed in in this browser, newest first, so several accounts can
be signed in at once ("Pick an account"). A session's cookie value is opaque and random
(:attr:`~mock_idp.records.Session.cookie`), as Entra's session cookies are ("Web browser
cookies used in Microsoft Entra authentication" on Microsoft Learn): not the session's id,
which ID tokens (``sid``), ``session_state`` and reports show, so knowing an id signs no one
in. The store binds each value to its session while the session signs in
(:meth:`~mock_idp.store.Store.session_by_cookie`). A third, persistent cookie remembers the
answer to "Stay signed in?" when "Don't show this again" was ticked.

Entra's session cookies are ``SameSite=None; Secure``, so a browser sends them on cross-site
requests too: an app's sign-out form posted to the end-session endpoint, a ``prompt=none``
frame. The mock's are the same over https, and over http on a loopback host (``localhost``,
``*.localhost``, ``127.0.0.0/8``, ``::1``), which Chromium (since 89, crbug.com/1056543) and
Firefox (since 75) treat as a secure context where a ``Secure`` cookie is set and sent (MDN's
``Set-Cookie`` page; httpwg/http-extensions issue #2605). Safari and HTTP clients' cookie jars
(Python's ``http.cookiejar``) keep no ``Secure`` cookie over http, so on a loopback host each
cookie has a twin (:data:`LAX_SUFFIX`) with the same value, ``SameSite=Lax`` and not
``Secure``, and the provider reads both. Over http on any other host a browser refuses
``Secure`` and ``SameSite=None`` without it, so there the cookies are ``SameSite=Lax`` alone:
sent on top-level GET navigations only, which :func:`~mock_idp.endpoints.logout.logout` notes
when a browser's sign-out arrives without them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ..errors import EntraError
from ..guest_home import may_sign_in
from ..protocol.users import is_revoked
from ..signin import session_window
from ..signin.flow import Account
from ..state import IdpState
from ..store import Session
from .cross_site import origin_of

SESSION_COOKIE = "MOCKIDP_SESSION"
PERSISTENT_COOKIE = "MOCKIDP_SESSION_PERSISTENT"
KMSI_COOKIE = "MOCKIDP_KMSI"
LAX_SUFFIX = "_LAX"
"""The twin of each cookie over http on a loopback host (``MOCKIDP_SESSION_LAX``...)."""
MAX_ACCOUNTS = 10
_SEPARATOR = "."
_SECURE_ON_LOOPBACK = (re.compile(r"Firefox/(\d+)"), 75), (re.compile(r"Chrome/(\d+)"), 89)
"""The browsers that keep a ``Secure`` cookie over http on a loopback host, by the version in
their ``User-Agent`` (Chromium's, ``HeadlessChrome/`` and Edge's included, say ``Chrome/``)."""


def is_loopback(host: str | None) -> bool:
    """``host`` is a loopback name or address, which browsers treat as potentially trustworthy
    (Secure Contexts §3.1; Chromium's ``net::IsLocalhost``): ``localhost``, a name under
    ``.localhost``, an IPv4 address in ``127.0.0.0/8`` or ``::1``. A name that only resolves
    to one (an ``/etc/hosts`` entry) is not."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def keeps_secure_on_loopback(request: Request) -> bool:
    """The browser that sent ``request`` keeps ``Secure`` cookies over http on a loopback host
    (Chromium since 89, Firefox since 75: the module's docstring), so it sends the provider's
    ``SameSite=None`` ones on every request there, cross-site ones included."""
    agent = request.headers.get("user-agent", "")
    for pattern, since in _SECURE_ON_LOOPBACK:
        found = pattern.search(agent)
        if found is not None:
            return int(found.group(1)) >= since
    return False


def carried(request: Request) -> tuple[str, ...]:
    """The names of the provider's cookies this request carried (none: a browser that did not
    send them, or a client that never had them)."""
    names = (SESSION_COOKIE, PERSISTENT_COOKIE, KMSI_COOKIE)
    return tuple(n for name in names for n in (name, name + LAX_SUFFIX) if n in request.cookies)


def _site(host: str) -> str:
    """A host's site, near enough without the public suffix list: an address itself, else its
    last two labels (``app.example.test`` and ``idp.example.test`` are one site)."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return ".".join(name.split(".")[-2:])
    return name


def lax_withheld(request: Request) -> bool:
    """A browser leaves its ``SameSite=Lax`` cookies off this request: a cross-site one that is
    not a top-level navigation with a safe method (RFC 6265bis, "Lax" enforcement): an app's
    page posting its sign-out form here, or a frame. Cross-site by ``Sec-Fetch-Site``; where a
    browser sends no ``Sec-Fetch-*`` header (http on a host that is not loopback), by
    ``Origin``, which it sends on every request but ``GET`` and ``HEAD`` (the Fetch standard),
    and a ``GET`` without them is taken as top-level, where ``Lax`` cookies go along."""
    safe = request.method in ("GET", "HEAD")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        top_level = request.headers.get("sec-fetch-dest", "document") == "document"
        return fetch_site.strip().lower() == "cross-site" and not (safe and top_level)
    if safe or "origin" not in request.headers:
        return False
    origin = origin_of(request.headers["origin"])
    if origin is None:  # "null": an opaque origin's request is cross-site
        return True
    parts = urlsplit(origin)
    return (parts.scheme != request.url.scheme
            or _site(parts.hostname or "") != _site(request.url.hostname or ""))


def _cookie(request: Request, name: str) -> str | None:
    """A cookie's value, from its twin when the browser sent only that one."""
    return request.cookies.get(name) or request.cookies.get(name + LAX_SUFFIX)


def _values(request: Request, name: str) -> list[str]:
    """The session cookie values one cookie (and its twin) holds."""
    found: list[str] = []
    for value in (request.cookies.get(name), request.cookies.get(name + LAX_SUFFIX)):
        if value and len(value) <= 64 * MAX_ACCOUNTS:
            found += [v for v in value.split(_SEPARATOR) if 0 < len(v) <= 64]
    return list(dict.fromkeys(found))[:MAX_ACCOUNTS]


def session_ids(request: Request, state: IdpState) -> list[str]:
    """The id of every kept session this browser's cookies name, persistent ones first,
    without repeats."""
    found = [state.store.session_by_cookie(v)
             for v in (*_values(request, PERSISTENT_COOKIE), *_values(request, SESSION_COOKIE))]
    return list(dict.fromkeys(s.id for s in found if s is not None))


def session_is_valid(state: IdpState, session: Session) -> bool:
    """The session still signs its user in: not ended, not expired by the provider's clock, its
    user enabled (a guest's home account too: :func:`~mock_idp.guest_home.may_sign_in`) and its
    sign-in not revoked since (:func:`~mock_idp.protocol.users.is_revoked`:
    moving the clock back revokes nothing)."""
    tenant = state.store.tenants.get(session.tenant_id)
    user = tenant.users.get(session.user_id) if tenant else None
    return (
        session.active and user is not None and may_sign_in(state.store.tenants, user)
        and session.expires_at > state.clock.now()
        and not is_revoked(user, session.auth_time)
    )


def signed_out(state: IdpState, session: Session | None) -> EntraError | None:
    """Why a page shown to a signed-in user can no longer go on: its session ended while the
    page was open (revoked, expired, signed out, or gone with a reset: AADSTS9002313), or its
    user was disabled or deleted (AADSTS50057); ``None`` while it holds."""
    if session is None:
        return EntraError(9002313)
    if session_is_valid(state, session):
        return None
    tenant = state.store.tenants.get(session.tenant_id)
    user = tenant.users.get(session.user_id) if tenant is not None else None
    return EntraError(50057 if user is None or not may_sign_in(state.store.tenants, user)
                      else 9002313)


def accounts(request: Request, state: IdpState, tenant_id: str | None = None
             ) -> tuple[Account, ...]:
    """The valid sessions of this browser (of one tenant when ``tenant_id`` is given), the
    newest sign-in first, one per user."""
    out: dict[str, Account] = {}
    for sid in session_ids(request, state):
        session = state.store.sessions.get(sid)
        if session is None or not session_is_valid(state, session):
            continue
        if tenant_id is not None and session.tenant_id != tenant_id:
            continue
        user = state.store.tenants[session.tenant_id].users[session.user_id]
        known = out.get(user.id)
        if known is None or known.session.auth_time < session.auth_time:
            out[user.id] = Account(session, user)
    return tuple(sorted(out.values(), key=lambda a: a.session.auth_time, reverse=True))


def _write(response: Response, request: Request, name: str, value: str | None,
           max_age: int | None) -> None:
    """Set (or with ``None`` delete) a cookie with the attributes this origin allows, and its
    twin on a loopback host over http."""
    https = request.url.scheme == "https"
    cross_site = https or is_loopback(request.url.hostname)
    variants = [(name, cross_site)]
    if cross_site and not https:
        variants.append((name + LAX_SUFFIX, False))
    for cookie, secure in variants:
        samesite: Literal["none", "lax"] = "none" if secure else "lax"
        if value is None:
            response.delete_cookie(cookie, path="/", secure=secure, httponly=True,
                                   samesite=samesite)
        else:
            response.set_cookie(cookie, value, max_age=max_age, httponly=True, secure=secure,
                                samesite=samesite, path="/")


def _set(response: Response, request: Request, name: str, values: list[str],
         max_age: int | None) -> None:
    _write(response, request, name,
           _SEPARATOR.join(values[:MAX_ACCOUNTS]) if values else None, max_age)


def persistent_max_age(state: IdpState) -> int:
    """The persistent cookie's ``Max-Age``: the persistent window, written again at each use
    (:func:`renew`), so the browser keeps the cookie as long as the provider keeps its
    session. The browser-session cookie has none: it ends with the browser, as Entra's
    ``ESTSAUTH`` does ("Manage the 'Stay signed in?' prompt" on Microsoft Learn)."""
    return int(session_window.window(state.config, True).total_seconds())


def add_session(response: Response, request: Request, state: IdpState, session: Session, *,
                persistent: bool) -> None:
    """Name ``session`` in this browser's cookies (replacing an older session of the same user),
    in the persistent cookie or the browser-session one; ``persistent`` also gives the session
    the persistent window (:func:`~mock_idp.signin.session_window.make_persistent`)."""
    def keep(value: str) -> bool:
        other = state.store.session_by_cookie(value)
        return value != session.cookie and (
            other is None or other.user_id != session.user_id
            or other.tenant_id != session.tenant_id)

    session_window.make_persistent(state.config, session, persistent, state.clock.now())
    persistent_values = [v for v in _values(request, PERSISTENT_COOKIE) if keep(v)]
    browser_values = [v for v in _values(request, SESSION_COOKIE) if keep(v)]
    if persistent:
        persistent_values.insert(0, session.cookie)
    else:
        browser_values.insert(0, session.cookie)
    _set(response, request, PERSISTENT_COOKIE, persistent_values, persistent_max_age(state))
    _set(response, request, SESSION_COOKIE, browser_values, None)


def renew(response: Response, request: Request, state: IdpState, session: Session) -> None:
    """``session`` just signed its user in: when this browser's persistent cookie names it,
    write the cookie again for the persistent window from now, as the session's own window
    was extended (:func:`~mock_idp.signin.session_window.use`)."""
    values = _values(request, PERSISTENT_COOKIE)
    if session.persistent and session.cookie in values:
        _set(response, request, PERSISTENT_COOKIE, values, persistent_max_age(state))


def remove_sessions(response: Response, request: Request, state: IdpState,
                    ended: list[Session]) -> None:
    """Forget ``ended`` in this browser's cookies, keeping its other accounts."""
    gone = {s.cookie for s in ended}
    for name, max_age in ((PERSISTENT_COOKIE, persistent_max_age(state)),
                          (SESSION_COOKIE, None)):
        current = _values(request, name)
        if not current:
            continue
        _set(response, request, name, [s for s in current if s not in gone], max_age)


def remembered_kmsi(request: Request) -> bool | None:
    """The answer to "Stay signed in?" kept by "Don't show this again", if any."""
    value = _cookie(request, KMSI_COOKIE)
    return {"yes": True, "no": False}.get(value or "")


def remember_kmsi(response: Response, request: Request, answer: bool, lifetime: int) -> None:
    _write(response, request, KMSI_COOKIE, "yes" if answer else "no", lifetime)
