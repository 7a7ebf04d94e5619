"""The conformance rows the judging tests name, and the observations they judge: a sign-in
(:func:`login`) and a back-channel logout (:func:`bc`)."""

from __future__ import annotations

from scenarios.conformance.rows import ROWS, BackchannelObservation, LoginObservation

BY_ID = {row.id: row for row in ROWS}
HAPPY = BY_ID["rp-response_type-code"]
NONCE = BY_ID["rp-nonce-invalid"]
USERINFO = BY_ID["rp-userinfo-bad-sub-claim"]
KID_MULTIPLE = BY_ID["rp-id_token-kid-absent-multiple-jwks"]
KID_SINGLE = BY_ID["rp-id_token-kid-absent-single-jwks"]
LT_VALID = BY_ID["rp-backchannel-rpinitlogout"]
LT_NONCE = BY_ID["rp-backchannel-rpinitlogout-lt-with-nonce"]


def login(check: int | None, *, fired: bool | None = True, reached: bool = True,
          text: str = "", error: str | None = None) -> LoginObservation:
    """A sign-in row's observation: the check's status after the faulted sign-in."""
    return LoginObservation(reached_sign_in=reached, check_status=check, fault_fired=fired,
                            final_url="http://rp.test/widget", page_status=502,
                            page_text=text, error=error, response_type="code", key_fetches=1)


def bc(status: int | None, *, after: int | None = 401, headers_recorded: bool = False,
       cache_control: str | None = None, delivery_error: str | None = None,
       deliveries: int = 1, valid: int | None = 200) -> BackchannelObservation:
    """A back-channel logout row's observation: the app's answer to the logout token and the
    check's status after it."""
    return BackchannelObservation(
        signed_in_before=True, status=status, check_status_after=after,
        headers_recorded=headers_recorded, cache_control=cache_control,
        delivery_error=delivery_error, deliveries=deliveries, valid_answer=valid)
