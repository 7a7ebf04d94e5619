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
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..guest_home import may_sign_in
from ..protocol.users import is_revoked
from ..signin.flow import Account
from ..state import IdpState
from ..store import Session

SESSION_COOKIE = "MOCKIDP_SESSION"
PERSISTENT_COOKIE = "MOCKIDP_SESSION_PERSISTENT"
KMSI_COOKIE = "MOCKIDP_KMSI"
MAX_ACCOUNTS = 10
_SEPARATOR = "."


def _values(value: str | None) -> list[str]:
    """The session cookie values one cookie holds."""
    if not value or len(value) > 64 * MAX_ACCOUNTS:
        return []
    return [v for v in value.split(_SEPARATOR) if 0 < len(v) <= 64][:MAX_ACCOUNTS]


def session_ids(request: Request, state: IdpState) -> list[str]:
    """The id of every kept session this browser's cookies name, persistent ones first,
    without repeats."""
    found = [state.store.session_by_cookie(v)
             for v in (*_values(request.cookies.get(PERSISTENT_COOKIE)),
                       *_values(request.cookies.get(SESSION_COOKIE)))]
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


def _set(response: Response, request: Request, name: str, values: list[str],
         max_age: int | None) -> None:
    https = request.url.scheme == "https"
    if not values:
        response.delete_cookie(name, path="/", secure=https, httponly=True,
                               samesite="none" if https else "lax")
        return
    response.set_cookie(name, _SEPARATOR.join(values[:MAX_ACCOUNTS]), max_age=max_age,
                        httponly=True, secure=https, samesite="none" if https else "lax",
                        path="/")


def add_session(response: Response, request: Request, state: IdpState, session: Session, *,
                persistent: bool) -> None:
    """Name ``session`` in this browser's cookies (replacing an older session of the same user),
    in the persistent cookie or the browser-session one."""
    def keep(value: str) -> bool:
        other = state.store.session_by_cookie(value)
        return value != session.cookie and (
            other is None or other.user_id != session.user_id
            or other.tenant_id != session.tenant_id)

    persistent_values = [v for v in _values(request.cookies.get(PERSISTENT_COOKIE)) if keep(v)]
    browser_values = [v for v in _values(request.cookies.get(SESSION_COOKIE)) if keep(v)]
    if persistent:
        persistent_values.insert(0, session.cookie)
    else:
        browser_values.insert(0, session.cookie)
    lifetime = int((session.expires_at - session.auth_time).total_seconds())
    _set(response, request, PERSISTENT_COOKIE, persistent_values, lifetime)
    _set(response, request, SESSION_COOKIE, browser_values, None)


def remove_sessions(response: Response, request: Request, ended: list[Session],
                    lifetime: int) -> None:
    """Forget ``ended`` in this browser's cookies, keeping its other accounts."""
    gone = {s.cookie for s in ended}
    for name, max_age in ((PERSISTENT_COOKIE, lifetime), (SESSION_COOKIE, None)):
        current = _values(request.cookies.get(name))
        if not current:
            continue
        _set(response, request, name, [s for s in current if s not in gone], max_age)


def remembered_kmsi(request: Request) -> bool | None:
    """The answer to "Stay signed in?" kept by "Don't show this again", if any."""
    value = request.cookies.get(KMSI_COOKIE)
    return {"yes": True, "no": False}.get(value or "")


def remember_kmsi(response: Response, request: Request, answer: bool, lifetime: int) -> None:
    https = request.url.scheme == "https"
    response.set_cookie(KMSI_COOKIE, "yes" if answer else "no", max_age=lifetime,
                        httponly=True, secure=https, samesite="none" if https else "lax",
                        path="/")
