"""The sign-in a response to the redirect endpoints belongs to (:mod:`relying_party.callback`):
its login transaction, named by ``state``, taken once and only by the browser that began it,
and the client it began with, while that client may still sign people in in the lifetime the
sign-in began in (:mod:`relying_party.in_flight`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from starlette.requests import Request

from .db import LoginTransaction, digest
from .failure import FailureSource, SignInFailed
from .in_flight import check_same_lifetime
from .login import source_of
from .login_errors import (
    AmbiguousCallback,
    ConnectionDisabled,
    InstallationInactive,
    StateBrowserMismatch,
    StateExpired,
    StateMissing,
    StateUnknown,
    UnknownInstallation,
)
from .provider import ClientConfig, client_for_connection, client_for_installation
from .web import LOGIN_COOKIE, AppState, cookie, current_session


def no_source(rp: AppState) -> FailureSource:
    return FailureSource(kind=None, id=None, support_contact=rp.settings.default_support_contact)


def client_for_transaction(rp: AppState, tx: LoginTransaction) -> ClientConfig:
    """The client the transaction was started with, if it may still sign people in and is
    still in the lifetime the sign-in began in (:func:`check_same_lifetime`)."""
    if tx.source_kind == "connection":
        connection = rp.db.connections.get(tx.source_id)
        if connection is None:
            # A sign-in is only begun through a connection there is: this one was deleted since
            # (not made again), which ends the sign-ins begun in its lifetime as outdated.
            raise SignInFailed(StateExpired(
                f"connection {tx.source_id!r} was deleted during this sign-in, started at "
                f"{tx.created_at.isoformat()}; its code was not redeemed",
                message="The sign-in settings changed while you were signing in. If signing "
                "in again does not work, please contact support.",
                admin_hint="An admin deleted the connection while this sign-in was in progress; "
                "sign-ins through it work again once it is added back."), no_source(rp))
        if not connection.enabled:
            raise SignInFailed(
                ConnectionDisabled(f"connection {tx.source_id!r} is disabled"),
                source_of(connection),
            )
        client = client_for_connection(connection)
        check_same_lifetime(rp, tx, client)
        return client
    installation = rp.db.installations.get(tx.source_id)
    partner = FailureSource(
        kind="installation", id=tx.source_id, support_contact=rp.settings.partner_support_contact
    )
    if installation is None:
        raise SignInFailed(UnknownInstallation(f"installation {tx.source_id!r}"), partner)
    if not installation.active:
        raise SignInFailed(InstallationInactive(f"installation {tx.source_id!r}"), partner)
    client = client_for_installation(installation, rp.settings)
    check_same_lifetime(rp, tx, client)
    return client


class AlreadySignedIn(Exception):
    """The browser finishes a sign-in it has no binding for, but is signed in through the same
    connection already: a sign-in started in parallel (another tab) completed first."""

    def __init__(self, return_to: str) -> None:
        super().__init__(return_to)
        self.return_to = return_to


def take_transaction(
    rp: AppState, request: Request, params: Mapping[str, str]
) -> tuple[LoginTransaction, ClientConfig]:
    """Consume the login transaction named by ``state``: single use, unexpired, this browser.

    The browser check comes first: a callback URL opened in another browser changes nothing,
    so whoever sees it cannot spoil the sign-in it belongs to. A browser without the binding
    that already holds a session of the same connection or installation is sent on to where
    the sign-in was going (:class:`AlreadySignedIn`), the transaction left as it is. A sign-in
    past its end is told as timed out, whichever browser brings it: its binding cookie has
    expired, and its remnant keeps no binding (nor anything else a sign-in could use)."""
    state = params.get("state")
    if not state:
        raise SignInFailed(StateMissing("callback without state"), no_source(rp))
    now = rp.settings.clock.now()
    tx = rp.db.logins.get(state)
    if tx is None:
        raise SignInFailed(StateUnknown("unknown state"), no_source(rp))
    if tx.used_at is not None:
        raise SignInFailed(StateUnknown("state already used (replay)"), _source_of(rp, tx))
    client = client_for_transaction(rp, tx)
    binding = cookie(request, LOGIN_COOKIE)
    if not hmac.compare_digest(digest(binding or ""), tx.binding_hash):
        found = current_session(request)
        if found is not None and (found[1].source_kind, found[1].source_id) == client.source:
            raise AlreadySignedIn(tx.return_to or "/")
        if tx.expires_at <= now:  # its binding is gone with the rest (relying_party.db.logins)
            raise SignInFailed(_expired(tx), client.failure_source)
        raise SignInFailed(StateBrowserMismatch(_not_this_sign_in(binding)),
                           client.failure_source)
    if rp.db.logins.consume(state, now) is None:
        raise SignInFailed(StateUnknown("state already used (replay)"), client.failure_source)
    if tx.expires_at <= now:
        raise SignInFailed(_expired(tx), client.failure_source)
    return tx, client


def _expired(tx: LoginTransaction) -> StateExpired:
    return StateExpired(f"sign-in started at {tx.created_at}, timed out at {tx.expires_at}")


def _not_this_sign_in(binding: str | None) -> str:
    """Why a browser's binding is not the transaction's, as far as the RP can tell. The usual
    cause is harmless: the binding ends when a sign-in completes and a new one starts with the
    next sign-in, so of two sign-ins started in one browser the second to finish has none."""
    if binding is None:
        return ("this browser has no sign-in in progress: another sign-in in this browser "
                "completed since this one started (the binding ends then), or the sign-in "
                "response was opened in another browser")
    return ("this browser's sign-in in progress is a later one, which superseded this one, or "
            "the sign-in response was opened in another browser")


def _source_of(rp: AppState, tx: LoginTransaction) -> FailureSource:
    try:
        return client_for_transaction(rp, tx).failure_source
    except SignInFailed as exc:
        return exc.source or no_source(rp)


def response_params(rp: AppState, request: Request) -> dict[str, str]:
    """The response's query parameters, each given once (RFC 6749 §3.1): a repeated one ends
    on the failure page before ``state`` is looked up, so nothing is spent. Only ``GET``: the
    app asks for ``response_mode=query``, and a provider's cross-site form post would come
    without the SameSite=Lax login binding."""
    items = request.query_params.multi_items()
    params = dict(items)
    if len(params) < len(items):
        names = [name for name in params if sum(1 for key, _ in items if key == name) > 1]
        raise SignInFailed(AmbiguousCallback(names), no_source(rp))
    return params
