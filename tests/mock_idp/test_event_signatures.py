"""Platform events' signatures: the published P-256 keys, a signature that verifies with them
and with no other key or byte changed, RFC 7638 key ids, and a rotated key kept published."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from platform_events_kit import BASE, START, make_installation, verify

from mock_idp.clock import MockClock
from mock_idp.platform import envelope as events
from mock_idp.platform.signing import (
    SIGNATURE_HEADER,
    SIGNATURE_ID_HEADER,
    EventKeyRing,
    EventSigningKey,
)


def test_jwks_publishes_p256_keys_with_exactly_the_documented_members() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    (jwk,) = ring.jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert jwk["kid"] == ring.active.kid


def test_signature_verifies_with_the_published_key() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = events.encode(events.app_installed(make_installation(), base_url=BASE, now=START))
    headers = ring.signature_headers(body)
    verify(ring.jwks(), body, headers)
    der = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    r, s = decode_dss_signature(der)  # DER, not raw r||s
    assert r > 0 and s > 0


@pytest.mark.parametrize("position", [0, 1, 17, "middle", -2, -1])
def test_signature_fails_after_any_single_byte_changes(position: int | str) -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = events.encode(events.app_installed(make_installation(), base_url=BASE, now=START))
    headers = ring.signature_headers(body)
    index = len(body) // 2 if position == "middle" else int(position)
    tampered = bytearray(body)
    tampered[index] ^= 0x01
    with pytest.raises(InvalidSignature):
        verify(ring.jwks(), bytes(tampered), headers)


def test_signature_fails_with_another_key() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = b'{"id":"x"}'
    other = EventSigningKey.generate(START)
    headers = ring.signature_headers(body)
    with pytest.raises(InvalidSignature):
        verify({"keys": [{**other.jwk(), "kid": ring.active.kid}]}, body, headers)
    forged = other.signature_headers(body)
    with pytest.raises(StopIteration):  # the forger's kid is not published at all
        verify(ring.jwks(), body, forged)
    with pytest.raises(InvalidSignature):
        verify(ring.jwks(), body, {**forged, SIGNATURE_ID_HEADER: ring.active.kid})


def test_kid_is_the_rfc7638_thumbprint() -> None:
    key = EventSigningKey.generate(START)
    jwk = key.jwk()
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    assert key.kid == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_rotated_key_stays_published_until_retention_ends() -> None:
    clock = MockClock(frozen_at=START)
    ring = EventKeyRing(clock, retain_for=timedelta(hours=1))
    old = ring.active
    new = ring.rotate()
    assert new.kid != old.kid
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid, old.kid]
    assert ring.signature_headers(b"x")[SIGNATURE_ID_HEADER] == new.kid
    clock.advance(timedelta(hours=1))
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid]
