"""Where signing keys take their RSA private keys: fresh ones, or a test suite's pool.

Apart from :mod:`mock_idp.keys` so that the pytest plugin can choose the source for a session
without importing the provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
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

    ``kept`` takes the keys of an earlier pool (:meth:`pem`, as a test session's cache keeps
    them): they are handed out first, in their order, so that a session makes no key an
    earlier one made. A kept text that is not an RSA-2048 private key is passed over.
    """

    def __init__(self, size: int = POOL_SIZE, *, kept: Iterable[str] = ()) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._kept = list(kept)
        self._keys: list[rsa.RSAPrivateKey] = []
        self._next = 0
        self._lock = threading.Lock()
        self.made = 0
        """How many keys this pool generated (not read from ``kept``)."""

    def __call__(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if len(self._keys) < self.size:
                key = self._from_kept()
                if key is None:
                    key = fresh_rsa_key()
                    self.made += 1
                self._keys.append(key)
                return key
            key = self._keys[self._next]
            self._next = (self._next + 1) % self.size
            return key

    def _from_kept(self) -> rsa.RSAPrivateKey | None:
        while self._kept:
            key = rsa_key_from_pem(self._kept.pop(0))
            if key is not None:
                return key
        return None

    def pem(self) -> list[str]:
        """The pool's keys as unencrypted PKCS #8 PEM, those handed out first, then the kept
        ones not yet read, ``size`` at most: what to pass as ``kept`` to a later pool."""
        with self._lock:
            handed = [key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode("ascii")
                      for key in self._keys]
            return (handed + self._kept)[:self.size]


def rsa_key_from_pem(text: str) -> rsa.RSAPrivateKey | None:
    """The RSA-2048 private key (exponent 65537) in unencrypted PEM ``text``; None for anything
    else (another kind or size of key, a damaged or encrypted text).

    OpenSSL's own check of an RSA key tests its primes, about 37 ms of CPU a key, as much as
    half of generating one; a pool's kept keys are texts a session wrote itself, so the key is
    loaded without it (cryptography's ``unsafe_skip_rsa_key_validation``, for keys one
    trusts) and checked here for what damage would break: n = p·q and d·e ≡ 1 (mod p-1, q-1),
    a few microseconds."""
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a non-ASCII text too
        return None
    if (not isinstance(key, rsa.RSAPrivateKey) or key.key_size != 2048
            or key.public_key().public_numbers().e != 65537 or not _consistent(key)):
        return None
    return key


def _consistent(key: rsa.RSAPrivateKey) -> bool:
    """The key's numbers fit together (RFC 8017 §3.2), so that it signs what its public key
    verifies."""
    numbers = key.private_numbers()
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    return (p > 1 and q > 1 and p * q == n and (d * e) % (p - 1) == 1 % (p - 1)
            and (d * e) % (q - 1) == 1 % (q - 1) and numbers.dmp1 == d % (p - 1)
            and numbers.dmq1 == d % (q - 1) and (numbers.iqmp * q) % p == 1)
