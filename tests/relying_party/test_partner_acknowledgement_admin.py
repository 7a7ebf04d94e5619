"""What the platform was told of each installation shows on the admin page and in the admin API
(``approval``, ``credentials_ack``), and an administrator retries what failed, for when the
platform was down: the page's Retry form (an admin session and the form's CSRF token) or
``POST /api/admin/installations/{id}/acknowledge`` (the admin bearer token)."""

from __future__ import annotations

import contextlib
import html
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from fake_apps_api import platform_error
from fake_op import BASE, CLIENT_ID, TID, Client, event
from rp_support import INSTALLATION, RpHarness, installed_body, outcome, post_event, settle

from relying_party.db import Database

NEW_SECRET = "rp7Q~Rotated.Secret-Value-02"
RETRY = f"/admin/installations/{INSTALLATION}/acknowledge"
RETRY_API = f"/api/admin/installations/{INSTALLATION}/acknowledge"
CONFLICT = ("Apps API answered HTTP 409 conflict: no rotation awaits acknowledgement "
            "(fields: state)")


def installation(rp: RpHarness) -> dict[str, Any]:
    [found] = rp.client.get("/api/admin/installations").json()
    return dict(found)


def cells(rp: RpHarness) -> dict[str, str]:
    """The installation row's approval and credentials cells, as text."""
    page = rp.client.get("/admin").text
    found = dict(re.findall(r'<td data-acknowledgement="(\w+)">(.*?)</td>', page))
    return {k: html.unescape(re.sub(r"<[^>]+>", "", v)) for k, v in found.items()}


def install(rp: RpHarness) -> None:
    assert outcome(rp, installed_body(rp)) == "installed"
    settle(rp.client)


def rotate(rp: RpHarness) -> None:
    rp.op.clients[CLIENT_ID] = Client(NEW_SECRET)
    rp.clock.advance(seconds=1)
    body = event("app.credentials_rotated", {"installation_id": INSTALLATION, "account_id": TID,
                                             "client_id": CLIENT_ID, "client_secret": NEW_SECRET},
                 created_at=rp.clock.now())
    assert outcome(rp, body) == "credentials_rotated"
    settle(rp.client)


def conflict() -> Any:
    return platform_error(409, "conflict", "no rotation awaits acknowledgement")


def test_the_admin_page_and_api_show_both_outcomes(rp: RpHarness) -> None:
    rp.admin_sign_in()
    install(rp)
    assert cells(rp) == {"approval": "approved (2026-03-01 09:00:00 UTC)",
                         "credentials": "not rotated"}
    assert installation(rp)["credentials_ack"] is None
    rp.op.apps_api.fault = conflict
    rotate(rp)
    state = installation(rp)
    ref = state["credentials_ack"]["error_ref"]
    assert state["credentials_ack"] == {"state": "failed", "reason": CONFLICT, "error_ref": ref,
                                        "at": "2026-03-01T09:00:01+00:00"}
    assert cells(rp) == {"approval": "approved (2026-03-01 09:00:00 UTC)",
                         "credentials": f"failed: {CONFLICT} (2026-03-01 09:00:01 UTC) {ref}"}
    page = rp.client.get("/admin").text
    assert f'<a href="/admin/errors/{ref}">{ref}</a>' in page
    assert f'action="{RETRY}"' in page


def test_a_pending_call_shows_as_pending(rp: RpHarness) -> None:
    rp.admin_sign_in()
    gate = rp.op.apps_api.gate = threading.Event()
    assert post_event(rp, installed_body(rp)).status_code == 200
    assert cells(rp)["approval"] == "pending (2026-03-01 09:00:00 UTC)"
    assert installation(rp)["approval"]["state"] == "pending"
    gate.set()
    settle(rp.client)
    assert installation(rp)["approval"]["state"] == "approved"


def test_retry_from_the_admin_page_approves_once_the_platform_is_back(rp: RpHarness) -> None:
    rp.admin_sign_in()
    rp.op.faults.unreachable = {"apps_api"}
    install(rp)
    failed = installation(rp)["approval"]
    assert failed["state"] == "failed"
    assert cells(rp)["approval"].startswith("failed: Apps API unreachable")
    rp.op.faults.unreachable = set()
    rp.clock.advance(minutes=5)
    response = rp.client.post(RETRY, data={"csrf_token": rp.csrf()})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/admin?acknowledged={INSTALLATION}"
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>',
                       rp.client.get(response.headers["location"]).text)
    assert notice and notice.group(1) == (
        f"Installation {INSTALLATION}: approval approved; credentials not rotated.")
    approval = installation(rp)["approval"]
    assert approval == {"state": "approved", "reason": None, "error_ref": None,
                        "at": "2026-03-01T09:05:00+00:00"}
    assert len(rp.op.apps_api.of("approval")) == 1
    assert f'action="{RETRY}"' not in rp.client.get("/admin").text  # nothing left to retry


def test_retry_acknowledges_failed_credentials_and_leaves_the_approval(rp: RpHarness) -> None:
    rp.admin_sign_in()
    install(rp)
    rp.op.apps_api.fault = conflict
    rotate(rp)
    rp.op.apps_api.fault = None
    assert rp.client.post(RETRY, data={"csrf_token": rp.csrf()}).status_code == 303
    state = installation(rp)
    assert state["credentials_ack"]["state"] == "acknowledged"
    assert state["approval"]["state"] == "approved"
    assert len(rp.op.apps_api.of("approval")) == 1
    calls = rp.op.apps_api.of("credentials")
    assert len(calls) == 2 and calls[-1].token_secret == NEW_SECRET


def test_retry_failing_again_is_kept_with_a_new_reference(rp: RpHarness) -> None:
    rp.admin_sign_in()
    rp.op.apps_api.fault = conflict
    install(rp)
    first = installation(rp)["approval"]["error_ref"]
    assert rp.client.post(RETRY, data={"csrf_token": rp.csrf()}).status_code == 303
    again = installation(rp)["approval"]
    assert again["state"] == "failed" and again["error_ref"] not in (None, first)
    assert [e["ref"] for e in rp.errors()] == [again["error_ref"], first]


@pytest.fixture
def anonymous(rp: RpHarness) -> AppClient:
    """A browser (or script) without the admin token."""
    return AppClient(rp.client.app, follow_redirects=False)


def test_retry_needs_an_admin_session_and_the_csrf_token(rp: RpHarness,
                                                         anonymous: AppClient) -> None:
    rp.op.faults.unreachable = {"apps_api"}
    install(rp)
    rp.op.faults.unreachable = set()
    anonymous.get("/admin")  # a CSRF token of its own does not stand in for a session
    response = anonymous.post(RETRY, data={"csrf_token": anonymous.cookies["rp_csrf"]})
    assert response.status_code == 401
    assert "Admin sign-in" in response.text
    rp.admin_sign_in()
    for form, headers in [({}, {}), ({"csrf_token": "x" * 43}, {}),
                          ({"csrf_token": rp.csrf()}, {"Origin": "https://evil.example"})]:
        response = rp.client.post(RETRY, data=form, headers=headers)
        assert response.status_code == 403, form
    assert installation(rp)["approval"]["state"] == "failed"
    assert rp.op.apps_api.calls == []


def test_retry_through_the_admin_api(rp: RpHarness, anonymous: AppClient) -> None:
    rp.op.apps_api.fault = conflict
    install(rp)
    rp.op.apps_api.fault = None
    assert anonymous.post(RETRY_API).status_code == 401
    assert rp.client.post(RETRY_API, headers={"Origin": "https://evil.example"}
                          ).status_code == 403
    assert len(rp.op.apps_api.calls) == 1
    response = rp.client.post(RETRY_API)
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["state"] == "approved"
    assert response.json()["installation_id"] == INSTALLATION
    missing = rp.client.post("/api/admin/installations/nope/acknowledge")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


def test_an_uninstalled_installation_has_nothing_to_retry(rp: RpHarness) -> None:
    rp.admin_sign_in()
    rp.op.faults.unreachable = {"apps_api"}
    install(rp)
    rp.clock.advance(seconds=1)
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"
    assert f'action="{RETRY}"' not in rp.client.get("/admin").text
    api = rp.client.post(RETRY_API)
    assert (api.status_code, api.json()["error"]) == (409, "conflict")
    page = rp.client.post(RETRY, data={"csrf_token": rp.csrf()})
    assert page.status_code == 409 and "uninstalled" in page.text
    assert rp.client.post("/admin/installations/nope/acknowledge",
                          data={"csrf_token": rp.csrf()}).status_code == 404


OLD_INSTALLATIONS = """
CREATE TABLE installations (
    installation_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, account_name TEXT NOT NULL,
    app_id TEXT NOT NULL, client_id TEXT NOT NULL, client_secret TEXT NOT NULL,
    authorization_url TEXT NOT NULL, token_url TEXT NOT NULL, userinfo_url TEXT NOT NULL,
    openid_configuration_url TEXT NOT NULL, active INTEGER NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, last_login_at TEXT
);
"""


def test_a_database_from_before_the_api_root_opens_and_learns_it(
    tmp_path: Path, db_path: str, rp: RpHarness
) -> None:
    """Installations stored before the API root was kept have none: a retry says so, and a
    rotation naming the root gives them one."""
    old = str(tmp_path / "old.db")
    with contextlib.closing(sqlite3.connect(old)) as conn, conn:
        conn.executescript(OLD_INSTALLATIONS)
        conn.execute("INSERT INTO installations VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?,NULL)", (
            "old-installation", TID, "contoso", "app", CLIENT_ID, "s", "https://a", "https://t",
            "https://u", "https://d", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"))
    db = Database(old)
    [stored] = db.installations.all()
    assert stored.api_root == "" and stored.client_secret == "s"
    assert db.installations.rotate_secret("old-installation", CLIENT_ID, "s2", rp.clock.now(),
                                          api_root=BASE)
    assert db.installations.get("old-installation").api_root == BASE  # type: ignore[union-attr]
    db.close()
    again = Database(old)
    try:
        assert again.installations.get("old-installation").api_root == BASE  # type: ignore[union-attr]
    finally:
        again.close()


def test_an_installation_without_an_api_root_fails_to_be_approved_saying_why(
    rp: RpHarness,
) -> None:
    install(rp)
    db: Database = rp.client.app.state.rp.db  # type: ignore[attr-defined]
    with db.transaction() as conn:
        conn.execute("UPDATE installations SET api_root=''")
        conn.execute("DELETE FROM installation_acknowledgements")
    response = rp.client.post(RETRY_API)
    assert response.status_code == 200
    approval = response.json()["approval"]
    assert approval["state"] == "failed"
    assert approval["reason"] == ("no API root is stored for the installation (its "
                                  "app.installed came before the app kept it)")
    assert response.json()["api_root"] is None


def test_the_outcome_of_an_older_attempt_is_not_kept(db_path: str, rp: RpHarness,
                                                     request: pytest.FixtureRequest) -> None:
    """A slow call that ends after a newer event or retry started another attempt leaves the
    newer one's state alone."""
    db = Database(db_path)
    request.addfinalizer(db.close)
    acks = db.acknowledgements
    now = rp.clock.now()
    first = acks.start(INSTALLATION, "credentials", now)
    second = acks.start(INSTALLATION, "credentials", now)
    assert second == first + 1
    assert not acks.finish(INSTALLATION, "credentials", first, state="acknowledged", at=now)
    assert acks.of(INSTALLATION)["credentials"].state == "pending"
    assert acks.finish(INSTALLATION, "credentials", second, state="failed", at=now,
                       reason="Apps API timed out", error_ref="RP-0123456789")
    kept = acks.of(INSTALLATION)["credentials"]
    assert (kept.state, kept.summary, kept.error_ref) == (
        "failed", "failed: Apps API timed out", "RP-0123456789")


def test_two_retries_at_once_make_one_call_and_both_answer_its_outcome(
        rp: RpHarness) -> None:
    """Two admins retrying at the same moment: the second waits for the first's call to the
    platform rather than make its own, and answers with its outcome."""
    rp.op.faults.unreachable = {"apps_api"}
    install(rp)
    rp.op.faults.unreachable = set()
    rp.clock.advance(minutes=5)
    gate = rp.op.apps_api.gate = threading.Event()
    background = rp.client.app.state.rp.background  # type: ignore[attr-defined]
    answers: list[Any] = []

    def retry_as_another_admin() -> None:
        client = AppClient(rp.client.app, headers=rp.client.headers)  # no lifespan of its own
        answers.append(client.post(RETRY_API))

    first = threading.Thread(target=retry_as_another_admin)
    first.start()
    _until(lambda: len(rp.op.apps_api.of("approval")) == 1)  # the first call waits on the gate
    second = threading.Thread(target=retry_as_another_admin)
    second.start()
    # the second retry either waits for the first or (were it not serialized) calls too
    _until(lambda: getattr(background, "joined", 0) == 1 or len(rp.op.apps_api.of("approval")) == 2)
    gate.set()
    first.join(10)
    second.join(10)
    assert len(rp.op.apps_api.of("approval")) == 1
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["approval"] for a in answers] == [
        {"state": "approved", "reason": None, "error_ref": None,
         "at": "2026-03-01T09:05:00+00:00"}] * 2
    assert installation(rp)["approval"]["state"] == "approved"


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for something another thread does (not for time to pass: the clock is the test's)."""
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("never happened")
