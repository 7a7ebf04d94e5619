"""Proof Key for Code Exchange, RFC 7636: https://www.rfc-editor.org/rfc/rfc7636"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

CODE_CHALLENGE_METHODS = ("S256", "plain")
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(challenge: str, method: str | None, verifier: str) -> bool:
    """True when ``verifier`` answers ``challenge``; ``plain`` is assumed without a method."""
    if not _VERIFIER.match(verifier):
        return False
    expected = s256(verifier) if (method or "plain") == "S256" else verifier
    return hmac.compare_digest(expected, challenge)
