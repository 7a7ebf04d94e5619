"""Trials (``app.trial_started``, ``app.trial_extended``, ``app.trial_ended``): recorded per
installation and shown on the admin page and in the admin JSON; never a reason to refuse a
sign-in (the platform restricts access itself once a trial expires). A trial event applies
only when newer than the last one applied to the installation's trial, and only to an
installation that is there and active; a reinstall or an uninstall forgets the trial."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from fake_op import BASE, CLIENT_ID, TID, event, installed_links
from rp_support import INSTALLATION, RpHarness, install, launch, outcome, post_event

EXPIRES = "2026-03-15T09:30:15Z"
EXPIRES_JSON = "2026-03-15T09:30:15+00:00"
EXTENDED = "2026-03-29T09:30:15Z"
EXTENDED_JSON = "2026-03-29T09:30:15+00:00"
ENDED_AT = "2026-03-10T17:45:00Z"
ENDED_AT_JSON = "2026-03-10T17:45:00+00:00"


def trial_body(kind: str, created_at: datetime, *, event_id: str | None = None,
               **data: Any) -> bytes:
    """A signed-to-be ``app.trial_{kind}`` as the platform documents it: the lifecycle
    envelope (with ``app_version_id``) and its ``_links``; ``data`` members given as ``None``
    are left out."""
    payload: dict[str, Any] = {"installation_id": INSTALLATION, "account_id": TID,
                               "expires_at": EXPIRES}
    if kind == "ended":
        payload.update(ended_at=ENDED_AT, ended_reason="trial_expired", ended_by="system")
    payload.update(data)
    links = {"self": {"href": f"{BASE}/events/1"},
             "installation": {"href": f"{BASE}/apps/installations/{INSTALLATION}"}}
    envelope = json.loads(event(f"app.trial_{kind}", {k: v for k, v in payload.items()
                                                       if v is not None},
                                created_at=created_at, links=links, event_id=event_id))
    envelope["app_version_id"] = "4f1e0c3b9a8d4c2e8b7a6f5e4d3c2b1a"
    return json.dumps(envelope).encode()


def trial_event(rp: RpHarness, kind: str, **data: Any) -> str:
    """Deliver a trial event created now; its outcome."""
    return outcome(rp, trial_body(kind, rp.clock.now(), **data))


def uninstall(rp: RpHarness) -> None:
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"


def reinstall(rp: RpHarness) -> None:
    assert outcome(rp, event("app.installed", {
        "installation_id": INSTALLATION, "account_id": TID, "client_id": CLIENT_ID,
        "client_secret": rp.op.clients[CLIENT_ID].secret}, created_at=rp.clock.now(),
        links=installed_links())) == "installed"


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    listed = rp.client.get("/api/admin/installations").json()
    assert isinstance(listed, list)
    return listed


def trial(rp: RpHarness) -> dict[str, Any] | None:
    """The installation's ``trial`` in the admin JSON."""
    [stored] = installations(rp)
    value: dict[str, Any] | None = stored["trial"]
    return value


def trial_cell(rp: RpHarness) -> str:
    """The installation's Trial column on the admin page."""
    response = rp.client.get("/admin")
    if response.status_code != 200:
        rp.admin_sign_in()
        response = rp.client.get("/admin")
    page = response.text
    assert '<th scope="col">Trial</th>' in page
    found = re.search(rf'<td data-trial="{INSTALLATION}">([^<]*)</td>', page)
    assert found is not None, page
    return found.group(1)


def active_trial(expires_at: str = EXPIRES_JSON) -> dict[str, Any]:
    return {"state": "active", "expires_at": expires_at, "ended_at": None,
            "ended_reason": None, "ended_by": None}


def ended_trial(reason: str = "trial_expired", by: str = "system") -> dict[str, Any]:
    return {"state": "ended", "expires_at": EXPIRES_JSON, "ended_at": ENDED_AT_JSON,
            "ended_reason": reason, "ended_by": by}


# -- each event, applied and shown ----------------------------------------------------------------


def test_an_installation_without_a_trial_shows_none(rp: RpHarness) -> None:
    install(rp)
    assert trial(rp) is None
    assert trial_cell(rp) == "—"


def test_a_started_trial_is_recorded_and_shown(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    assert trial_event(rp, "started") == "trial_started"
    assert trial(rp) == active_trial()
    assert trial_cell(rp) == "active until 2026-03-15 09:30 UTC"


def test_an_extended_trial_shows_its_new_end(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(minutes=1)
    assert trial_event(rp, "extended", expires_at=EXTENDED) == "trial_extended"
    assert trial(rp) == active_trial(EXTENDED_JSON)
    assert trial_cell(rp) == "active until 2026-03-29 09:30 UTC"


@pytest.mark.parametrize(("reason", "by"), [
    ("trial_expired", "system"), ("plan_upgraded", "user"), ("app_uninstalled", "user"),
])
def test_an_ended_trial_shows_how_and_when_it_ended(rp: RpHarness, reason: str, by: str
                                                    ) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(minutes=1)
    assert trial_event(rp, "ended", ended_reason=reason, ended_by=by) == "trial_ended"
    assert trial(rp) == ended_trial(reason, by)
    assert trial_cell(rp) == f"ended ({reason} by {by}, 2026-03-10 17:45 UTC)"


def test_date_times_with_an_offset_are_kept_in_utc(rp: RpHarness) -> None:
    install(rp)
    assert trial_event(rp, "started", expires_at="2026-03-15T10:30:15+01:00") == (
        "trial_started")
    assert trial(rp) == active_trial()
    rp.clock.advance(seconds=1)
    trial_event(rp, "ended", expires_at="2026-03-15T04:30:15-05:00",
                ended_at="2026-03-10T18:45:00.250+01:00")
    stored = trial(rp)
    assert stored is not None
    assert (stored["expires_at"], stored["ended_at"]) == (EXPIRES_JSON,
                                                          "2026-03-10T17:45:00.250000+00:00")


def test_every_installation_shows_its_own_trial(rp: RpHarness) -> None:
    install(rp)
    other = "0f2e3d4c5b6a79881726354453627180"
    assert outcome(rp, event("app.installed", {
        "installation_id": other, "account_id": TID, "client_id": "other-client",
        "client_secret": "other-secret"}, created_at=rp.clock.now(),
        links=installed_links())) == "installed"
    rp.clock.advance(seconds=1)
    trial_event(rp, "started", installation_id=other)
    shown = {i["installation_id"]: i["trial"] for i in installations(rp)}
    assert shown == {INSTALLATION: None, other: active_trial()}


# -- out of order and twice -----------------------------------------------------------------------


def test_an_extension_delivered_before_its_start_is_not_undone_by_it(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    started = trial_body("started", rp.clock.now())  # its first delivery fails
    rp.clock.advance(minutes=1)
    assert trial_event(rp, "extended", expires_at=EXTENDED) == "trial_extended"
    rp.clock.advance(minutes=5)
    assert outcome(rp, started) == "ignored_stale"
    assert trial(rp) == active_trial(EXTENDED_JSON)


def test_an_extension_created_before_the_start_is_stale(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    late = trial_body("extended", rp.clock.now(), expires_at=EXTENDED)
    rp.clock.advance(seconds=1)
    assert trial_event(rp, "started") == "trial_started"
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "ignored_stale"
    assert trial(rp) == active_trial()


def test_a_late_extension_does_not_reopen_an_ended_trial(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(minutes=1)
    late = trial_body("extended", rp.clock.now(), expires_at=EXTENDED)
    rp.clock.advance(seconds=1)
    assert trial_event(rp, "ended") == "trial_ended"
    rp.clock.advance(minutes=10)
    assert outcome(rp, late) == "ignored_stale"
    assert trial(rp) == ended_trial()
    assert trial_cell(rp) == "ended (trial_expired by system, 2026-03-10 17:45 UTC)"


def test_of_one_second_an_end_outranks_an_extension(rp: RpHarness) -> None:
    """``created_at`` has whole seconds: an end and an extension of the same second leave the
    trial ended, whichever arrives first."""
    install(rp)
    rp.clock.advance(seconds=1)
    moment = rp.clock.now()
    assert outcome(rp, trial_body("ended", moment)) == "trial_ended"
    assert outcome(rp, trial_body("extended", moment, expires_at=EXTENDED)) == "ignored_stale"
    assert trial(rp) == ended_trial()
    rp.clock.advance(seconds=1)
    moment = rp.clock.now()
    assert outcome(rp, trial_body("extended", moment, expires_at=EXTENDED)) == (
        "trial_extended")
    assert outcome(rp, trial_body("ended", moment, ended_reason="plan_upgraded")) == (
        "trial_ended")
    assert trial(rp) == ended_trial("plan_upgraded")


def test_the_same_event_is_applied_once(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    started = trial_body("started", rp.clock.now())
    assert outcome(rp, started) == "trial_started"
    again = post_event(rp, started)
    assert again.status_code == 200, again.text
    assert again.json() == {"status": "duplicate", "id": json.loads(started)["id"]}
    rp.clock.advance(seconds=1)
    ended = trial_body("ended", rp.clock.now())
    assert outcome(rp, ended) == "trial_ended"
    for body in (started, ended):
        assert post_event(rp, body).json()["status"] == "duplicate"
    assert trial(rp) == ended_trial()


# -- the event's fields ---------------------------------------------------------------------------

REQUIRED = "is required (an ISO 8601 instant)"
NOT_A_STRING = "must be a string (an ISO 8601 instant)"
NOT_AN_INSTANT = "is not an ISO 8601 instant"
NO_ZONE = "has no time zone"
REASONS = "must be one of trial_expired, app_uninstalled, plan_upgraded"
BY = "must be one of system, user"
MALFORMED: dict[str, tuple[str, Mapping[str, Any], str, str]] = {
    "started without expires_at": ("started", {"expires_at": None}, "data.expires_at",
                                   REQUIRED),
    "started, expires_at a number": ("started", {"expires_at": 1773567015},
                                     "data.expires_at", NOT_A_STRING),
    "started, expires_at a list": ("started", {"expires_at": [EXPIRES]}, "data.expires_at",
                                   NOT_A_STRING),
    "started, expires_at month 13": ("started", {"expires_at": "2026-13-15T09:30:15Z"},
                                     "data.expires_at", NOT_AN_INSTANT),
    "started, expires_at text": ("started", {"expires_at": "next Friday"},
                                 "data.expires_at", NOT_AN_INSTANT),
    "started, expires_at empty": ("started", {"expires_at": ""}, "data.expires_at",
                                  NOT_AN_INSTANT),
    "started, expires_at without a zone": ("started", {"expires_at": "2026-03-15T09:30:15"},
                                           "data.expires_at", NO_ZONE),
    "started, expires_at a date": ("started", {"expires_at": "2026-03-15"},
                                   "data.expires_at", NO_ZONE),
    "started, expires_at out of range": ("started", {"expires_at": "0001-01-01T00:00:00+01:00"},
                                         "data.expires_at", "is out of range"),
    "started, installation_id a number": ("started", {"installation_id": 5},
                                          "data.installation_id", "must be a string"),
    "started without account_id": ("started", {"account_id": None}, "data.account_id",
                                   "is required"),
    "started, account_id a list": ("started", {"account_id": [TID]}, "data.account_id",
                                   "must be a string"),
    "extended without expires_at": ("extended", {"expires_at": None}, "data.expires_at",
                                    REQUIRED),
    "extended, expires_at bad": ("extended", {"expires_at": "2026-02-30T00:00:00Z"},
                                 "data.expires_at", NOT_AN_INSTANT),
    "ended without expires_at": ("ended", {"expires_at": None}, "data.expires_at", REQUIRED),
    "ended without ended_at": ("ended", {"ended_at": None}, "data.ended_at", REQUIRED),
    "ended, ended_at bad": ("ended", {"ended_at": "2026-03-10 25:00Z"}, "data.ended_at",
                            NOT_AN_INSTANT),
    "ended, ended_at a number": ("ended", {"ended_at": 0}, "data.ended_at", NOT_A_STRING),
    "ended, unknown reason": ("ended", {"ended_reason": "cancelled"}, "data.ended_reason",
                              REASONS),
    "ended, reason in capitals": ("ended", {"ended_reason": "TRIAL_EXPIRED"},
                                  "data.ended_reason", REASONS),
    "ended without a reason": ("ended", {"ended_reason": None}, "data.ended_reason", REASONS),
    "ended, reason a list": ("ended", {"ended_reason": ["trial_expired"]},
                             "data.ended_reason", REASONS),
    "ended, unknown ended_by": ("ended", {"ended_by": "admin"}, "data.ended_by", BY),
    "ended, ended_by a number": ("ended", {"ended_by": 1}, "data.ended_by", BY),
    "ended without ended_by": ("ended", {"ended_by": None}, "data.ended_by", BY),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_member_is_refused_naming_it_and_nothing_is_stored(
    rp: RpHarness, case: str
) -> None:
    kind, bad, field, problem = MALFORMED[case]
    install(rp)
    rp.clock.advance(seconds=1)
    body = trial_body(kind, rp.clock.now(), **bad)
    response = post_event(rp, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert response.json()["fields"] == {field: problem}
    assert trial(rp) is None
    fixed = trial_body(kind, rp.clock.now(), event_id=json.loads(body)["id"])
    assert outcome(rp, fixed) == f"trial_{kind}"  # the refused event's id was not kept


def test_members_the_platform_may_add_are_ignored(rp: RpHarness) -> None:
    install(rp)
    assert trial_event(rp, "started", plan="Trial", ended_reason="nonsense") == "trial_started"
    assert trial(rp) == active_trial()


# -- the installation -----------------------------------------------------------------------------


def test_an_unknown_installation_is_404_and_records_nothing(rp: RpHarness) -> None:
    body = trial_body("started", rp.clock.now())
    for _ in range(2):  # the id was not kept: the second delivery is no duplicate
        response = post_event(rp, body)
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "unknown_installation"
    assert installations(rp) == []
    install(rp)
    assert trial(rp) is None


def test_an_uninstalled_installation_takes_no_trial_event(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(seconds=1)
    late = trial_body("extended", rp.clock.now(), expires_at=EXTENDED)
    rp.clock.advance(seconds=1)
    uninstall(rp)
    assert trial(rp) is None  # forgotten with the installation
    assert trial_cell(rp) == "—"
    same_second = trial_body("ended", rp.clock.now(), ended_reason="app_uninstalled",
                             ended_by="user")
    assert outcome(rp, same_second) == "ignored_stale"
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "ignored_stale"
    newer = post_event(rp, trial_body("ended", rp.clock.now(),
                                      ended_reason="app_uninstalled", ended_by="user"))
    assert newer.status_code == 404, newer.text
    assert newer.json()["error"] == "unknown_installation"
    assert trial(rp) is None


def test_a_reinstall_forgets_the_trial_and_its_late_events(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(seconds=1)
    late = trial_body("ended", rp.clock.now())  # its first delivery fails
    rp.clock.advance(seconds=1)
    uninstall(rp)
    rp.clock.advance(seconds=1)
    reinstall(rp)
    assert trial(rp) is None
    rp.clock.advance(minutes=5)
    assert outcome(rp, late) == "ignored_stale"  # of the earlier lifetime
    assert trial(rp) is None
    assert trial_event(rp, "started", expires_at=EXTENDED) == "trial_started"
    assert trial(rp) == active_trial(EXTENDED_JSON)


def test_a_newer_installed_event_for_an_active_installation_keeps_the_trial(
    rp: RpHarness,
) -> None:
    """Not a new lifetime: the installation was never uninstalled."""
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started")
    rp.clock.advance(seconds=1)
    reinstall(rp)
    assert trial(rp) == active_trial()


# -- signing in -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["trial_expired", "plan_upgraded"])
def test_a_user_still_signs_in_after_the_trial_ended(rp: RpHarness, reason: str) -> None:
    """The platform restricts access after a trial itself; the app only records it."""
    install(rp)
    rp.clock.advance(seconds=1)
    trial_event(rp, "started", expires_at="2026-03-01T09:00:02Z")
    rp.clock.advance(seconds=5)  # past expires_at
    assert launch(rp, "alice").status_code == 303
    assert trial_event(rp, "ended", expires_at="2026-03-01T09:00:02Z",
                       ended_at="2026-03-01T09:00:02Z", ended_reason=reason) == "trial_ended"
    assert rp.me().status_code == 200  # the session stays
    rp.client.cookies.clear()
    assert launch(rp, "alice").status_code == 303
    assert rp.me().status_code == 200
