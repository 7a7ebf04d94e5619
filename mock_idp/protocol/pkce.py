"""Proof Key for Code Exchange, RFC 7636: https://www.rfc-editor.org/rfc/rfc7636"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

CODE_CHALLENGE_METHODS = ("S256", "plain")
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


S256_CHALLENGE_LENGTH = 43
"""An S256 challenge: the unpadded base64url of a SHA-256 digest."""
VERIFIER_LENGTHS = range(43, 129)
"""A code verifier's size (RFC 7636 §4.1), and so a ``plain`` challenge's."""


def challenge_size_fits(challenge: str, method: str | None) -> bool:
    """Whether ``challenge`` has a size its method can answer: 43 characters for ``S256``
    (a padded 44 is refused too), 43 to 128 for ``plain`` (assumed without a method). Entra
    refuses any other at the authorization endpoint with AADSTS501491, "Invalid size of
    Code_Challenge parameter" (entra-docs' error-code reference; MicrosoftDocs/azure-docs
    #42906; ifitzpat/org-outlook #6, a padded S256 challenge), before anything is kept."""
    if method == "S256":
        return len(challenge) == S256_CHALLENGE_LENGTH
    return len(challenge) in VERIFIER_LENGTHS


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(challenge: str, method: str | None, verifier: str) -> bool:
    """True when ``verifier`` answers ``challenge``; ``plain`` is assumed without a method."""
    if not _VERIFIER.match(verifier):
        return False
    expected = s256(verifier) if (method or "plain") == "S256" else verifier
    return hmac.compare_digest(expected, challenge)
