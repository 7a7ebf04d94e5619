"""JWKS fetching, caching, key rotation (one re-fetch on an unknown kid) and key selection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import loops
import pytest
from jwt.algorithms import RSAAlgorithm
from rp_oidc_testkit import (
    CLIENT_ID,
    ISSUER,
    NONCE,
    FakeClock,
    KeyPair,
    ec_key,
    id_claims,
    jwks,
    rsa_key,
    sign,
)

from relying_party.oidc import errors
from relying_party.oidc.id_token import validate_id_token
from relying_party.oidc.jwks import JwksCache, parse_jwks, select_key

JWKS_URI = "https://login.mock.test/tenant/discovery/v2.0/keys"


class KeyServer:
    """A JWKS endpoint whose keys the test rotates; counts fetches."""

    def __init__(self, *keys: KeyPair) -> None:
        self.document: dict[str, Any] = jwks(*keys)
        self.fetches = 0
        self.fault: Exception | int | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url == JWKS_URI
        self.fetches += 1
        if isinstance(self.fault, Exception):
            raise self.fault
        if isinstance(self.fault, int):
            return httpx.Response(self.fault, text="oops")
        return httpx.Response(200, json=self.document)


def make_cache(server: KeyServer, clock: FakeClock, **limits: int) -> JwksCache:
    client = httpx.AsyncClient(transport=httpx.MockTransport(server.handler))
    return JwksCache(client, clock=clock, refresh_cooldown=timedelta(seconds=60), **limits)


def login(cache: JwksCache, clock: FakeClock, key: KeyPair) -> str:
    now = int(clock.now().timestamp())
    token = sign(id_claims(iat=now, nbf=now, exp=now + 3600), key)
    claims = loops.run(
        validate_id_token(
            token,
            keys=cache.keys_for(JWKS_URI),
            expected_issuer=ISSUER,
            client_id=CLIENT_ID,
            nonce=NONCE,
            now=clock.now(),
        )
    )
    return claims.sub


def test_keys_are_fetched_once_and_cached() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    cache = make_cache(server, clock)
    login(cache, clock, key)
    login(cache, clock, key)
    assert server.fetches == 1


def test_cache_expires_after_its_ttl() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    cache = make_cache(server, clock)
    login(cache, clock, key)
    clock.advance(hours=24)
    login(cache, clock, key)
    assert server.fetches == 2


def test_key_rotation_unknown_kid_refetches_once_then_accepts() -> None:
    old, new = rsa_key("k1"), rsa_key("k2", index=1)
    server, clock = KeyServer(old), FakeClock()
    cache = make_cache(server, clock)
    login(cache, clock, old)
    server.document = jwks(new)
    assert login(cache, clock, new)
    assert server.fetches == 2


def test_unknown_kid_refetch_is_rate_limited() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    cache = make_cache(server, clock)
    stranger = rsa_key("made-up", index=1)
    with pytest.raises(errors.UnknownSigningKey):
        login(cache, clock, stranger)
    assert server.fetches == 2  # initial fetch + one forced refresh
    for _ in range(5):
        with pytest.raises(errors.UnknownSigningKey):
            login(cache, clock, stranger)
    assert server.fetches == 2
    clock.advance(seconds=61)
    with pytest.raises(errors.UnknownSigningKey):
        login(cache, clock, stranger)
    assert server.fetches == 3
    login(cache, clock, key)
    assert server.fetches == 3


def test_a_made_up_kid_does_not_use_up_the_refetch_a_rotated_key_needs() -> None:
    old, new = rsa_key("k1"), rsa_key("k2", index=1)
    server, clock = KeyServer(old), FakeClock()
    cache = make_cache(server, clock)
    login(cache, clock, old)
    with pytest.raises(errors.UnknownSigningKey):  # anyone's token, naming a made-up kid
        login(cache, clock, rsa_key("made-up", index=2))
    server.document = jwks(new)  # the provider rotates a second later
    clock.advance(seconds=1)
    assert login(cache, clock, new)
    assert server.fetches == 3


def test_new_made_up_kids_are_fetched_for_at_most_max_refreshes_a_cooldown() -> None:
    old, new = rsa_key("k1"), rsa_key("k2", index=1)
    server, clock = KeyServer(old), FakeClock()
    cache = make_cache(server, clock, max_refreshes=5)
    login(cache, clock, old)
    for n in range(20):  # a stream of ever new ids: five fetches, then none
        with pytest.raises(errors.UnknownSigningKey):
            login(cache, clock, rsa_key(f"made-up-{n}", index=2))
    assert server.fetches == 1 + 5

    server.document = jwks(new)
    with pytest.raises(errors.UnknownSigningKey):  # the allowance is spent...
        login(cache, clock, new)
    clock.advance(seconds=12)  # ...until one refill (60 s / 5) comes back
    assert login(cache, clock, new)
    assert server.fetches == 1 + 6


def test_made_up_kids_are_remembered_up_to_a_bound_the_oldest_forgotten_first() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    cache = make_cache(server, clock, max_refreshes=100, remembered_misses=3)
    login(cache, clock, key)

    def made_up(n: int) -> None:
        with pytest.raises(errors.UnknownSigningKey):
            login(cache, clock, rsa_key(f"made-up-{n}", index=1))

    for n in range(4):
        made_up(n)
    assert server.fetches == 1 + 4
    made_up(3)  # remembered: no fetch
    assert server.fetches == 1 + 4
    made_up(0)  # the oldest, forgotten: fetched for again
    assert server.fetches == 1 + 5


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("slow"),
        500,
        404,
    ],
    ids=["refused", "timeout", "500", "404"],
)
def test_jwks_unreachable_or_failing_is_rejected(fault: Exception | int) -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    server.fault = fault
    with pytest.raises(errors.JwksUnavailable):
        login(make_cache(server, clock), clock, key)


def test_jwks_without_keys_array_is_unavailable() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(), FakeClock()
    server.document = {"not_keys": []}
    with pytest.raises(errors.JwksUnavailable):
        login(make_cache(server, clock), clock, key)


def test_failed_fetch_is_not_cached() -> None:
    key, server, clock = rsa_key("k1"), KeyServer(rsa_key("k1")), FakeClock()
    cache = make_cache(server, clock)
    server.fault = 503
    with pytest.raises(errors.JwksUnavailable):
        login(cache, clock, key)
    server.fault = None
    assert login(cache, clock, key)


# --- parse_jwks / select_key -----------------------------------------------------------------


def test_parse_skips_symmetric_private_unparseable_and_unknown_keys() -> None:
    public = rsa_key("pub").jwk()
    private = RSAAlgorithm.to_jwk(rsa_key().private_key, as_dict=True) | {"kid": "priv"}
    assert "d" in private
    document = {
        "keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "kid": "tiny", "n": "AQ", "e": "AQAB", "d": "AQ", "p": "AQ", "q": "AQ"},
            {"kty": "XYZ", "kid": "future"},
            "not-an-object",
            private,
            public,
        ]
    }
    assert [k.kid for k in parse_jwks(document)] == ["pub"]


def test_encryption_keys_are_not_used_for_signatures() -> None:
    keys = parse_jwks({"keys": [rsa_key("k1").jwk(use="enc")]})
    with pytest.raises(errors.UnknownSigningKey):
        select_key(keys, kid="k1", alg="RS256")


def test_key_alg_member_must_match_the_token_alg() -> None:
    keys = parse_jwks({"keys": [rsa_key("k1").jwk(alg="RS512")]})
    with pytest.raises(errors.UnknownSigningKey):
        select_key(keys, kid="k1", alg="RS256")
    assert select_key(keys, kid="k1", alg="RS512").kid == "k1"


def test_ec_curve_must_match_the_alg() -> None:
    keys = parse_jwks(jwks(ec_key("e1")))
    assert select_key(keys, kid="e1", alg="ES256").kid == "e1"
    with pytest.raises(errors.UnknownSigningKey):
        select_key(keys, kid="e1", alg="ES384")
    with pytest.raises(errors.UnknownSigningKey):
        select_key(keys, kid="e1", alg="RS256")


def test_duplicate_kid_is_ambiguous() -> None:
    keys = parse_jwks(jwks(rsa_key("dup"), rsa_key("dup", index=1)))
    with pytest.raises(errors.AmbiguousSigningKey):
        select_key(keys, kid="dup", alg="RS256")
