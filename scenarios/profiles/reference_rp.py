"""The reference relying party as an ``asgi`` app for ``reference-rp.toml``.

:func:`create_app` builds :func:`relying_party.create_app` from the profile's ``[app.env]``:
``RP_DB`` (required), ``RP_EVENT_KEYS_URL``, ``RP_PARTNER_APP_ID``, ``RP_READ_TIMEOUT``,
``RP_CONNECT_TIMEOUT``, ``RP_CA_FILE`` (``Settings.ca_file``: trust an https provider's CA),
``RP_ADMIN_TOKEN``, ``RP_GRAPH_URL`` (``Settings.graph_url``), ``RP_ALLOW_HTTP_IDP``
(``Settings.allow_http_idp`` when ``1``); with ``clock = "shared"`` it runs on the mock
provider's clock.
"""

from __future__ import annotations

from dataclasses import fields
from urllib.parse import urlsplit

from starlette.applications import Starlette

from relying_party import Settings
from relying_party import create_app as create_rp
from relying_party.web import AppState
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.calls import fill_json
from scenarios.app.servers import AppLaunch

__all__ = ["create_app", "reuse_connection"]

CONNECTIONS = "/api/admin/connections"


def _settings(launch: AppLaunch) -> Settings:
    env = launch.env
    known = {f.name for f in fields(Settings)}
    options: dict[str, object] = {
        "db_path": env["RP_DB"],
        "public_url": launch.base_url,
        "event_keys_url": env.get("RP_EVENT_KEYS_URL") or None,
        "partner_app_id": env.get("RP_PARTNER_APP_ID") or None,
    }
    for name, key in (("read_timeout", "RP_READ_TIMEOUT"),
                      ("connect_timeout", "RP_CONNECT_TIMEOUT")):
        if env.get(key):
            options[name] = float(env[key])
    if env.get("RP_ADMIN_TOKEN") and "admin_token" in known:
        options["admin_token"] = env["RP_ADMIN_TOKEN"]
    if env.get("RP_CA_FILE"):
        options["ca_file"] = env["RP_CA_FILE"]
    if env.get("RP_GRAPH_URL") and "graph_url" in known:
        options["graph_url"] = env["RP_GRAPH_URL"]
    if env.get("RP_ALLOW_HTTP_IDP") == "1":
        options["allow_http_idp"] = True
    if launch.clock is not None:
        options["clock"] = launch.clock
    return Settings(**options)  # type: ignore[arg-type]


def create_app(launch: AppLaunch) -> object:
    return create_rp(_settings(launch))


def reuse_connection(app: ProfileAdapter) -> bool:
    """``make demo`` with a kept database: point the connection already there for this client
    wholly at this run's provider (what the profile's configure call would send), instead of
    configuring a second one. False when there is none. Only a connection of the id the
    configure call names counts (the client id, which names its redirect URI): one an earlier
    version made under another id would come back to a redirect URI the app registration does
    not have.

    A provider on another port is another provider to the app (another issuer), so what the
    kept database holds of the earlier one moves to this one: its users' identities and
    sessions. Its partner installations end, as ``app.uninstalled`` ends one: the platform that
    made them is gone, and this run installs the app anew."""
    rp = _state(app)
    if rp is not None:
        _end_other_providers_installations(rp, app.values["idp_url"])
    values = app.values
    headers = {"Authorization": f"Bearer {values['admin_token']}", "Origin": app.base_url}
    listed = app.http.get(app.url(CONNECTIONS), headers=headers)
    listed.raise_for_status()
    body = next(fill_json(call.json, values) for call in app.profile.configure
                if call.url == CONNECTIONS)
    assert isinstance(body, dict), body
    body = dict(body)
    wanted = body.pop("id", None)
    for connection in listed.json():
        if connection.get("client_id") != values["client_id"] or (
                wanted is not None and connection.get("id") != wanted):
            continue
        updated = app.http.patch(app.url(f"{CONNECTIONS}/{connection['id']}"), json=body,
                                 headers={**headers,
                                          "If-Match": f'"{connection["version"]}"'})
        updated.raise_for_status()
        values["connection_id"] = str(connection["id"])
        if rp is not None:
            _move_identities(rp, _origin(connection["effective_discovery_url"]),
                             _origin(values["idp_url"]))
        return True
    return False


def _state(app: ProfileAdapter) -> AppState | None:
    served = app.server.asgi_app
    if not isinstance(served, Starlette):
        return None
    rp: AppState = served.state.rp
    return rp


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _end_other_providers_installations(rp: AppState, idp_url: str) -> None:
    for installation in rp.db.installations.all():
        if installation.active and not installation.authorization_url.startswith(idp_url + "/"):
            rp.db.deactivate_installation(installation.installation_id,
                                          rp.settings.clock.now())


def _move_identities(rp: AppState, old: str, new: str) -> None:
    """Identities and sessions of the provider at origin ``old`` become the one's at ``new``:
    an issuer on that origin (``{old}/{tenant}/v2.0``), or an issuer key qualified by it
    (``entra:{tenant}@{old}``; :mod:`relying_party.oidc.issuer_key`)."""
    if old == new:
        return

    def moved(issuer: str) -> str:
        if issuer.startswith(old + "/"):
            return new + issuer.removeprefix(old)
        if issuer.endswith("@" + old):
            return issuer.removesuffix(old) + new
        return issuer

    with rp.db.transaction() as sql:
        for table in ("identities", "sessions"):
            issuers = [row[0] for row in sql.execute(f"SELECT DISTINCT issuer FROM {table}")]
            for issuer in issuers:
                if moved(issuer) != issuer:
                    sql.execute(f"UPDATE OR IGNORE {table} SET issuer = ? WHERE issuer = ?",
                                (moved(issuer), issuer))
