"""Whether an RP given UserInfo about another subject dropped that answer (conformance's
``rp-userinfo-bad-sub-claim`` row).

OpenID Connect Core 1.0 §5.3.2: when UserInfo's ``sub`` is not the ID token's, "the UserInfo
Response values MUST NOT be used"; the OpenID Foundation's RP test of that name expects the
response rejected, not the sign-in. mod_auth_openidc logs the mismatch, keeps none of the
answer and signs the user in on the ID token. The mock's spoiled answer names another person
(:mod:`mock_idp.faults.userinfo`), so an RP whose check URL (or the page it lands on) names the
user who signed in and none of that person's values dropped it.
"""

from __future__ import annotations

from mock_idp.faults.userinfo import names_another_person

__all__ = ["DROPPED_NOTE", "dropped_userinfo"]

DROPPED_NOTE = ("the RP signed in on the ID token and used none of the UserInfo answer about "
                "another subject (OpenID Connect Core 1.0 §5.3.2: its values MUST NOT be "
                "used; the response is what is rejected)")


def dropped_userinfo(shown: str, upn: str) -> bool:
    """Whether ``shown`` (the check URL's answer and the page the RP landed on) names ``upn``,
    the user who signed in, and no value of the UserInfo answer about another subject."""
    return bool(upn) and upn.casefold() in shown.casefold() and not names_another_person(shown)
