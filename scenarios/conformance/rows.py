"""The relying-party conformance catalogue: which rows the mock provider can stage, and how each
row is judged from what the relying party did.

Row ids are the OpenID certification suite's test ids (the old suite's ``rp-*`` ids; the current
suite's module name where the old suite has none). Rows the catalogue has no id for, but which the
mock stages anyway, are named ``harness-*``.

Everything here is pure: :func:`judge_login` and :func:`judge_backchannel` turn an observation
into a :class:`Verdict`, :func:`format_table` and :func:`to_json` report the results; the
browser work lives in :mod:`scenarios.conformance.runner`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scenarios.protocol_view import Exchange, text_of

__all__ = [
    "BACKCHANNEL_ROWS",
    "LOGIN_ROWS",
    "ROWS",
    "BackchannelObservation",
    "Expect",
    "LoginObservation",
    "Result",
    "Row",
    "RowResult",
    "SelectionError",
    "Verdict",
    "format_progress",
    "format_table",
    "judge",
    "judge_backchannel",
    "judge_login",
    "select_rows",
    "summary_counts",
    "to_json",
]

Expect = Literal["ACCEPT", "REJECT", "EITHER", "HTTP 200", "HTTP 400"]
Result = Literal["PASS", "FAIL", "SKIP"]


@dataclass(frozen=True, kw_only=True)
class Row:
    id: str
    kind: Literal["login", "backchannel"]
    fault: str | None
    """The mock's fault kind (``POST /_mock/faults``); ``None`` for the plain flow."""
    expect: Expect
    what: str
    """What the provider does wrong, completing "the RP signed in although ..."."""
    note: str = ""
    fault_optional: bool = False
    """An RP may legitimately never reach the faulty step (it need not call userinfo)."""


LOGIN_ROWS: tuple[Row, ...] = (
    # Key rows first and in this order: a relying party caches the JWKS, and each of these rows
    # leaves the provider's key set changed (an extra key, a rotated key) for the rows after it.
    Row(id="rp-response_type-code", kind="login", fault=None, expect="ACCEPT",
        what="a normal code flow"),
    Row(id="rp-id_token-kid-absent-single-jwks", kind="login", fault="kid_absent",
        expect="ACCEPT", what="the ID token has no kid and the JWKS holds one key"),
    Row(id="rp-id_token-kid-absent-multiple-jwks", kind="login", fault="kid_absent_multiple",
        expect="EITHER", what="the ID token has no kid and the JWKS holds several keys without kid",
        note="either outcome conforms: reject (no key can be chosen) or try each key"),
    Row(id="rp-key-rotation-op-sign-key-native", kind="login", fault="key_rotated",
        expect="ACCEPT", what="the provider rotated its signing key just before signing",
        note="the RP must re-fetch jwks_uri when it meets an unknown kid"),
    Row(id="rp-id_token-issuer-mismatch", kind="login", fault="wrong_iss", expect="REJECT",
        what="the ID token's iss is wrong"),
    Row(id="rp-id_token-sub", kind="login", fault="missing_sub", expect="REJECT",
        what="the ID token has no sub"),
    Row(id="rp-id_token-aud", kind="login", fault="wrong_aud", expect="REJECT",
        what="the ID token's aud is another client"),
    Row(id="oidcc-client-test-missing-aud", kind="login", fault="missing_aud", expect="REJECT",
        what="the ID token has no aud"),
    Row(id="rp-id_token-iat", kind="login", fault="missing_iat", expect="REJECT",
        what="the ID token has no iat"),
    Row(id="rp-id_token-sig-none", kind="login", fault="alg_none", expect="REJECT",
        what="the ID token is unsigned (alg none)",
        note="the client is registered for RS256, not none, so an unsigned token is a forgery"),
    Row(id="rp-id_token-bad-sig-rs256", kind="login", fault="bad_signature", expect="REJECT",
        what="the ID token's RS256 signature does not verify"),
    Row(id="harness-id_token-unknown-key", kind="login", fault="unknown_key", expect="REJECT",
        what="the ID token is signed with a key that is not in the JWKS"),
    Row(id="rp-nonce-invalid", kind="login", fault="wrong_nonce", expect="REJECT",
        what="the ID token's nonce differs from the one the RP sent"),
    Row(id="rp-id_token-bad-at_hash", kind="login", fault="bad_at_hash", expect="REJECT",
        what="the ID token carries an at_hash that does not match the access token"),
    Row(id="rp-id_token-bad-c_hash", kind="login", fault="bad_c_hash", expect="REJECT",
        what="the ID token carries a c_hash that does not match the code"),
    Row(id="rp-userinfo-bad-sub-claim", kind="login", fault="userinfo_sub_mismatch",
        expect="REJECT", what="userinfo's sub differs from the ID token's sub",
        fault_optional=True),
    Row(id="harness-id_token-expired", kind="login", fault="expired", expect="REJECT",
        what="the ID token expired an hour ago"),
    Row(id="harness-id_token-nbf-future", kind="login", fault="nbf_future", expect="REJECT",
        what="the ID token's nbf is an hour ahead"),
)

_LT = "rp-backchannel-rpinitlogout"
BACKCHANNEL_ROWS: tuple[Row, ...] = (
    Row(id=_LT, kind="backchannel", fault=None, expect="HTTP 200",
        what="a valid logout token", note="Cache-Control: no-store is expected (a warning)"),
    Row(id=f"{_LT}-lt-alg-none", kind="backchannel", fault="lt_alg_none", expect="HTTP 400",
        what="the logout token is unsigned (alg none)"),
    Row(id=f"{_LT}-lt-wrong-alg", kind="backchannel", fault="lt_wrong_alg", expect="HTTP 400",
        what="the logout token is signed with ES256 by a key not in the JWKS"),
    Row(id=f"{_LT}-lt-no-event", kind="backchannel", fault="lt_no_events", expect="HTTP 400",
        what="the logout token has no events claim"),
    Row(id=f"{_LT}-lt-wrong-event", kind="backchannel", fault="lt_wrong_events",
        expect="HTTP 400", what="the logout token's events claim has no back-channel event"),
    Row(id=f"{_LT}-lt-with-nonce", kind="backchannel", fault="lt_nonce", expect="HTTP 400",
        what="the logout token carries a nonce"),
    Row(id=f"{_LT}-lt-wrong-aud", kind="backchannel", fault="lt_wrong_aud", expect="HTTP 400",
        what="the logout token's aud is another client"),
    Row(id=f"{_LT}-lt-wrong-issuer", kind="backchannel", fault="lt_wrong_iss",
        expect="HTTP 400", what="the logout token's iss is wrong"),
    Row(id="harness-backchannel-lt-bad-signature", kind="backchannel",
        fault="lt_bad_signature", expect="HTTP 400",
        what="the logout token's signature does not verify"),
)

ROWS: tuple[Row, ...] = LOGIN_ROWS + BACKCHANNEL_ROWS


class SelectionError(ValueError):
    """An ``--only`` pattern that names no row."""


def select_rows(patterns: Iterable[str], rows: Sequence[Row] = ROWS) -> tuple[Row, ...]:
    """Rows whose id matches any pattern (ids or globs, comma-separated), in catalogue order;
    all rows when there are no patterns."""
    wanted = [p.strip() for chunk in patterns for p in chunk.split(",") if p.strip()]
    if not wanted:
        return tuple(rows)
    unmatched = [p for p in wanted if not any(fnmatch.fnmatchcase(r.id, p) for r in rows)]
    if unmatched:
        raise SelectionError(f"no conformance row matches {', '.join(unmatched)}")
    return tuple(r for r in rows if any(fnmatch.fnmatchcase(r.id, p) for p in wanted))


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

    @property
    def signed_in(self) -> bool | None:
        if self.check_status is None:
            return None
        if 200 <= self.check_status < 300:
            return True
        if _signed_out(self.check_status):
            return False
        return None


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
    deliveries: int = 1
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    result: Result
    did: str
    """What the relying party did, in a few words."""
    reason: str = ""
    """Why a row failed or was skipped (one line)."""
    note: str = ""


def _signed_out(status: int) -> bool:
    """401, 403 or a redirect (to a login page) from the check URL: not signed in."""
    return status in (401, 403) or 300 <= status < 400


def _login_did(obs: LoginObservation) -> str:
    if obs.signed_in is True:
        return "signed in"
    if obs.signed_in is None:
        return f"check URL answered {obs.check_status}" if obs.check_status else "unknown"
    shown = f"not signed in; page HTTP {obs.page_status}" if obs.page_status else "not signed in"
    return f'{shown}: "{obs.page_text}"' if obs.page_text else shown


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
        return Verdict(result="FAIL", did=did, reason=f"the {row.fault} fault never fired: the "
                       "RP did not complete the flow to the point the fault applies to")
    if row.expect == "ACCEPT":
        if obs.signed_in:
            return Verdict(result="PASS", did=did, note=row.note)
        return Verdict(result="FAIL", did=did, reason=f"the RP refused {row.what}")
    if row.expect == "EITHER":
        outcome = "accepted" if obs.signed_in else "rejected"
        return Verdict(result="PASS", did=did, note=f"{outcome}; {row.note}")
    if obs.signed_in:
        return Verdict(result="FAIL", did=did, reason=f"the RP signed in although {row.what}")
    return Verdict(result="PASS", did=did, note=row.note)


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
        ended = _signed_out(obs.check_status_after)
        did += "; session ended" if ended else "; session kept"
    expected = 200 if row.expect == "HTTP 200" else 400
    if obs.deliveries != 1:
        return Verdict(result="FAIL", did=did, reason=f"{obs.deliveries} logout tokens were "
                       "sent for one session; cannot tell which answer belongs to this row")
    if obs.status != expected:
        if expected == 400:
            reason = f"{row.what}, yet the RP answered {obs.status}, not 400"
        else:
            reason = f"the RP answered {obs.status} to {row.what}, not 200"
        return Verdict(result="FAIL", did=did, reason=reason)
    if expected == 400:
        return Verdict(result="PASS", did=did, note=row.note)
    if obs.check_status_after is not None and not _signed_out(obs.check_status_after):
        return Verdict(result="FAIL", did=did, reason="the RP answered 200 but the session is "
                       f"still signed in (check URL answered {obs.check_status_after})")
    if not obs.headers_recorded:
        note = "Cache-Control not checked: the provider's log does not record response headers"
    elif obs.cache_control is None or "no-store" not in obs.cache_control.lower():
        note = f"WARNING: Cache-Control is {obs.cache_control!r}, not no-store"
    else:
        note = "Cache-Control: no-store"
    return Verdict(result="PASS", did=did, note=note)


def judge(row: Row, obs: LoginObservation | BackchannelObservation) -> Verdict:
    if isinstance(obs, LoginObservation):
        return judge_login(row, obs)
    return judge_backchannel(row, obs)


@dataclass(frozen=True, kw_only=True)
class RowResult:
    row: Row
    verdict: Verdict
    seconds: float
    protocol: Exchange | None = None
    """The row's exchange between browser, RP and provider (:mod:`scenarios.protocol_view`)."""

    @property
    def protocol_text(self) -> str | None:
        """The exchange as a text sequence diagram."""
        return text_of(self.protocol, f"{self.row.id}: {self.row.what}")


def summary_counts(results: Sequence[RowResult]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    names = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}
    for result in results:
        counts[names[result.verdict.result]] += 1
    return counts


def format_table(results: Sequence[RowResult]) -> str:
    """The table: row id, expected, what the RP did, result; then one line per failure, skip
    and note."""
    header = ("ROW", "EXPECTED", "RP DID", "RESULT")
    body = [(r.row.id, r.row.expect, r.verdict.did, r.verdict.result) for r in results]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(line))
             for line in (header, *body)]
    lines.append("")
    for r in results:
        if r.verdict.result != "PASS":
            lines.append(f"{r.verdict.result} {r.row.id}: {r.verdict.reason}")
    for r in results:
        if r.verdict.result == "PASS" and r.verdict.note:
            lines.append(f"note {r.row.id}: {r.verdict.note}")
    counts = summary_counts(results)
    lines.append(f"{counts['passed']} passed, {counts['failed']} failed, "
                 f"{counts['skipped']} skipped")
    return "\n".join(lines)


def to_json(results: Sequence[RowResult], *, rp: str, provider: str,
            client_id: str) -> dict[str, Any]:
    """The results for CI: one object per row plus the counts and ``ok``."""
    counts = summary_counts(results)
    return {
        "rp": rp,
        "provider": provider,
        "client_id": client_id,
        "rows": [{"id": r.row.id, "kind": r.row.kind, "fault": r.row.fault,
                  "expect": r.row.expect, "result": r.verdict.result, "did": r.verdict.did,
                  "reason": r.verdict.reason, "note": r.verdict.note,
                  "seconds": round(r.seconds, 2), "protocol_text": r.protocol_text}
                 for r in results],
        **counts,
        "ok": counts["failed"] == 0,
    }


def format_progress(result: RowResult) -> str:
    return f"{result.verdict.result:<4}  {result.row.id}  {result.seconds:.2f}s"
