"""Platform events' envelopes: what app installed, credentials rotated, uninstalled, app updated
and user logout carry, and their UTC creation time from the given clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from platform_events_kit import APP_ID, BASE, START, TENANT, make_installation

from mock_idp.platform import envelope as events

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_app_installed_envelope() -> None:
    inst = make_installation()
    body = events.app_installed(inst, base_url=BASE, now=START)
    assert list(body) == [
        "id", "created_at", "api_version", "type", "app_id",
        "app_version_id", "app_version_name", "data", "_links",
    ]  # fmt: skip
    assert HEX32.match(body["id"])
    assert body["created_at"] == "2026-03-02T09:30:15Z"
    assert body["api_version"] == "1"
    assert body["type"] == "app.installed"
    assert body["app_id"] == APP_ID
    assert body["app_version_id"] == inst.app_version_id
    assert body["data"] == {
        "installation_id": inst.installation_id,
        "account_id": TENANT.id,
        "account_name": TENANT.domain,
        "client_id": APP_ID,
        "client_secret": inst.credential.secret_text,
        "private_key": inst.key.private_pem,
        "public_key": inst.key.public_pem,
        "key_id": inst.key.key_id,
        "key_algorithm": "ES256",
    }
    t = TENANT.id
    assert body["_links"] == {
        "root": {"href": BASE},
        "self": {"href": f"{BASE}/apps/{APP_ID}/events/{body['id']}"},
        "authorization": {"href": f"{BASE}/{t}/oauth2/v2.0/authorize"},
        "token": {"href": f"{BASE}/{t}/oauth2/v2.0/token"},
        "userinfo": {"href": f"{BASE}/users/me"},
        "openid_configuration": {"href": f"{BASE}/{t}/v2.0/.well-known/openid-configuration"},
    }


def test_credentials_rotated_and_uninstalled_envelopes() -> None:
    inst = make_installation()
    rotated = events.app_credentials_rotated(inst, base_url=BASE, now=START)
    assert rotated["type"] == "app.credentials_rotated"
    # the members docs.talkdesk.com/reference/appcredentials_rotated lists
    assert rotated["data"] == {
        "installation_id": inst.installation_id,
        "account_id": TENANT.id,
        "account_name": TENANT.domain,
        "client_id": APP_ID,
        "client_secret": inst.credential.secret_text,
        **inst.key.to_json(),
    }
    assert set(rotated["_links"]) == {"root", "self"}
    gone = events.app_uninstalled(inst, base_url=BASE, now=START)
    assert gone["type"] == "app.uninstalled"
    assert gone["data"] == {"installation_id": inst.installation_id, "account_id": TENANT.id}
    assert set(gone["_links"]) == {"root", "self"}
    for body in (rotated, gone):
        assert {"app_version_id", "app_version_name"} <= set(body)
    assert rotated["id"] != gone["id"]


def test_app_updated_envelope_names_only_what_changed() -> None:
    """docs.talkdesk.com/reference/app-updated: ``users`` (both lists) only when users changed,
    ``subscription.adding`` with only the members that changed, licences as digits."""
    inst = make_installation()
    base = {"installation_id": inst.installation_id, "account_id": TENANT.id,
            "account_name": TENANT.domain}
    users = events.app_updated(inst, adding=["u1", "u2"], base_url=BASE, now=START)
    assert list(users) == [
        "id", "created_at", "api_version", "type", "app_id",
        "app_version_id", "app_version_name", "data", "_links",
    ]  # fmt: skip
    assert users["type"] == "app.updated" and users["app_version_id"] == inst.app_version_id
    assert users["data"] == {**base, "users": {"adding": ["u1", "u2"], "removing": []}}
    assert users["_links"] == {"root": {"href": BASE},
                               "self": {"href": f"{BASE}/apps/{APP_ID}/events/{users['id']}"}}
    plan = events.app_updated(inst, licenses=10, base_url=BASE, now=START)
    assert plan["data"] == {**base, "subscription": {"adding": {"licenses": "10"}}}
    both = events.app_updated(inst, removing=["u3"], subscription_name="Paid Plus", licenses=0,
                              base_url=BASE, now=START)
    assert both["data"] == {
        **base,
        "users": {"adding": [], "removing": ["u3"]},
        "subscription": {"adding": {"name": "Paid Plus", "licenses": "0"}},
    }


def test_user_logout_envelope() -> None:
    inst = make_installation()
    oid = "4a1d7c52-8e3f-4b6a-9d20-6c5e7f8a9b10"
    body = events.user_logout(
        inst, user_id=oid, user_email="alice@contoso.onmicrosoft.com", base_url=BASE, now=START
    )
    assert set(body) == {"id", "created_at", "api_version", "type", "app_id", "data", "_links"}
    assert body["type"] == "user.logout"
    # The reference's example writes user.logout's time so, unlike the app.* events' (``Z``).
    assert body["created_at"] == "2026-03-02T09:30:15.000+00:00"
    later = events.user_logout(inst, user_id=oid, user_email="a@b.example", base_url=BASE,
                               now=START + timedelta(microseconds=987654))
    assert later["created_at"] == "2026-03-02T09:30:15.987+00:00"
    assert events.app_uninstalled(inst, base_url=BASE, now=START)["created_at"] == (
        "2026-03-02T09:30:15Z")
    assert body["data"] == {
        "account_id": TENANT.id,
        "user_id": oid,
        "user_email": "alice@contoso.onmicrosoft.com",
        "installation_id": inst.installation_id,
    }
    assert body["_links"] == {
        "root": {"href": BASE},
        "self": {"href": f"{BASE}/apps/{APP_ID}/events/{body['id']}"},
        "user": {"href": f"{BASE}/users/{oid}"},  # {root}/users/{user_id}, as the reference
        "installation": {"href": f"{BASE}/apps/{APP_ID}/installations/{inst.installation_id}"},
    }


def test_created_at_is_utc_whole_seconds_from_the_given_clock() -> None:
    instant = datetime(2026, 3, 2, 10, 30, 15, 987654, tzinfo=UTC).astimezone(
        datetime.now(UTC).astimezone().tzinfo
    )
    assert events.format_created_at(instant) == "2026-03-02T10:30:15Z"
