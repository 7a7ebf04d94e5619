"""The redirect URIs: one per connection, and one for the partner app's installations.

A mix-up attack (RFC 9700 §4.4) needs a provider that sends its code back to where another
provider's sign-in expects it. Entra sends no ``iss`` with its authorization response (RFC 9207
is not supported there), so what tells the providers apart is the redirect URI: each connection
has its own, ``{public_url}/auth/callback/{connection id}``, registered at its provider only,
and the platform's installations share ``{public_url}/auth/callback/installation``, registered
on the partner app's registration at the platform. A login transaction records the URI it
sent; a response that arrives at any other is refused before its code is redeemed
(:func:`check_redirect_uri`, called by :mod:`relying_party.callback`). ``/auth/callback``
itself, the one URI of earlier versions, still ends the sign-ins started there.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from .db import LoginTransaction
from .db.sqlite import SourceKind
from .failure import SignInFailed
from .login_errors import RedirectUriMismatch
from .provider import ClientConfig
from .web import AppState

CALLBACK_PATH = "/auth/callback"
INSTALLATION_KEY = "installation"
"""The last segment of the installations' redirect URI; never a connection's id."""

CONNECTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What a connection id chosen on creation may be (an application's client id, for one): a
path segment of the connection's sign-in, logout and redirect URIs as it is written."""


def callback_path(source_kind: SourceKind, source_id: str) -> str:
    """The path of the redirect URI of a connection or (whichever) installation."""
    key = INSTALLATION_KEY if source_kind == "installation" else source_id
    return f"{CALLBACK_PATH}/{key}"


def redirect_uri(base_url: str, source_kind: SourceKind, source_id: str) -> str:
    return base_url + callback_path(source_kind, source_id)


def connection_redirect_uri(base_url: str, connection_id: str) -> str:
    """The redirect URI to register at this connection's provider (and at no other)."""
    return redirect_uri(base_url, "connection", connection_id)


def installation_redirect_uri(base_url: str) -> str:
    """The redirect URI to register on the partner app's registration at the platform."""
    return base_url + f"{CALLBACK_PATH}/{INSTALLATION_KEY}"


def is_callback_path(path: str) -> bool:
    """Whether ``path`` is a redirect endpoint (``/auth/callback`` or one under it)."""
    return path == CALLBACK_PATH or path.startswith(CALLBACK_PATH + "/")


def connection_id_problem(value: object) -> str | None:
    """Why ``value`` cannot be the id chosen for a new connection, or None."""
    if not isinstance(value, str) or not CONNECTION_ID.fullmatch(value):
        return ("must be 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or a "
                "digit")
    if value.lower() == INSTALLATION_KEY:
        return f"{INSTALLATION_KEY!r} names the installations' redirect URI"
    return None


def check_redirect_uri(rp: AppState, request: Request, tx: LoginTransaction,
                       client: ClientConfig) -> None:
    """Refuse a response that arrived at another redirect URI than the one its sign-in sent.

    Each connection has its own redirect URI, so a provider's code comes back to that
    connection's; with the ``state`` of a sign-in started at another connection (a mix-up
    attack: that connection's provider sent the browser on to this one with the attacker's
    request) it would otherwise be redeemed at the other connection's token endpoint, where
    its provider collects it. Entra sends no ``iss`` in the response to tell the providers
    apart; the redirect URI does, whatever the provider sends."""
    key = request.path_params.get("key")
    arrived = rp.settings.base_url + CALLBACK_PATH + (f"/{key}" if key is not None else "")
    if arrived != tx.redirect_uri:
        raise SignInFailed(RedirectUriMismatch(
            f"the response arrived at {arrived}; the sign-in ({tx.source_kind} "
            f"{tx.source_id!r}) was sent with redirect_uri {tx.redirect_uri}: nothing was "
            "redeemed"), client.failure_source)
