"""The app under test's side of a live stack (:mod:`scenarios.live`): the values its profile's
templates are filled with, its app registration at the provider, and its start on an address
the stack plans."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mock_idp.testing_records import refusal_frame_hidden
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.host import AppHost
from scenarios.app.profile import AppProfile
from scenarios.app.servers import (
    AppAddress,
    AppServer,
    AppStartError,
    hosted_address,
    plan_address,
    port_in_use,
)
from scenarios.app.templating import TemplateError, render

if TYPE_CHECKING:
    from scenarios.live import LiveStack

__all__ = ["PORT_ATTEMPTS", "StackError", "refused_call_hidden", "register_app", "start_app"]

PORT_ATTEMPTS = 3


class StackError(RuntimeError):
    """A set-up call to the provider was refused."""


def refused_call_hidden(excinfo: Any) -> bool:
    """pytest's ``__tracebackhide__`` for :class:`LiveStack`'s module: a :class:`StackError`
    (or a ``MockIdpError``), the provider refusing what the test asked, is shown at the test's
    own line; any other error keeps the module's frames."""
    return bool(excinfo.errisinstance(StackError) or refusal_frame_hidden(excinfo))


def start_app(stack: contextlib.ExitStack, live: LiveStack, *, host: AppHost | None,
              rp_port: int, workdir: Path, admin_token: str) -> None:
    """Plan the app's address, register it and start it (``live.server``, ``live.app``); the
    app stops as ``stack`` unwinds."""
    profile, idp = live.profile, live.idp
    for attempt in range(1, PORT_ATTEMPTS + 1):
        address = (hosted_address(profile, host) if host is not None
                   else plan_address(profile, port=rp_port))
        if urlsplit(address.base_url).hostname == urlsplit(idp.base_url).hostname:
            raise StackError(
                f"the app's host {urlsplit(address.base_url).hostname} is the mock "
                "provider's: the browser would mix the two sites' cookies; serve the app on "
                "another host name (127.0.0.1)")
        server = stack.enter_context(AppServer(profile, address, workdir=workdir,
                                               clock=live.clock, host=host))
        live.server = server
        values = _app_values(live, server, admin_token)
        live.app = ProfileAdapter(profile, server, values, live.http,
                                  contact=live.options.support_contact)
        register_app(live, profile, values)
        try:
            server.start(values)
        except AppStartError:
            # A free port is found by binding port 0 and letting it go; the app binds it
            # later, and anything on the machine may take it in between. Then the stack
            # plans another port (and registers its redirect URIs again).
            server.stop()
            if attempt == PORT_ATTEMPTS or not _planned_port_lost(profile, address, rp_port):
                raise
            continue
        return


def register_app(stack: LiveStack, profile: AppProfile, base: Mapping[str, str]) -> None:
    """The app's name, redirect and front-channel logout URIs and whether it may be issued ID
    tokens by the authorization endpoint, on its app registration (the
    provider's AADSTS messages and consent page name the app). A logout URI naming a value the
    configure calls capture (the reference RP's names its connection) is registered once that
    value is known: call again after configuring."""
    uris = [render(u, base) for u in profile.provider.redirect_uris]
    if profile.provider.post_logout_redirect_uri:
        uris.append(render(profile.provider.post_logout_redirect_uri, base))
    registered = {"redirectUris": list(dict.fromkeys(uris))}
    spa = profile.provider.platform == "spa"
    web: dict[str, Any] = {"redirectUris": []} if spa else registered
    if profile.provider.id_token_issuance:
        web["implicitGrantSettings"] = {"enableIdTokenIssuance": True}
    if profile.sign_out.frontchannel_uri:
        with contextlib.suppress(TemplateError):
            web["logoutUrl"] = stack.app.frontchannel_uri
    stack.update_app(displayName=profile.name, web=web,
                     spa=registered if spa else {"redirectUris": []},
                     signInAudience=profile.provider.sign_in_audience)


def new_admin_token() -> str:
    """The per-run ``{admin_token}``: letters and digits only. ``token_urlsafe`` starts one
    value in 64 with ``-``, which a command line reads as an option (``panel serve
    --cookie-secret -x…``: argparse's "expected one argument"), so an app handed it as an
    argument failed to start now and then."""
    return secrets.token_hex(24)


def _app_values(live: LiveStack, server: AppServer, admin_token: str) -> dict[str, str]:
    """The values an app profile's templates are filled with."""
    profile, opts = live.profile, live.options
    values = {
        **live.provider_values(), **server.own_values,
        "client_secret": live.client_secret,
        "secret_expires_on": live.secret_end().isoformat(),
        "admin_token": admin_token,
        "support_contact": opts.support_contact or (
            profile.failure.contact if profile.failure is not None else ""),
    }
    values["redirect_uri"] = render(profile.provider.redirect_uris[0], values)
    values["post_logout_redirect_uri"] = render(
        profile.provider.post_logout_redirect_uri or "", values)
    return values


def _planned_port_lost(profile: AppProfile, address: AppAddress, rp_port: int) -> bool:
    """Whether a command app's port, found free by the harness, is now held by something
    else."""
    if rp_port or profile.app.mode != "command" or "{port}" not in profile.app.base_url:
        return False
    return port_in_use(urlsplit(address.base_url).hostname or "127.0.0.1", address.port)
