"""Events anyone can post with a made-up key id do not keep out the platform's events signed
with a key it has just published: each new key id gets a fetch of the key set of its own, a
made-up one sent again gets none, and what a stream of new ones may spend is bounded."""

from __future__ import annotations

import logging

import pytest
from fake_op import TID, USERS, event, sign_event
from rp_support import INSTALLATION, RpHarness, install, launch, post_event


def junk(rp: RpHarness, key_id: str) -> int:
    """An unsigned junk event naming ``key_id``, as anyone can post one: its status."""
    response = post_event(rp, b'{"x":1}', {
        "Content-Type": "application/json", "X-Hub-Ecdsa-Signature": "MEUCIQ==",
        "X-Hub-Ecdsa-Signature-Id": key_id})
    assert response.json().get("error") in ("event_unknown_key", None), response.text
    return response.status_code


def key_set_fetches(rp: RpHarness) -> int:
    return sum(1 for r in rp.op.requests if r.url.path.endswith("/platform-event-keys.json"))


def test_a_junk_event_does_not_keep_out_a_logout_signed_with_the_platforms_new_key(
        rp: RpHarness) -> None:
    rp.op.event_keys_published = [0]
    install(rp)
    assert launch(rp, "alice").status_code == 303
    assert junk(rp, "attacker-1") == 401

    rp.op.event_keys_published = [0, 1]  # the platform rotates its event-signing key
    rp.clock.advance(seconds=1)
    logout = event("user.logout", {"account_id": TID, "user_id": USERS["alice"].oid,
                                   "installation_id": INSTALLATION}, created_at=rp.clock.now())
    response = post_event(rp, logout, sign_event(logout, key_index=1))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "logged_out:1"
    assert rp.me().status_code == 401


def test_junk_events_cost_the_platform_a_bounded_number_of_key_set_fetches(
        rp: RpHarness) -> None:
    install(rp)
    fetched = key_set_fetches(rp)
    for _ in range(10):  # one made-up id again and again: one fetch
        assert junk(rp, "attacker-1") == 401
    assert key_set_fetches(rp) == fetched + 1
    for n in range(50):  # ever new ids: at most five a minute
        assert junk(rp, f"attacker-{n + 2}") == 401
    assert key_set_fetches(rp) == fetched + 5


def test_a_refused_signature_names_its_header_and_logs_a_long_key_id_cut(
        rp: RpHarness, caplog: pytest.LogCaptureFixture) -> None:
    long_id = "k" * 5000 + "\x1b[2J"
    with caplog.at_level(logging.WARNING, logger="relying_party"):
        unknown = post_event(rp, b'{"x":1}', {
            "Content-Type": "application/json", "X-Hub-Ecdsa-Signature": "MEUCIQ==",
            "X-Hub-Ecdsa-Signature-Id": long_id})
    assert unknown.status_code == 401
    assert set(unknown.json()["fields"]) == {"X-Hub-Ecdsa-Signature-Id"}
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("relying_party")]
    assert lines and all(len(line) < 600 for line in lines), [len(line) for line in lines]
    assert any("characters)" in line for line in lines)
    assert not any("\x1b" in line for line in lines)
    unsigned = post_event(rp, b'{"x":1}', {"Content-Type": "application/json",
                                           "X-Hub-Ecdsa-Signature-Id": "k1"})
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "event_unsigned")
    assert set(unsigned.json()["fields"]) == {"X-Hub-Ecdsa-Signature"}
