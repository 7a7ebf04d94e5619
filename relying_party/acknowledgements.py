"""Telling the platform what the app did with its lifecycle events, through its Apps API
(:mod:`relying_party.apps_api`): approving a new installation, acknowledging rotated
credentials.

The event that calls for one marks it ``pending`` with the change it applies
(:mod:`relying_party.partner`); the call itself starts once the event's answer is sent
(:func:`follow_up`, a task of :class:`~relying_party.background.BackgroundCalls`): the
platform's delivery never waits on a call back to the platform. It uses the installation as
stored when it runs, so its newest credentials (or, when the token endpoint refuses their
secret, a spare that a rotation of the same second left:
:mod:`relying_party.installation_credentials`). Its outcome is kept per installation and kind
(:mod:`relying_party.db.acknowledgements`); a failure also goes to the error log under a
reference, attributed to the installation, as sign-in failures do. Nothing here raises: the
event was answered already.

The admin page and API retry an installation's (:func:`retry`), for when the platform was
down: approve it unless it is approved, and acknowledge its credentials when a rotation's
acknowledgement did not succeed. Two retries of one installation at once (two admins, a form
sent twice) make one set of calls: the second waits for the first and answers with its
outcome. Otherwise each would call the platform and log its own failure, and the one started
later would have its outcome kept even when it ended first: the Apps API reference
(docs.talkdesk.com/reference/appsapp_idinstallationsidstate) does not say how a second
approval of an approved installation is answered, and were it an error, the installation
would show as failed though it was approved. (The project's mock platform answers a repeated
approval or acknowledgement as the first, changing nothing.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import apps_api
from .apps_api import CallOutcome
from .db import AckKind, Acknowledgement, AckState, Installation
from .failure import FailureSource, record_failure
from .installation_credentials import call_with_spares
from .oidc.errors import LoginError
from .provider import timeout_of
from .settings import Settings
from .web import AppState

logger = logging.getLogger("relying_party.acknowledgements")

APPROVAL: AckKind = "approval"
CREDENTIALS: AckKind = "credentials"
FOLLOW_UPS: Mapping[str, AckKind] = {
    "installed": APPROVAL, "credentials_rotated": CREDENTIALS, "credentials_tied": CREDENTIALS}
"""The event outcomes (:data:`relying_party.partner.EFFECTS`) that call for a call back."""
DONE: Mapping[AckKind, AckState] = {APPROVAL: "approved", CREDENTIALS: "acknowledged"}
_TIMEOUT_HINT = ("The platform times an installation out 7 days after it was installed "
                 "unless the app approves it (docs.talkdesk.com/docs/app-enablement).")
_GRACE_HINT = ("After a rotation the old credentials keep working for 7 days unless "
               "acknowledged (docs.talkdesk.com/reference/appcredentials_rotated).")
_RETRY = (" Once the platform answers again, retry it from the installation's row on the admin "
          "page.")


class PlatformCallFailed(LoginError):
    """A call to the platform's Apps API that did not succeed, kept in the error log."""

    def __init__(self, detail: str, *, aadsts: int | None = None) -> None:
        super().__init__(detail)
        self.aadsts = aadsts
        """The token endpoint's ``AADSTSnnnn`` code, shown in the error log."""


class ApprovalFailed(PlatformCallFailed):
    """The platform was not told that the app accepted an installation."""

    code = "installation_approval_failed"
    default_message = "The platform could not be told that this app accepted its installation."
    default_admin_hint = _TIMEOUT_HINT + _RETRY


class CredentialsAckFailed(PlatformCallFailed):
    """The platform was not told that the app stored an installation's new credentials."""

    code = "credentials_ack_failed"
    default_message = "The platform could not be told that this app stored its new credentials."
    default_admin_hint = _GRACE_HINT + _RETRY


FAILURES: Mapping[AckKind, type[PlatformCallFailed]] = {
    APPROVAL: ApprovalFailed, CREDENTIALS: CredentialsAckFailed,
}


def call_deadline(settings: Settings) -> float:
    """Seconds each request of a call (the token's, the state change's) may take in all."""
    return settings.connect_timeout + settings.read_timeout


def _target(installation: Installation) -> apps_api.Target:
    return apps_api.Target(
        api_root=installation.api_root, app_id=installation.app_id,
        installation_id=installation.installation_id, client_id=installation.client_id,
        client_secret=installation.client_secret, token_url=installation.token_url,
    )


async def _call(rp: AppState, installation_id: str, kind: AckKind) -> CallOutcome:
    installation = rp.db.installations.get(installation_id)
    if installation is None or not installation.active:
        return CallOutcome(ok=False, reason="the installation is uninstalled")
    if not installation.api_root:
        return CallOutcome(ok=False, reason="no API root is stored for the installation (its "
                           "app.installed came before the app kept it)")
    settings = rp.settings
    call = apps_api.approve_installation if kind == APPROVAL else apps_api.acknowledge_credentials

    async def call_as(target: apps_api.Target) -> CallOutcome:
        return await call(rp.providers.http, target, scope=settings.platform_api_scope,
                          timeout=timeout_of(settings), deadline=call_deadline(settings))

    return await call_with_spares(rp, installation, _target(installation), call_as)


def _keep(rp: AppState, installation_id: str, kind: AckKind, attempt: int,
          outcome: CallOutcome) -> None:
    now = rp.settings.clock.now()
    if outcome.ok:
        rp.db.acknowledgements.finish(installation_id, kind, attempt, state=DONE[kind], at=now)
        logger.info("installation %s: %s on the platform", installation_id, DONE[kind])
        return
    error = FAILURES[kind](f"installation {installation_id}: {outcome.reason}",
                           aadsts=outcome.aadsts)
    source = FailureSource(kind="installation", id=installation_id,
                           support_contact=rp.settings.partner_support_contact)
    record = record_failure(rp.db, rp.settings, error, source, logged_as="platform call failure")
    rp.db.acknowledgements.finish(installation_id, kind, attempt, state="failed", at=now,
                                  reason=outcome.reason, error_ref=record.ref)


async def run(rp: AppState, installation_id: str, kind: AckKind, attempt: int) -> None:
    """Make attempt ``attempt`` of the call of ``kind`` for the installation, and keep how it
    went. Never raises (but for cancellation)."""
    try:
        outcome = await _call(rp, installation_id, kind)
    except Exception as exc:  # a bug here must not go unrecorded, nor reach the event loop
        logger.exception("platform call %s for installation %s failed", kind, installation_id)
        outcome = CallOutcome(ok=False, reason=f"internal error ({type(exc).__name__})")
    try:
        _keep(rp, installation_id, kind, attempt, outcome)
    except Exception:
        logger.exception("could not keep the outcome of platform call %s for installation %s: "
                         "%s", kind, installation_id, outcome.reason)


async def follow_up(rp: AppState, event: Mapping[str, Any], outcome: str) -> None:
    """Start the call an applied event calls for, if any, without waiting for it: the event's
    answer runs this once it is sent. The event marked the call ``pending`` when it was
    applied; this runs that attempt."""
    kind = FOLLOW_UPS.get(outcome)
    data = event.get("data")
    if kind is None or not isinstance(data, dict):
        return
    installation_id = str(data.get("installation_id"))
    try:
        current = rp.db.acknowledgements.of(installation_id).get(kind)
    except Exception:  # the answer is sent: this can only be logged (a retry will call)
        logger.exception("platform call %s for installation %s not started", kind,
                         installation_id)
        return
    if current is not None and current.state == "pending":
        rp.background.start(run(rp, installation_id, kind, current.attempt))


def due(acknowledgements: Mapping[AckKind, Acknowledgement]) -> tuple[AckKind, ...]:
    """What a retry calls: the approval unless approved, the credentials acknowledgement when
    a rotation's is not acknowledged (none is due before a first rotation)."""
    kinds: list[AckKind] = []
    approval = acknowledgements.get(APPROVAL)
    if approval is None or approval.state != DONE[APPROVAL]:
        kinds.append(APPROVAL)
    credentials = acknowledgements.get(CREDENTIALS)
    if credentials is not None and credentials.state != DONE[CREDENTIALS]:
        kinds.append(CREDENTIALS)
    return tuple(kinds)


async def retry(rp: AppState, installation: Installation) -> dict[AckKind, Acknowledgement]:
    """Call now what is :func:`due` for an active installation, one after the other, and wait
    for the outcomes; the installation's acknowledgements then. A retry of the installation
    already under way is waited for instead, and its outcome answered."""
    installation_id = installation.installation_id
    return await rp.background.once(("acknowledge", installation_id),
                                    lambda: _retry(rp, installation_id))


async def _retry(rp: AppState, installation_id: str) -> dict[AckKind, Acknowledgement]:
    for kind in due(rp.db.acknowledgements.of(installation_id)):
        attempt = rp.db.acknowledgements.start(installation_id, kind, rp.settings.clock.now())
        await run(rp, installation_id, kind, attempt)
    return rp.db.acknowledgements.of(installation_id)
