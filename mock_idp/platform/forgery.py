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

from .envelope import Envelope, encode
from .installations import new_hex_id
from .signing import EventKeyRing, EventSigningKey

FORGERIES = ("unknown_key", "tampered", "unsigned")


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
