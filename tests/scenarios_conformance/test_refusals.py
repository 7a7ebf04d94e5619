"""What the provider refused about the user who signs in, sorted once for ``conformance`` and
``run --idp``, and each command's advice for it: pure, no browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_idp.signin import ids
from scenarios.conformance import refusals
from scenarios.conformance.judging import Refusal
from scenarios.conformance.refusals import RefusalKind, refusal_kind
from scenarios.real_idp_signin import refused_user as run_idp_refused

UPN = "alice@contoso.test"
LOCKED_SHOWN = Refusal(where="password", text=ids.ACCOUNT_LOCKED)
"""What the sign-in page shows of a smart lockout: its words under the password, its code
AADSTS50053 in a sibling element the page's refusal is not read from."""


@pytest.mark.parametrize(("refusal", "kind"), [
    (LOCKED_SHOWN, "locked"),
    (Refusal(where="password", text="AADSTS50053: account locked", aadsts=50053), "locked"),
    (Refusal(where="page", text="AADSTS50053: The account is locked.", aadsts=50053), "locked"),
    (Refusal(where="password", text="Your account or password is incorrect."), "wrong_password"),
    (Refusal(where="page", text="AADSTS50126: Invalid username or password.", aadsts=50126),
     "wrong_credentials"),
    (Refusal(where="username", text="This username may be incorrect."), "unknown_user"),
    (Refusal(where="code", text="You didn't enter the expected verification code."),
     "wrong_code"),
    (Refusal(where="account", text="More information required"), "account_action"),
    (Refusal(where="factor", text='alice must type an authenticator app\'s code ("Enter code")'),
     "second_factor"),
    (Refusal(where="redirect", text="interaction_required: AADSTS50076: Due to a configuration "
             "change made by your administrator, you must use multi-factor authentication",
             aadsts=50076), "second_factor"),
    (Refusal(where="page", text="AADSTS50057: User account is disabled.", aadsts=50057),
     "disabled"),
    (Refusal(where="redirect", text="access_denied: AADSTS50105: not assigned", aadsts=50105),
     "not_assigned"),
    (Refusal(where="page", text="AADSTS700016: Application not found.", aadsts=700016), None),
    (Refusal(where="redirect", text="invalid_request: redirect_uri"), None),
])
def test_a_refusal_is_sorted_by_its_lockout_words_then_its_code_then_its_field(
        refusal: Refusal, kind: RefusalKind | None) -> None:
    assert refusal_kind(refusal) == kind


@pytest.mark.parametrize(("refused_user", "advice"), [
    (refusals.refused_user, "the account is locked: give another --user, or unlock it"),
    (run_idp_refused, "then wait until the account unlocks"),
], ids=["conformance", "run --idp"])
@pytest.mark.parametrize("refusal", [
    LOCKED_SHOWN, Refusal(where="password", text="AADSTS50053: account locked", aadsts=50053),
], ids=["words only", "with its code"])
def test_a_locked_account_is_named_locked_not_a_wrong_password(
        refused_user: Callable[[str, Refusal], str | None], advice: str,
        refusal: Refusal) -> None:
    said = refused_user(UPN, refusal)
    assert said is not None and advice in said, said
    assert "--password (default" not in said and "check [user] password_env (or " \
        "password_file):" not in said, said


@pytest.mark.parametrize(("refused_user", "advice"), [
    (refusals.refused_user, "give another --user, or remove the user's authenticator app"),
    (run_idp_refused, "Conditional Access excludes from MFA"),
], ids=["conformance", "run --idp"])
def test_a_second_factor_the_driver_cannot_give_is_named_with_what_to_do(
        refused_user: Callable[[str, Refusal], str | None], advice: str) -> None:
    """"Enter code" without a secret, "Approve sign in request", "Verify your identity": the
    driver stops there (:class:`~scenarios.drivers.SecondFactorRequired`), which each command
    words as a second factor it cannot give."""
    from scenarios.drivers import SecondFactorRequired

    said = refused_user(UPN, refusals.driver_refusal(SecondFactorRequired(
        f'{UPN} must approve the sign-in in the Authenticator app ("Approve sign in request")')))
    assert said is not None and advice in said and "Approve sign in request" in said, said


_NOT_ASSIGNED = ("error=interaction_required&error_description=AADSTS50105%3A+The+signed+in+"
                 "user+is+not+assigned.+Trace+ID%3A+x&state=s")


@pytest.mark.parametrize(("urls", "forms"), [
    ([f"http://127.0.0.1:8000/auth/callback?{_NOT_ASSIGNED}"], []),
    ([f"http://127.0.0.1:8000/auth/callback#{_NOT_ASSIGNED}"], []),
    (["http://127.0.0.1:8000/auth/callback"], [_NOT_ASSIGNED]),
], ids=["query", "fragment", "form_post"])
def test_an_error_sent_to_the_app_is_read_in_each_response_mode(
        urls: list[str], forms: list[str]) -> None:
    refusal = refusals.sent_refusal(urls, forms)
    assert refusal == Refusal(where="redirect", aadsts=50105, text="interaction_required: "
                              "AADSTS50105: The signed in user is not assigned."), refusal


def test_a_code_sent_to_the_app_is_no_refusal() -> None:
    assert refusals.sent_refusal(["http://127.0.0.1:8000/auth/callback"],
                                 ["code=c&state=s"]) is None
