"""Events a receiver must refuse although they are well formed, for proving that it does.

The first three forgeries keep the envelope correctly addressed (the app's ``app_id``, a real
installation) and get only the signature wrong:

- ``unknown_key``: ECDSA over the body with a new key (and its kid) the platform does not
  publish;
- ``tampered``: the platform's active key over other bytes (the same event with another id),
  as if the body was changed after signing;
- ``unsigned``: no signature headers.

The fourth, ``foreign_app``, is validly signed by the platform's active key but names another
partner app's ``app_id`` (and ``app_version_id``): the platform signs every partner app's events
with the same keys, so another partner holding one of its own events could post it to this app.
Its ``data`` names this app's installation and account, so the ``app_id`` is the only thing
that tells it is not this app's; an ``app.installed`` or ``app.credentials_rotated`` carries the
other app's credentials (a client id, secret and key pair of its own), which an app applying it
would sign users in with.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from . import envelope as events
from .delivery import EventResult
from .envelope import Envelope, encode
from .errors import InvalidField
from .install_checks import check_app_id
from .installation_key import InstallationKey, new_hex_id
from .installations import ClientSecret, Installation
from .signing import EventKeyRing, EventSigningKey
from .state import PlatformState

FORGERIES = ("unknown_key", "tampered", "unsigned", "foreign_app")
FOREIGN_APP = "foreign_app"
FORGED_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    events.APP_UPDATED: ("user_id",),
    events.USER_LOGOUT: ("user_id", "user_email"),
}
"""What a forged event of each type needs besides ``type`` and ``forgery``; other types take
neither ``user_id`` nor ``user_email``."""


def foreign_app_id(installation: Installation, app_id: str | None) -> str:
    """The other partner app's id a ``foreign_app`` forgery names: ``app_id`` if given (an
    :class:`InvalidField` naming it when it is the installation's own, case ignored, as app ids
    compare), else a new one."""
    if app_id is None:
        return new_hex_id()
    check_app_id(app_id)
    if app_id.lower() == installation.app_id.lower():
        raise InvalidField("app_id must be another app's id than the installation's",
                           field="app_id")
    return app_id


def as_foreign_app(installation: Installation, app_id: str, *, now: datetime,
                   lifetime: timedelta) -> Installation:
    """The installation as another partner app's event would show it: that app's id and
    version, and a client id, secret and key pair of its own (the credentials its
    ``app.installed`` would carry)."""
    return replace(
        installation, app_id=app_id, app_version_id=new_hex_id(), client_id=new_hex_id(),
        credential=ClientSecret.generate(now=now, lifetime=lifetime,
                                         display_name=f"app {app_id}"),
        key=InstallationKey.generate())


def forged_headers(envelope: Envelope, forgery: str, *, keys: EventKeyRing, now: datetime
                   ) -> tuple[bytes, dict[str, str]]:
    """The body to send and the (wrong) signature headers that go with it."""
    body = encode(envelope)
    if forgery == "unknown_key":
        return body, EventSigningKey.generate(now).signature_headers(body)
    if forgery == "tampered":
        return body, keys.signature_headers(encode({**envelope, "id": new_hex_id()}))
    if forgery == "unsigned":
        return body, {}
    if forgery == FOREIGN_APP:
        return body, keys.signature_headers(body)
    raise ValueError(f"unknown forgery {forgery!r}")


async def send_forged(
    platform: PlatformState,
    installation_id: str,
    *,
    event_type: str,
    forgery: str = "unknown_key",
    user_id: str | None = None,
    user_email: str | None = None,
    app_id: str | None = None,
    base_url: str | None = None,
) -> EventResult:
    """A well-formed event of ``event_type`` for the installation, delivered once with a
    signature that is wrong as ``forgery`` says, or (``foreign_app``) validly signed for the
    other partner app ``app_id`` (a new id if none); nothing at the platform changes.
    ``user.logout`` needs ``user_id`` and ``user_email``; ``app.updated`` needs ``user_id``,
    the one user it says lost the app's licence; ``app_id`` goes with ``foreign_app`` only."""
    if event_type not in events.EVENT_TYPES:
        raise InvalidField(f"type must be one of {', '.join(events.EVENT_TYPES)}",
                           field="type")
    if forgery not in FORGERIES:
        raise InvalidField(f"forgery must be one of {', '.join(FORGERIES)}", field="forgery")
    if app_id is not None and forgery != FOREIGN_APP:
        raise InvalidField(f"app_id applies to forgery {FOREIGN_APP} only", field="app_id")
    base = platform.base_url(base_url)
    installation = platform.registry.require_active(installation_id)
    now = platform.clock.now()
    if forgery == FOREIGN_APP:
        installation = as_foreign_app(installation, foreign_app_id(installation, app_id),
                                      now=now, lifetime=platform.registry.secret_lifetime)
    needs = FORGED_EVENT_FIELDS.get(event_type, ())
    for name, value in (("user_id", user_id), ("user_email", user_email)):
        if name in needs and not value:
            raise InvalidField(f"{name} is required for {event_type}", field=name)
        if name not in needs and value is not None:
            takers = " and ".join(t for t, f in FORGED_EVENT_FIELDS.items() if name in f)
            raise InvalidField(f"{name} applies to {takers} only", field=name)
    if event_type == events.USER_LOGOUT:
        body = events.user_logout(installation, user_id=str(user_id),
                                  user_email=str(user_email), base_url=base, now=now)
    elif event_type == events.APP_UPDATED:
        body = events.app_updated(installation, removing=[str(user_id)], base_url=base, now=now)
    else:
        build = {events.APP_INSTALLED: events.app_installed,
                 events.APP_CREDENTIALS_ROTATED: events.app_credentials_rotated,
                 events.APP_UNINSTALLED: events.app_uninstalled}[event_type]
        body = build(installation, base_url=base, now=now)
    raw, headers = forged_headers(body, forgery, keys=platform.keys, now=now)
    delivery = await platform.dispatcher.deliver_forged(installation.events_url, body, raw,
                                                        headers, forgery)
    return EventResult(installation=installation, event=body, delivery=delivery, at=now)
