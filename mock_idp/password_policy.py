"""Entra's password policy for cloud accounts, which every new password must meet.

From "Password policies and account restrictions in Microsoft Entra ID": 8 to 256 characters;
three of the four kinds lower case letters, upper case letters, digits and symbols; only letters
A-Z and a-z, digits, the policy's symbols and the space (no other Unicode). The banned-password
list and "no part of the user's name" are not modelled.

A user's new password on "Update your password" (:mod:`mock_idp.signin.password_change`) and an
administrator's through Graph (``passwordProfile.password``, refused with Graph's message, which
provisioning code matches on) are both checked; passwords written in ``idp.toml`` are not, so a
test directory may keep simple ones.
"""

from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 256
SYMBOLS = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")
"""The symbols the policy allows (the space among them)."""

TOO_SHORT_OR_LONG = f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."
NOT_ALLOWED = ("Use only letters A-Z and a-z, digits, spaces and the symbols "
               "@ # $ % ^ & * - _ ! + = [ ] { } | \\ : ' , . ? / ` ~ \" ( ) ; < >.")
TOO_SIMPLE = "Use three of these: lower case letters, upper case letters, digits and symbols."
GRAPH_REFUSAL = ("The specified password does not comply with password complexity "
                 "requirements. Please provide a different password.")
"""Graph's message for a password the policy refuses (a 400 ``Request_BadRequest``)."""


def problem(password: str) -> str | None:
    """Why ``password`` does not meet the policy (the mock's own words), or ``None``."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return TOO_SHORT_OR_LONG
    if any(not (c.isascii() and (c.isalnum() or c in SYMBOLS)) for c in password):
        return NOT_ALLOWED
    kinds = (any(c.islower() for c in password), any(c.isupper() for c in password),
             any(c.isdigit() for c in password), any(c in SYMBOLS for c in password))
    if sum(kinds) < 3:
        return TOO_SIMPLE
    return None
