"""What a program running the provider set up in it (``make demo``'s), made again after a reset
of the control API or the console, unless the reset leaves it out; its failure is told, not a
500 (:mod:`mock_idp.set_ups`). ``tests/e2e/test_demo.py`` has the demo's own."""

from __future__ import annotations

import asyncio
import threading

import httpx
import loops
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, TENANT
from starlette.applications import Starlette
from test_console import CONSOLE, press
from test_control import error_of

from mock_idp import create_app
from mock_idp.config import IdpConfig
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


def test_a_reset_made_while_another_makes_its_set_up_again_waits_for_it() -> None:
    """A set-up gives the app a secret through the HTTP API and hands it to its program (as
    the demo's does for its relying party). A second reset made meanwhile waits until the
    first reset's set-up is done: made at once, it would wipe the secret the set-up made, and
    the program would hold one the provider no longer has."""
    async def main() -> None:
        idp_app = create_app(IdpConfig.default())
        state = idp_app.state.idp
        loop = asyncio.get_running_loop()
        given: list[str] = []
        first_made, go_on = threading.Event(), threading.Event()
        second_made = asyncio.Event()

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idp_app),
                                     base_url="http://testserver") as client:
            def again() -> str:  # in a worker thread, as the provider calls it
                added = asyncio.run_coroutine_threadsafe(client.post(
                    f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')/addPassword",
                    json={}), loop).result(10)
                first = not first_made.is_set()
                if first:
                    first_made.set()
                    go_on.wait(10)
                given.append(added.json()["secretText"])
                if not first:
                    loop.call_soon_threadsafe(second_made.set)
                return "gave the app a secret"

            state.set_ups.append(SetUp(name=NAME, again=again))
            # The await point a reset waits at for the one before it: noted as it is reached.
            lock, acquire = state.resetting, state.resetting.acquire
            waiting = asyncio.Event()

            async def noted_acquire() -> bool:
                if lock.locked():
                    waiting.set()
                return await acquire()

            lock.acquire = noted_acquire  # type: ignore[method-assign]
            first = asyncio.create_task(client.post("/_mock/reset"))
            await loop.run_in_executor(None, first_made.wait, 10)
            second = asyncio.create_task(client.post("/_mock/reset"))
            # the second reset waits for the first, or (without the wait) makes its set-up
            await asyncio.wait([asyncio.create_task(waiting.wait()),
                                asyncio.create_task(second_made.wait())],
                               return_when=asyncio.FIRST_COMPLETED, timeout=10)
            go_on.set()
            assert (await first).status_code == (await second).status_code == 200
            token = await client.post(f"/{TENANT}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": given[-1], "scope": "https://graph.microsoft.com/.default"})
            assert len(given) == 2
            assert token.status_code == 200, token.text

    loops.run(main())
