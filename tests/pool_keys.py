"""RSA-2048 keys for the tests' own fake providers, from the session's key pool.

``distinct_rsa_keys(n)`` takes ``n`` keys from the pool the ``sso_harness`` plugin gives the
mock's signing keys (``mock_idp.key_source.new_rsa_key``), whose keys pytest's cache keeps
between sessions: read again in about 6 ms each instead of generated in 40-90 ms. The ``n``
keys are different from one another (a pool smaller than ``n``, ``--sso-key-pool 1``, hands
one out again: a fresh key replaces it), as a fake provider's unpublished key must be.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from mock_idp.key_source import fresh_rsa_key, new_rsa_key


def distinct_rsa_keys(count: int) -> tuple[rsa.RSAPrivateKey, ...]:
    keys: list[rsa.RSAPrivateKey] = []
    moduli: set[int] = set()
    while len(keys) < count:
        key = new_rsa_key()
        if key.public_key().public_numbers().n in moduli:
            key = fresh_rsa_key()
        keys.append(key)
        moduli.add(key.public_key().public_numbers().n)
    return tuple(keys)
