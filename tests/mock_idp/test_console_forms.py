"""The console's forms, in process: each does what the control API's route does (the due
events end expired trials too), and each refuses what it does not take with the page's error,
naming the field, instead of dropping it or guessing."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from asgi_client import AppClient
from idp_testkit import TENANT
from test_console import CONSOLE, csrf, press
from test_platform_trials import approve, events_url, install, sent, shown

from mock_idp.clock import MockClock
from mock_idp.endpoints.console import ACTIONS
from mock_idp.set_ups import SAID, SetUp

__all__ = ["events_url"]  # the fixture, for the tests below


def test_send_due_deliveries_now_ends_the_trials_past_their_end_as_the_api_does(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    clock.advance(timedelta(days=31))
    assert shown(client, installation)["state"] == "expired"
    response = press(client, "run-events")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "1%20due%20delivery%20attempt%20sent" in response.headers[  # type: ignore[attr-defined]
        "location"]
    ended = shown(client, installation)
    assert (ended["state"], ended["ended_reason"]) == ("ended", "trial_expired")
    [event] = sent(client, "app.trial_ended")
    assert event["data"]["ended_by"] == "system"


def test_an_empty_set_to_names_the_now_field(client: AppClient, clock: MockClock) -> None:
    clock.freeze()
    start = clock.now()
    response = press(client, "clock", now="")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "<code>now</code>" in response.text  # type: ignore[attr-defined]
    error = response.text.split('id="error"')[1].split("</p>")[0]  # type: ignore[attr-defined]
    assert "advance" not in error
    assert clock.now() == start


@pytest.mark.parametrize("field", ["advance", "csrf"])
def test_a_field_given_twice_is_refused_naming_it(client: AppClient, clock: MockClock,
                                                  field: str) -> None:
    clock.freeze()
    start = clock.now()
    token = csrf(client)
    body = f"csrf={token}&advance=1m&{field}={token if field == 'csrf' else '2m'}"
    response = client.post(f"{CONSOLE}/clock", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.text and "given twice" in response.text
    assert clock.now() == start


def test_an_action_keeps_the_refresh_the_address_asked_for(client: AppClient) -> None:
    page = client.get(f"{CONSOLE}?refresh=5").text
    assert f'action="{CONSOLE}/clock?refresh=5#clock"' in page
    assert f'action="{CONSOLE}/run-events?refresh=5#deliveries"' in page
    response = client.post(f"{CONSOLE}/clock?refresh=5", data={
        "csrf": csrf(client), "advance": "1m"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{CONSOLE}?refresh=5&done=")
    assert 'http-equiv="refresh" content="5"' in client.get(response.headers["location"]).text
    # An error page (at the action's address) reloads the console, not the action.
    refused = client.post(f"{CONSOLE}/clock?refresh=5", data={
        "csrf": csrf(client), "advance": "soon"})
    assert refused.status_code == 400
    assert f'content="5; url={CONSOLE}?refresh=5"' in refused.text
    # Without it, nothing is added.
    assert "refresh=" not in client.post(f"{CONSOLE}/clock", data={
        "csrf": csrf(client), "advance": "1m"}).headers["location"]
    assert f'action="{CONSOLE}/clock#clock"' in client.get(CONSOLE).text


@pytest.mark.parametrize(("form", "expected"), [
    ({"kind": "outage", "endpoint": "discovery", "tenant": TENANT, "status": "502"},
     {"kind": "outage", "tenant": TENANT, "params": {"status": 502}}),
    ({"kind": "error", "endpoint": "token", "code": "AADSTS50126", "error": "invalid_grant",
      "suberror": "bad_token", "status": "401"},
     {"kind": "error", "params": {"code": 50126, "error": "invalid_grant",
                                  "suberror": "bad_token", "status": 401}}),
    ({"kind": "error", "endpoint": "token", "code": " aadsts50058 "},
     {"kind": "error", "params": {"code": 50058}}),
    ({"kind": "throttle", "endpoint": "token", "retry_after": "30"},
     {"kind": "throttle", "params": {"retry_after": 30}}),
    ({"kind": "latency", "endpoint": "token", "delay_ms": "2.5"},
     {"kind": "latency", "params": {"delay_ms": 2.5}}),
    ({"kind": "hang", "endpoint": "token", "seconds": "3", "times": "2"},
     {"kind": "hang", "times": 2, "params": {"seconds": 3}}),
])
def test_the_arm_form_takes_the_fields_the_json_api_takes(
        client: AppClient, form: dict[str, str], expected: dict[str, object]) -> None:
    page = client.get(CONSOLE).text
    for name in ("tenant", "status", "retry_after", "delay_ms", "seconds", "error", "suberror"):
        assert f'name="{name}"' in page.split('id="arm-form"')[1].split("</form>")[0], name
    response = press(client, "arm", **form)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    [fault] = client.get("/_mock/faults").json()["faults"]
    assert {k: fault[k] for k in expected} == expected


@pytest.mark.parametrize(("form", "field"), [
    ({"kind": "wrong_nonce", "status": "502"}, "status"),
    ({"kind": "status", "endpoint": "token", "status": "fivehundred"}, "status"),
    ({"kind": "status", "endpoint": "token", "status": "200"}, "status"),
    ({"kind": "latency", "endpoint": "token", "delay_ms": "-1"}, "delay_ms"),
    ({"kind": "error", "endpoint": "token", "code": "AADSTS"}, "code"),
    ({"kind": "outage", "endpoint": "jwks", "tenant": "nowhere.example"}, "tenant"),
    ({"kind": "wrong_nonce", "colour": "red"}, "colour"),
])
def test_the_arm_form_refuses_what_the_kind_does_not_take_naming_the_field(
        client: AppClient, form: dict[str, str], field: str) -> None:
    response = press(client, "arm", **form)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert f"<code>{field}</code>" in response.text  # type: ignore[attr-defined]
    assert client.get("/_mock/faults").json()["faults"] == []


def _section(html: str, section: str) -> str:
    return html.split(f'<section id="{section}">')[1].split("</section>")[0]


def test_an_action_s_outcome_is_shown_in_the_section_its_form_is_in(client: AppClient) -> None:
    client.post("/_mock/faults", json={"kind": "wrong_nonce"})
    client.get("/common/discovery/v2.0/keys")  # a request logged: its Clear button shows
    page = client.get(CONSOLE).text
    forms = re.findall(rf'action="{CONSOLE}/([a-z-]+)#([a-z-]+)"', page)
    assert {name for name, _ in forms} == set(ACTIONS) - {"arm"}
    assert all(ACTIONS[name][1] == section for name, section in forms), forms
    # The arm form's address has no fragment, which would keep a refusal's autofocus from
    # working: its section's field or message is focused instead (the browser tests).
    assert re.findall(rf'action="{CONSOLE}/arm[^"]*"', page) == [f'action="{CONSOLE}/arm"']
    for section in {section for _, section in forms}:
        for name in re.findall(rf'action="{CONSOLE}/([a-z-]+)#', _section(page, section)):
            assert ACTIONS[name][1] == section, (name, section)
    # Done: the page comes back to the section, which says what was done.
    rotated = press(client, "rotate-keys")
    location = rotated.headers["location"]  # type: ignore[attr-defined]
    assert location.endswith("&at=keys#keys")
    shown = client.get(location).text
    assert shown.count('id="done"') == 1
    assert '<p class="flash done" id="done" role="status">active signing key: ' in _section(
        shown, "keys")
    # Refused: the page says why in the form's section.
    refused = press(client, "arm", kind="nonsense")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.text.count('id="error"') == 1  # type: ignore[attr-defined]
    faults = _section(refused.text, "faults")  # type: ignore[attr-defined]
    assert 'id="error" role="alert"' in faults and "<code>kind</code>" in faults
    # An address naming no section (an old bookmark) says it above the sections.
    for at in ("", "&at=nowhere"):
        top = client.get(f"{CONSOLE}?done=cleared{at}").text
        assert top.index('id="done"') < top.index("<section")


ARM_TYPED = {"kind": "throttle", "endpoint": "token", "times": "3", "code": "AADSTS50126",
             "error": 'invalid_grant"><b>x</b>', "suberror": "bad_token", "status": "429",
             "retry_after": "soon", "delay_ms": "250", "seconds": "4", "tenant": TENANT,
             "app": "an-app", "user": "someone@example.com"}


def test_a_refused_arm_form_comes_back_holding_what_was_typed_the_named_field_marked(
        client: AppClient) -> None:
    response = press(client, "arm", **ARM_TYPED)
    assert response.status_code == 400  # type: ignore[attr-defined]
    form = response.text.split('id="arm-form"')[1].split("</form>")[0]  # type: ignore[attr-defined]
    for name, value in ARM_TYPED.items():
        if name in ("kind", "endpoint"):
            assert re.search(rf'name="{name}" id="arm-{name}"[^>]*>.*'
                             rf"<option selected>{value}</option>", form), name
        elif name != "error":
            assert f'name="{name}" id="arm-{name}"' in form, name
            assert re.search(rf'name="{name}"[^>]* value="{re.escape(value)}"', form), name
    # Markup typed is shown as text, in the value it was typed in.
    assert 'value="invalid_grant&#34;&gt;&lt;b&gt;x&lt;/b&gt;"' in form
    assert "<b>x</b>" not in response.text  # type: ignore[attr-defined]
    # Only the field the refusal names (throttle takes no code) is marked, by its id.
    assert re.findall(r'id="arm-(\w+)"[^>]* aria-invalid="true"', form) == ["code"]
    assert "<code>code</code>" in _section(response.text, "faults")  # type: ignore[attr-defined]
    assert client.get("/_mock/faults").json()["faults"] == []


def test_an_armed_fault_and_another_form_s_refusal_leave_the_arm_form_empty(
        client: AppClient) -> None:
    done = press(client, "arm", kind="throttle", endpoint="token", retry_after="5")
    form = client.get(done.headers["location"]).text.split(  # type: ignore[attr-defined]
        'id="arm-form"')[1].split("</form>")[0]
    assert re.findall(r'(\w+)" value="[^"]', form) == ["csrf"]
    assert "selected" not in form and "aria-invalid" not in form
    refused = press(client, "clock", advance="soon")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "aria-invalid" not in refused.text  # type: ignore[attr-defined]


def test_a_reset_says_what_each_set_up_made_again_whole_and_escaped(client: AppClient) -> None:
    said = [f"demo {n}: <b>made</b> again, " + "detail " * 25 for n in (1, 2, 3)]
    for line in said:
        client.app.state.idp.set_ups.append(  # type: ignore[attr-defined]
            SetUp(name=line[:6], again=lambda line=line: line))
    response = press(client, "reset", confirm="on", set_up="on")
    page = client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    shown = html.unescape(page.split('id="done" role="status">')[1].split("</p>")[0])
    assert shown == "provider reset; " + "; ".join(line[:SAID] for line in said)
    assert len(shown) > 3 * 150 and "<b>" not in page
