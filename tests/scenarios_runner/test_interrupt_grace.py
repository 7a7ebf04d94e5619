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

    @registry.scenario(id="late.fail", title="fails 0.2 s after it is ready", proves="nothing")
    def late(ctx):
        (HERE / "ready-late").write_text("x")
        time.sleep(0.2)  # within the run's 1 s grace after the signal, even on a loaded host
        raise AssertionError("the app kept the session")
    """)


@pytest.mark.slow
def test_a_result_sent_during_the_grace_is_reported(tmp_path: Path) -> None:
    (tmp_path / "grace_catalogue.py").write_text(CATALOGUE, encoding="utf-8")
    env = {**os.environ, "HELD_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    child = subprocess.Popen(
        [sys.executable, "-m", "scenarios", "run", "--catalogue", "grace_catalogue:registry",
         "--workers", "2", "--trace", "off", "--report", str(tmp_path / "report")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "ready-held").exists() and (tmp_path / "ready-late").exists()):
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, out + err
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    found = {r["id"]: (r["status"], r["message"]) for r in results["results"]}
    assert found == {"held.long": ("skipped", NOT_RUN),
                     "late.fail": ("failed", "AssertionError: the app kept the session")}
