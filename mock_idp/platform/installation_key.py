"""The key pair of a partner app's installation, which ``app.installed`` and
``app.credentials_rotated`` hand out as Talkdesk's do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KeyAlgorithm = Literal["ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
"""The values Talkdesk documents for ``app.installed``'s ``key_algorithm``."""


def new_hex_id() -> str:
    """32 lowercase hex characters, the id shape the platform uses for events and installations."""
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True, repr=False)
class InstallationKey:
    """The key pair of an installation: PEM texts, PKCS#8 private and SubjectPublicKeyInfo
    public, named by ``key_id`` (32 hex characters) and used with ``algorithm``. Talkdesk's
    ``app.installed`` reference carries ``private_key``, ``public_key``, ``key_id`` and
    ``key_algorithm`` (one of ES256, ES384, ES512, PS256, PS384, PS512) for the partner to
    store; the mock's is ES256."""

    key_id: str
    algorithm: KeyAlgorithm
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> InstallationKey:
        """A new ES256 (ECDSA P-256) key pair."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(
            key_id=new_hex_id(),
            algorithm="ES256",
            private_pem=private_pem.decode("ascii"),
            public_pem=public_pem.decode("ascii"),
        )

    def __repr__(self) -> str:
        return f"InstallationKey(key_id={self.key_id!r}, algorithm={self.algorithm!r})"

    def to_json(self) -> dict[str, str]:
        """The members of ``app.installed``'s ``data`` (and of an installation's JSON)."""
        return {
            "private_key": self.private_pem,
            "public_key": self.public_pem,
            "key_id": self.key_id,
            "key_algorithm": self.algorithm,
        }
