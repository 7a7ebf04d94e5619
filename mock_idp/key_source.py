"""Where signing keys take their RSA private keys: fresh ones, or a test suite's pool.

Apart from :mod:`mock_idp.keys` so that the pytest plugin can choose the source for a session
without importing the provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cryptography.hazmat.primitives.asymmetric import rsa

RsaKeySource = Callable[[], rsa.RSAPrivateKey]


def fresh_rsa_key() -> rsa.RSAPrivateKey:
    """A new RSA-2048 private key (what Entra publishes; generating one takes tens of ms)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_rsa_source: RsaKeySource = fresh_rsa_key


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A private key for a new signing key, from the process's source (:func:`rsa_keys_from`)."""
    return _rsa_source()


@contextmanager
def rsa_keys_from(source: RsaKeySource) -> Iterator[None]:
    """Signing keys made in this process while the block runs take their private keys from
    ``source`` (an :class:`RsaKeyPool` in a test suite); fresh keys again after it."""
    global _rsa_source
    previous, _rsa_source = _rsa_source, source
    try:
        yield
    finally:
        _rsa_source = previous


POOL_SIZE = 16
"""How many keys an :class:`RsaKeyPool` makes before it hands them out again."""


class RsaKeyPool:
    """RSA-2048 private keys for test suites: the first ``size`` are generated as they are
    asked for, then handed out again in turn.

    A key's ``kid`` is its certificate's thumbprint, and every certificate has a random serial
    number, so two signing keys never share a ``kid``; they share a private key only when
    ``size`` more keys were made between them. Tests that need a key no provider holds
    generate their own.
    """

    def __init__(self, size: int = POOL_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._keys: list[rsa.RSAPrivateKey] = []
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if len(self._keys) < self.size:
                key = fresh_rsa_key()
                self._keys.append(key)
                return key
            key = self._keys[self._next]
            self._next = (self._next + 1) % self.size
            return key
