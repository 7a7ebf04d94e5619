"""The platform user id of a partner sign-in is the ``id`` the installation's ``userinfo`` link
(the platform's ``GET /users/me``) answers: not the ID token's ``oid``, nor the launch URL's
``user_id``. A link that names no usable id, or refuses, ends on the failure page with the
partner's contact."""

from __future__ import annotations

from typing import Any

import pytest
from fake_op import TID, USERS, USERS_ME, event
from rp_support import INSTALLATION, PARTNER_CONTACT, RpHarness, install, launch, outcome

PLATFORM_ID = "7c0d5e7b2a9f4c1e8d3b6a5f4e3d2c1b"
"""An id the platform gives alice that is not her object id."""


def test_the_platform_user_id_is_the_id_users_me_answers(rp: RpHarness) -> None:
    install(rp)
    rp.op.faults.users_me.update(id=PLATFORM_ID)
    assert launch(rp, "alice").status_code == 303
    me = rp.me().json()
    assert me["platform_user_id"] == PLATFORM_ID != USERS["alice"].oid
    asked = [r for r in rp.op.requests if str(r.url) == USERS_ME]
    assert len(asked) == 1 and asked[0].headers["authorization"].startswith("Bearer ")


def test_the_platform_user_id_maps_licences_and_sign_outs(rp: RpHarness) -> None:
    """``app.updated`` and ``user.logout`` name the user by the id ``/users/me`` answered."""
    install(rp)
    rp.op.faults.users_me.update(id=PLATFORM_ID)
    assert launch(rp, "alice").status_code == 303
    removed_oid = event("app.updated", {"installation_id": INSTALLATION, "account_id": TID,
                                        "users": {"adding": [],
                                                  "removing": [USERS["alice"].oid]}},
                        created_at=rp.clock.now())
    assert outcome(rp, removed_oid).endswith("sessions_ended=0")
    assert rp.me().status_code == 200
    rp.clock.advance(seconds=1)
    logout = event("user.logout", {"installation_id": INSTALLATION, "account_id": TID,
                                   "user_id": PLATFORM_ID}, created_at=rp.clock.now())
    assert outcome(rp, logout) == "logged_out:1"
    assert rp.me().status_code == 401


def test_a_forged_user_id_hint_has_no_effect(rp: RpHarness) -> None:
    install(rp)
    rp.op.faults.users_me.update(id=PLATFORM_ID)
    assert launch(rp, "alice", hint=USERS["bob"].oid).status_code == 303
    assert rp.me().json()["platform_user_id"] == PLATFORM_ID


def test_an_id_token_without_oid_signs_in_by_the_users_me_id(rp: RpHarness) -> None:
    install(rp)
    rp.op.faults.claims.update(oid=None)
    assert launch(rp, "alice").status_code == 303
    assert rp.me().json()["platform_user_id"] == USERS["alice"].oid


@pytest.mark.parametrize(("case", "answer"), [
    ("no id", {"id": None}),
    ("empty", {"id": ""}),
    ("a number", {"id": 1234}),
    ("an object", {"id": {"value": PLATFORM_ID}}),
    ("white space around", {"id": f" {PLATFORM_ID}"}),
])
def test_a_users_me_answer_without_a_usable_id_ends_on_the_failure_page(
    rp: RpHarness, case: str, answer: dict[str, Any]
) -> None:
    install(rp)
    rp.op.faults.users_me.update(answer)
    record = rp.assert_failure_page(launch(rp), status=403, code="unmapped_user",
                                    contact=PARTNER_CONTACT)
    assert "userinfo link" in str(record["detail"]) and "id" in str(record["detail"])
    assert "/users/me" in str(record["admin_hint"])


@pytest.mark.parametrize("status", [401, 403, 500])
def test_a_users_me_refusal_ends_on_the_failure_page(rp: RpHarness, status: int) -> None:
    install(rp)
    rp.op.faults.userinfo_status = status
    record = rp.assert_failure_page(launch(rp), status=502, code="userinfo_failed",
                                    contact=PARTNER_CONTACT)
    assert f"HTTP {status}" in str(record["detail"])
    assert "/users/me" in str(record["admin_hint"])
