"""How long a ``hang`` held each request, read from the provider's side: a client that gives
up (closes its request) ends the hold at once, and the fault's record and the request log say
when it arrived, how long it was held and how the hold ended."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from idp_testkit import CLIENT_ID, GRAPH_DEFAULT, SECRET, TENANT, auth_params, paths

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig
from mock_idp.faults.holds import CLIENT_LEFT_STATUS, HoldRecord
from scenarios.refusals import first_refusal

V2 = paths(TENANT, "2.0")
CLIENT_TIMEOUT = 0.3
"""The client's own timeout: the hold must end with it, not with the hang's 30 s."""


@pytest.fixture
def live() -> Iterator[str]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as server:
        yield server.base_url


def _token(base: str) -> httpx.Response:
    return httpx.post(f"{base}{V2['token']}", timeout=CLIENT_TIMEOUT, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})


def _discovery(base: str) -> httpx.Response:
    return httpx.get(f"{base}{V2['discovery']}", timeout=CLIENT_TIMEOUT)


CALLS: dict[str, Callable[[str], httpx.Response]] = {"token": _token, "discovery": _discovery}


def _eventually(read: Callable[[], Any]) -> Any:
    """``read()``'s first true value: the provider notices a closed connection within its
    20 ms look, so this waits for that, not for the hang."""
    deadline = time.monotonic() + 5
    while not (found := read()):
        assert time.monotonic() < deadline, "the provider never noticed the client leave"
        time.sleep(0.01)
    return found


def _logged_holds(http: httpx.Client, fault_id: str) -> list[tuple[int, HoldRecord]]:
    return [(entry["status"], HoldRecord.from_json(note["held"]))
            for entry in http.get("/_mock/requests").json()["requests"]
            for note in entry.get("notes", ())
            if note.get("fault", {}).get("id") == fault_id and "held" in note]


@pytest.mark.parametrize("endpoint", sorted(CALLS))
def test_a_client_that_gives_up_ends_the_hold_and_its_wait_is_recorded(
        live: str, endpoint: str) -> None:
    with httpx.Client(base_url=live) as http:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": endpoint,
                                                "seconds": 30}).json()
        assert hang["holds"] == []
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            CALLS[endpoint](live)
        [(status, hold)] = _eventually(lambda: _logged_holds(http, hang["id"]))
        assert time.monotonic() - started < 5  # not the hang's 30 s
        assert hold.ended == "client_left" and status == CLIENT_LEFT_STATUS
        # The client's timer starts as it sends; the hold as the provider takes the request.
        assert CLIENT_TIMEOUT - 0.1 <= hold.seconds < CLIENT_TIMEOUT + 1, hold
        assert started - 1 < hold.arrived - (time.time() - time.monotonic()) < started + 1
        assert http.get("/_mock/faults").json()["faults"] == []  # spent, and done with


def test_an_armed_hang_lists_each_hold_as_it_lasts_and_how_it_ended(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "token",
                                                "seconds": 30, "times": "until_cleared"}).json()

        def holds() -> list[dict[str, Any]]:
            [fault] = http.get("/_mock/faults").json()["faults"]
            found: list[dict[str, Any]] = fault["holds"]
            return found

        with pytest.raises(httpx.ReadTimeout):
            _token(live)
        [first] = _eventually(lambda: [h for h in holds() if h["ended"]])
        assert first["ended"] == "client_left"
        pending = pool.submit(httpx.post, f"{live}{V2['token']}", timeout=30, data={
            "grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": SECRET, "scope": GRAPH_DEFAULT})
        [_, second] = _eventually(lambda: holds()[1:] and holds())
        assert second["ended"] is None and second["seconds"] >= 0
        assert http.delete(f"/_mock/faults/{hang['id']}").status_code == 204
        assert pending.result(timeout=10).status_code == 200
        [(_, released)] = _eventually(lambda: [
            (status, hold) for status, hold in _logged_holds(http, hang["id"])
            if hold.ended == "released"])
        assert released.seconds < 10


def test_a_hold_that_runs_its_course_is_recorded_as_such(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                "seconds": 0.1}).json()
        assert httpx.get(f"{live}{V2['discovery']}", timeout=10).status_code == 504
        [(status, hold)] = _eventually(lambda: _logged_holds(http, hang["id"]))
        assert (status, hold.ended) == (504, "ran_through") and hold.seconds >= 0.1


def test_a_request_the_client_gave_up_on_is_no_refusal_of_the_providers(live: str) -> None:
    """The app closed it (its own timeout): a failure message names no refusal for it, where
    a hang that ran its course answered 504 AADSTS90033, which is one."""
    with httpx.Client(base_url=live) as http:
        gave_up = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "token",
                                                   "seconds": 30}).json()
        with pytest.raises(httpx.ReadTimeout):
            _token(live)
        _eventually(lambda: _logged_holds(http, gave_up["id"]))
        assert first_refusal(http.get("/_mock/requests").json()["requests"]) is None
        http.post("/_mock/faults", json={"kind": "hang", "endpoint": "token", "seconds": 0})
        assert _token(live).status_code == 504
        refusal = first_refusal(http.get("/_mock/requests").json()["requests"])
        assert refusal is not None and refusal[1].startswith("AADSTS90033"), refusal


def _multipart(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """``fields`` as a multipart form with no file: Starlette reads it as a stream, which the
    hold then finds consumed (an urlencoded body is kept, and read again)."""
    parts = [f'--b0undary\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             for key, value in fields.items()]
    return ("".join(parts) + "--b0undary--\r\n").encode(), {
        "content-type": "multipart/form-data; boundary=b0undary"}


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_a_browser_post_released_from_its_hold_is_answered_from_its_form(
        live: str, multipart: bool) -> None:
    """The hold reads the body to watch for the client leaving; the handler, which read its
    form before, answers from it once the hang is cleared, as without the hang."""
    url = f"{live}{V2['authorize']}"

    def post(timeout: float = 10) -> httpx.Response:
        if not multipart:
            return httpx.post(url, data=auth_params(), timeout=timeout)
        body, headers = _multipart(auth_params())
        return httpx.post(url, content=body, headers=headers, timeout=timeout)

    unheld = post()
    assert unheld.status_code == 200 and 'name="loginfmt"' in unheld.text, unheld.text[:300]
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "authorize",
                                                "seconds": 30, "times": "until_cleared"}).json()
        pending = pool.submit(post, 30)
        _eventually(lambda: http.get("/_mock/faults").json()["faults"][0]["holds"])
        assert http.delete(f"/_mock/faults/{hang['id']}").status_code == 204
        released = pending.result(timeout=10)
    assert released.status_code == 200 and 'name="loginfmt"' in released.text
