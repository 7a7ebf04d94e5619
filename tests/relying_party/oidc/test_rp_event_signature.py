"""Platform event signatures (ECDSA P-256 over the raw body) and freshness."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import httpx
import loops
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from rp_oidc_testkit import NOW, FakeClock, KeyPair, ec_key, jwks, rsa_key

from relying_party.oidc import errors
from relying_party.oidc.event_signature import check_event_freshness, verify_event_signature
from relying_party.oidc.jwks import JwksCache, StaticKeys

KEY = ec_key("evt-1")
KEYS = StaticKeys(jwks(KEY))
BODY = json.dumps(
    {
        "id": "0123456789abcdef0123456789abcdef",
        "created_at": "2025-03-01T12:00:00Z",
        "type": "app.installed",
        "data": {"client_secret": "s3cr3t"},
    }
).encode()


def signature(body: bytes, key: KeyPair = KEY) -> str:
    der = key.private_key.sign(body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode("ascii")


def verify(body: bytes, sig: str | None, key_id: str | None, keys: object = KEYS) -> str:
    return loops.run(verify_event_signature(body, signature=sig, key_id=key_id, keys=keys))


def test_valid_signature_is_accepted() -> None:
    assert verify(BODY, signature(BODY), "evt-1") == "evt-1"


def test_one_changed_byte_invalidates_the_signature() -> None:
    tampered = BODY.replace(b"s3cr3t", b"s3cr3T")
    assert len(tampered) == len(BODY) and tampered != BODY
    with pytest.raises(errors.EventSignatureInvalid) as info:
        verify(tampered, signature(BODY), "evt-1")
    assert info.value.code == "event_signature_invalid"


def test_signature_is_over_the_raw_bytes_not_reserialized_json() -> None:
    reserialized = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    with pytest.raises(errors.EventSignatureInvalid):
        verify(reserialized, signature(BODY), "evt-1")


def test_signature_by_another_key_is_rejected() -> None:
    forger = ec_key("evt-1")
    with pytest.raises(errors.EventSignatureInvalid):
        verify(BODY, signature(BODY, forger), "evt-1")


@pytest.mark.parametrize(("sig", "key_id"), [(None, None), (None, "evt-1"), ("", "evt-1")])
def test_unsigned_event_is_rejected(sig: str | None, key_id: str | None) -> None:
    with pytest.raises(errors.EventUnsigned):
        verify(BODY, sig, key_id)


def test_missing_key_id_is_rejected_as_unsigned() -> None:
    with pytest.raises(errors.EventUnsigned):
        verify(BODY, signature(BODY), None)


def test_unknown_key_id_is_rejected() -> None:
    with pytest.raises(errors.EventUnknownKey):
        verify(BODY, signature(BODY), "evt-unknown")


def test_rsa_key_with_the_id_is_not_used() -> None:
    with pytest.raises(errors.EventUnknownKey):
        verify(BODY, signature(BODY), "rsa-1", keys=StaticKeys(jwks(rsa_key("rsa-1"))))


@pytest.mark.parametrize("sig", ["%%%not-base64%%%", base64.b64encode(b"garbage").decode()])
def test_malformed_signature_is_rejected(sig: str) -> None:
    with pytest.raises(errors.EventSignatureInvalid):
        verify(BODY, sig, "evt-1")


def test_unknown_key_id_refetches_the_key_set_once() -> None:
    rotated = ec_key("evt-2")
    document = jwks(KEY)
    fetches: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=document)

    cache = JwksCache(httpx.AsyncClient(transport=httpx.MockTransport(handler)), clock=FakeClock())
    keys = cache.keys_for("https://platform.test/.well-known/platform-event-keys.json")
    assert verify(BODY, signature(BODY), "evt-1", keys=keys) == "evt-1"
    document = jwks(KEY, rotated)
    assert verify(BODY, signature(BODY, rotated), "evt-2", keys=keys) == "evt-2"
    assert len(fetches) == 2


# --- freshness -------------------------------------------------------------------------------


def test_fresh_event_is_accepted() -> None:
    assert check_event_freshness("2025-03-01T12:00:00Z", now=NOW) == NOW
    assert check_event_freshness(NOW - timedelta(minutes=30), now=NOW) == NOW - timedelta(
        minutes=30
    )


def test_event_older_than_30_minutes_is_stale() -> None:
    with pytest.raises(errors.EventStale):
        check_event_freshness("2025-03-01T11:29:59Z", now=NOW)


def test_event_more_than_5_minutes_in_the_future_is_stale() -> None:
    assert check_event_freshness("2025-03-01T12:05:00Z", now=NOW)
    with pytest.raises(errors.EventStale):
        check_event_freshness("2025-03-01T12:05:01Z", now=NOW)


@pytest.mark.parametrize("created_at", ["yesterday", "2025-03-01T12:00:00", ""])
def test_malformed_or_zoneless_created_at_is_rejected(created_at: str) -> None:
    with pytest.raises(errors.EventMalformed):
        check_event_freshness(created_at, now=NOW)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(errors.EventMalformed):
        check_event_freshness(datetime(2025, 3, 1, 12, 0), now=NOW)
