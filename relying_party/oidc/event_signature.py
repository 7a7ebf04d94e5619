"""Platform events: signature and freshness of the partner-app event webhook.

The platform signs the raw request body with ECDSA P-256 / SHA-256; the DER signature, standard
base64, arrives in ``X-Hub-Ecdsa-Signature`` and the key id in ``X-Hub-Ecdsa-Signature-Id``. Keys
come from the platform's JWK Set URL; use a :class:`~relying_party.oidc.jwks.JwksCache` in its
``POSTED`` lane, so an unknown key id triggers a re-fetch that forged events cannot use up.
Verify the bytes exactly as received, before parsing any JSON.

Events older than 30 minutes or more than 5 minutes in the future are stale; with the event-id
de-duplication done by the caller, this bounds how long a captured event can be replayed.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ..inputs import shown_id
from .errors import (
    AmbiguousSigningKey,
    EventMalformed,
    EventSignatureInvalid,
    EventStale,
    EventUnknownKey,
    EventUnsigned,
    UnknownSigningKey,
)
from .jwks import KeyResolver

__all__ = [
    "KEY_ID_HEADER",
    "MAX_EVENT_AGE",
    "MAX_EVENT_SKEW",
    "SIGNATURE_HEADER",
    "check_event_freshness",
    "parse_event_time",
    "verify_event_signature",
]

SIGNATURE_HEADER = "X-Hub-Ecdsa-Signature"
KEY_ID_HEADER = "X-Hub-Ecdsa-Signature-Id"
MAX_EVENT_AGE = timedelta(minutes=30)
MAX_EVENT_SKEW = timedelta(minutes=5)


async def verify_event_signature(
    body: bytes, *, signature: str | None, key_id: str | None, keys: KeyResolver
) -> str:
    """Verify ``signature`` over the raw ``body``; returns the key id used.

    Raises :class:`EventUnsigned` (a header missing or empty), :class:`EventUnknownKey`,
    :class:`EventSignatureInvalid`, or ``JwksUnavailable`` when the key URL cannot be read (a
    transient failure: answer 5xx so the platform retries).
    """
    if not signature or not key_id:
        raise EventUnsigned(f"{SIGNATURE_HEADER} and {KEY_ID_HEADER} are both required",
                            field=SIGNATURE_HEADER if not signature else KEY_ID_HEADER)
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EventSignatureInvalid("signature is not valid base64",
                                    field=SIGNATURE_HEADER) from exc
    # Anyone can post an event: the key id it names is shown cut and escaped.
    shown = shown_id(key_id)
    try:
        key = await keys.find_key(kid=key_id, alg="ES256")
    except (UnknownSigningKey, AmbiguousSigningKey) as exc:
        raise EventUnknownKey(f"no P-256 key with id {shown}", field=KEY_ID_HEADER) from exc
    public_key = key.public_key
    if not isinstance(public_key, ec.EllipticCurvePublicKey):  # guaranteed by key selection
        raise EventUnknownKey(f"key {shown} is not an EC key", field=KEY_ID_HEADER)
    try:
        public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as exc:
        raise EventSignatureInvalid(f"signature does not verify with key {shown}",
                                    field=SIGNATURE_HEADER) from exc
    return key_id


def parse_event_time(created_at: object, *, field: str = "created_at") -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` (or any ISO 8601 instant with an offset) as an aware datetime;
    :class:`EventMalformed` naming ``field`` (the envelope's ``created_at`` unless another
    member is read the same way) when it is not one."""
    if created_at is None:
        raise EventMalformed("is required (an ISO 8601 instant)", field=field)
    if not isinstance(created_at, str):
        raise EventMalformed("must be a string (an ISO 8601 instant)", field=field)
    try:
        instant = datetime.fromisoformat(created_at)
    except ValueError as exc:
        raise EventMalformed("is not an ISO 8601 instant", field=field) from exc
    if instant.tzinfo is None:
        raise EventMalformed("has no time zone", field=field)
    return instant


def check_event_freshness(
    created_at: str | datetime,
    *,
    now: datetime,
    max_age: timedelta = MAX_EVENT_AGE,
    max_skew: timedelta = MAX_EVENT_SKEW,
) -> datetime:
    """Reject an event created more than ``max_age`` ago or more than ``max_skew`` ahead of
    ``now`` with :class:`EventStale`; returns the parsed ``created_at``."""
    instant = parse_event_time(created_at) if isinstance(created_at, str) else created_at
    if instant.tzinfo is None:
        raise EventMalformed("has no time zone", field="created_at")
    if instant < now - max_age:
        raise EventStale(f"created {now - instant} ago (limit {max_age})")
    if instant > now + max_skew:
        raise EventStale(f"created {instant - now} in the future (limit {max_skew})")
    return instant
