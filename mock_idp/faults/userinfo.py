"""The UserInfo answer of the ``userinfo_sub_mismatch`` fault: one about another subject.

OpenID Connect Core 1.0 §5.3.2: when UserInfo's ``sub`` differs from the ID token's, "the
UserInfo Response values MUST NOT be used"; the OpenID Foundation's RP certification test
``rp-userinfo-bad-sub-claim`` expects the RP to reject that response, not the sign-in. So that
a client which drops the answer can be told from one that takes its values, the answer names
another person throughout (its ``sub``, names and e-mail), as UserInfo about another subject
would: an app that shows any of them used it.
"""

from __future__ import annotations

from typing import Any

ANOTHER_PERSON = {"name": "Mallory Moss", "given_name": "Mallory", "family_name": "Moss"}
"""The person the spoiled answer names instead of the token's user."""


def about_another_subject(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (a UserInfo answer) as UserInfo about another subject: its ``sub`` changed, and
    each name and e-mail claim it carries naming :data:`ANOTHER_PERSON` (the e-mail at the same
    domain); claims it lacks stay absent."""
    changed = {**body, "sub": f"{body.get('sub', '')}invalid"}
    for claim, value in ANOTHER_PERSON.items():
        if claim in body:
            changed[claim] = value
    email = body.get("email")
    if isinstance(email, str):
        domain = email.rpartition("@")[2]
        changed["email"] = f"mallory@{domain}" if domain else "mallory"
    return changed


def names_another_person(shown: str) -> bool:
    """Whether ``shown`` (what an app shows of who is signed in) carries a value of the spoiled
    answer: the other person's given name, which starts both their name and e-mail address."""
    return ANOTHER_PERSON["given_name"].casefold() in shown.casefold()
