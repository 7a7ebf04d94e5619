"""The console at ``/_mock/console``, in process: what it shows, what its buttons do (the same
as the control API), and what it refuses (another site's form, a missing token, bad input)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, BOB, CLIENT_ID, SECRET, TENANT, get_code, password, paths, redeem
from test_platform_apps_api import APP_ID
from test_platform_apps_api import TENANT_ID as APP_TENANT

from mock_idp.clock import MockClock, SystemClock
from mock_idp.config import IdpConfig, default_tenant
from mock_idp.endpoints.console import secret_status, when

CONSOLE = "/_mock/console"


def csrf(client: AppClient) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(CONSOLE).text)
    assert match
    return match.group(1)


def press(client: AppClient, action: str, **form: str) -> object:
    return client.post(f"{CONSOLE}/{action}", data={"csrf": csrf(client), **form})


def all_config_secrets() -> list[str]:
    tenant = default_tenant()
    secrets = [s.value for app in tenant.apps for s in app.secrets]
    return [*secrets, *(u.password for u in tenant.users)]


def test_the_console_shows_the_provider_without_its_secrets(client: AppClient) -> None:
    grant = get_code(client)
    issued = redeem(client, grant).json()
    client.post("/_mock/faults", json={"kind": "wrong_nonce", "times": 2})
    page = client.get(CONSOLE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    tenant = default_tenant()
    assert tenant.domain in html and tenant.apps[0].name in html
    assert ALICE in html and "wrong_nonce" in html
    assert "/oauth2/v2.0/token" in html and "expires in" in html
    assert re.search(r"<td[^>]*>\s*active\s*</td>", html)
    for secret in (*all_config_secrets(), SECRET, password(ALICE), grant.code, grant.verifier,
                   issued["refresh_token"], issued["id_token"], issued["access_token"]):
        assert secret not in html


def test_the_console_says_who_is_locked_and_who_has_an_authenticator_app(
        client: AppClient) -> None:
    assert "locked until" not in client.get(CONSOLE).text
    assert "must change password" not in client.get(CONSOLE).text
    client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 1})
    client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": "openid", "username": ALICE, "password": "wrong"})
    secret = client.put(f"/_mock/tenants/{TENANT}/users/{BOB}/authenticator", json={}).json()[
        "totp_secret"]
    client.patch(f"/graph/{TENANT}/v1.0/users/{BOB}", json={
        "passwordProfile": {"forceChangePasswordNextSignIn": True}})
    html = client.get(CONSOLE).text
    alice_row = html[html.index(f"<td>{ALICE}</td>"):].split("</tr>")[0]
    bob_row = html[html.index(f"<td>{BOB}</td>"):].split("</tr>")[0]
    assert "locked until" in alice_row and "authenticator app code" in bob_row
    assert "locked until" not in bob_row and secret not in html
    assert "must change password" in bob_row and "must change password" not in alice_row


def test_clock_buttons_call_what_the_control_api_calls(client: AppClient,
                                                       clock: MockClock) -> None:
    start = clock.now()
    response = press(client, "clock", advance="1d")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].startswith(f"{CONSOLE}?done=")  # type: ignore[attr-defined]
    assert clock.now() - start >= timedelta(days=1)
    press(client, "clock", freeze="true")
    assert client.get("/_mock/clock").json()["frozen"] is True
    press(client, "clock", now="2030-01-01T00:00:00Z")
    assert client.get("/_mock/clock").json()["now"] == "2030-01-01T00:00:00Z"
    press(client, "clock", freeze="false")
    assert client.get("/_mock/clock").json()["frozen"] is False


def test_fault_buttons_arm_and_clear(client: AppClient) -> None:
    press(client, "arm", kind="error", endpoint="token", code="50058", times="2")
    [fault] = client.get("/_mock/faults").json()["faults"]
    assert (fault["kind"], fault["endpoint"], fault["times"]) == ("error", "token", 2)
    assert fault["params"] == {"code": 50058}
    press(client, "clear-faults", fault_id=fault["id"])
    assert client.get("/_mock/faults").json()["faults"] == []
    press(client, "arm", kind="wrong_nonce")
    press(client, "arm", kind="wrong_aud")
    press(client, "clear-faults")
    assert client.get("/_mock/faults").json()["faults"] == []


def test_keys_requests_events_and_reset(client: AppClient) -> None:
    before = client.get("/_mock/keys").json()["active"]
    press(client, "rotate-keys")
    assert client.get("/_mock/keys").json()["active"] != before
    client.post("/_mock/keys/publish-extra")
    page = client.get(CONSOLE).text
    assert page.count("retired, still published") == 1, page
    assert page.count("extra, published but never signs") == 1, page
    client.get("/common/discovery/v2.0/keys")
    press(client, "clear-requests")
    assert client.get("/_mock/requests").json()["requests"] == []
    assert press(client, "run-events").status_code == 303  # type: ignore[attr-defined]
    press(client, "arm", kind="wrong_nonce")
    refused = press(client, "reset", clock="on")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "<code>confirm</code>" in refused.text  # type: ignore[attr-defined]
    assert len(client.get("/_mock/faults").json()["faults"]) == 1
    press(client, "reset", clock="on", confirm="on")
    assert client.get("/_mock/faults").json()["faults"] == []


@pytest.mark.parametrize(("action", "form", "field"), [
    ("clock", {"advance": "soon"}, "advance"),
    ("clock", {"now": "tomorrow"}, "now"),
    ("clock", {"freeze": "yes"}, "freeze"),
    ("arm", {"kind": "nonsense"}, "kind"),
    ("arm", {"kind": "error", "endpoint": "token"}, "code"),
    ("clear-faults", {"fault_id": "nope"}, "fault_id"),
])
def test_bad_input_is_refused_naming_the_field(client: AppClient, action: str,
                                               form: dict[str, str], field: str) -> None:
    before = client.post("/_mock/clock", json={"freeze": True}).json()
    response = press(client, action, **form)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert f"<code>{field}</code>" in response.text  # type: ignore[attr-defined]
    assert client.get("/_mock/clock").json() == before
    assert client.get("/_mock/faults").json()["faults"] == []


def test_a_form_without_the_token_or_from_another_site_changes_nothing(
        client: AppClient, clock: MockClock) -> None:
    clock.freeze()
    start = clock.now()
    no_token = client.post(f"{CONSOLE}/clock", data={"advance": "1d"})
    wrong = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": "0" * 64})
    foreign = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": csrf(client)},
                          headers={"Origin": "https://evil.example"})
    cross = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": csrf(client)},
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert [r.status_code for r in (no_token, wrong, foreign, cross)] == [403] * 4
    assert clock.now() == start
    same = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": csrf(client)},
                       headers={"Origin": "http://testserver"})
    assert same.status_code == 303


@pytest.mark.idp_config(public_url="https://idp.example.test")
def test_behind_a_proxy_the_console_takes_its_forms_from_its_public_url(
        client: AppClient, clock: MockClock) -> None:
    clock.freeze()
    start = clock.now()
    public = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": csrf(client)},
                         headers={"Origin": "https://idp.example.test"})
    assert public.status_code == 303
    assert clock.now() == start + timedelta(days=1)
    other = client.post(f"{CONSOLE}/clock", data={"advance": "1d", "csrf": csrf(client)},
                        headers={"Origin": "http://idp.example.test"})
    assert other.status_code == 403
    assert clock.now() == start + timedelta(days=1)


def test_unknown_action_and_wrong_method(client: AppClient) -> None:
    assert client.post(f"{CONSOLE}/launch-rockets", data={}).status_code == 404
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        refused = client.request(method, CONSOLE)
        assert refused.status_code == 405, method
        assert refused.json()["error"]["field"] == "method", method


def test_refresh_is_asked_for_in_the_address(client: AppClient) -> None:
    assert client.get(CONSOLE + "?refresh=5").text.count('http-equiv="refresh"') == 1
    assert 'http-equiv="refresh"' not in client.get(CONSOLE + "?refresh=1").text


@pytest.mark.idp_config(IdpConfig.default(clock=SystemClock()))
def test_a_system_clock_has_no_buttons(client: AppClient) -> None:
    html = client.get(CONSOLE).text
    assert "cannot be moved" in html and 'id="advance-1d"' not in html


def test_secret_status_words() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert secret_status("2026-01-11T00:00:00Z", now) == ("warn", "expires in 10 d")
    assert secret_status("2026-06-01T00:00:00Z", now)[0] == "ok"
    assert secret_status("2025-12-31T22:00:00Z", now) == ("bad", "expired 2 h ago")
    assert secret_status("2025-12-31T23:59:30Z", now) == ("bad", "expired less than a minute ago")
    assert secret_status(None, now) == ("ok", "no end date")


@pytest.mark.parametrize(("left", "words"), [
    (timedelta(days=30), ("ok", "expires in 30 d")),
    (timedelta(days=30) - timedelta(minutes=15), ("warn", "expires in 29 d")),
    (timedelta(hours=24) - timedelta(minutes=1), ("warn", "expires in 23 h")),
    (timedelta(minutes=59, seconds=59), ("warn", "expires in 59 min")),
    (timedelta(seconds=30), ("warn", "expires in less than a minute")),
    (timedelta(0), ("bad", "expired less than a minute ago")),
    (-timedelta(seconds=59), ("bad", "expired less than a minute ago")),
    (-timedelta(hours=1, minutes=59), ("bad", "expired 1 h ago")),
    (-timedelta(days=2) + timedelta(seconds=1), ("bad", "expired 1 d ago")),
])
def test_a_secret_s_time_left_is_rounded_down_never_saying_more_than_there_is(
        left: timedelta, words: tuple[str, str]) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    end = (now + left).isoformat().replace("+00:00", "Z")
    assert secret_status(end, now) == words


def test_every_time_on_the_page_is_written_one_way(client: AppClient) -> None:
    redeem(client, get_code(client))  # a session, logged requests with milliseconds
    client.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": "http://127.0.0.1:9/events"})
    html = client.get(CONSOLE).text
    shown = re.sub(r'(title|value|placeholder)="[^"]*"', "", html)  # what is read, not hovered
    times = re.findall(r"\d{4}-\d\d-\d\dT[0-9:.+]+Z?", shown)
    assert len(times) > 10
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in times), times


def test_the_console_shows_installations_and_what_the_app_answered(client: AppClient) -> None:
    assert "No installations yet" in client.get(CONSOLE).text
    installed = client.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": "http://127.0.0.1:9/events",
        "trial_days": 30}).json()["installation"]
    client.post(f"/_mock/installations/{installed['installation_id']}/rotate")
    html = client.get(CONSOLE).text
    section = html[html.index('id="installations"'):html.index('id="requests"')]
    assert installed["installation_id"] in section
    assert re.search(r">pending <span class=\"muted\">until ", section)  # awaiting approval
    assert "old secret until" in section and "offered" in section


def test_an_expired_trial_reads_since_its_end_not_until(client: AppClient,
                                                        clock: MockClock) -> None:
    from test_platform_trials import START, approve

    clock.set(START)
    clock.freeze()
    installed = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": APP_TENANT, "events_url": "http://127.0.0.1:9/events",
        "trial_days": 30}).json()["installation"]
    approve(client, installed)
    expires = when(client.get(f"/_mock/installations/{installed['installation_id']}").json()[
        "trial"]["expires_at"])
    html = client.get(CONSOLE).text
    assert f"active <span class=\"muted\">until {expires}</span>" in html
    clock.advance(timedelta(days=31))
    html = client.get(CONSOLE).text
    assert f"expired <span class=\"muted\">since {expires}</span>" in html
    assert f"until {expires}" not in html
    for secret in (installed["client_secret"], "PRIVATE KEY"):
        assert secret not in html
