"""The fake providers' RSA keys come from the session's key pool, which pytest's cache keeps
between sessions, instead of being generated in every process (``pool_keys``)."""

from __future__ import annotations

from collections.abc import Iterator

import fake_op
import pool_keys
import pytest
import rp_oidc_testkit
from cryptography.hazmat.primitives.asymmetric import rsa
from pool_keys import distinct_rsa_keys

from mock_idp.key_source import rsa_keys_from


def _handing_out(keys: tuple[rsa.RSAPrivateKey, ...]) -> Iterator[rsa.RSAPrivateKey]:
    while True:
        yield from keys


@pytest.mark.parametrize("made", [fake_op._rsa_keys, rp_oidc_testkit._rsa_keys],
                         ids=["fake_op", "rp_oidc_testkit"])
def test_a_fake_providers_keys_are_the_pools(made: object) -> None:
    keys = distinct_rsa_keys(3)
    handed = _handing_out(keys)
    with rsa_keys_from(lambda: next(handed)):
        assert made.__wrapped__() == keys  # type: ignore[attr-defined]


def test_a_key_the_pool_hands_out_again_is_replaced_by_a_fresh_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    one, other = distinct_rsa_keys(2)
    monkeypatch.setattr(pool_keys, "fresh_rsa_key", lambda: other)
    with rsa_keys_from(lambda: one):  # a pool of one key (--sso-key-pool 1)
        assert distinct_rsa_keys(2) == (one, other)
