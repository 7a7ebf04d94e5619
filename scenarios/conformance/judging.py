"""How each conformance row is judged from what the relying party did.

Everything here is pure: :func:`judge_login` and :func:`judge_backchannel` turn an observation
into a :class:`Verdict`. Where the specifications allow either outcome, the verdict says so
instead of passing or failing the app:

* ``at_hash`` / ``c_hash`` rows in a flow that leaves the hash optional (the code flow, OpenID
  Connect Core 3.1.3.6, 3.1.3.8; ``at_hash`` in ``code id_token``, whose authorization endpoint
  returns no access token, 3.3.2.11, 3.3.3.6: only an ID token the authorization endpoint
  issues with an access token or a code must carry its hash) are ``INFO``, saying why for the
  app's flow (:mod:`scenarios.conformance.hashes`);
* signature rows on an ID token that came straight from the token endpoint over TLS are
  ``INFO`` when the app accepted the token: Core 3.1.3.7 (6) lets the client rely on TLS server
  validation there instead of the signature. Over plain http nothing else vouches for the
  token, and accepting it fails the row;
* a REJECT row the app refused counts only when a plain sign-in right after it (no fault
  armed) signed the app in: an app that refuses a correct answer at that point (a stale key
  cache, a crashed session store) would otherwise pass every REJECT row for the wrong reason,
  so the row fails, saying so;
* a REJECT row the app ends signed in on passes when it started its sign-in again after the
  faulted answer (a new authorization request in the provider's log, as an app whose failure
  handler sends the browser to its login again makes): it refused the faulted token, and the
  fault, fired once, left the new sign-in correct;
* key rows count only when the provider's request log shows that the app fetched its keys;
  otherwise the app never checked the signature against them and the row is "not tested"
  (``SKIP``);
* the back-channel logout rows are judged in :mod:`scenarios.conformance.logout_judging`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mock_idp.faults import ID_TOKEN_KINDS, USERINFO_KINDS
from scenarios.conformance.catalogue import Row, Verdict
from scenarios.conformance.hashes import (
    flow_name,
    hash_reason,
    hash_required,
    hash_unexercised,
    response_types,
)
from scenarios.conformance.logout_judging import (
    NO_ENDPOINT,
    VALID_ANSWERS,
    BackchannelObservation,
    judge_backchannel,
    signed_out,
)
from scenarios.conformance.userinfo_answer import DROPPED_NOTE

__all__ = [
    "NO_ENDPOINT",
    "VALID_ANSWERS",
    "BackchannelObservation",
    "LoginObservation",
    "Refusal",
    "Verdict",
    "front_channel_id_token",
    "hash_required",
    "judge",
    "judge_backchannel",
    "judge_login",
    "unsent_nonce",
]


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """The provider refusing the user who signs in, in its own words: on its sign-in page, by
    the field it blames (``username``, ``password``, ``code``), by asking the account for
    something the driver cannot give (``factor``: a second factor; ``account``: anything else,
    a new password) or on its error page (``page``); or in an error it sent to the app's
    redirect URI (``redirect``)."""

    where: Literal["username", "password", "code", "factor", "account", "page", "redirect"]
    text: str
    aadsts: int | None = None
    """The ``AADSTS`` code the text starts with or names."""


@dataclass(frozen=True, kw_only=True)
class LoginObservation:
    """What happened when a fresh browser signed in with the row's fault armed."""

    reached_sign_in: bool
    """The browser got to the provider's sign-in page and submitted the credentials."""
    check_status: int | None
    """The ``--check`` URL's status afterwards (``None``: not asked)."""
    fault_fired: bool | None = None
    """Whether the provider used the armed fault (``None``: the row arms none)."""
    final_url: str = ""
    page_status: int | None = None
    page_text: str = ""
    """A snippet of the page the browser ended on."""
    error: str | None = None
    """Why driving the browser stopped early."""
    refusal: Refusal | None = None
    """The provider's refusal of the user (on its own page, or sent to the app)."""
    response_type: str | None = None
    """The ``response_type`` of the app's authorization request (``None``: not seen)."""
    sent_nonce: bool | None = None
    """Whether that request carried a ``nonce`` (``None``: not seen)."""
    sent_pkce: bool | None = None
    """Whether it carried a PKCE ``code_challenge`` (``None``: not seen)."""
    asked_id_token: bool | None = None
    """Whether it asked for an ID token (``openid``; ``None``: not seen)."""
    restarted: bool = False
    """The app started its sign-in again (a new authorization request) after the provider's
    faulted answer: it refused that answer, and the sign-in it ends with is a later, correct
    one (the fault fires once)."""
    dropped_userinfo: bool = False
    """Signed in, naming the user and no value of a UserInfo answer about another subject."""
    over_tls: bool = False
    """The app reached the provider over https."""
    key_fetches: int | None = None
    """GETs of the provider's signing keys during this row (``None``: its log was unreadable)."""
    key_fetches_before: int = 0
    """GETs of the provider's signing keys earlier in the run (the preflight's included)."""
    plain_after: bool | None = None
    """After a REJECT row the RP refused: whether a plain sign-in right after it, in the same
    browser with no fault armed, signed the RP in (``None``: none was tried)."""
    plain_after_text: str = ""
    """What the page said when that plain sign-in did not sign the RP in."""
    strict_cookies: tuple[str, ...] = ()
    """The RP's cookies set ``SameSite=Strict`` that the browser held when it got to the
    provider, the RP on another site: the provider's redirect (or form post) back to the
    callback is a cross-site navigation, which carries none of them."""

    @property
    def signed_in(self) -> bool | None:
        if self.check_status is None:
            return None
        if 200 <= self.check_status < 300:
            return True
        if signed_out(self.check_status):
            return False
        return None


def front_channel_id_token(response_type: str | None) -> bool:
    """Whether the authorization endpoint itself returns an ID token (implicit, hybrid)."""
    return "id_token" in response_types(response_type)


def _login_did(obs: LoginObservation) -> str:
    if obs.signed_in is True:
        return "signed in"
    if obs.signed_in is None:
        return f"check URL answered {obs.check_status}" if obs.check_status else "unknown"
    shown = f"not signed in; page HTTP {obs.page_status}" if obs.page_status else "not signed in"
    return f'{shown}: "{obs.page_text}"' if obs.page_text else shown


def _not_tested(row: Row, obs: LoginObservation) -> str | None:
    """Why a key row that signed in proves nothing (``None``: the app fetched the keys)."""
    if obs.key_fetches is None:
        return ("not tested: the provider's request log could not be read, so it is unknown "
                "whether the app fetched the signing keys")
    fetched = obs.key_fetches if row.key_fetch == "row" else obs.key_fetches + \
        obs.key_fetches_before
    if fetched:
        return None
    when = "during this row" if row.key_fetch == "row" else "at any point of the run"
    return (f"not tested: the provider's request log shows no GET of its signing keys "
            f"(jwks_uri) {when}, so the app signed in without checking the ID token's "
            "signature against them")


def _signed_in_again(row: Row, obs: LoginObservation) -> Verdict:
    """A REJECT row the app refused, then signed in again: after the faulted answer it sent a
    new authorization request (as an app whose failure handler starts the sign-in over does),
    and the session it ends with came from that later, correct answer."""
    did = "refused, then signed in again"
    if row.hash_claim is not None and not hash_required(row.hash_claim, obs.response_type):
        return _hash_info(row, obs, did, refused=True)
    return Verdict(result="PASS", did=did, note=(
        f"the RP refused the answer in which {row.what} and started its sign-in again; the "
        "provider answered that one correctly (the fault fires once), and it signed in with "
        "the correct token"))


def _hash_info(row: Row, obs: LoginObservation, did: str, *, refused: bool = False) -> Verdict:
    claim = row.hash_claim
    assert claim is not None
    outcome = ("accepted the token" if obs.signed_in and not refused
               else f"checks {claim} when present and refused the token")
    return Verdict(result="INFO", did=did, reason=hash_reason(claim, obs.response_type, outcome))


def _accepted_bad_signature(row: Row, obs: LoginObservation, did: str) -> Verdict:
    if obs.response_type is not None and not front_channel_id_token(obs.response_type):
        if obs.over_tls:
            return Verdict(result="INFO", did=did, reason=(
                "allowed by OpenID Connect Core 3.1.3.7 (6): the ID token came straight from "
                "the token endpoint over TLS, where the client MAY rely on TLS server "
                "validation instead of checking the signature (over plain http it must)"))
        return Verdict(result="FAIL", did=did, reason=(
            f"the RP signed in although {row.what}, and the ID token came from the token "
            "endpoint over plain http: without TLS only the signature vouches for it "
            "(Core 3.1.3.7 (6) allows skipping the check only over TLS)"))
    return Verdict(result="FAIL", did=did, reason=f"the RP signed in although {row.what} "
                   f"({flow_name(obs.response_type)}: the client MUST check the signature)")


def unsent_nonce(sent_pkce: bool | None) -> str:
    """Why accepting an ID token with a nonce is wrong for an app that sent none (it could not
    have checked it), completing "the RP ..." or "the app ..."."""
    said = ("sent no nonce and accepted an ID token carrying one (OpenID Connect Core §2: a "
            "nonce in the ID token MUST equal the one the client sent)")
    if sent_pkce is False:
        said += ("; it sent no PKCE code_challenge either, so nothing protects its sign-in "
                 "against an injected authorization code (RFC 9700 §4.5)")
    return said


def _refused_plain_too(row: Row, obs: LoginObservation) -> str:
    said = f' ("{obs.plain_after_text}")' if obs.plain_after_text else ""
    return (f"the RP refused this sign-in, and a plain, correct one right after it too (no "
            f"fault armed{said}): its refusal cannot be credited to the row's fault ({row.what}); "
            "an app must still sign in with a correct answer at that point")


def judge_login(row: Row, obs: LoginObservation) -> Verdict:
    if obs.error is not None or not obs.reached_sign_in:
        where = f" (ended at {obs.final_url})" if obs.final_url else ""
        return Verdict(result="FAIL", did="did not reach the provider's sign-in page",
                       reason=f"{obs.error or 'no sign-in page'}{where}")
    did = _login_did(obs)
    if obs.signed_in is None:
        return Verdict(result="FAIL", did=did, reason=f"the check URL answered "
                       f"{obs.check_status}: neither 2xx (signed in) nor 401, 403 or a redirect "
                       "(not signed in)")
    if row.fault is not None and obs.fault_fired is False:
        if row.fault_optional and obs.signed_in:
            return Verdict(result="SKIP", did=did, reason=f"not exercised: the RP never made "
                           f"the request the {row.fault} fault applies to")
        if obs.signed_in and row.hash_claim is not None and (
                unexercised := hash_unexercised(row.hash_claim, obs.response_type)):
            return Verdict(result="SKIP", did=did, reason=unexercised)
        if obs.signed_in and obs.asked_id_token is False and row.fault in ID_TOKEN_KINDS:
            return Verdict(result="SKIP", did=did, reason="not tested: the RP asked for no ID "
                           "token (no openid in its scope), so the provider answered none for "
                           f"the {row.fault} fault to change; it signed in without one")
        if obs.signed_in:
            return Verdict(result="FAIL", did=did, reason=f"the {row.fault} fault never fired "
                           "although the RP signed in: its sign-in went through another client "
                           "or flow than the one the fault targeted (check --client-id)")
        return Verdict(result="FAIL", did=did, reason=f"the {row.fault} fault never fired: the "
                       "RP did not complete the flow to the point the fault applies to")
    if obs.plain_after is False and not obs.signed_in:
        return Verdict(result="FAIL", did=did, reason=_refused_plain_too(row, obs))
    if row.key_fetch is not None and obs.signed_in and (
            reason := _not_tested(row, obs)) is not None:
        return Verdict(result="SKIP", did=did, reason=reason)
    if row.expect == "REJECT" and obs.signed_in and obs.restarted:
        return _signed_in_again(row, obs)
    if row.hash_claim is not None and not hash_required(row.hash_claim, obs.response_type):
        return _hash_info(row, obs, did)
    if row.expect == "ACCEPT":
        if obs.signed_in:
            return Verdict(result="PASS", did=did, note=row.note)
        return Verdict(result="FAIL", did=did,
                       reason=f"the RP refused a sign-in it should accept: {row.what}"
                       + (f" ({row.note})" if row.note else ""))
    if row.expect == "EITHER":
        outcome = "accepted" if obs.signed_in else "rejected"
        return Verdict(result="PASS", did=did, note=f"{outcome}; {row.note}")
    if obs.signed_in:
        if row.fault in USERINFO_KINDS and obs.dropped_userinfo:
            return Verdict(result="PASS", did=did, note=DROPPED_NOTE)
        if row.signature:
            return _accepted_bad_signature(row, obs, did)
        if row.nonce and obs.sent_nonce is False:
            return Verdict(result="FAIL", did=did, reason=f"the RP {unsent_nonce(obs.sent_pkce)}")
        what = row.what if obs.asked_id_token is not False else row.what.replace(
            "the ID token", "its own access token", 1) + " (the answer had no ID token)"
        return Verdict(result="FAIL", did=did, reason=f"the RP signed in although {what}")
    return Verdict(result="PASS", did=did, note=row.note)


def judge(row: Row, obs: LoginObservation | BackchannelObservation) -> Verdict:
    if isinstance(obs, LoginObservation):
        return judge_login(row, obs)
    return judge_backchannel(row, obs)
