"""The order of an installation's lifecycle events: which are stale news, and which name an
installation this app does not have.

The platform retries a failed delivery after 5 and then 10 minutes (partner-sso.md b.2), so
events arrive out of order. Each installation keeps the ``created_at`` of the newest lifecycle
event applied to it, and whether that one uninstalled it or rotated its credentials
(:meth:`relying_party.db.installations.InstallationStore.last_event`).
"""

from __future__ import annotations

from datetime import datetime

from .web import AppState

STALE = "ignored_stale"
"""The outcome of a lifecycle event older than what its installation already shows."""
TIED = "credentials_tied"
"""The outcome of a credentials rotation created in the same second as the rotation that gave
the installation its current credentials: its own are kept beside them."""


class UnknownTarget(Exception):
    """The event names an installation this RP does not have (404; nothing is recorded)."""


def is_stale(rp: AppState, installation_id: str, created_at: datetime, *,
             installing: bool = False) -> bool:
    """Whether a lifecycle event is older news than what its installation already shows.

    An event created before the newest lifecycle event applied to the installation is stale.
    So is one created in the same second as an uninstall, which nothing at that moment
    outranks: a late ``app.installed`` does not revive an uninstalled installation. And so is
    an ``app.installed`` (``installing``) of the same second as a credentials rotation: the
    platform rotates only an installed installation's credentials, so the install came first
    (and a rotation of the same second as an install is the newer one)."""
    mark = rp.db.installations.last_event(installation_id)
    if mark is None:
        return False
    if created_at < mark.event_created_at:
        return True
    return created_at == mark.event_created_at and (
        mark.uninstalled or (installing and mark.rotated))


def ties(rp: AppState, installation_id: str, created_at: datetime) -> bool:
    """Whether a credentials rotation that is not stale was created in the same second as the
    rotation that gave the installation its credentials: the platform's events give no finer
    order, so which is newer is unknown (:mod:`relying_party.installation_credentials`)."""
    mark = rp.db.installations.last_event(installation_id)
    return mark is not None and mark.rotated and mark.event_created_at == created_at


def active(rp: AppState, installation_id: str, created_at: datetime) -> bool:
    """For an event that changes what an installed installation holds (``app.updated``, the
    trial events): True when the installation is there and active; False when it is not and
    the event is older than its uninstall (stale); :class:`UnknownTarget` otherwise."""
    installation = rp.db.installations.get(installation_id)
    if installation is not None and installation.active:
        return True
    if is_stale(rp, installation_id, created_at):
        return False
    raise UnknownTarget(f"no active installation {installation_id}")
