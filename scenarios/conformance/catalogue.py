"""The relying-party conformance catalogue: which rows the mock provider can stage.

Row ids are the OpenID certification suite's test ids (the old suite's ``rp-*`` ids; the current
suite's module name where the old suite has none). Rows the catalogue has no id for, but which the
mock stages anyway, are named ``harness-*``. How each row is judged is in
:mod:`scenarios.conformance.judging`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from scenarios.close_ids import did_you_mean

__all__ = [
    "BACKCHANNEL_ROWS",
    "LOGIN_ROWS",
    "ROWS",
    "Expect",
    "KeyFetch",
    "Result",
    "Row",
    "SelectionError",
    "Verdict",
    "select_rows",
]

Expect = Literal["ACCEPT", "REJECT", "EITHER", "HTTP 200", "HTTP 400"]
Result = Literal["PASS", "FAIL", "SKIP", "INFO"]
"""``INFO``: the spec allows either outcome here (the row says which it was and why)."""
KeyFetch = Literal["row", "run"]


@dataclass(frozen=True, kw_only=True)
class Verdict:
    result: Result
    did: str
    """What the relying party did, in a few words."""
    reason: str = ""
    """Why a row failed, was not tested or is informational (one line)."""
    note: str = ""


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
    signature: bool = False
    """The row breaks the ID token's signature. OpenID Connect Core 3.1.3.7 (6): an ID token
    received straight from the token endpoint over TLS may be trusted on TLS server validation
    instead of its signature, so accepting it there is allowed; over plain http it is not."""
    hash_claim: Literal["at_hash", "c_hash"] | None = None
    """The row breaks this hash claim, which only an ID token from the authorization endpoint
    must carry and the client must check (Core 3.2.2.10, 3.3.2.11); in the code flow it is
    optional (3.1.3.6, 3.1.3.8: the client MAY check it), so the row is informational there."""
    nonce: bool = False
    """The row sends an ID token whose nonce is not the one the RP sent (OpenID Connect Core
    §2: when the ID token has one, the client MUST check it equals the one it sent); when the
    RP sent none, the token carries one all the same."""
    key_fetch: KeyFetch | None = None
    """The row only tests an app that fetched the provider's keys: during the row (``row``: the
    key it needs was published only now) or at some point of the run (``run``). An app that
    signs in without fetching them never checked the signature against them: "not tested"."""


LOGIN_ROWS: tuple[Row, ...] = (
    # Key rows first: a relying party caches the JWKS. Each of these rows changes the provider's
    # key set (an extra key, a rotated key) until its fault is cleared, after the row.
    Row(id="rp-response_type-code", kind="login", fault=None, expect="ACCEPT",
        what="a plain sign-in in the app's own flow, no fault armed"),
    Row(id="rp-id_token-kid-absent-single-jwks", kind="login", fault="kid_absent",
        expect="ACCEPT", what="the ID token has no kid and the JWKS holds one key",
        key_fetch="run"),
    Row(id="rp-id_token-kid-absent-multiple-jwks", kind="login", fault="kid_absent_multiple",
        expect="EITHER", what="the ID token has no kid and the JWKS holds several keys without kid",
        note="either outcome conforms: reject (no key can be chosen) or try each key",
        key_fetch="run"),
    Row(id="rp-key-rotation-op-sign-key-native", kind="login", fault="key_rotated",
        expect="ACCEPT", what="the provider rotated its signing key just before signing",
        note="the RP must re-fetch jwks_uri when it meets an unknown kid", key_fetch="row"),
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
        note="the client is registered for RS256, not none, so an unsigned token is a forgery",
        signature=True),
    Row(id="rp-id_token-bad-sig-rs256", kind="login", fault="bad_signature", expect="REJECT",
        what="the ID token's RS256 signature does not verify", signature=True),
    Row(id="harness-id_token-unknown-key", kind="login", fault="unknown_key", expect="REJECT",
        what="the ID token is signed with a key that is not in the JWKS", signature=True),
    Row(id="rp-nonce-invalid", kind="login", fault="wrong_nonce", expect="REJECT",
        what="the ID token's nonce differs from the one the RP sent", nonce=True),
    Row(id="rp-id_token-bad-at_hash", kind="login", fault="bad_at_hash", expect="REJECT",
        what="the ID token carries an at_hash that does not match the access token",
        hash_claim="at_hash"),
    Row(id="rp-id_token-bad-c_hash", kind="login", fault="bad_c_hash", expect="REJECT",
        what="the ID token carries a c_hash that does not match the code", hash_claim="c_hash"),
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
    # Back-Channel Logout 1.0 §2.8: 200 on success, and 204 (what some frameworks send for an
    # empty 200) counts as success too; 400 for an invalid token.
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
        raise SelectionError(f"no conformance row matches {', '.join(unmatched)}"
                             + did_you_mean(unmatched, [r.id for r in rows]))
    return tuple(r for r in rows if any(fnmatch.fnmatchcase(r.id, p) for p in wanted))
