"""A scenario that finishes while an interrupted run lets its workers stop (the grace before
they are sent SIGTERM) is reported with its result, not as "not run"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scenarios.runner import NOT_RUN

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

CATALOGUE = textwrap.dedent("""\
    import contextlib, os, time
    from pathlib import Path
    from scenarios import Registry

    registry = Registry()
    HERE = Path(os.environ["HELD_DIR"])

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker):
        yield None

    @registry.scenario(id="held.long", title="holds", proves="nothing")
    def held(ctx):
        (HERE / "ready-held").write_text("x")
        time.sleep(60)

    @registry.scenario(id="late.fail", title="fails once the run is stopped", proves="nothing")
    def late(ctx):
        (HERE / "ready-late").write_text("x")
        with open(HERE / "signalled", "rb") as fifo:  # waits for the test's "go"
            fifo.read(2)
        raise AssertionError("the app kept the session")
    """)

GRACE = 10.0
"""The run's grace, longer than its 1 s: on a loaded 2-core host a result sent just after
the signal could reach the runner after 1 s, and the test would fail though the runner was
right. The late scenario still finishes only after the signal, so its result is one sent
during the grace; the scenario that holds waits the grace out, so it is what the test costs."""
RUN_WITH_GRACE = ("import runpy, scenarios.worker_pool as pool; "
                  f"pool.INTERRUPT_GRACE_SECONDS = {GRACE}; "
                  "runpy.run_module('scenarios', run_name='__main__', alter_sys=True)")


@pytest.mark.slow
def test_a_result_sent_during_the_grace_is_reported(tmp_path: Path) -> None:
    (tmp_path / "grace_catalogue.py").write_text(CATALOGUE, encoding="utf-8")
    os.mkfifo(tmp_path / "signalled")
    # Open to read and write, so that neither this open nor the write waits for the scenario
    # (a run that never reaches it fails the test rather than hanging it).
    go = os.open(tmp_path / "signalled", os.O_RDWR)
    env = {**os.environ, "HELD_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_WITH_GRACE, "run", "--catalogue", "grace_catalogue:registry",
         "--workers", "2", "--trace", "off", "--report", str(tmp_path / "report")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "ready-held").exists() and (tmp_path / "ready-late").exists()):
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGTERM)
        os.write(go, b"go")  # the late one fails
        out, err = child.communicate(timeout=60)
    finally:
        os.close(go)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, out + err
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    found = {r["id"]: (r["status"], r["message"]) for r in results["results"]}
    assert found == {"held.long": ("skipped", NOT_RUN),
                     "late.fail": ("failed", "AssertionError: the app kept the session")}
