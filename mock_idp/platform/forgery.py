"""Events that are not validly signed, for proving that a receiver refuses them.

Each forgery keeps the envelope well formed and correctly addressed (the app's ``app_id``, a
real installation) and gets only the signature wrong:

- ``unknown_key``: ECDSA over the body with a new key (and its kid) the platform does not
  publish;
- ``tampered``: the platform's active key over other bytes (the same event with another id),
  as if the body was changed after signing;
- ``unsigned``: no signature headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import envelope as events
from .delivery import EventResult
from .envelope import Envelope, encode
from .errors import InvalidField
from .installation_key import new_hex_id
from .signing import EventKeyRing, EventSigningKey

if TYPE_CHECKING:
    from .state import PlatformState

FORGERIES = ("unknown_key", "tampered", "unsigned")
FORGED_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    events.APP_UPDATED: ("user_id",),
    events.USER_LOGOUT: ("user_id", "user_email"),
}
"""What a forged event of each type needs besides ``type`` and ``forgery``; other types take
neither ``user_id`` nor ``user_email``."""


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
    raise ValueError(f"unknown forgery {forgery!r}")


async def send_forged(
    platform: PlatformState,
    installation_id: str,
    *,
    event_type: str,
    forgery: str = "unknown_key",
    user_id: str | None = None,
    user_email: str | None = None,
    base_url: str | None = None,
) -> EventResult:
    """A well-formed event of ``event_type`` for the installation, delivered once with a
    signature that is wrong as ``forgery`` says; nothing at the platform changes.
    ``user.logout`` needs ``user_id`` and ``user_email``; ``app.updated`` needs ``user_id``,
    the one user it says lost the app's licence."""
    if event_type not in events.EVENT_TYPES:
        raise InvalidField(f"type must be one of {', '.join(events.EVENT_TYPES)}",
                           field="type")
    if forgery not in FORGERIES:
        raise InvalidField(f"forgery must be one of {', '.join(FORGERIES)}", field="forgery")
    base = platform.base_url(base_url)
    installation = platform.registry.require_active(installation_id)
    now = platform.clock.now()
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
