"""The customer-facing apps (widget, portal, knowledge base), the home page and ``/api/me``.

Visiting an app without a session starts SSO at once when there is one enabled connection (or
the one named by ``?connection=``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .connections import APPS
from .db import Session, SessionGroups, User
from .failure import SignInFailed
from .inputs import shown_id
from .login import begin_login, connection_client, source_of
from .login_errors import ConnectionDisabled, NoConnection, UnknownApp
from .logout import sign_out_targets
from .web import current_session, get_only, render_with_csrf, state_of, templates


def user_json(user: User, session: Session, groups: SessionGroups | None = None
              ) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "issuer": session.issuer,
        "subject": session.subject,
        "source_kind": session.source_kind,
        "source_id": session.source_id,
        "platform_user_id": session.platform_user_id,
        "signed_in_at": session.created_at.isoformat(),
        "groups": list(groups.ids) if groups else [],
        "groups_source": groups.source if groups else "none",
    }


async def home(request: Request) -> Response:
    found = current_session(request)
    groups = state_of(request).db.groups.get(found[0]) if found else None
    return render_with_csrf(request, "home.html",
                            {"user": found[2] if found else None, "groups": groups},
                            form_targets=await sign_out_targets(state_of(request),
                                                                found[1] if found else None))


async def app_page(request: Request) -> Response:
    app = request.url.path.strip("/")
    found = current_session(request)
    if found is not None:
        return render_with_csrf(
            request, "app_page.html", {"app": app, "app_title": APPS[app], "user": found[2]},
            form_targets=await sign_out_targets(state_of(request), found[1]),
        )

    rp = state_of(request)
    return_to = f"/{app}"
    named = request.query_params.get("connection")
    if named:
        return await begin_login(request, connection_client(rp, named), return_to=return_to)
    connections = rp.db.connections.all()
    enabled = [c for c in connections if c.enabled]
    if len(enabled) == 1:
        return await begin_login(request, connection_client(rp, enabled[0].id), return_to=return_to)
    if not enabled:
        if len(connections) == 1:
            raise SignInFailed(
                ConnectionDisabled(f"the only connection {connections[0].id!r} is disabled"),
                source_of(connections[0]),
            )
        raise NoConnection(f"{len(connections)} connections, none enabled")
    return templates.TemplateResponse(
        request, "choose.html", {"app": app, "app_title": APPS[app], "connections": enabled}
    )


async def sign_in_url(request: Request) -> Response:
    """``/sso/{connection_id}/{app}``: the generated per-app sign-in URL."""
    app = request.path_params["app"]
    rp = state_of(request)
    connection_id = request.path_params["connection_id"]
    connection = rp.db.connections.get(connection_id)
    if connection is not None and app not in APPS:
        # The failure page, with the connection's contact: the customer's admin gave the link.
        raise SignInFailed(UnknownApp(f"connection {connection_id!r} has no app {shown_id(app)}"),
                           source_of(connection))
    client = connection_client(rp, connection_id)
    return await begin_login(request, client, return_to=f"/{app}")


async def me(request: Request) -> Response:
    found = current_session(request)
    headers = {"Cache-Control": "no-store"}
    if found is None:
        return JSONResponse(
            {"error": "not_signed_in",
             "error_description": "No one is signed in in this browser: sign in through one of "
                                  "the apps first (a connection's sign-in URL, or a partner "
                                  "installation's launch URL, opened from the platform)"},
            status_code=401,
            headers={**headers, "WWW-Authenticate": 'Cookie realm="relying-party"'},
        )
    token, session, user = found
    groups = state_of(request).db.groups.get(token)
    return JSONResponse(user_json(user, session, groups), headers=headers)


routes = [
    Route("/", home, methods=["GET"]),
    *(get_only(f"/{app}", app_page) for app in APPS),  # a visit may start a sign-in
    get_only("/sso/{connection_id}/{app}", sign_in_url),
    Route("/api/me", me, methods=["GET"]),
]
