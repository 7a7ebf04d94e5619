"""An installation's client secret: a password credential of the installed app registration."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"


@dataclass(frozen=True, kw_only=True)
class ClientSecret:
    """A password credential in the shape of Entra's ``passwordCredential``."""

    key_id: str
    secret_text: str
    display_name: str
    start: datetime
    end: datetime

    @classmethod
    def generate(cls, *, now: datetime, lifetime: timedelta, display_name: str) -> ClientSecret:
        # Entra secrets are 40 characters with "Q~" after a three-character hint and a digit.
        hint = "".join(secrets.choice(_SECRET_ALPHABET[:52]) for _ in range(3))
        body = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(34))
        return cls(
            key_id=str(uuid.uuid4()),
            secret_text=f"{hint}{secrets.randbelow(10)}Q~{body}",
            display_name=display_name,
            start=now,
            end=now + lifetime,
        )

    @property
    def hint(self) -> str:
        return self.secret_text[:3]
