"""Signing-key management: rotation keeps the old key published for the configured retention,
then drops it when the clock passes it; several keys can be published at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from asgi_client import AppClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from idp_testkit import CLIENT_ID, TENANT, claims, get_code, paths, redeem
from starlette.applications import Starlette

from mock_idp import key_source
from mock_idp.clock import MockClock
from mock_idp.key_source import new_rsa_key, rsa_key_from_pem
from mock_idp.keys import KeyRing, RsaKeyPool, SigningKey, fresh_rsa_key, rsa_keys_from

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
RETENTION = timedelta(hours=2)
pytestmark = pytest.mark.idp_config(clock=MockClock(frozen_at=START), key_retention=RETENTION)


def kids(client: AppClient, version: str = "2.0") -> list[str]:
    return [k["kid"] for k in client.get(paths(TENANT, version)["keys"]).json()["keys"]]


def jwk(client: AppClient, kid: str) -> dict[str, Any]:
    keys = client.get(paths(TENANT, "2.0")["keys"]).json()["keys"]
    found: dict[str, Any] = next(k for k in keys if k["kid"] == kid)
    return found


def id_token(client: AppClient) -> str:
    token: str = redeem(client, get_code(client)).json()["id_token"]
    return token


def verify(client: AppClient, token: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK.from_dict(jwk(client, kid)).key
    out: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=CLIENT_ID,
                                     options={"verify_exp": False, "verify_iat": False,
                                              "verify_nbf": False})
    return out


def test_rotation_keeps_the_old_key_for_the_configured_retention(
    client: AppClient, clock: MockClock
) -> None:
    old_token = id_token(client)
    old = jwt.get_unverified_header(old_token)["kid"]
    assert kids(client) == [old]

    rotated = client.post("/_mock/keys/rotate", json={})
    assert rotated.status_code == 200
    new = rotated.json()["active"]
    assert new != old
    assert kids(client) == [new, old] and kids(client, "1.0") == [new, old]

    new_token = id_token(client)
    assert jwt.get_unverified_header(new_token)["kid"] == new
    assert verify(client, new_token)["aud"] == CLIENT_ID
    assert verify(client, old_token)["aud"] == CLIENT_ID

    clock.advance(RETENTION - timedelta(seconds=1))
    assert kids(client) == [new, old]
    clock.advance(timedelta(seconds=1))
    assert kids(client) == [new]
    with pytest.raises(StopIteration):
        verify(client, old_token)
    assert claims(id_token(client))["aud"] == CLIENT_ID


def test_rotation_with_its_own_retention(client: AppClient, clock: MockClock) -> None:
    old = kids(client)[0]
    new = client.post("/_mock/keys/rotate", json={"retain_seconds": 60}).json()["active"]
    assert kids(client) == [new, old]
    clock.advance(timedelta(seconds=59))
    assert old in kids(client)
    clock.advance(timedelta(seconds=1))
    assert kids(client) == [new]


def test_rotation_with_no_retention_drops_the_old_key_at_once(client: AppClient) -> None:
    old = kids(client)[0]
    new = client.post("/_mock/keys/rotate", json={"retain_seconds": 0}).json()["active"]
    assert kids(client) == [new] and old != new


def test_two_rotations_publish_three_keys(client: AppClient, clock: MockClock) -> None:
    first = kids(client)[0]
    second = client.post("/_mock/keys/rotate", json={}).json()["active"]
    clock.advance(timedelta(hours=1))
    third = client.post("/_mock/keys/rotate", json={}).json()["active"]
    assert kids(client) == [third, first, second]
    clock.advance(timedelta(hours=1))
    assert kids(client) == [third, second]
    clock.advance(timedelta(hours=1))
    assert kids(client) == [third]


def test_publish_several_keys(client: AppClient) -> None:
    active = kids(client)[0]
    for _ in range(2):
        assert client.post("/_mock/keys/publish-extra", json={}).status_code == 200
    published = kids(client)
    assert len(published) == 3 and published[0] == active and len(set(published)) == 3
    listing = client.get("/_mock/keys").json()
    assert listing["active"] == active
    assert [k["active"] for k in listing["keys"]] == [True, False, False]
    token = id_token(client)
    assert jwt.get_unverified_header(token)["kid"] == active
    assert verify(client, token)["aud"] == CLIENT_ID


def test_extra_keys_survive_a_rotation(client: AppClient, clock: MockClock) -> None:
    client.post("/_mock/keys/publish-extra", json={})
    extra = kids(client)[1]
    client.post("/_mock/keys/rotate", json={})
    clock.advance(RETENTION * 2)
    assert extra in kids(client) and len(kids(client)) == 2


def test_bad_rotation_requests_name_the_field(client: AppClient) -> None:
    response = client.post("/_mock/keys/rotate", json={"retain_seconds": -1})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "retain_seconds"
    response = client.post("/_mock/keys/rotate", json={"retain": 5})
    assert response.status_code == 400 and response.json()["error"]["field"] == "retain"


def test_python_api(idp_app: Starlette, client: AppClient, clock: MockClock) -> None:
    ring: KeyRing = idp_app.state.idp.keys
    old = ring.active.kid
    fresh = ring.rotate(retain_for=timedelta(minutes=5))
    assert ring.active is fresh
    assert [k.kid for k in ring.published()] == [fresh.kid, old] == kids(client)
    clock.advance(timedelta(minutes=5))
    assert [k.kid for k in ring.published()] == [fresh.kid]


def _modulus(key: SigningKey) -> int:
    return key.public_key.public_numbers().n


def test_outside_a_pool_every_signing_key_is_new() -> None:
    """What a provider does outside this test suite (whose conftest pools the keys)."""
    with rsa_keys_from(fresh_rsa_key):
        ring = KeyRing(MockClock(frozen_at=START))
        first = ring.active
        second = ring.rotate()
        extra = ring.add_published()
    assert len({_modulus(k) for k in (first, second, extra)}) == 3
    assert first.public_key.key_size == 2048


def test_a_pool_hands_its_keys_out_again_in_turn_under_new_kids() -> None:
    pool = RsaKeyPool(size=2)
    with rsa_keys_from(pool):
        made = [SigningKey.generate(START) for _ in range(5)]
    moduli = [_modulus(k) for k in made]
    assert moduli[0] != moduli[1]
    assert moduli[2:] == [moduli[0], moduli[1], moduli[0]]
    assert len({k.kid for k in made}) == 5  # a certificate of its own each time
    with pytest.raises(ValueError, match="size"):
        RsaKeyPool(size=0)


def test_a_pool_is_left_when_its_block_ends() -> None:
    pool = RsaKeyPool(size=1)
    with rsa_keys_from(pool):
        pooled = SigningKey.generate(START)
        assert _modulus(SigningKey.generate(START)) == _modulus(pooled)
    with rsa_keys_from(fresh_rsa_key):
        assert _modulus(SigningKey.generate(START)) != _modulus(pooled)


def _pem(key: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_a_pool_hands_out_its_kept_keys_first_and_passes_over_what_is_not_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = new_rsa_key(), new_rsa_key()  # the session's pool: no key generated here
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    kept = ["not a key", _pem(ec.generate_private_key(ec.SECP256R1())), _pem(short), _pem(one),
            _pem(one).replace("A", "B", 5), _pem(two)]
    monkeypatch.setattr(key_source, "fresh_rsa_key", lambda: pytest.fail("a key was made"))
    pool = RsaKeyPool(size=2, kept=kept)
    assert [_modulus_of(pool()) for _ in range(3)] == [_modulus_of(one), _modulus_of(two),
                                                       _modulus_of(one)]
    assert pool.made == 0


def _altered(key: rsa.RSAPrivateKey, **changes: int) -> str:
    """``key``'s PEM with some of its numbers changed: a text that parses, and signs nothing
    its public key verifies."""
    numbers = key.private_numbers()
    values = {"p": numbers.p, "q": numbers.q, "d": numbers.d, "dmp1": numbers.dmp1,
              "dmq1": numbers.dmq1, "iqmp": numbers.iqmp, "n": numbers.public_numbers.n,
              **changes}
    public = rsa.RSAPublicNumbers(numbers.public_numbers.e, values.pop("n"))
    altered = rsa.RSAPrivateNumbers(public_numbers=public, **values).private_key(
        unsafe_skip_rsa_key_validation=True)
    return _pem(altered)


def test_a_kept_key_is_read_without_testing_its_primes_but_one_whose_numbers_differ_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = new_rsa_key(), new_rsa_key()
    d = one.private_numbers().d
    for changes in ({"d": d + 2}, {"dmp1": 3}, {"dmq1": 3}, {"iqmp": 5}):
        assert rsa_key_from_pem(_altered(one, **changes)) is None, changes
    kept = [_pem(one), _pem(two)] * 4
    started = time.process_time()
    keys = [rsa_key_from_pem(text) for text in kept]
    spent = time.process_time() - started
    assert all(keys) and {_modulus_of(k) for k in keys if k} == {_modulus_of(one), _modulus_of(two)}
    # OpenSSL's check of the primes took about 37 ms of CPU a key: 0.3 s for these 8.
    assert spent < 0.1, f"{len(kept)} kept keys read in {spent:.3f} s of CPU"


def test_a_pool_makes_what_its_kept_keys_lack_and_gives_back_all_it_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    one, two, three = new_rsa_key(), new_rsa_key(), new_rsa_key()
    pool = RsaKeyPool(size=3, kept=[_pem(one)])
    monkeypatch.setattr(key_source, "fresh_rsa_key", lambda: two)
    assert [_modulus_of(pool()) for _ in range(2)] == [_modulus_of(one), _modulus_of(two)]
    assert pool.made == 1
    assert pool.pem() == [_pem(one), _pem(two)]
    unread = RsaKeyPool(size=2, kept=[_pem(one), _pem(two), _pem(three)])
    assert [_modulus_of(unread())] == [_modulus_of(one)]
    assert unread.pem() == [_pem(one), _pem(two)]  # no more than its size


def _modulus_of(key: rsa.RSAPrivateKey) -> int:
    return key.public_key().public_numbers().n
