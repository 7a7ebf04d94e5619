"""How the back-channel logout rows are judged from the relying party's answer to a logout
token (OpenID Connect Back-Channel Logout 1.0).

Pure, like :mod:`scenarios.conformance.judging`: a valid logout token answered 204 passes like
200 (§2.8); when the back-channel URI answers 404 or 405 (no such endpoint) the valid token's
row fails and the invalid tokens' rows are not tested; so are they when the URI refused a valid
token too (an app behind a filter that answers 400 to every POST), or no valid one was
answered. Whether the session ended is said as it was seen: the check URL's status, or, for an
app judged by its ``[signed_in]`` page, what that page showed.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.conformance.catalogue import Row, Verdict

__all__ = [
    "NO_ENDPOINT",
    "VALID_ANSWERS",
    "BackchannelObservation",
    "judge_backchannel",
    "signed_out",
]


@dataclass(frozen=True, kw_only=True)
class BackchannelObservation:
    """The relying party's answer to one logout token, as the provider recorded it."""

    signed_in_before: bool
    status: int | None = None
    delivery_error: str | None = None
    cache_control: str | None = None
    headers_recorded: bool = False
    """Whether the provider's notification log carries the RP's response headers."""
    check_status_after: int | None = None
    """The check URL's status after the logout token (``None``: not asked); with
    :attr:`by_page`, 200 or 401 as the ``[signed_in]`` page showed someone signed in or not."""
    by_page: bool = False
    """The session was read from the profile's ``[signed_in]`` page, not a check URL's
    status: the verdict says what that page showed, not a status no URL answered."""
    deliveries: int = 1
    error: str | None = None
    valid_answer: int | None = None
    """How the back-channel logout URI answered a valid logout token in this run (the valid
    token's row, or the command's own delivery of one when that row is not run); ``None``:
    none was answered. An invalid token's 400 shows the app checked that token only when the
    valid one was taken."""


NO_ENDPOINT = frozenset({404, 405})
"""Answers meaning the back-channel logout URI is not an endpoint of the app at all."""


VALID_ANSWERS = frozenset({200, 204})
"""A relying party's answers to a valid logout token (Back-Channel Logout 1.0 §2.8)."""


def signed_out(status: int) -> bool:
    """401, 403 or a redirect (to a login page) from the check URL: not signed in."""
    return status in (401, 403) or 300 <= status < 400


def _seen_after(obs: BackchannelObservation) -> str:
    """What the session check showed after the logout token, as the app was asked: the check
    URL's status, or what the ``[signed_in]`` page showed (no URL was asked then)."""
    if not obs.by_page:
        return f"check URL answered {obs.check_status_after}"
    assert obs.check_status_after is not None
    if signed_out(obs.check_status_after):
        return "the [signed_in] page showed no one signed in"
    return "the [signed_in] page showed someone signed in"


def judge_backchannel(row: Row, obs: BackchannelObservation) -> Verdict:
    if obs.error is not None:
        return Verdict(result="FAIL", did="no logout token delivered", reason=obs.error)
    if not obs.signed_in_before:
        return Verdict(result="FAIL", did="could not sign in first",
                       reason="the RP did not sign in, so there was no session to log out")
    if obs.status is None:
        return Verdict(result="FAIL", did=f"no HTTP answer ({obs.delivery_error})",
                       reason=f"the back-channel POST failed: {obs.delivery_error}")
    did = f"HTTP {obs.status}"
    if obs.check_status_after is not None:
        ended = signed_out(obs.check_status_after)
        did += "; session ended" if ended else "; session kept"
    if obs.deliveries != 1:
        return Verdict(result="FAIL", did=did, reason=f"{obs.deliveries} logout tokens were "
                       "sent for one session; cannot tell which answer belongs to this row")
    if obs.status in NO_ENDPOINT:
        reason = (f"the back-channel logout URI answered {obs.status}: the app has no "
                  "back-channel logout endpoint there")
        if row.expect == "HTTP 400":
            return Verdict(result="SKIP", did=did, reason=f"not tested: {reason}")
        return Verdict(result="FAIL", did=did, reason=f"{reason}, so a sign-out at the "
                       "provider leaves its session alive")
    if row.expect == "HTTP 400":
        return _invalid_token(row, obs, did)
    if obs.status not in VALID_ANSWERS:
        return Verdict(result="FAIL", did=did,
                       reason=f"the RP answered {obs.status} to {row.what}, not 200 (or 204)")
    if obs.check_status_after is not None and not signed_out(obs.check_status_after):
        return Verdict(result="FAIL", did=did, reason=f"the RP answered {obs.status} but the "
                       f"session is still signed in ({_seen_after(obs)})")
    notes = []
    if obs.status == 204:
        notes.append("204 No Content taken as success: Back-Channel Logout 1.0 §2.8 asks for "
                     "200 and tells providers to accept the 204 some frameworks send instead")
    if not obs.headers_recorded:
        notes.append("Cache-Control not checked: the provider's log does not record response "
                     "headers")
    elif obs.cache_control is None:
        notes.append("WARNING: no Cache-Control header; no-store is expected")
    elif "no-store" not in obs.cache_control.lower():
        notes.append(f"WARNING: Cache-Control is {obs.cache_control}, not no-store")
    else:
        notes.append("Cache-Control: no-store")
    return Verdict(result="PASS", did=did, note="; ".join(notes))


def _invalid_token(row: Row, obs: BackchannelObservation, did: str) -> Verdict:
    """An invalid logout token: 400, and the session kept (Back-Channel Logout 1.0 §2.6: the
    RP validates the token first; §2.7: it ends the sessions a valid one names)."""
    ended = obs.check_status_after is not None and signed_out(obs.check_status_after)
    if obs.status != 400:
        return Verdict(result="FAIL", did=did, reason=f"{row.what}, yet the RP answered "
                       f"{obs.status}, not 400" + (", and ended the session" if ended else ""))
    if ended:
        return Verdict(result="FAIL", did=did, reason=(
            f"{row.what}, yet the RP ended the session ({_seen_after(obs)} afterwards) "
            "although it answered 400: Back-Channel "
            "Logout 1.0 §2.6, §2.7: an RP ends a session only for a logout token it validated"))
    if obs.valid_answer is None:
        return Verdict(result="SKIP", did=did, reason=(
            "not tested: no valid logout token was answered in this run, so this 400 cannot be "
            "told from an endpoint that refuses every POST"))
    if obs.valid_answer not in VALID_ANSWERS:
        return Verdict(result="SKIP", did=did, reason=(
            f"not tested: the back-channel logout URI answered a valid logout token "
            f"{obs.valid_answer} too, so this 400 does not show that the app checked the token "
            "(something in front of it, a CSRF check say, may refuse every POST)"))
    return Verdict(result="PASS", did=did, note=row.note)
