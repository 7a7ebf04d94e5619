"""Random values handed to browsers, and recognising the ones this relying party issued.

Session ids are plain random tokens (the server stores their digest). Login bindings and CSRF
tokens carry an HMAC under a key the RP creates on its first start and keeps in its database, so
a value a client makes up is never accepted; each is issued for one purpose only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .db import Database

KEY_NAME = "browser_token_key"
LOGIN_BINDING = "login"
CSRF = "csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class BrowserTokens:
    """Mint and recognise signed browser tokens: ``<random>.<HMAC-SHA256(purpose, random)>``."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def load(cls, db: Database) -> BrowserTokens:
        """The key stored in ``db``, created there on the first start."""
        stored, _ = db.keys.get_or_create(KEY_NAME, secrets.token_hex(32))
        return cls(bytes.fromhex(stored))

    def _mac(self, purpose: str, nonce: str) -> str:
        mac = hmac.new(self._key, f"{purpose}|{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def mint(self, purpose: str) -> str:
        nonce = new_token()
        return f"{nonce}.{self._mac(purpose, nonce)}"

    def issued(self, purpose: str, value: str | None) -> bool:
        """Whether ``value`` was minted here for ``purpose``."""
        if not value or len(value) > 200 or value.count(".") != 1:
            return False
        nonce, mac = value.split(".")
        return hmac.compare_digest(mac.encode(), self._mac(purpose, nonce).encode())
