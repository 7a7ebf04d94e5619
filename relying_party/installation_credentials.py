"""Which of an installation's client credentials a call to the platform uses: the current ones,
then the spares two rotations of one second left.

The platform's events say when they were made only to the second (``created_at``, e.g.
``"2016-06-14T16:23:07Z"``) and carry no sequence number: the envelope is ``id`` (an opaque
hex id), ``created_at``, ``api_version``, ``type``, ``app_id``, ``data`` and ``_links``
(docs.talkdesk.com/docs/events-api), and a failed delivery comes again 5 and then 10 minutes
later (docs.talkdesk.com/docs/app-enablement). So of two ``app.credentials_rotated`` created
in one second, nothing tells which is the newer one, nor which secret the platform still takes:
a routine rotation leaves the replaced secret working for a seven-day grace period unless the
app acknowledges the new one, and the acknowledgement ends it at once
(docs.talkdesk.com/reference/appcredentials_rotated). Applying them in arrival order lets a
late retry bring back a secret the platform has ended.

So the one that arrives second is kept beside the current credentials as a spare
(:meth:`relying_party.db.installations.InstallationStore.keep_spare`), and the provider
decides. (A rotation of the same second as the install is the newer one, as the platform
rotates only an installed installation's credentials:
:func:`relying_party.lifecycle.is_stale`.) A code exchange or Apps API call whose secret the
token endpoint refuses (AADSTS7000215, wrong secret; 7000222, expired) is made again with each
spare, and the first the provider takes becomes the installation's credentials. A
client-authentication failure is raised before the code is looked at, so the code is still
unspent for the second try (Entra checks the client first: a retry after AADSTS700025 reaches
PKCE validation, as reported in github.com/Softeria/ms-365-mcp-server/pull/667; the project's
mock does the same). A strictly newer rotation, a new install or an uninstall drops the spares.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .apps_api import CallOutcome, Target
from .db import Installation
from .oidc.errors import LoginError
from .oidc.token_client import (
    ClientCredentials,
    TokenResponse,
    build_code_exchange,
    exchange_code,
)
from .provider import ClientConfig
from .web import AppState

logger = logging.getLogger("relying_party.installations")

REFUSED_SECRET = frozenset({7000215, 7000222})
"""The token endpoint's codes that refuse the client secret itself."""


def refuses_secret(aadsts: object) -> bool:
    return aadsts in REFUSED_SECRET


async def redeem_code(rp: AppState, client: ClientConfig, *, code: str, redirect_uri: str,
                      code_verifier: str) -> TokenResponse:
    """Exchange the code with the client's secret; for an installation whose secret the token
    endpoint refuses, with each of its spares of the same client id (the code was issued to
    it), making the first one taken the installation's. The first refusal is raised when none
    is taken."""
    def exchange(secret: str) -> Awaitable[TokenResponse]:
        credentials = ClientCredentials(
            client_id=client.client_id, client_secret=secret,
            auth_method="client_secret_basic"
            if client.auth_method == "client_secret_basic" else "client_secret_post")
        request = build_code_exchange(client.token_endpoint, code=code,
                                      redirect_uri=redirect_uri, code_verifier=code_verifier,
                                      credentials=credentials)
        return exchange_code(rp.providers.http, request, timeout=rp.providers.timeout)

    try:
        return await exchange(client.client_secret)
    except LoginError as refused:
        if client.source_kind != "installation" or not refuses_secret(
                getattr(refused, "aadsts", None)):
            raise
        for client_id, secret in rp.db.installations.spares(client.source_id):
            if client_id != client.client_id:
                continue
            try:
                tokens = await exchange(secret)
            except LoginError as again:
                if refuses_secret(getattr(again, "aadsts", None)):
                    continue
                raise  # not refused, but not taken either: the next sign-in tries again
            _promote(rp, client.source_id, (client.client_id, client.client_secret),
                     (client_id, secret))
            return tokens
        raise


Call = Callable[[Target], Awaitable[CallOutcome]]


async def call_with_spares(rp: AppState, installation: Installation, target: Target,
                           call: Call) -> CallOutcome:
    """Make an Apps API call with the installation's credentials and, when the token endpoint
    refuses their secret, with each spare, making the first one taken the installation's."""
    outcome = await call(target)
    if outcome.ok or not refuses_secret(outcome.aadsts):
        return outcome
    current = (installation.client_id, installation.client_secret)
    for client_id, secret in rp.db.installations.spares(installation.installation_id):
        again = await call(Target(
            api_root=target.api_root, app_id=target.app_id,
            installation_id=target.installation_id, client_id=client_id,
            client_secret=secret, token_url=target.token_url))
        if again.ok:
            _promote(rp, installation.installation_id, current, (client_id, secret))
        if not refuses_secret(again.aadsts):
            return again
    return outcome


def _promote(rp: AppState, installation_id: str, refused: tuple[str, str],
             spare: tuple[str, str]) -> None:
    if rp.db.installations.promote_spare(installation_id, refused=refused, spare=spare,
                                         at=rp.settings.clock.now()):
        logger.info("installation %s: the provider refused its secret and took the spare "
                    "one of a rotation of the same second, now its credentials",
                    installation_id)
