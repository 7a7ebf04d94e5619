"""Partner-app SSO: signed platform events and the standalone launch URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgi_client import AppClient
from fake_op import (
    AUTHORIZE,
    CLIENT_ID,
    CLIENT_SECRET,
    TID,
    USERS,
    FakeOp,
    event,
    forged_event_signature,
    sign_event,
)
from rp_support import (
    ADMIN_HEADERS,
    INSTALLATION,
    PARTNER_CONTACT,
    RpHarness,
    install,
    installed_body,
    launch,
    post_event,
)

from relying_party import Settings, create_app


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = rp.client.get("/api/admin/installations").json()
    return body


def test_installed_event_stores_credentials_and_links(rp: RpHarness) -> None:
    body = installed_body(rp)
    response = post_event(rp, body)
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    [stored] = installations(rp)
    assert stored["installation_id"] == INSTALLATION
    assert stored["client_id"] == CLIENT_ID
    assert stored["authorization_url"] == AUTHORIZE
    assert stored["active"] is True
    assert CLIENT_SECRET not in json.dumps(stored)


def test_duplicate_event_id_is_a_no_op(rp: RpHarness) -> None:
    body = installed_body(rp)
    assert post_event(rp, body).json()["status"] == "processed"
    again = post_event(rp, body)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(installations(rp)) == 1


REFUSED: dict[str, tuple[Callable[[RpHarness, bytes], dict[str, str]], int]] = {
    "unsigned": (lambda rp, body: {"Content-Type": "application/json"}, 401),
    "signature without key id": (
        lambda rp, body: {k: v for k, v in sign_event(body).items() if "Id" not in k}, 401),
    "forged": (lambda rp, body: forged_event_signature(body), 401),
    "unknown key id": (lambda rp, body: sign_event(body, kid="platform-9"), 401),
    "signed by the other key under this id": (
        lambda rp, body: sign_event(body, key_index=1, kid="platform-0"), 401),
    "not base64": (
        lambda rp, body: {**sign_event(body), "X-Hub-Ecdsa-Signature": "%%%"}, 401),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_signatures_are_refused_and_store_nothing(rp: RpHarness, case: str) -> None:
    headers_for, status = REFUSED[case]
    body = installed_body(rp)
    response = post_event(rp, body, headers_for(rp, body))
    assert response.status_code == status
    assert installations(rp) == []
    # nothing was recorded either: the same event, properly signed, is processed afresh
    assert post_event(rp, body).json()["status"] == "processed"


REPEATED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "forged signature, then valid": (("forged", "valid"), ("platform-0",)),
    "valid signature, then forged": (("valid", "forged"), ("platform-0",)),
    "the valid signature twice": (("valid", "valid"), ("platform-0",)),
    "two key ids, the right one first": (("valid",), ("platform-0", "platform-9")),
    "the same key id twice": (("valid",), ("platform-0", "platform-0")),
}
"""The signatures (``valid`` or ``forged``) and key ids an event gives, in their order."""


@pytest.mark.parametrize("case", sorted(REPEATED))
def test_a_repeated_signature_header_is_refused(rp: RpHarness, case: str) -> None:
    """Which of two signatures or key ids the platform sent is unknown, so the event is
    refused whatever their order, as a missing or invalid signature is."""
    body = installed_body(rp)
    signatures, key_ids = REPEATED[case]
    signed = {"valid": sign_event(body), "forged": forged_event_signature(body)}
    headers = [("Content-Type", "application/json"),
               *(("X-Hub-Ecdsa-Signature", signed[kind]["X-Hub-Ecdsa-Signature"])
                 for kind in signatures),
               *(("X-Hub-Ecdsa-Signature-Id", key_id) for key_id in key_ids)]
    response = rp.client.post("/events", content=body, headers=headers)
    assert response.status_code == 401, response.text
    refusal = response.json()
    assert refusal["error"] == "event_signature_invalid"
    assert "more than once" in refusal["error_description"]
    assert installations(rp) == []
    assert post_event(rp, body).json()["status"] == "processed"


def test_body_changed_after_signing_is_refused(rp: RpHarness) -> None:
    body = installed_body(rp)
    headers = sign_event(body)
    tampered = body.replace(CLIENT_SECRET.encode(), b"attacker-secret")
    assert post_event(rp, tampered, headers).status_code == 401
    assert installations(rp) == []


@pytest.mark.parametrize(("age", "ok"), [(31, False), (29, True), (-4, True), (-6, False)])
def test_freshness_window(rp: RpHarness, age: int, ok: bool) -> None:
    body = installed_body(rp)
    rp.clock.advance(minutes=age)  # received `age` minutes after it was created
    response = post_event(rp, body)
    assert (response.status_code == 200) is ok, response.text
    if not ok:
        assert response.status_code == 400
        assert response.json()["error"] == "event_stale"
        assert installations(rp) == []


def test_replay_outside_window_is_refused(rp: RpHarness) -> None:
    body = installed_body(rp)
    assert post_event(rp, body).status_code == 200
    rp.clock.advance(minutes=31)
    assert post_event(rp, body).status_code == 400


def test_malformed_events_are_refused(rp: RpHarness) -> None:
    for body in (b"not json", b"[]", installed_body(rp, client_secret="")):
        assert post_event(rp, body).status_code == 400
    no_links = event("app.installed", {"installation_id": INSTALLATION, "account_id": TID,
                                       "client_id": "c", "client_secret": "s"},
                     created_at=rp.clock.now())
    assert post_event(rp, no_links).status_code == 400
    assert installations(rp) == []


def test_events_refused_without_configured_keys(make_settings: Callable[..., Settings],
                                                op: FakeOp) -> None:
    settings = make_settings(event_keys_url=None)
    with AppClient(create_app(settings, http_client=op.http_client())) as client:
        body = event("app.uninstalled", {"installation_id": "x"},
                     created_at=settings.clock.now())
        assert client.post("/events", content=body, headers=sign_event(body)).status_code == 401


def test_event_keys_unreachable_is_a_transient_5xx(rp: RpHarness) -> None:
    rp.op.faults.unreachable.add("event_keys")
    body = installed_body(rp)
    assert post_event(rp, body).status_code == 503
    rp.op.faults.unreachable.clear()
    assert post_event(rp, body).status_code == 200  # the platform's retry succeeds


def test_launch_starts_code_flow_with_user_id_only_as_login_hint(rp: RpHarness) -> None:
    install(rp)
    location = rp.start(f"/launch?installation_id={INSTALLATION}&user_id={USERS['bob'].oid}")
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    params = parse_qs(parts.query)
    assert params["login_hint"] == [USERS["bob"].oid]
    assert params["client_id"] == [CLIENT_ID]
    assert params["code_challenge_method"] == ["S256"]
    # the provider signs in whoever is there: alice, not the hinted bob
    response = rp.client.get(rp.op.approve(location, "alice"))
    assert response.status_code == 303 and response.headers["location"] == "/"
    me = rp.me().json()
    assert me["email"] == USERS["alice"].email
    assert me["platform_user_id"] == USERS["alice"].oid
    assert me["source_kind"] == "installation" and me["source_id"] == INSTALLATION
    assert installations(rp)[0]["last_login_at"] is not None


def test_launch_accepts_talkdesk_prefixed_names(rp: RpHarness) -> None:
    install(rp)
    location = rp.start(
        f"/launch?talkdesk_installation_id={INSTALLATION}&talkdesk_user_id={USERS['alice'].oid}"
    )
    assert "login_hint=" + USERS["alice"].oid in location


def test_launch_never_signs_anyone_in_by_itself(rp: RpHarness) -> None:
    install(rp)
    rp.start(f"/launch?installation_id={INSTALLATION}&user_id={USERS['alice'].oid}")
    assert rp.me().status_code == 401


def test_launch_unknown_installation(rp: RpHarness) -> None:
    response = rp.client.get("/launch?installation_id=ffff&user_id=x")
    rp.assert_failure_page(response, status=404, code="unknown_installation",
                           contact=PARTNER_CONTACT)
    response = rp.client.get("/launch")
    rp.assert_failure_page(response, status=404, code="unknown_installation",
                           contact=PARTNER_CONTACT)


def test_credentials_rotated(rp: RpHarness) -> None:
    install(rp)
    rp.op.clients[CLIENT_ID].secret = "rotated-secret"
    rp.assert_failure_page(launch(rp), status=502, code="client_secret_invalid",
                           contact=PARTNER_CONTACT)
    body = event("app.credentials_rotated",
                 {"installation_id": INSTALLATION, "account_id": TID, "client_id": CLIENT_ID,
                  "client_secret": "rotated-secret"}, created_at=rp.clock.now())
    assert post_event(rp, body).status_code == 200
    assert launch(rp).status_code == 303
    unknown = event("app.credentials_rotated",
                    {"installation_id": "0" * 32, "account_id": TID, "client_id": "c",
                     "client_secret": "s"}, created_at=rp.clock.now())
    assert post_event(rp, unknown).status_code == 404


def test_uninstalled_ends_sessions_and_blocks_launch(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp).status_code == 303
    body = event("app.uninstalled", {"installation_id": INSTALLATION, "account_id": TID},
                 created_at=rp.clock.now())
    assert post_event(rp, body).status_code == 200
    assert rp.me().status_code == 401
    assert installations(rp)[0]["active"] is False
    response = rp.client.get(f"/launch?installation_id={INSTALLATION}&user_id=x")
    rp.assert_failure_page(response, status=403, code="installation_inactive",
                           contact=PARTNER_CONTACT)


def test_uninstall_during_sign_in(rp: RpHarness) -> None:
    install(rp)
    location = rp.start(f"/launch?installation_id={INSTALLATION}&user_id=x")
    body = event("app.uninstalled", {"installation_id": INSTALLATION, "account_id": TID},
                 created_at=rp.clock.now())
    post_event(rp, body)
    response = rp.client.get(rp.op.approve(location))
    rp.assert_failure_page(response, status=403, code="installation_inactive",
                           contact=PARTNER_CONTACT)


def test_user_from_another_account_is_unmapped(rp: RpHarness) -> None:
    post_event(rp, installed_body(rp, account_id="00000000-0000-4000-8000-000000000000"))
    rp.assert_failure_page(launch(rp), status=403, code="unmapped_user", contact=PARTNER_CONTACT)


def test_user_without_platform_id_is_unmapped(rp: RpHarness) -> None:
    install(rp)
    rp.op.faults.users_me.update(id=None)
    rp.assert_failure_page(launch(rp), status=403, code="unmapped_user", contact=PARTNER_CONTACT)


def test_installation_users_are_auto_provisioned(rp: RpHarness) -> None:
    install(rp)
    launch(rp, "alice")
    alice = rp.me().json()["id"]
    rp.client.cookies.clear()
    launch(rp, "bob")
    assert rp.me().json()["id"] != alice


def test_installations_and_processed_events_survive_restart(
    rp: RpHarness, make_settings: Callable[..., Settings], op: FakeOp
) -> None:
    body = installed_body(rp)
    post_event(rp, body)
    with AppClient(create_app(make_settings(), http_client=op.http_client()),
                    follow_redirects=False, headers=ADMIN_HEADERS) as again:
        assert again.get("/api/admin/installations").json()[0]["installation_id"] == INSTALLATION
        duplicate = again.post("/events", content=body, headers=sign_event(body))
        assert duplicate.json()["status"] == "duplicate"
        location = again.get(f"/launch?installation_id={INSTALLATION}&user_id=x")
        assert location.status_code == 302


def test_one_event_delivered_twice_at_once_is_applied_once(
    rp: RpHarness, make_settings: Callable[..., Settings], op: FakeOp
) -> None:
    """Two workers (two apps on one database) receive the same ``user.logout`` at the same
    moment. The effect is slowed down so that both deliveries are inside it together if the
    de-duplication lets them; the id is recorded in the effect's own transaction, so the second
    delivery waits for the first and finds the id recorded."""
    install(rp)
    launch(rp, "alice")
    body = event("user.logout", {"installation_id": INSTALLATION, "user_id": USERS["alice"].oid},
                 created_at=rp.clock.now())
    effects: list[str] = []
    barrier = threading.Barrier(2, timeout=10)
    results: dict[int, dict[str, Any]] = {}

    def worker(index: int) -> None:
        app = create_app(make_settings(), http_client=op.http_client())
        sessions = app.state.rp.db.sessions
        original = sessions.end_by_platform_user

        def slow_effect(installation_id: str, user_id: str, *, started_before: datetime) -> int:
            effects.append(threading.current_thread().name)
            time.sleep(0.3)  # widen the window two unserialised deliveries would share
            return original(installation_id, user_id, started_before=started_before)

        sessions.end_by_platform_user = slow_effect
        with AppClient(app) as client:
            barrier.wait()
            results[index] = client.post("/events", content=body,
                                         headers=sign_event(body)).json()

    threads = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r["status"] for r in results.values()) == ["duplicate", "processed"], results
    assert len(effects) == 1, effects
    assert rp.me().status_code == 401


def test_a_refused_effect_leaves_the_event_id_unrecorded(rp: RpHarness) -> None:
    """The id and the effect share one transaction: a 404 for an unknown installation records
    nothing, so the same event is applied once the installation exists."""
    body = event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "client_id": CLIENT_ID, "client_secret": "new-secret"},
        created_at=rp.clock.now())
    assert post_event(rp, body).status_code == 404
    install(rp)
    again = post_event(rp, body)
    assert again.json() == {"status": "processed", "id": json.loads(body)["id"],
                            "outcome": "credentials_rotated"}


def test_a_partner_user_logged_out_is_told_to_open_the_app_again_from_the_platform(
        rp: RpHarness) -> None:
    """After a ``user.logout``, ``/api/me`` does not send a partner-app user to a connection's
    sign-in URL alone: they have none, and sign in again through the launch URL."""
    install(rp)
    launch(rp, "alice")
    body = event("user.logout", {"installation_id": INSTALLATION, "user_id": USERS["alice"].oid},
                 created_at=rp.clock.now())
    assert post_event(rp, body).json()["outcome"] == "logged_out:1"
    answer = rp.me()
    assert answer.status_code == 401
    assert answer.json()["error"] == "not_signed_in"
    assert "launch URL" in answer.json()["error_description"]
