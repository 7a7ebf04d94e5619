"""``ThreadedServer``: run_in_thread's uvicorn server stops at once when told from a thread."""

from __future__ import annotations

import asyncio
import threading

import uvicorn
from starlette.applications import Starlette

from mock_idp.testing import ThreadedServer, run_in_thread


def _server() -> ThreadedServer:
    config = uvicorn.Config(Starlette(), lifespan="off", log_level="warning")
    config.load()
    return ThreadedServer(config)


def test_stop_from_another_thread_ends_the_main_loop_before_the_next_tick() -> None:
    server = _server()

    async def scenario() -> None:
        loop_done = asyncio.create_task(server.main_loop())
        await asyncio.sleep(0.01)  # the loop is waiting on its 0.1 s tick
        threading.Thread(target=server.stop).start()
        await asyncio.wait_for(loop_done, 0.08)  # uvicorn's own loop would need 0.1 s

    asyncio.run(scenario())
    assert server.should_exit


def test_stop_before_the_server_runs_only_asks_it_to_exit() -> None:
    server = _server()
    server.stop()
    assert server.should_exit


def test_run_in_thread_serves_and_stops() -> None:
    with run_in_thread(Starlette()) as running:
        assert running.port > 0
