"""Licences (``app.updated``): authentication does not imply authorization. Every user of an
installation's account holds the app's licence until an ``app.updated`` removes it
(``data.users.removing``) and again once one adds it back (``adding``). A removal ends the
user's sessions of the installation and sign-ins in progress; her next sign-in ends on the
failure page (``unlicensed_user``, with the partner's support contact) once the provider has
said who she is. Each user's change applies only when newer than the last one applied to that
user; one older than the installation's current lifetime is ``ignored_stale``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import CLIENT_ID, TID, USERS, event, installed_links
from rp_support import (
    INSTALLATION,
    PARTNER_CONTACT,
    RpHarness,
    callback_url,
    database,
    install,
    launch,
    outcome,
    post_event,
)

ALICE, BOB = USERS["alice"].oid, USERS["bob"].oid
MESSAGE = ("Your account does not have a licence for this app. Please ask your administrator "
           "to give you one, then open the app again.")
ADMIN_HINT = ("The platform removed this user's licence for the app (app.updated). Give the user "
              "the app's licence again on the platform and they can sign in.")


def updated_body(created_at: datetime, *, adding: Sequence[str] = (),
                 removing: Sequence[str] = (), installation_id: str = INSTALLATION,
                 **data: Any) -> bytes:
    payload: dict[str, Any] = {"installation_id": installation_id, "account_id": TID,
                               "account_name": "contoso"}
    if adding or removing:
        payload["users"] = {"adding": list(adding), "removing": list(removing)}
    payload.update(data)
    return event("app.updated", payload, created_at=created_at)


def update(rp: RpHarness, *, adding: Sequence[str] = (), removing: Sequence[str] = (),
           **data: Any) -> str:
    return outcome(rp, updated_body(rp.clock.now(), adding=adding, removing=removing, **data))


def changed(removed: int = 0, added: int = 0, stale: int = 0, ended: int = 0) -> str:
    return f"updated:removed={removed},added={added},stale={stale},sessions_ended={ended}"


def installation(rp: RpHarness) -> dict[str, Any]:
    [stored] = rp.client.get("/api/admin/installations").json()
    assert isinstance(stored, dict)
    return stored


def browser(rp: RpHarness) -> AppClient:
    """Another browser on the same app."""
    return AppClient(rp.client.app, follow_redirects=False)


def launch_in(rp: RpHarness, client: AppClient, user: str, hint: str | None = None) -> int:
    """Launch from the platform in ``client`` and sign in at the provider as ``user``; the
    callback's status."""
    started = client.get(f"/launch?installation_id={INSTALLATION}&user_id={hint or user}")
    assert started.status_code == 302, started.text
    return client.get(rp.op.approve(started.headers["location"], user)).status_code


def assert_unlicensed(rp: RpHarness, response: Any) -> dict[str, object]:
    record = rp.assert_failure_page(response, status=403, code="unlicensed_user",
                                    contact=PARTNER_CONTACT)
    assert MESSAGE in response.text
    assert "app.updated" in response.text  # the hint for the administrator
    assert record["message"] == MESSAGE
    assert record["admin_hint"] == ADMIN_HINT
    assert record["source_kind"] == "installation"
    assert record["source_id"] == INSTALLATION
    return record


# -- removing and adding back --------------------------------------------------------------------


def test_a_removed_user_loses_her_session_and_her_next_sign_in_fails(rp: RpHarness) -> None:
    install(rp)
    bob = browser(rp)
    assert launch_in(rp, bob, "bob") == 303
    assert launch(rp, "alice").status_code == 303
    rp.clock.advance(seconds=1)
    assert update(rp, removing=[ALICE]) == changed(removed=1, ended=1)
    assert rp.me().status_code == 401
    assert bob.get("/api/me").json()["platform_user_id"] == BOB  # his session stays
    assert installation(rp)["unlicensed_users"] == [ALICE]
    rp.clock.advance(seconds=1)
    record = assert_unlicensed(rp, launch(rp, "alice"))
    assert ALICE in str(record["detail"])
    bob.cookies.clear()
    assert launch_in(rp, bob, "bob") == 303  # another user of the installation signs in


def test_a_user_added_back_signs_in_again(rp: RpHarness) -> None:
    install(rp)
    assert update(rp, removing=[ALICE]) == changed(removed=1)
    rp.clock.advance(seconds=1)
    assert_unlicensed(rp, launch(rp, "alice"))
    rp.clock.advance(seconds=1)
    assert update(rp, adding=[ALICE]) == changed(added=1)
    assert installation(rp)["unlicensed_users"] == []
    assert launch(rp, "alice").status_code == 303
    assert rp.me().json()["platform_user_id"] == ALICE


def test_an_unlicensed_user_is_not_made_a_local_user(rp: RpHarness) -> None:
    """Refused as soon as the provider has said who she is, before she is provisioned."""
    install(rp)
    update(rp, removing=[ALICE])
    assert_unlicensed(rp, launch(rp, "alice"))
    assert database(rp).users.all() == []


def test_the_launch_hint_decides_nothing(rp: RpHarness) -> None:
    """The check is on who the provider signed in, never on the launch's ``user_id``."""
    install(rp)
    update(rp, removing=[ALICE])
    assert launch(rp, "bob", hint=ALICE).status_code == 303
    assert rp.me().json()["platform_user_id"] == BOB
    rp.client.cookies.clear()
    assert_unlicensed(rp, launch(rp, "alice", hint=BOB))


def test_a_licence_removed_while_signing_in_refuses_the_sign_in(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)  # launched and signed in at the provider
    rp.clock.advance(seconds=1)
    assert update(rp, removing=[ALICE]) == changed(removed=1)
    assert_unlicensed(rp, rp.client.get(callback))


def test_a_licence_removed_as_the_session_is_made_refuses_the_sign_in(rp: RpHarness) -> None:
    """Another worker applies the removal just after the first check passed: the transaction
    that makes the session checks again, and no user is stored."""
    install(rp)
    callback = callback_url(rp)
    db = database(rp)
    original = db.licences.taken_at
    checks: list[datetime | None] = []

    def taken_once_checked(installation_id: str, platform_user_id: str) -> datetime | None:
        checks.append(original(installation_id, platform_user_id))
        if len(checks) == 1:
            db.take_licence(INSTALLATION, ALICE, changed_at=rp.clock.now(),
                            received_at=rp.clock.now(), keep_for=timedelta(minutes=20),
                            forget_before=rp.clock.now() - timedelta(hours=1))
        return checks[-1]

    db.licences.taken_at = taken_once_checked  # type: ignore[method-assign]
    assert_unlicensed(rp, rp.client.get(callback))
    assert len(checks) == 2 and checks[0] is None
    assert db.users.all() == []


# -- order, duplicates and targets ----------------------------------------------------------------


def test_an_update_older_than_the_uninstall_is_stale(rp: RpHarness) -> None:
    install(rp)
    late = updated_body(rp.clock.now(), removing=[ALICE])  # its first delivery fails
    rp.clock.advance(seconds=1)
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "ignored_stale"


def test_an_update_older_than_the_reinstall_is_stale(rp: RpHarness) -> None:
    install(rp)
    late = updated_body(rp.clock.now(), removing=[ALICE])
    rp.clock.advance(seconds=1)
    outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                      created_at=rp.clock.now()))
    rp.clock.advance(seconds=1)
    install(rp)
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "ignored_stale"
    assert launch(rp, "alice").status_code == 303


def test_uninstalling_forgets_the_licences(rp: RpHarness) -> None:
    install(rp)
    update(rp, removing=[ALICE], subscription={"adding": {"name": "Paid Plus"}})
    rp.clock.advance(seconds=1)
    outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                      created_at=rp.clock.now()))
    assert database(rp).licences.taken_at(INSTALLATION, ALICE) is None
    assert installation(rp)["subscription"] is None
    rp.clock.advance(seconds=1)
    install(rp)  # installed afresh: every user of the account holds the licence
    assert launch(rp, "alice").status_code == 303


def test_a_users_older_change_leaves_her_newer_one(rp: RpHarness) -> None:
    install(rp)
    late = updated_body(rp.clock.now(), removing=[ALICE])  # its first delivery fails
    rp.clock.advance(seconds=1)
    assert update(rp, adding=[ALICE]) == changed(added=1)
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == changed(stale=1)
    assert launch(rp, "alice").status_code == 303


def test_a_late_removal_applies_after_newer_changes_of_others(rp: RpHarness) -> None:
    """The platform retries a failed delivery 5 and 10 minutes later: a removal of alice
    created before bob's removal and a credentials rotation still takes her licence, and her
    session begun meanwhile ends with it."""
    install(rp)
    late = updated_body(rp.clock.now(), removing=[ALICE])  # its first delivery fails
    rp.clock.advance(seconds=1)
    assert update(rp, removing=[BOB]) == changed(removed=1)
    assert outcome(rp, event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "client_id": CLIENT_ID,
        "client_secret": rp.op.clients[CLIENT_ID].secret}, created_at=rp.clock.now())) == (
        "credentials_rotated")
    rp.clock.advance(minutes=1)
    assert launch(rp, "alice").status_code == 303  # still licensed here
    rp.clock.advance(minutes=4)
    assert outcome(rp, late) == changed(removed=1, ended=1)
    assert rp.me().status_code == 401
    assert_unlicensed(rp, launch(rp, "alice"))


def test_a_late_rotation_applies_after_a_newer_update(rp: RpHarness) -> None:
    """``app.updated`` is not an installation-wide lifecycle mark: a rotation created before
    it and delivered after it still applies."""
    install(rp)
    late = event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "client_id": CLIENT_ID,
        "client_secret": "rotated-secret"}, created_at=rp.clock.now())
    rp.clock.advance(seconds=1)
    update(rp, removing=[BOB])
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "credentials_rotated"


@pytest.mark.parametrize("late", ["adding", "removing"])
def test_of_two_changes_of_one_second_the_removal_stands_whichever_arrives_last(
        rp: RpHarness, late: str) -> None:
    install(rp)
    moment = rp.clock.now()
    adding, removing = (updated_body(moment, adding=[ALICE]),
                        updated_body(moment, removing=[ALICE]))
    rp.clock.advance(minutes=5)  # one of them is a retry: which was made first is unknown
    if late == "adding":
        assert outcome(rp, removing) == changed(removed=1)
        assert outcome(rp, adding) == changed(stale=1)
    else:
        assert outcome(rp, adding) == changed(added=1)
        assert outcome(rp, removing) == changed(removed=1)
    assert installation(rp)["unlicensed_users"] == [ALICE]
    assert_unlicensed(rp, launch(rp, "alice"))


def test_updates_of_one_second_for_different_users_both_apply(rp: RpHarness) -> None:
    install(rp)
    moment = rp.clock.now()
    assert outcome(rp, updated_body(moment, removing=[ALICE])) == changed(removed=1)
    assert outcome(rp, updated_body(moment, removing=[BOB])) == changed(removed=1)
    assert installation(rp)["unlicensed_users"] == sorted([ALICE, BOB])


def test_the_same_event_is_applied_once(rp: RpHarness) -> None:
    install(rp)
    removal = updated_body(rp.clock.now(), removing=[ALICE])
    assert outcome(rp, removal) == changed(removed=1)
    rp.clock.advance(seconds=1)
    update(rp, adding=[ALICE])
    assert launch(rp, "alice").status_code == 303
    again = post_event(rp, removal)
    assert again.json() == {"status": "duplicate", "id": json.loads(removal)["id"]}
    assert rp.me().status_code == 200
    assert installation(rp)["unlicensed_users"] == []


def test_an_unknown_or_uninstalled_installation_is_404_and_records_nothing(
    rp: RpHarness,
) -> None:
    body = updated_body(rp.clock.now(), removing=[ALICE])
    response = post_event(rp, body)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "unknown_installation"
    assert database(rp).licences.taken_at(INSTALLATION, ALICE) is None
    install(rp)
    assert outcome(rp, body) == changed(removed=1)  # its id was not recorded
    rp.clock.advance(seconds=1)
    outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                      created_at=rp.clock.now()))
    rp.clock.advance(seconds=1)
    newer = post_event(rp, updated_body(rp.clock.now(), removing=[BOB]))
    assert newer.status_code == 404, newer.text


def test_another_apps_update_is_refused(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    body = event("app.updated", {"installation_id": INSTALLATION,
                                 "users": {"adding": [], "removing": [ALICE]}},
                 created_at=rp.clock.now(), app_id="0c1d2e3f405162738495a6b7c8d9e0f1")
    response = post_event(rp, body)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "wrong_app"
    assert rp.me().status_code == 200
    assert installation(rp)["unlicensed_users"] == []


# -- the event's fields ---------------------------------------------------------------------------

_BIDI = "a\u202eb"
MALFORMED: dict[str, tuple[Mapping[str, Any], str]] = {
    "no installation id": ({"installation_id": None}, "data.installation_id"),
    "users not an object": ({"users": [ALICE]}, "data.users"),
    "users null": ({"users": None}, "data.users"),
    "adding not a list": ({"users": {"adding": ALICE}}, "data.users.adding"),
    "removing not a list": ({"users": {"removing": {"0": ALICE}}}, "data.users.removing"),
    "removing null": ({"users": {"adding": [BOB], "removing": None}}, "data.users.removing"),
    "a user id not a string": ({"users": {"removing": [5]}}, "data.users.removing[0]"),
    "an empty user id": ({"users": {"adding": [""]}}, "data.users.adding[0]"),
    "a user id with a bidi override": ({"users": {"removing": [ALICE, _BIDI]}},
                                       "data.users.removing[1]"),
    "a user id with white space around": ({"users": {"adding": [f" {BOB}"]}},
                                          "data.users.adding[0]"),
    "a user id too long": ({"users": {"removing": ["a" * 257]}}, "data.users.removing[0]"),
    "too many removed": ({"users": {"removing": [f"u{i}" for i in range(1001)]}},
                         "data.users.removing"),
    "too many added": ({"users": {"adding": [f"u{i}" for i in range(1001)]}},
                       "data.users.adding"),
    "added and removed": ({"users": {"adding": [BOB], "removing": [ALICE, BOB]}},
                          "data.users"),
    "subscription not an object": ({"subscription": "Paid Plus"}, "data.subscription"),
    "subscription adding not an object": ({"subscription": {"adding": ["Paid Plus"]}},
                                          "data.subscription.adding"),
    "name not a string": ({"subscription": {"adding": {"name": 5}}},
                          "data.subscription.adding.name"),
    "name empty": ({"subscription": {"adding": {"name": ""}}}, "data.subscription.adding.name"),
    "name with a line break": ({"subscription": {"adding": {"name": "Paid\nPlus"}}},
                               "data.subscription.adding.name"),
    "name too long": ({"subscription": {"adding": {"name": "P" * 257}}},
                      "data.subscription.adding.name"),
    "name with a bidi override": ({"subscription": {"adding": {"name": "Paid\u202eeerF"}}},
                                  "data.subscription.adding.name"),
    "name of a zero-width space": ({"subscription": {"adding": {"name": "\u200b"}}},
                                   "data.subscription.adding.name"),
    "name of invisible characters and spaces": (
        {"subscription": {"adding": {"name": "\ufeff \u2060"}}}, "data.subscription.adding.name"),
    **{f"licenses {value!r}": ({"subscription": {"adding": {"licenses": value}}},
                               "data.subscription.adding.licenses")
       for value in ("ten", "-1", "1.5", "", " 10", "\u0661\u0660", "10000001", -1, 1.5,
                     10_000_001, True, None, [10])},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_field_is_refused_naming_it_and_nothing_is_stored(
    rp: RpHarness, case: str
) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    bad, field = MALFORMED[case]
    data: dict[str, Any] = {"users": {"adding": [], "removing": [ALICE]},
                            "subscription": {"adding": {"name": "Paid Plus", "licenses": "10"}}}
    for name, value in bad.items():
        if isinstance(value, dict) and isinstance(data.get(name), dict):
            data[name] = {**data[name], **value}
        else:
            data[name] = value
    payload = {"installation_id": INSTALLATION, **data}
    body = event("app.updated", payload, created_at=rp.clock.now())
    response = post_event(rp, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert list(response.json()["fields"]) == [field]
    assert rp.me().status_code == 200
    stored = installation(rp)
    assert stored["unlicensed_users"] == [] and stored["subscription"] is None


@pytest.mark.parametrize("licenses", ["10", 10, "0", 0, "0010", 10_000_000])
def test_licence_counts_given_as_digits_or_an_integer(rp: RpHarness, licenses: object) -> None:
    install(rp)
    update(rp, subscription={"adding": {"licenses": licenses}})
    assert installation(rp)["subscription"] == {"name": None, "licenses": int(str(licenses))}


def test_users_given_without_one_of_the_lists(rp: RpHarness) -> None:
    install(rp)
    assert update(rp, users={"removing": [ALICE, ALICE]}) == changed(removed=1)
    rp.clock.advance(seconds=1)
    assert update(rp, users={"adding": [ALICE]}) == changed(added=1)
    assert update(rp, users={}) == changed()


# -- the subscription ------------------------------------------------------------------------------


def test_the_subscription_is_stored_and_shown(rp: RpHarness) -> None:
    install(rp)
    assert installation(rp)["subscription"] is None
    assert update(rp, subscription={"adding": {"name": "Paid Plus", "licenses": "10"}}) == (
        changed())
    assert installation(rp)["subscription"] == {"name": "Paid Plus", "licenses": 10}
    late_name = updated_body(rp.clock.now(), subscription={"adding": {"name": "Trial"}})
    rp.clock.advance(seconds=1)
    update(rp, subscription={"adding": {"licenses": 12}})  # only what changed is given
    assert installation(rp)["subscription"] == {"name": "Paid Plus", "licenses": 12}
    rp.clock.advance(seconds=1)
    update(rp, subscription={"adding": {"name": "Enterprise"}})
    outcome(rp, late_name)  # older than the name kept
    assert installation(rp)["subscription"] == {"name": "Enterprise", "licenses": 12}
    rp.admin_sign_in()
    assert "Enterprise (12 licences)" in rp.client.get("/admin").text
    rp.clock.advance(seconds=1)
    update(rp, subscription={"adding": {"licenses": 1}})
    assert "Enterprise (1 licence)" in rp.client.get("/admin").text


def test_a_reinstall_over_an_uninstalled_installation_starts_without_marks(
    rp: RpHarness,
) -> None:
    """A newer ``app.installed`` for an installation still active keeps what ``app.updated``
    said (it names no users); one that installs it again after an uninstall starts afresh."""
    install(rp)
    update(rp, removing=[ALICE])
    rp.clock.advance(seconds=1)
    again = event("app.installed", {
        "installation_id": INSTALLATION, "account_id": TID, "client_id": CLIENT_ID,
        "client_secret": rp.op.clients[CLIENT_ID].secret}, created_at=rp.clock.now(),
        links=installed_links())
    assert outcome(rp, again) == "installed"
    assert installation(rp)["unlicensed_users"] == [ALICE]
    assert_unlicensed(rp, launch(rp, "alice"))
