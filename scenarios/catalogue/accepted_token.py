"""What the failure of a token scenario says when the app signed the person in on a token the
provider spoiled: which claim was wrong, the value the provider sent and the one the app
should have required (read from the provider's note of the fault, :mod:`mock_idp.faults.effects`),
the row of the relying-party check catalogue (``oidc-rp-checks.md`` §1.3, after the OpenID
Foundation's RP certification tests) the app is missing, and how common Python and Node
libraries make that check.

Library option names are those of PyJWT 2.x (``jwt.decode``'s ``issuer``, ``audience``,
``leeway`` and ``options={"require": [...]}``) and Authlib 1.x (``authlib.jose.jwt.decode``'s
``claims_options`` with ``essential``/``values``, ``JWTClaims.validate(leeway=...)`` and its
OpenID client's ``parse_id_token(token, nonce)``), and jose 6.x for Node (``jwtVerify``'s
``issuer``, ``audience``, ``requiredClaims`` and ``clockTolerance``, and
``createRemoteJWKSet``), as their sources define them: the Node apps that hand-wire Entra
(simple-oauth2, grant, arctic) decode or verify the ID token themselves, mostly with jose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scenarios.live import LiveStack

__all__ = ["CHECKS", "Check", "accepted_token", "missing_check"]


@dataclass(frozen=True)
class Check:
    """A check the app is missing: the catalogue's row, the rule, and how libraries make it."""

    row: str
    """Which check: the OpenID Foundation's RP test for it (``oidc-rp-checks.md`` §1.3), or
    the rule of ID-token validation (§2.4) no test has."""
    rule: str
    how: str = ""
    """How common libraries make it, where their option names were checked in their source."""


def _test(test_id: str) -> str:
    return f"the check of the OpenID Foundation's RP certification test {test_id}"


CHECKS: dict[str, Check] = {
    "wrong_iss": Check(
        _test("rp-id_token-issuer-mismatch"),
        "OpenID Connect Core §3.1.3.7 (2): iss must equal the discovered issuer exactly",
        "PyJWT: jwt.decode(..., issuer=<issuer>); Authlib: claims_options="
        "{\"iss\": {\"essential\": True, \"values\": [<issuer>]}}; jose: "
        "jwtVerify(token, <key set>, {issuer: <issuer>})"),
    "wrong_aud": Check(
        _test("rp-id_token-aud"),
        "OpenID Connect Core §3.1.3.7 (3): aud must contain the app's client_id",
        "PyJWT: jwt.decode(..., audience=<client id>); Authlib: claims_options="
        "{\"aud\": {\"essential\": True, \"values\": [<client id>]}}; jose: "
        "jwtVerify(token, <key set>, {audience: <client id>})"),
    "expired": Check(
        "the exp check of ID-token validation (which no certification test has)",
        "OpenID Connect Core §3.1.3.7 (9): the current time must be before exp",
        "PyJWT checks exp by default (leeway=<seconds> for clock skew); Authlib: "
        "claims.validate(leeway=<seconds>); jose's jwtVerify checks exp (clockTolerance: "
        "<seconds> for clock skew)"),
    "missing_sub": Check(
        _test("rp-id_token-sub"),
        "OpenID Connect Core §2: sub is REQUIRED in an ID token",
        "PyJWT: jwt.decode(..., options={\"require\": [\"sub\", \"exp\", \"iat\"]}); Authlib: "
        "claims_options={\"sub\": {\"essential\": True}}; jose: jwtVerify(token, <key set>, "
        "{requiredClaims: [\"sub\"]}); go-oidc's Verify (2.1) checks no sub: refuse "
        "idToken.Subject == \"\" after it"),
    "wrong_nonce": Check(
        _test("rp-nonce-invalid"),
        "OpenID Connect Core §3.1.3.7 (11): nonce must equal the value the app sent",
        "keep the nonce in the browser's session and compare it (neither PyJWT nor jose "
        "has an option for it); "
        "Authlib: parse_id_token(token, nonce=<the nonce sent>)"),
    "bad_signature": Check(
        _test("rp-id_token-bad-sig-rs256"),
        "OpenID Connect Core §3.1.3.7 (6): verify the signature with the provider's keys "
        "from jwks_uri",
        "PyJWT: jwt.decode(token, PyJWKClient(<jwks_uri>).get_signing_key_from_jwt(token).key, "
        "algorithms=[\"RS256\"]); Authlib: jwt.decode(token, <the JWKS>); jose: jwtVerify(token, "
        "createRemoteJWKSet(new URL(<jwks_uri>)))"),
    "userinfo_sub_mismatch": Check(
        _test("rp-userinfo-bad-sub-claim"),
        "OpenID Connect Core §5.3.2: the UserInfo answer's sub must equal the ID token's, "
        "else none of its values may be used",
        "go-oidc's Provider.UserInfo (2.1) compares no sub: drop its answer when "
        "userInfo.Subject != idToken.Subject"),
}
"""The checks of the faults the catalogue's ``failure.*`` token scenarios arm."""


def missing_check(fault: str) -> str | None:
    """The check an app that accepted ``fault`` is missing, its rule, and how libraries make
    it; ``None`` for a fault without one here."""
    if (check := CHECKS.get(fault)) is None:
        return None
    how = f"; {check.how}" if check.how else ""
    return f"it is missing {check.row} ({check.rule}{how})"


def accepted_token(stack: LiveStack, fault: str, fault_id: str) -> str | None:
    """What was wrong in the token the app accepted, when the provider's request log has its
    note of the fault ``fault_id``: the claim, the value sent, the value the app should have
    required, and the check (:data:`CHECKS`) it is missing; ``None`` for a fault without a
    check here or without a note."""
    check = missing_check(fault)
    note = _note(stack, fault_id) if check is not None else None
    if note is None:
        return None
    token = "an ID token" if note.get("target") == "id_token" else "its own access token"
    changes = {c.get("name"): c for c in note.get("changes") or () if c.get("part") == "claims"}
    wrong = _what_was_wrong(fault, changes, note)
    if wrong is None:
        return None
    return f"the app accepted {token} whose {wrong}; {check}"


def _note(stack: LiveStack, fault_id: str) -> dict[str, Any] | None:
    """The provider's note of the fault ``fault_id`` on a token, its ID token's first."""
    notes = [note for entry in stack.provider_requests() for note in entry.get("notes") or ()
             if isinstance(note, dict) and isinstance(note.get("fault"), dict)
             and str(note["fault"].get("id")) == fault_id and "changes" in note]
    notes.sort(key=lambda note: note.get("target") != "id_token")
    return notes[0] if notes else None


def _what_was_wrong(fault: str, changes: dict[Any, dict[str, Any]],
                    note: dict[str, Any]) -> str | None:
    """The claim the fault changed, as sent and as the app should have required it."""
    if fault == "bad_signature":
        return (f"signature did not verify with the provider's keys "
                f"({note.get('signature', 'the signature altered')})")
    name = {"wrong_iss": "iss", "wrong_aud": "aud", "expired": "exp", "missing_sub": "sub",
            "wrong_nonce": "nonce"}.get(fault)
    change = changes.get(name) if name is not None else None
    if change is None:
        return None
    before, after = change.get("before"), change.get("after")
    if fault == "wrong_iss":
        return f"iss was {after}, not the app's issuer {before}"
    if fault == "wrong_aud":
        return f"aud was {after}, not the app's client id {before}"
    if fault == "missing_sub":
        return f"sub was absent (the provider's genuine token had {before})"
    if fault == "wrong_nonce":
        return f"nonce was {after}, not {before}, the one this sign-in sent"
    return (f"exp was {_when(after)}, an hour before the sign-in, not after it (the genuine "
            f"token's was {_when(before)})")


def _when(value: Any) -> str:
    """A NumericDate as the UTC time it names (the value itself when it is not a number)."""
    if not isinstance(value, int | float):
        return str(value)
    return f"{int(value)} ({datetime.fromtimestamp(value, UTC):%Y-%m-%d %H:%M:%S} UTC)"
