"""What a program running the provider set up in it (``make demo``'s), made again after a reset
of the control API or the console, unless the reset leaves it out; its failure is told, not a
500 (:mod:`mock_idp.set_ups`). ``tests/e2e/test_demo.py`` has the demo's own."""

from __future__ import annotations

import asyncio

from asgi_client import AppClient
from starlette.applications import Starlette
from test_console import CONSOLE, press
from test_control import error_of

from mock_idp.set_ups import SetUp

NAME = "the tool's app: its secret"
SHOWN = NAME.replace("'", "&#39;")  # as the page escapes it


def _off_the_event_loop() -> bool:
    """Whether the caller runs outside an event loop's thread (so it may call the provider
    over HTTP while the provider answers)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def _record(idp_app: Starlette) -> list[tuple[int, bool]]:
    """A set-up that notes, each time it is made, the faults armed then and whether it ran
    off the provider's event loop."""
    state = idp_app.state.idp
    made: list[tuple[int, bool]] = []

    def again() -> str:
        made.append((len(state.faults.list()), _off_the_event_loop()))
        return "made the app's secret again"

    state.set_ups.append(SetUp(name=NAME, again=again))
    return made


def test_the_control_api_s_reset_makes_the_set_up_again_unless_left_out(
        client: AppClient, idp_app: Starlette) -> None:
    made = _record(idp_app)
    client.post("/_mock/faults", json={"kind": "wrong_nonce"})
    reset = client.post("/_mock/reset", json={"clock": True})
    assert reset.status_code == 200 and reset.json()["set_up"] == ["made the app's secret again"]
    assert made == [(0, True)]  # after the reset, in a worker thread
    assert client.post("/_mock/reset", json={"set_up": False}).json()["set_up"] == []
    client.post("/_mock/faults", json={"kind": "wrong_nonce"})
    error_of(client.post("/_mock/reset", json={"set_up": "yes"}), 400, "set_up")
    assert len(made) == 1 and len(client.get("/_mock/faults").json()["faults"]) == 1


def test_a_set_up_that_fails_is_told_and_the_reset_stands(
        client: AppClient, idp_app: Starlette) -> None:
    def fails() -> str:
        raise ConnectionError("the app is down")

    idp_app.state.idp.set_ups.append(SetUp(name=NAME, again=fails))
    made = _record(idp_app)
    client.post("/_mock/faults", json={"kind": "wrong_nonce"})
    reset = client.post("/_mock/reset")
    assert reset.status_code == 200
    assert reset.json()["set_up"] == [
        f"{NAME}: not made again (ConnectionError: the app is down)",
        "made the app's secret again"]
    assert made == [(0, True)] and client.get("/_mock/faults").json()["faults"] == []


def test_the_console_lists_the_set_up_and_makes_it_again_when_its_box_is_ticked(
        client: AppClient, idp_app: Starlette) -> None:
    assert 'id="set-ups"' not in client.get(CONSOLE).text  # none: nothing said
    made = _record(idp_app)
    page = client.get(CONSOLE).text
    section = page.split('<section id="reset-provider">')[1].split("</section>")[0]
    assert SHOWN in section.split('id="set-ups"')[1]
    assert '<input type="checkbox" name="set_up" id="reset-set-up" checked>' in section
    left_out = press(client, "reset", confirm="on")  # the box unticked
    assert "an app given a secret at run time needs it again" in client.get(
        left_out.headers["location"]).text  # type: ignore[attr-defined]
    assert made == []
    ticked = press(client, "reset", confirm="on", set_up="on")
    shown = client.get(ticked.headers["location"]).text  # type: ignore[attr-defined]
    assert "provider reset; made the app&#39;s secret again" in shown
    assert made == [(0, True)]
