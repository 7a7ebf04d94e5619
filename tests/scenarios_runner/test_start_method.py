"""How worker processes start: forked only where that is safe."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from scenarios.runner import start_method

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is Linux's")


def test_a_single_threaded_process_forks_its_workers() -> None:
    # A fresh interpreter, as the command line runs: no thread but the main one.
    probe = "from scenarios.runner import start_method; print(start_method())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "fork"


def test_a_process_with_another_thread_spawns_them() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        assert start_method() == "spawn"
    finally:
        release.set()
        thread.join()
