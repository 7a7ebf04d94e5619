"""The reference relying party as an ``asgi`` app for ``reference-rp.toml``.

:func:`create_app` builds :func:`relying_party.create_app` from the profile's ``[app.env]``:
``RP_DB`` (required), ``RP_EVENT_KEYS_URL``, ``RP_PARTNER_APP_ID``, ``RP_READ_TIMEOUT``,
``RP_CONNECT_TIMEOUT``, ``RP_CA_FILE`` (``Settings.ca_file``: trust an https provider's CA),
``RP_ADMIN_TOKEN``, ``RP_GRAPH_URL`` (``Settings.graph_url``); with ``clock = "shared"`` it
runs on the mock provider's clock.
"""

from __future__ import annotations

from dataclasses import fields

from relying_party import Settings
from relying_party import create_app as create_rp
from scenarios.app.adapter import ProfileAdapter
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
    if launch.clock is not None:
        options["clock"] = launch.clock
    return Settings(**options)  # type: ignore[arg-type]


def create_app(launch: AppLaunch) -> object:
    return create_rp(_settings(launch))


def reuse_connection(app: ProfileAdapter) -> bool:
    """``make demo`` with a kept database: point the connection already there for this client
    at this run's provider, instead of configuring a second one. False when there is none."""
    values = app.values
    headers = {"Authorization": f"Bearer {values['admin_token']}", "Origin": app.base_url}
    listed = app.http.get(app.url(CONNECTIONS), headers=headers)
    listed.raise_for_status()
    for connection in listed.json():
        if connection.get("client_id") != values["client_id"]:
            continue
        fields = {name: values[key] for name, key in (
            ("authorization_uri", "authorize_url"), ("token_url", "token_url"),
            ("client_secret", "client_secret"), ("secret_expires_on", "secret_expires_on"))}
        updated = app.http.patch(app.url(f"{CONNECTIONS}/{connection['id']}"), json=fields,
                                 headers=headers)
        updated.raise_for_status()
        values["connection_id"] = str(connection["id"])
        return True
    return False
