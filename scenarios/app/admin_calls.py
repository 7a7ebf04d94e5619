"""What an administrator does to the app, through its own admin interface: the profile's
``[[configure]]`` and ``[admin]`` HTTP calls (renew the client secret, turn SSO off and on, the
secret's status) and ``[partner] installations``, for
:class:`~scenarios.app.adapter.ProfileAdapter`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from scenarios.app.calls import CallError, captured, dig, response_json, run_call
from scenarios.app.interface import Unsupported
from scenarios.app.profile import HttpCall

if TYPE_CHECKING:
    import httpx

    from scenarios.app.adapter import ProfileAdapter


def admin_call(app: ProfileAdapter, call: HttpCall, what: str, **extra: str) -> httpx.Response:
    return run_call(app.http, call, base_url=app.base_url,
                    values={**app.values, **extra}, what=what)


def configure(app: ProfileAdapter) -> None:
    """Run the profile's ``[[configure]]`` calls, keeping what they capture."""
    for index, call in enumerate(app.profile.configure):
        what = f"configure call {index + 1} of {len(app.profile.configure)}"
        app.values.update(captured(call, admin_call(app, call, what), what))


def renew_secret(app: ProfileAdapter, secret: str, expires_on: date) -> None:
    values = {**app.values, "client_secret": secret,
              "secret_expires_on": expires_on.isoformat()}
    calls = app.profile.admin.renew_secret
    if calls:
        for call in calls:
            run_call(app.http, call, base_url=app.base_url, values=values,
                     what="renewing the client secret")
    elif "admin-renew-secret" in app.capabilities:
        app.server.restart(values)
    else:
        raise Unsupported(f"{app.name}: the profile gives no way to renew the secret")
    app.values = values


def set_sso_enabled(app: ProfileAdapter, enabled: bool) -> None:
    admin = app.profile.admin
    calls = admin.enable_sso if enabled else admin.disable_sso
    if not calls:
        raise Unsupported(f"{app.name}: the profile has no [admin] disable_sso/enable_sso")
    for call in calls:
        admin_call(app, call, "enabling SSO" if enabled else "disabling SSO")


def secret_expired(app: ProfileAdapter) -> bool | None:
    status = app.profile.admin.secret_status
    if status is None:
        return None
    what = "the app's client-secret status"
    value = dig(response_json(admin_call(app, status.call, what), what), status.expired)
    if not isinstance(value, bool):
        raise CallError(f"{what}: {status.expired} is {value!r}, not true or false")
    return value


def installations_text(app: ProfileAdapter) -> str | None:
    partner = app.profile.partner
    if partner is None or partner.installations is None:
        return None
    return admin_call(app, partner.installations, "the app's installations").text


