"""A partner-app sign-in that fails tells the administrator what fits an installation: there is
no connection to edit, nor a client secret to enter; its credentials and links come only in the
platform's events, so the way out is the platform rotating the credentials or the account
installing the app again. A customer connection's failure keeps the connection's hint."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fake_op import CLIENT_ID, TOKEN, entra_error
from httpx import Response
from id_token_faults import ID_TOKEN_FAULTS
from markupsafe import escape
from rp_support import PARTNER_CONTACT, RpHarness, install, launch

from relying_party.installation_hints import BY_AADSTS, BY_CODE

Fault = Callable[[RpHarness], object]
ROTATE = "rotate the installation's credentials"
INSTALL_AGAIN = "installing the app again"

FAULTS: dict[str, tuple[Fault, str, str]] = {
    "secret refused": (lambda rp: setattr(rp.op.clients[CLIENT_ID], "secret", "elsewhere"),
                       "client_secret_invalid", ROTATE),
    "secret expired": (lambda rp: setattr(rp.op.faults, "token_error", entra_error(
        401, "invalid_client", 7000222, "The provided client secret keys are expired.")),
        "client_secret_expired", ROTATE),
    "wrong issuer": (lambda rp: rp.op.faults.claims.update(iss="https://elsewhere.test/v2.0"),
                     "id_token_wrong_issuer", INSTALL_AGAIN),
    "wrong audience": (lambda rp: rp.op.faults.claims.update(aud="someone-else"),
                       "id_token_wrong_audience", ROTATE),
    "unknown kid": (lambda rp: rp.op.faults.header.update(kid="never-published"),
                    "unknown_signing_key", INSTALL_AGAIN),
    "provider unreachable": (lambda rp: rp.op.faults.unreachable.add("token"),
                             "idp_unreachable", INSTALL_AGAIN),
    "token link redirects": (lambda rp: setattr(rp.op.faults, "token_redirect", TOKEN + "-x"),
                             "token_endpoint_error", INSTALL_AGAIN),
    "tenant unknown": (lambda rp: setattr(rp.op.faults, "token_error", entra_error(
        400, "invalid_request", 90002, "Tenant not found.")), "idp_error", INSTALL_AGAIN),
}
CONNECTION_WORDS = re.compile(r"[Cc]onnection|Client Secret|Client ID|Token URL|Authorization URI"
                              r"|Discovery URL|app registration|[Ee]nter ")
"""What a customer connection's hints speak of: its fields on the admin page, the customer's app
registration, a value to enter."""


def failure_record(rp: RpHarness, response: Response) -> dict[str, object]:
    """The failure page's error record, once it is known that nobody was signed in."""
    text = response.text
    assert "Sign-in failed" in text and PARTNER_CONTACT in text
    assert "rp_session" not in response.headers.get("set-cookie", "")
    assert rp.me().status_code == 401
    match = re.search(r'id="error-ref">(RP-[0-9A-F]{10})<', text)
    assert match, text
    record: dict[str, object] = rp.client.get(f"/api/admin/errors/{match.group(1)}").json()
    return record


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_partner_sign_in_failure_gives_a_hint_for_an_installation(
        rp: RpHarness, fault: str) -> None:
    arm, code, words = FAULTS[fault]
    install(rp)
    arm(rp)
    response = launch(rp)
    record = failure_record(rp, response)
    assert record["code"] == code
    hint = str(record["admin_hint"])
    assert words in hint, hint
    assert not CONNECTION_WORDS.search(hint), hint
    assert str(escape(hint)) in response.text  # "For your administrator" on the failure page


@pytest.mark.parametrize("fault", sorted(ID_TOKEN_FAULTS))
def test_a_partner_sign_in_refuses_every_bad_id_token(rp: RpHarness, fault: str) -> None:
    """The launch's ID token goes through the checks a connection's does: each fault ends on
    the failure page with the partner app's contact, and nobody is signed in."""
    arm, code = ID_TOKEN_FAULTS[fault]
    install(rp)
    arm(rp)
    response = launch(rp)
    assert response.status_code == 502, response.text
    assert failure_record(rp, response)["code"] == code
    assert not [r for r in rp.op.requests if r.url.path.endswith("/userinfo")]


@pytest.mark.parametrize("fault", ["secret refused", "wrong issuer", "provider unreachable"])
def test_a_connections_failure_keeps_the_connections_hint(rp: RpHarness, fault: str) -> None:
    arm, code, _ = FAULTS[fault]
    rp.add_connection()
    arm(rp)
    record = rp.assert_failure_page(rp.sign_in(), status=502, code=code)
    assert CONNECTION_WORDS.search(str(record["admin_hint"]))


def test_no_installation_hint_speaks_of_a_connection() -> None:
    for hint in (*BY_AADSTS.values(), *BY_CODE.values()):
        assert not CONNECTION_WORDS.search(hint), hint
