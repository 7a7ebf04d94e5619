"""The app tells the platform what it did with its lifecycle events, through the Apps API at the
event's ``_links.root``: it approves a new installation, and acknowledges rotated credentials
with a token obtained with the new secret. The calls start once the event is answered; each
outcome is kept per installation, a failure under a reference in the error log, and the event's
answer is a 2xx whatever the platform does."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgi_client import AppClient
from fake_apps_api import platform_error
from fake_op import (
    APP_ID,
    BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    TID,
    TOKEN,
    Client,
    FakeOp,
    entra_error,
    event,
)
from rp_support import (
    ADMIN_HEADERS,
    INSTALLATION,
    MovableClock,
    RpHarness,
    installed_body,
    outcome,
    post_event,
    settle,
)
from starlette.responses import Response, StreamingResponse

from relying_party import Settings, create_app
from relying_party.apps_api import MAX_ANSWER_BYTES
from relying_party.db import Database

NEW_SECRET = "rp7Q~Rotated.Secret-Value-02"
NEW_CLIENT_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def installation(client: AppClient) -> dict[str, Any]:
    [found] = [i for i in client.get("/api/admin/installations").json()
               if i["installation_id"] == INSTALLATION]
    return dict(found)


def rotated(rp: RpHarness, *, client_id: str = CLIENT_ID, secret: str = NEW_SECRET) -> bytes:
    return event("app.credentials_rotated",
                 {"installation_id": INSTALLATION, "account_id": TID, "client_id": client_id,
                  "client_secret": secret}, created_at=rp.clock.now())


def install_and_settle(rp: RpHarness) -> None:
    assert outcome(rp, installed_body(rp)) == "installed"
    settle(rp.client)


def rotate_and_settle(rp: RpHarness, *, client_id: str = CLIENT_ID) -> None:
    """Rotate to ``NEW_SECRET``; only that secret gets a token from then on."""
    rp.op.clients[client_id] = Client(NEW_SECRET)
    rp.clock.advance(seconds=1)
    assert outcome(rp, rotated(rp, client_id=client_id)) == "credentials_rotated"
    settle(rp.client)


def test_a_new_installation_is_approved_once_with_a_token_of_its_credentials(
    rp: RpHarness,
) -> None:
    install_and_settle(rp)
    [call] = rp.op.apps_api.calls
    assert (call.kind, call.app_id, call.installation_id) == ("approval", APP_ID, INSTALLATION)
    assert call.body == {"state": "approve"}
    assert (call.token_client_id, call.token_secret) == (CLIENT_ID, CLIENT_SECRET)
    [grant] = rp.op.client_grants
    assert grant == {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                     "client_secret": CLIENT_SECRET,
                     "scope": "https://graph.microsoft.com/.default"}
    assert [r.method for r in rp.op.requests if str(r.url) == TOKEN] == ["POST"]
    state = installation(rp.client)
    assert state["api_root"] == BASE
    assert state["approval"] == {"state": "approved", "reason": None, "error_ref": None,
                                 "at": rp.clock.now().isoformat()}
    assert state["credentials_ack"] is None
    assert rp.errors() == []


def test_the_token_scope_is_a_setting(make_settings: Callable[..., Settings], op: FakeOp,
                                      clock: MovableClock) -> None:
    settings = make_settings(platform_api_scope="apps:write")
    with AppClient(create_app(settings, http_client=op.http_client()),
                   headers=ADMIN_HEADERS) as client:
        rp = RpHarness(settings, client, clock, op)
        assert outcome(rp, installed_body(rp)) == "installed"
        settle(client)
        assert installation(client)["approval"]["state"] == "approved"
    assert [g["scope"] for g in op.client_grants] == ["apps:write"]


@pytest.mark.parametrize("again", ["duplicate", "stale"])
def test_a_redelivered_installed_event_is_not_approved_again(rp: RpHarness, again: str) -> None:
    body = installed_body(rp)
    rp.clock.advance(seconds=5)
    newer = installed_body(rp)
    assert outcome(rp, newer) == "installed"
    settle(rp.client)
    redelivered = newer if again == "duplicate" else body
    response = post_event(rp, redelivered)
    assert response.status_code == 200
    if again == "duplicate":
        assert response.json()["status"] == "duplicate"
    else:
        assert response.json()["outcome"] == "ignored_stale"
    settle(rp.client)
    assert len(rp.op.apps_api.of("approval")) == 1


def test_an_installation_installed_again_is_approved_again(rp: RpHarness) -> None:
    install_and_settle(rp)
    rp.clock.advance(seconds=1)
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"
    rp.clock.advance(seconds=1)
    install_and_settle(rp)
    assert len(rp.op.apps_api.of("approval")) == 2
    assert installation(rp.client)["approval"]["state"] == "approved"


def test_an_uninstalled_installation_keeps_no_outcome_and_a_call_under_way_none_either(
        rp: RpHarness) -> None:
    """Nothing is left to tell the platform of an uninstalled installation: its outcomes go
    with it, and an approval that ends after the uninstall leaves none behind."""
    install_and_settle(rp)
    rp.op.apps_api.fault = lambda: platform_error(409, "conflict", "no rotation awaits")
    rotate_and_settle(rp)
    assert installation(rp.client)["credentials_ack"]["state"] == "failed"
    rp.clock.advance(seconds=1)
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"
    state = installation(rp.client)
    assert (state["approval"], state["credentials_ack"]) == (None, None)
    rp.op.apps_api.fault = None
    rp.op.clients[CLIENT_ID] = Client(CLIENT_SECRET)
    rp.clock.advance(seconds=1)
    gate = rp.op.apps_api.gate = threading.Event()
    assert outcome(rp, installed_body(rp)) == "installed"
    for _ in range(500):  # the approval reaches the platform, which holds its answer
        if len(rp.op.apps_api.of("approval")) == 2:
            break
        gate.wait(0.01)
    rp.clock.advance(seconds=1)
    assert outcome(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                             created_at=rp.clock.now())) == "uninstalled"
    gate.set()
    settle(rp.client)
    assert len(rp.op.apps_api.of("approval")) == 2
    assert installation(rp.client)["approval"] is None


def test_a_newer_installed_event_forgets_the_last_rotation(rp: RpHarness) -> None:
    """The credentials an ``app.installed`` brings replace the rotated ones: nothing is left to
    acknowledge of them."""
    install_and_settle(rp)
    rp.op.apps_api.fault = lambda: platform_error(409, "conflict", "no rotation awaits")
    rotate_and_settle(rp)
    assert installation(rp.client)["credentials_ack"]["state"] == "failed"
    rp.op.apps_api.fault = None
    rp.op.clients[CLIENT_ID] = Client(CLIENT_SECRET)
    rp.clock.advance(seconds=1)
    install_and_settle(rp)
    state = installation(rp.client)
    assert state["credentials_ack"] is None
    assert state["approval"]["state"] == "approved"
    assert len(rp.op.apps_api.of("approval")) == 2


@pytest.mark.parametrize("client_id", [CLIENT_ID, NEW_CLIENT_ID])
def test_rotated_credentials_are_acknowledged_with_a_token_of_the_new_secret(
    rp: RpHarness, client_id: str
) -> None:
    install_and_settle(rp)
    rotate_and_settle(rp, client_id=client_id)
    [call] = rp.op.apps_api.of("credentials")
    assert (call.app_id, call.installation_id, call.client_id) == (APP_ID, INSTALLATION,
                                                                    client_id)
    assert call.body == {"state": "acknowledged"}
    assert (call.token_client_id, call.token_secret) == (client_id, NEW_SECRET)
    state = installation(rp.client)
    assert state["credentials_ack"] == {"state": "acknowledged", "reason": None,
                                        "error_ref": None, "at": rp.clock.now().isoformat()}
    assert state["approval"]["state"] == "approved"
    assert len(rp.op.apps_api.of("approval")) == 1
    assert rp.errors() == []


def _huge_streamed() -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"state": "completed", "padding": "'
        for _ in range(MAX_ANSWER_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'
    return StreamingResponse(chunks(), media_type="application/json")


def _set_api(fault: Callable[[], Response]) -> Callable[[FakeOp], None]:
    def arrange(op: FakeOp) -> None:
        op.apps_api.fault = fault
    return arrange


def _set(**faults: Any) -> Callable[[FakeOp], None]:
    def arrange(op: FakeOp) -> None:
        for name, value in faults.items():
            setattr(op.faults, name, value)
    return arrange


APPROVAL_FAILURES: dict[str, tuple[Callable[[FakeOp], None], str]] = {
    "token endpoint refuses the secret": (
        _set(token_error=entra_error(401, "invalid_client", 7000215, "Invalid client secret.")),
        "token endpoint answered HTTP 401 invalid_client (AADSTS7000215)"),
    "token endpoint unreachable": (
        _set(unreachable={"token"}),
        "token endpoint unreachable (ConnectError: connection refused)"),
    "token endpoint answers HTML": (
        _set(token_raw=(200, b"<html>sign in</html>")),
        "token endpoint answer is not a JSON object"),
    "403": (
        _set_api(lambda: platform_error(403, "forbidden", "token of another installation",
                                        "Authorization")),
        "Apps API answered HTTP 403 forbidden: token of another installation "
        "(fields: Authorization)"),
    "404": (
        _set_api(lambda: platform_error(404, "not_found", "no such installation",
                                        "installation_id")),
        "Apps API answered HTTP 404 not_found: no such installation (fields: installation_id)"),
    "timeout": (_set(slow={"apps_api"}), "Apps API timed out"),
    "unreachable": (_set(unreachable={"apps_api"}),
                    "Apps API unreachable (ConnectError: connection refused)"),
    "non-JSON answer": (
        _set_api(lambda: Response(b"<html>OK</html>", media_type="text/html")),
        "Apps API answer is not a JSON object"),
    "huge answer": (
        _set_api(lambda: Response(json.dumps({"state": "completed",
                                              "padding": "x" * MAX_ANSWER_BYTES}),
                                  media_type="application/json")),
        f"Apps API answer is larger than {MAX_ANSWER_BYTES} bytes"),
    "an answer declaring a length over the limit": (
        _set_api(lambda: Response(json.dumps({"state": "completed"}),
                                  headers={"Content-Length": str(10 * MAX_ANSWER_BYTES)},
                                  media_type="application/json")),
        f"Apps API answer is larger than {MAX_ANSWER_BYTES} bytes"),
    "a length in digits int() cannot read": (  # "²" is a digit to str.isdigit, not to int()
        _set_api(lambda: Response(b'{"state": "rejected"}', headers={"Content-Length": "²"})),
        "Apps API answered state rejected, not completed"),
    "huge answer without a length": (
        _set_api(_huge_streamed), f"Apps API answer is larger than {MAX_ANSWER_BYTES} bytes"),
    "another state": (
        _set_api(lambda: Response(json.dumps({"state": "rejected"}),
                                  media_type="application/json")),
        "Apps API answered state rejected, not completed"),
    "a 5xx without a JSON body": (
        _set_api(lambda: Response(b"Bad gateway", status_code=502)),
        "Apps API answered HTTP 502"),
}


@pytest.mark.parametrize("case", sorted(APPROVAL_FAILURES))
def test_a_failed_approval_is_kept_and_logged_and_the_event_is_still_answered(
        rp: RpHarness, case: str) -> None:
    arrange, reason = APPROVAL_FAILURES[case]
    arrange(rp.op)
    response = post_event(rp, installed_body(rp))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "installed"
    settle(rp.client)
    approval = installation(rp.client)["approval"]
    assert (approval["state"], approval["reason"]) == ("failed", reason)
    [record] = rp.errors()
    assert record["ref"] == approval["error_ref"]
    assert record["code"] == "installation_approval_failed"
    assert (record["source_kind"], record["source_id"]) == ("installation", INSTALLATION)
    assert record["detail"] == f"installation {INSTALLATION}: {reason}"
    assert "7 days" in str(record["admin_hint"])
    if case == "token endpoint refuses the secret":
        assert record["idp_error_code"] == "AADSTS7000215"


def test_an_approval_that_never_answers_fails_within_the_timeouts(
    make_settings: Callable[..., Settings], op: FakeOp, clock: MovableClock
) -> None:
    settings = make_settings(connect_timeout=0.1, read_timeout=0.2)
    op.faults.stalled = {"apps_api"}
    with AppClient(create_app(settings, http_client=op.http_client()),
                   headers=ADMIN_HEADERS) as client:
        rp = RpHarness(settings, client, clock, op)
        assert outcome(rp, installed_body(rp)) == "installed"
        settle(client, timeout=2.0)
        approval = installation(client)["approval"]
    assert (approval["state"], approval["reason"]) == ("failed", "Apps API timed out")


CREDENTIALS_FAILURES: dict[str, tuple[Callable[[], Response], str]] = {
    "409": (lambda: platform_error(409, "conflict", "no rotation awaits acknowledgement"),
            "Apps API answered HTTP 409 conflict: no rotation awaits acknowledgement "
            "(fields: state)"),
    "401": (lambda: platform_error(401, "unauthorized", "invalid token", "Authorization"),
            "Apps API answered HTTP 401 unauthorized: invalid token (fields: Authorization)"),
    "200 without the state": (
        lambda: Response(b"{}", media_type="application/json"),
        "Apps API answered state NoneType, not acknowledged"),
}


@pytest.mark.parametrize("case", sorted(CREDENTIALS_FAILURES))
def test_a_failed_credentials_acknowledgement_is_kept_and_logged(
    rp: RpHarness, case: str
) -> None:
    install_and_settle(rp)
    fault, reason = CREDENTIALS_FAILURES[case]
    rp.op.apps_api.fault = fault
    rotate_and_settle(rp)
    state = installation(rp.client)
    assert state["approval"]["state"] == "approved"
    ack = state["credentials_ack"]
    assert (ack["state"], ack["reason"]) == ("failed", reason)
    [record] = rp.errors()
    assert (record["ref"], record["code"]) == (ack["error_ref"], "credentials_ack_failed")


def test_the_event_is_answered_before_the_platform_is_called_back(rp: RpHarness) -> None:
    """The Apps API holds its answer until the test opens the gate: the event's 200 comes
    first, with the approval pending; it is kept once the platform answers."""
    gate = rp.op.apps_api.gate = threading.Event()
    response = post_event(rp, installed_body(rp))
    assert response.status_code == 200
    assert rp.op.apps_api.answered == 0
    assert installation(rp.client)["approval"]["state"] == "pending"
    gate.set()
    settle(rp.client)
    assert rp.op.apps_api.answered == 1
    assert installation(rp.client)["approval"]["state"] == "approved"


def test_shutting_down_waits_for_the_calls_under_way(
    make_settings: Callable[..., Settings], op: FakeOp, clock: MovableClock
) -> None:
    settings = make_settings()
    gate = op.apps_api.gate = threading.Event()
    app = create_app(settings, http_client=op.http_client())
    with AppClient(app, headers=ADMIN_HEADERS) as client:
        rp = RpHarness(settings, client, clock, op)
        assert outcome(rp, installed_body(rp)) == "installed"
        threading.Timer(0.2, gate.set).start()
    db = Database(settings.db_path)  # the app closed its own as it shut down
    try:
        [stored] = db.acknowledgements.of(INSTALLATION).values()
    finally:
        db.close()
    assert stored.state == "approved"


def test_the_api_root_link_is_required_and_checked(rp: RpHarness) -> None:
    for root, problem in [
        (None, "is required (an absolute https URL)"),
        ({"href": "http://api.example/"}, "must use https (http is allowed only for localhost)"),
        ({"href": "https://api.example/?region=eu"},
         "must not have a query (paths are added to it)"),
    ]:
        envelope = json.loads(installed_body(rp))
        if root is None:
            del envelope["_links"]["root"]
        else:
            envelope["_links"]["root"] = root
        response = post_event(rp, json.dumps(envelope).encode())
        assert response.status_code == 400, response.text
        assert response.json()["fields"] == {"_links.root.href": problem}
    assert rp.client.get("/api/admin/installations").json() == []
    assert rp.op.apps_api.calls == []


def test_a_rotation_naming_another_api_root_moves_the_calls_there(rp: RpHarness) -> None:
    install_and_settle(rp)
    envelope = json.loads(rotated(rp))
    envelope["_links"]["root"] = {"href": "https://api.elsewhere.test"}
    rp.op.clients[CLIENT_ID].secret = NEW_SECRET
    assert outcome(rp, json.dumps(envelope).encode()) == "credentials_rotated"
    settle(rp.client)
    state = installation(rp.client)
    assert state["api_root"] == "https://api.elsewhere.test"
    assert state["credentials_ack"]["reason"].startswith("Apps API unreachable")
    assert [r.url.host for r in rp.op.requests if r.url.path.startswith("/apps/")] == [
        "login.op.test", "api.elsewhere.test"]
