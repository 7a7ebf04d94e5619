"""An ``app.installed`` event's values are held to the rules of an admin-made connection: its
provider links go through the same URL check (plain http only on loopback hosts, unless
``allow_http_idp``), its ids through the one text check, with no control characters and no
invisible format characters, and its account name, shown on the admin page, through the one for
connection names (no bidi controls). A refusal is 400 ``event_malformed`` naming the field,
and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import CLIENT_ID, CLIENT_SECRET, TID, FakeOp, event, installed_links, sign_event
from rp_support import ADMIN_HEADERS, INSTALLATION, RpHarness, install, post_event

from relying_party import Settings, create_app
from relying_party.inputs import InputError, identifier


def installed(rp: RpHarness, *, links: dict[str, Any] | None = None, **data: str) -> bytes:
    payload = {"installation_id": INSTALLATION, "account_id": TID, "client_id": CLIENT_ID,
               "client_secret": CLIENT_SECRET, **data}
    return event("app.installed", payload, created_at=rp.clock.now(),
                 links={**installed_links(), **(links or {})})


def installations(client: AppClient) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = client.get("/api/admin/installations").json()
    return body


def assert_refused(rp: RpHarness, body: bytes, field: str) -> None:
    response = post_event(rp, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert list(response.json()["fields"]) == [field]
    assert installations(rp.client) == []


@pytest.mark.parametrize("link", ["authorization", "token", "userinfo", "openid_configuration"])
def test_plain_http_link_on_another_host_is_refused(rp: RpHarness, link: str) -> None:
    body = installed(rp, links={link: {"href": "http://evil.example/token"}})
    assert_refused(rp, body, f"_links.{link}.href")
    loopback = installed(rp, links={link: {"href": "http://127.0.0.1:8400/t/oauth2/v2.0/x"}})
    assert post_event(rp, loopback).status_code == 200


def test_plain_http_link_is_accepted_only_with_allow_http_idp(
    make_settings: Callable[..., Settings], op: FakeOp, rp: RpHarness
) -> None:
    body = installed(rp, links={"token": {"href": "http://idp.internal.test/token"}})
    assert_refused(rp, body, "_links.token.href")
    settings = make_settings(allow_http_idp=True)
    with AppClient(create_app(settings, http_client=op.http_client()),
                   headers=ADMIN_HEADERS) as client:
        assert client.post("/events", content=body, headers=sign_event(body)).status_code == 200
        [stored] = installations(client)
        assert stored["token_url"] == "http://idp.internal.test/token"


def test_missing_link_is_refused_naming_it(rp: RpHarness) -> None:
    links = installed_links()
    del links["userinfo"]
    body = event("app.installed", {"installation_id": INSTALLATION, "account_id": TID,
                                   "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
                 created_at=rp.clock.now(), links=links)
    assert_refused(rp, body, "_links.userinfo.href")


BAD_IDS = {
    "line break and bidi override": "a\nb\u202e",
    "bidi override": "ab\u202ecd",
    "bidi isolate": "ab\u2066cd",
    "zero-width space": "ab\u200bcd",
    "control character": "ab\x00cd",
    "too long": "a" * 257,
}


@pytest.mark.parametrize("field", ["installation_id", "account_id", "client_id"])
@pytest.mark.parametrize("case", sorted(BAD_IDS))
def test_ids_with_invisible_or_control_characters_are_refused(
    rp: RpHarness, case: str, field: str
) -> None:
    assert_refused(rp, installed(rp, **{field: BAD_IDS[case]}), f"data.{field}")


@pytest.mark.parametrize("name", ["\u200b", "\u200b \ufeff"])
def test_an_account_name_with_nothing_visible_is_refused(rp: RpHarness, name: str) -> None:
    body = installed(rp, account_name=name)
    assert_refused(rp, body, "data.account_name")
    assert "visible character" in post_event(rp, body).json()["fields"]["data.account_name"]


@pytest.mark.parametrize("name", ["contoso\u202etxt.exe", "\u2067contoso", "con\u200ftoso"])
def test_an_account_name_with_bidi_controls_is_refused_as_a_connection_name_is(
    rp: RpHarness, name: str
) -> None:
    """The admin page shows it: a bidi control would make it read as something else."""
    body = installed(rp, account_name=name)
    assert_refused(rp, body, "data.account_name")
    assert "bidi control" in post_event(rp, body).json()["fields"]["data.account_name"]
    assert post_event(rp, installed(rp, account_name="Contoso Ltd")).status_code == 200
    assert installations(rp.client)[0]["account_name"] == "Contoso Ltd"


def test_secret_with_a_line_break_is_refused(rp: RpHarness) -> None:
    assert_refused(rp, installed(rp, client_secret="line\nbreak"), "data.client_secret")


@pytest.mark.parametrize("event_type", ["app.credentials_rotated", "app.uninstalled",
                                        "user.logout"])
def test_other_events_check_their_ids_too(rp: RpHarness, event_type: str) -> None:
    install(rp)
    data = {"installation_id": INSTALLATION + "\u202e", "client_id": CLIENT_ID,
            "client_secret": "new-secret", "user_id": "u"}
    response = post_event(rp, event(event_type, data, created_at=rp.clock.now()))
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == {
        "data.installation_id": "must not contain invisible characters such as bidi overrides"}
    assert installations(rp.client)[0]["active"] is True


def test_identifier_refuses_format_characters() -> None:
    assert identifier("9514148a", "id") == "9514148a"
    for bad in ("a\u202eb", "\ufeffab", "a\u200db", "", None, 5, " 9514148a "):
        with pytest.raises(InputError) as refused:
            identifier(bad, "id")
        assert list(refused.value.errors) == ["id"]
