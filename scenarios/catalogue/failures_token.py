"""Failure pages for an ID token or UserInfo answer that fails the app's checks: the provider
spoils one token of a sign-in (:mod:`mock_idp.faults.id_tokens`) and the app must refuse it.
What the failure says of a token the app accepted is :mod:`scenarios.catalogue.accepted_token`'s."""

from __future__ import annotations

from scenarios import scenario
from scenarios.catalogue.accepted_token import accepted_token
from scenarios.catalogue.failures import (
    FAILURE_PAGE,
    Ctx,
    expect_failure_if_reached,
    start_signed_in_at_company,
)
from scenarios.catalogue.id_token_source import (
    accepted_what,
    also_own_access_token,
    dropped_userinfo,
    from_token_endpoint_over_plain_http,
    from_token_endpoint_over_tls,
    naming_graph_reader,
    naming_spoiled_tokens,
    raise_if_signed_in_again,
    unreached_token_fault,
    unsigned_v1_accepted,
)
from scenarios.catalogue.plain_after import expect_plain_sign_in_after
from scenarios.context import NotExercised

_TOKEN_FAULTS = (
    ("bad-signature", "bad_signature", "an ID token whose signature does not verify"),
    ("wrong-issuer", "wrong_iss", "an ID token from another issuer"),
    ("wrong-audience", "wrong_aud", "an ID token issued to another client"),
    ("nonce-mismatch", "wrong_nonce", "an ID token whose nonce is not the one this sign-in sent"),
    ("expired-id-token", "expired", "an ID token that expired an hour ago"),
    ("missing-sub", "missing_sub", "an ID token without a sub claim"),
    ("userinfo-sub-mismatch", "userinfo_sub_mismatch",
     "a UserInfo response about another subject than the ID token"),
)
_ALLOWED = {
    "bad-signature": "; an app that takes its ID token straight from the token endpoint over "
    "TLS may rely on TLS instead of the signature (OpenID Connect Core 3.1.3.7 (6)): its "
    "accepting the token there is not exercised rather than failed; over plain http, or for an "
    "ID token through the browser, it fails",
    "userinfo-sub-mismatch": "; an app that drops that UserInfo response instead and signs in "
    "the ID token's user, showing none of its values, passes too (OpenID Connect Core 1.0 "
    "§5.3.2; the certification test rp-userinfo-bad-sub-claim rejects the response)",
}
"""What a scenario's ``proves`` adds: the specification's exception to its rule."""


def _token_fault(ctx: Ctx, name: str, fault: str) -> None:
    stack = ctx.env
    with ctx.step(f"the provider is set to send a {fault} response once"):
        armed = stack.arm_fault(fault)
    with ctx.step("follow the sign-in URL, signed in at the company: the failure page "
                  "appears and no session is created"), \
            naming_spoiled_tokens(stack, str(armed["id"])), naming_graph_reader(ctx, fault):
        start_signed_in_at_company(ctx)
        # Core §5.3.2 binds an app that asks UserInfo; the other faults spoil every ID token.
        try:
            expect_failure_if_reached(
                ctx, name, unreached=lambda: unreached_token_fault(stack, fault, str(armed["id"])))
        except AssertionError as exc:
            if fault == "userinfo_sub_mismatch" and dropped_userinfo(ctx):
                # An app that never asked UserInfo signed alice in without meeting the fault,
                # whatever its session check said of it (a page drawn late may read as signed
                # out): not exercised, never passed.
                if (unasked := unreached_token_fault(stack, fault, str(armed["id"]))):
                    raise NotExercised(unasked) from None
                return  # the answer refused, not the sign-in: Core §5.3.2 allows it
            raise_if_signed_in_again(ctx, exc)
            if (what := accepted_what(ctx, fault)) is not None:
                raise AssertionError(f"{what}; {exc}") from exc
            if fault == "bad_signature" and stack.app.seen_signed_in(ctx.page):
                if (over_tls := from_token_endpoint_over_tls(stack)) is not None:
                    # conformance's INFO: allowed, and no proof it refuses a forgery elsewhere
                    raise NotExercised(
                        "the app accepted an ID token whose signature does not verify, which "
                        f"is allowed: {over_tls}") from None
                if (over_http := from_token_endpoint_over_plain_http(stack)) is not None:
                    if (v1 := unsigned_v1_accepted(stack, str(armed["id"]))) is not None:
                        raise AssertionError(f"{v1}; {exc}") from exc
                    # As conformance's FAIL for the signature rows over plain http.
                    forged = accepted_token(stack, fault, str(armed["id"])) or (
                        "the app accepted an ID token whose signature does not verify")
                    raise AssertionError(f"{forged}, and {over_http}; {exc}") from exc
            if stack.app.seen_signed_in(ctx.page) and (
                    told := accepted_token(stack, fault, str(armed["id"]))) is not None:
                raise AssertionError(f"{told}; {exc}") from exc
            raise
    expect_plain_sign_in_after(ctx)


for _name, _fault, _what in _TOKEN_FAULTS:
    def _register(name: str = _name, fault: str = _fault, what: str = _what) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The app refuses {what}",
            proves=f"Given {what}{also_own_access_token(fault)}, the app refuses the sign-in "
            f"and shows its failure page with the support contact; nobody is signed in"
            f"{_ALLOWED.get(name, '')}",
            tags={"id-token"},
            needs=FAILURE_PAGE,
        )
        def run(ctx: Ctx) -> None:
            _token_fault(ctx, name, fault)

    _register()

