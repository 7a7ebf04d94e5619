"""Stopping a run half-way: Ctrl-C and SIGTERM, to ``python -m scenarios run`` and to pytest with
the plugin, leave no app started by its profile's command behind (it runs in a session of its
own, which neither signal reaches), and ``run`` ends with one line, not a traceback, after
writing the reports of what finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.runner import NOT_RUN

# Real runs, workers and apps, signalled and watched until they are gone: make test-slow's.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERVER = textwrap.dedent("""\
    import http.server, sys

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """)

PROFILE = textwrap.dedent("""\
    name = "held app"
    [app]
    command = ["{python}", "server.py", "{port}"]
    [provider]
    redirect_uris = "{base_url}/cb"
    [sign_in]
    urls = { login = "/login" }
    [signed_in]
    me_url = "/me"
    """)

CATALOGUE = textwrap.dedent("""\
    import contextlib, os, time
    from pathlib import Path

    from scenarios import Registry
    from scenarios.app import load_profile
    from scenarios.app.servers import AppServer, plan_address

    registry = Registry()
    HERE = Path(os.environ["HELD_DIR"])


    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker):
        profile = load_profile(HERE / "app.toml")
        address = plan_address(profile)
        with AppServer(profile, address, workdir=HERE / f"worker-{worker.index}") as server:
            server.start({"base_url": address.base_url})
            yield server


    @registry.scenario(id="done.first", title="finishes", proves="nothing")
    def done(ctx):
        pass


    for n in range(2):
        @registry.scenario(id=f"held.{n}", title="holds its app", proves="nothing")
        def held(ctx):
            (HERE / f"ready-{ctx.env.process.pid}").write_text(ctx.env.base_url)
            time.sleep(60)
    """)

PYTEST_TEST = textwrap.dedent("""\
    import time
    from pathlib import Path

    import pytest


    @pytest.mark.sso_app("app.toml")
    def test_held(sso_app):
        Path(f"ready-{sso_app.server.process.pid}").write_text(sso_app.base_url)
        time.sleep(60)
    """)

SIGINT_DEFAULT = ("import runpy, signal, sys; signal.signal(signal.SIGINT, "
                  "signal.default_int_handler); sys.argv[0] = 'scenarios'; "
                  "runpy.run_module('scenarios', run_name='__main__')")
"""``python -m scenarios`` with Ctrl-C's default, whatever this process passes on."""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    (tmp_path / "app.toml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "held_catalogue.py").write_text(CATALOGUE, encoding="utf-8")
    (tmp_path / "test_held.py").write_text(PYTEST_TEST, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return tmp_path


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    # the project's own PYTHONPATH kept after it: the child imports the code under test
    path = os.pathsep.join([str(cwd), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "HELD_DIR": str(cwd), "PYTHONPATH": path,
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(cwd / "summary.md")}
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _held_apps(project: Path, count: int, child: subprocess.Popen[str]) -> dict[int, str]:
    """The pids and URLs of the ``count`` apps the child holds, once they all run."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        ready = {int(p.name.split("-")[1]): p.read_text() for p in project.glob("ready-*")}
        if len(ready) >= count and all(ready.values()):
            return ready
        if child.poll() is not None:
            break
        time.sleep(0.1)
    child.kill()
    out, err = child.communicate(timeout=30)
    raise AssertionError(f"the apps did not start:\n{out}\n{err}")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _stopped(child: subprocess.Popen[str], apps: dict[int, str]) -> tuple[int, str, str]:
    """The child's exit code and output once it has ended; every app it held must be gone."""
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    left = [pid for pid in apps if not _gone(pid)]
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    assert left == [], f"apps left running: {left}\n{out}\n{err}"
    return child.returncode, out, err


def _run_command(project: Path, workers: int) -> list[str]:
    return [sys.executable, "-c", SIGINT_DEFAULT, "run", "--catalogue",
            "held_catalogue:registry", "--workers", str(workers), "--trace", "off",
            "--report", str(project / "report"), "--junit", str(project / "junit.xml")]


def _reported(project: Path) -> None:
    """The reports of an interrupted run: what finished, and the rest not run."""
    results = json.loads((project / "report" / "results.json").read_text(encoding="utf-8"))
    assert results["interrupted"] is True, results
    assert {r["id"]: (r["status"], r["message"]) for r in results["results"]} == {
        "done.first": ("passed", None), "held.0": ("skipped", NOT_RUN),
        "held.1": ("skipped", NOT_RUN)}
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("skipped")) == ("3", "2")
    assert "held.1" in (project / "report" / "index.html").read_text(encoding="utf-8")
    # inside GitHub Actions the job's summary says so too
    summary = (project / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### sso-harness scenarios interrupted\n"), summary
    assert "2 skipped in" in summary and "(interrupted: " in summary, summary


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_stops_a_run_and_the_apps_it_started(tmp_path: Path, workers: int) -> None:
    project = _project(tmp_path)
    child = _start(_run_command(project, workers), project)
    apps = _held_apps(project, workers, child)
    child.send_signal(signal.SIGTERM)  # the runner alone: it stops its workers
    code, out, err = _stopped(child, apps)
    assert code == 130, out + err
    assert err.strip() == "scenarios: interrupted", err
    assert "Traceback" not in out + err
    _reported(project)


def test_ctrl_c_stops_a_run_and_its_workers_apps(tmp_path: Path) -> None:
    """Ctrl-C reaches the runner and every worker; the runner's SIGTERM to its workers on
    the way out does not cut their teardown short."""
    project = _project(tmp_path)
    child = _start(_run_command(project, 2), project)
    apps = _held_apps(project, 2, child)
    os.killpg(child.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole process group
    code, out, err = _stopped(child, apps)
    assert code == 130, out + err
    assert "Traceback" not in err, err
    _reported(project)


def test_sigterm_stops_pytest_and_the_apps_its_tests_started(tmp_path: Path) -> None:
    project = _project(tmp_path)
    child = _start([sys.executable, "-m", "pytest", "-p", "scenarios.pytest_plugin", "-p",
                    "no:cacheprovider", "-q", "--sso-key-pool", "1", "test_held.py"], project)
    apps = _held_apps(project, 1, child)
    child.send_signal(signal.SIGTERM)
    code, out, err = _stopped(child, apps)
    assert code == pytest.ExitCode.INTERRUPTED, out + err
    assert "test_held.py:10: KeyboardInterrupt" in out, out

