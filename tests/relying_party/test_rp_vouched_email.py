"""A local user's unique e-mail address is one the provider vouches for.

Entra vouches with the ``xms_edov`` optional claim; another provider's token (no ``tid``) with
OIDC's ``email_verified``. An address it does not vouch for (one any tenant administrator can
set on a user) is not the account's: it neither takes an address from its owner nor is refused
as a duplicate (which would tell who has an account).
"""

from __future__ import annotations

from rp_support import RpHarness, second_connection

ALICE = "alice@contoso.onmicrosoft.com"


def _second_connection(rp: RpHarness) -> str:
    return second_connection(rp, "Other organization")


def test_an_address_not_vouched_for_takes_nobodys_address(rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    second = _second_connection(rp)
    # another organization's user whose ``email`` claims alice's address signs in first
    rp.op.faults.claims["xms_edov"] = False
    assert rp.sign_in(f"/sso/{second}/widget").status_code == 303
    assert rp.me().json()["email"] is None
    rp.client.cookies.clear()
    # alice's own sign-in, vouched for, is not refused, and the address is hers
    del rp.op.faults.claims["xms_edov"]
    assert rp.sign_in(f"/sso/{first}/widget").status_code == 303
    assert rp.me().json()["email"] == ALICE
    assert rp.client.get("/api/admin/errors").json() == []


def test_a_token_without_xms_edov_vouches_for_nothing(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = None
    assert rp.sign_in().status_code == 303
    assert rp.me().json()["email"] is None


def test_a_string_is_not_a_vouching_boolean(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = "true"
    assert rp.sign_in().status_code == 303
    assert rp.me().json()["email"] is None


def test_a_vouched_duplicate_is_still_refused(rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    rp.sign_in(f"/sso/{first}/widget")
    rp.client.cookies.clear()
    second = _second_connection(rp)
    rp.assert_failure_page(rp.sign_in(f"/sso/{second}/widget"), status=409,
                           code="duplicate_email", contact="it@other.test")


def test_email_verified_vouches_only_in_a_token_of_another_provider(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims.update({"xms_edov": None, "email_verified": True})
    assert rp.sign_in().status_code == 303
    assert rp.me().json()["email"] is None  # an Entra token (``tid``): only xms_edov counts
    rp.client.cookies.clear()
    rp.op.faults.claims["tid"] = None
    assert rp.sign_in(user="bob").status_code == 303
    assert rp.me().json()["email"] == "bob@contoso.onmicrosoft.com"


def test_a_user_made_without_an_address_takes_the_one_a_later_sign_in_vouches_for(
        rp: RpHarness) -> None:
    rp.add_connection()
    # the app registration did not ask for ``xms_edov`` yet: alice signs in with no address
    rp.op.faults.claims["xms_edov"] = None
    assert rp.sign_in().status_code == 303
    first = rp.me().json()
    assert first["email"] is None
    rp.client.cookies.clear()
    # once it does, her next sign-in is the same user, now with her address
    del rp.op.faults.claims["xms_edov"]
    assert rp.sign_in().status_code == 303
    me = rp.me().json()
    assert (me["id"], me["email"]) == (first["id"], ALICE)
    listed = rp.client.get("/api/admin/users").json()
    assert [(u["id"], u["email"]) for u in listed] == [(first["id"], ALICE)]


def test_a_user_without_an_address_does_not_take_one_another_user_holds(
        rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    second = _second_connection(rp)
    rp.op.faults.claims["xms_edov"] = None
    assert rp.sign_in(f"/sso/{second}/widget").status_code == 303
    other = rp.me().json()["id"]
    rp.client.cookies.clear()
    del rp.op.faults.claims["xms_edov"]
    assert rp.sign_in(f"/sso/{first}/widget").status_code == 303
    assert rp.me().json()["email"] == ALICE
    rp.client.cookies.clear()
    # the identity of the second connection, now vouched for, signs in as before, with none
    assert rp.sign_in(f"/sso/{second}/widget").status_code == 303
    assert (rp.me().json()["id"], rp.me().json()["email"]) == (other, None)
    assert rp.client.get("/api/admin/errors").json() == []
