from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page

from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo
from scenarios.__main__ import main
from scenarios.browser import resolve
from scenarios.modes import TRACE_MODES
from scenarios.report import write_html
from scenarios.results import PHASE_NAMES
from scenarios.runner import RunOptions, run
from scenarios.screenshots import Photographer, page_state, screenshot, watch_page_versions

pytestmark = pytest.mark.browser

CATALOGUE = "scenarios_runner.toy_catalogue:registry"
TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = TESTS_DIR.parent


def _results(report_dir: Path) -> dict[str, dict[str, object]]:
    data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return {r["id"]: r for r in data["results"]}


def test_passing_run_writes_reports_with_a_screenshot_per_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, junit = tmp_path / "report", tmp_path / "junit.xml"
    code = main(
        ["run", "--catalogue", CATALOGUE, "--only", "toy.pass.*", "--workers", "1"]
        + ["--report", str(report), "--junit", str(junit)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"^PASS  toy\.pass\.form  \d+\.\d\ds$", out, re.MULTILINE)
    assert "2 passed, 0 failed" in out

    html = (report / "index.html").read_text(encoding="utf-8")
    assert 'id="toy.pass.heading"' in html and 'id="toy.pass.form"' in html
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) == 4  # one step in heading, three in form
    for image in images:
        assert (report / image).read_bytes().startswith(b"\x89PNG")

    form = _results(report)["toy.pass.form"]
    steps = form["steps"]
    assert isinstance(steps, list)
    assert [s["name"] for s in steps] == ["open the page", "type a password", "sign in"]
    # where the time went: every phase recorded, adding up to the scenario's time
    phases = form["phases"]
    assert isinstance(phases, dict) and set(phases) == set(PHASE_NAMES)
    assert phases["steps"] == pytest.approx(sum(s["seconds"] for s in steps))
    assert sum(phases.values()) == pytest.approx(form["seconds"], abs=0.01)
    assert phases["screenshots"] > 0 and phases["context"] > 0
    assert "stack start" in html and "median time outside the steps" in html
    assert not (report / "traces").exists() or not any((report / "traces").iterdir())

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "0"


def test_failures_exit_1_and_keep_their_traces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    code = main(
        ["run", "--catalogue", CATALOGUE, "--workers", "1", "--report", str(report)]
        + ["--only", "toy.pass.heading,toy.fail.assertion,toy.error.crash"]
        + ["--trace", "retain-on-failure", "--junit", str(tmp_path / "junit.xml")]
        + ["--explain"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  toy.fail.assertion" in out
    # --explain: each failure's exchange as a text diagram (the browser's side: no mock here)
    explained = out[out.index("toy.fail.assertion: Wrong heading"):]
    assert "(the browser only" in explained and "GET app /  200  [page]" in explained
    assert "toy.error.crash: Raises" in explained and "toy.pass.heading:" not in explained
    assert "ERROR toy.error.crash" in out
    assert "the toy scenario broke on purpose" in out

    results = _results(report)
    assert results["toy.pass.heading"]["trace"] is None
    for failing in ("toy.fail.assertion", "toy.error.crash"):
        trace = results[failing]["trace"]
        assert isinstance(trace, str)
        assert zipfile.is_zipfile(report / trace)
    assert results["toy.fail.assertion"]["status"] == "failed"
    assert "Nothing like this" in str(results["toy.fail.assertion"]["message"])
    assert results["toy.error.crash"]["status"] == "error"
    # a failure outside any step still leaves a picture of the page
    crash_steps = results["toy.error.crash"]["steps"]
    assert isinstance(crash_steps, list) and crash_steps[-1]["name"] == "state at failure"
    assert (report / crash_steps[-1]["screenshot"]).exists()

    html = (report / "index.html").read_text(encoding="utf-8")
    assert 'href="traces/toy.fail.assertion.zip"' in html

    cases = {c.get("name"): c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    assert cases["toy.fail.assertion"].find("failure") is not None
    assert cases["toy.error.crash"].find("error") is not None


# Whether a passing scenario's trace is kept, for every mode the command line offers.
PASSING_TRACE_KEPT = {"on": True, "off": False, "rerun-on-failure": False,
                      "retain-on-failure": False}


def test_the_trace_matrix_covers_every_mode() -> None:
    assert set(PASSING_TRACE_KEPT) == set(TRACE_MODES)


@pytest.mark.parametrize(("mode", "kept"), sorted(PASSING_TRACE_KEPT.items()))
def test_trace_modes(tmp_path: Path, mode: str, kept: bool) -> None:
    code = main(
        ["run", "--catalogue", CATALOGUE, "--only", "toy.pass.heading", "--workers", "1"]
        + ["--report", str(tmp_path), "--trace", mode]
    )
    assert code == 0
    assert (tmp_path / "traces" / "toy.pass.heading.zip").exists() is kept


@pytest.mark.slow
def test_rerun_on_failure_traces_a_second_run_of_each_failure_only(tmp_path: Path) -> None:
    report = tmp_path / "report"
    code = main(
        ["run", "--catalogue", CATALOGUE, "--workers", "1", "--report", str(report)]
        + ["--only", "toy.pass.heading,toy.fail.assertion", "--trace", "rerun-on-failure"]
        + ["--junit", str(tmp_path / "junit.xml")]
    )
    assert code == 1
    results = _results(report)
    passing, failing = results["toy.pass.heading"], results["toy.fail.assertion"]
    assert passing["trace"] is None and passing["rerun"] is None
    assert not any(report.rglob("toy.pass.heading.zip"))
    # the result is the first run's; the trace is the second's, which failed the same way
    assert failing["status"] == "failed" and failing["rerun"] == "failed"
    assert "Nothing like this" in str(failing["message"])
    assert failing["trace"] == "rerun/traces/toy.fail.assertion.zip"
    assert zipfile.is_zipfile(report / "rerun/traces/toy.fail.assertion.zip")
    assert not (report / "traces" / "toy.fail.assertion.zip").exists()
    # the first run's pictures are the report's; the second run's are kept apart
    shots = [s["screenshot"] for s in failing["steps"] if s["screenshot"]]  # type: ignore[union-attr]
    assert shots and all(not shot.startswith("rerun/") and (report / shot).exists()
                         for shot in shots)
    # the scenario's time is the first run's; the second run's is beside it
    phases = failing["phases"]
    assert isinstance(phases, dict) and isinstance(failing["seconds"], float)
    assert sum(phases.values()) == pytest.approx(failing["seconds"], abs=0.01)
    rerun_seconds = failing["rerun_seconds"]
    assert isinstance(rerun_seconds, float) and rerun_seconds > phases["steps"] / 2
    assert phases["trace"] < rerun_seconds
    # the second run's picture of its failure is listed and linked
    rerun_shots = failing["rerun_screenshots"]
    assert isinstance(rerun_shots, list) and rerun_shots
    assert all(shot.startswith("rerun/screenshots/toy.fail.assertion/")
               and (report / shot).is_file() for shot in rerun_shots)

    html = (report / "index.html").read_text(encoding="utf-8")
    assert f'href="{rerun_shots[0]}"' in html
    assert "Trace of a second run, which did not pass either" in html
    assert 'href="rerun/traces/toy.fail.assertion.zip"' in html
    case = next(c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
                if c.get("name") == "toy.fail.assertion")
    trace = report.resolve() / "rerun/traces/toy.fail.assertion.zip"  # outside the cwd
    out = (case.findtext("system-out") or "").splitlines()
    assert {f"trace: {trace}", "rerun: failed", f"[[ATTACHMENT|{trace}]]"} <= set(out)


def test_a_failure_that_does_not_come_back_stays_a_failure(tmp_path: Path) -> None:
    registry = Registry()
    entered: list[str] = []

    @registry.around_scenario
    @contextlib.contextmanager
    def around(env: object, item: Scenario) -> Iterator[object]:
        entered.append(item.id)
        yield len(entered)

    @registry.scenario(id="flaky.once", title="fails the first time", proves="nothing")
    def flaky(ctx: ScenarioContext[int]) -> None:
        with ctx.step("open a page"):
            ctx.page.set_content(f"<h1>run {ctx.env}</h1>")
        assert ctx.env > 1, "the first run fails"

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="rerun-on-failure"),
                  registry=registry)
    (result,) = summary.results
    assert entered == ["flaky.once", "flaky.once"]  # a fresh set-up for the second run
    assert result.status == "failed" and result.message and "first run fails" in result.message
    assert result.rerun == "passed" and result.trace == "rerun/traces/flaky.once.zip"
    assert result.phases is not None and result.phases.total == pytest.approx(result.seconds)
    assert result.rerun_seconds is not None and result.rerun_seconds > 0
    assert summary.seconds > result.seconds + result.rerun_seconds
    assert summary.exit_code == 1
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert "Trace of a second run, which passed: the failure did not come back" in html


@pytest.mark.slow
def test_two_workers_run_in_two_processes_at_once(tmp_path: Path) -> None:
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
        TOY_RENDEZVOUS_DIR=str(rendezvous),
    )
    report = tmp_path / "report"
    completed = subprocess.run(
        [sys.executable, "-m", "scenarios", "run", "--catalogue", CATALOGUE, "--workers", "2"]
        + ["--only", "toy.parallel.*,toy.pass.heading", "--report", str(report)],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = _results(report)
    pids = {r["pid"] for r in results.values()}
    assert len(pids) == 2
    assert {r["worker"] for r in results.values()} == {0, 1}
    assert "[worker 0]" in completed.stdout and "[worker 1]" in completed.stdout
    assert len(list(rendezvous.glob("*.pid"))) == 2


def test_fresh_context_per_scenario_and_environment_hooks(tmp_path: Path) -> None:
    registry = Registry()
    events: list[str] = []

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker: WorkerInfo) -> Iterator[object]:
        events.append(f"worker {worker.index}/{worker.count} up")
        yield "servers"
        events.append("worker down")

    @registry.around_scenario
    @contextlib.contextmanager
    def around(env: object, item: Scenario) -> Iterator[object]:
        events.append(f"before {item.id}")
        yield f"{env} for {item.id}"
        events.append(f"after {item.id}")

    @registry.scenario(id="ctx.first", title="first", proves="cookies are set")
    def first(ctx: ScenarioContext[str]) -> None:
        assert ctx.env == "servers for ctx.first"
        ctx.context.add_cookies([{"name": "sid", "value": "1", "url": "http://rp.test/"}])
        assert len(ctx.context.cookies()) == 1

    @registry.scenario(id="ctx.second", title="second", proves="no cookies leak")
    def second(ctx: ScenarioContext[str]) -> None:
        assert ctx.env == "servers for ctx.second"
        assert ctx.context.cookies() == []
        other = ctx.new_context()
        assert other is not ctx.context and other.cookies() == []

    summary = run(RunOptions(report_dir=tmp_path, workers=1), registry=registry)
    assert [r.status for r in summary.results] == ["passed", "passed"], summary.results
    assert events == [
        "worker 0/1 up",
        "before ctx.first",
        "after ctx.first",
        "before ctx.second",
        "after ctx.second",
        "worker down",
    ]


def test_a_scenario_using_ctx_env_with_no_environment_is_told_to_pass_a_stack(
        tmp_path: Path) -> None:
    """A Registry() of one's own has no environment hooks: ctx.env stands for None (falsy), and
    a scenario reaching into it gets an error naming what to pass, not AttributeError:
    'NoneType' object has no attribute 'people'."""
    registry = Registry()

    @registry.scenario(id="mine.signs-in", title="signs in", proves="first login works")
    def signs_in(ctx: ScenarioContext[Any]) -> None:
        assert not ctx.env
        ctx.env.people["alice"]

    [result] = run(RunOptions(report_dir=tmp_path, workers=1), registry=registry).results
    assert result.status == "error", result
    assert (result.message or "").startswith(
        "scenarios.context.NoEnvironmentError: ctx.env.people: scenario 'mine.signs-in' has no "
        "environment (ctx.env is None): its registry has no environment hooks, as a Registry() "
        "of your own has none. Pass stack= to sso_run_scenario (the test's sso_stack, say)"
    ), result


def test_a_worker_that_cannot_start_reports_every_scenario_as_an_error(tmp_path: Path) -> None:
    registry = Registry()

    @registry.environment_factory
    @contextlib.contextmanager
    def broken(worker: WorkerInfo) -> Iterator[object]:
        raise OSError("port exhausted")
        yield  # pragma: no cover

    for name in ("one", "two"):
        registry.scenario(id=f"broken.{name}", title=name, proves="p")(lambda ctx: None)

    summary = run(RunOptions(report_dir=tmp_path, workers=1), registry=registry)
    assert [r.status for r in summary.results] == ["error", "error"]
    assert all("port exhausted" in (r.message or "") for r in summary.results)
    assert summary.exit_code == 1


def test_password_fields_are_masked_in_screenshots(tmp_path: Path, page: Page) -> None:
    page_html = '<label>Password <input type="password" value="{}"></label>'
    shots = []
    for index, secret in enumerate(["a", "a-much-longer-secret-value"]):
        page.set_content(page_html.format(secret))
        path = tmp_path / f"{index}.png"
        screenshot(page, path)
        shots.append(path)
    _assert_pictured_alike(page, *shots)
    unmasked = page.screenshot()
    page.set_content(page_html.format("a"))
    assert page.screenshot() != unmasked


@pytest.fixture
def browser_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Playwright browser server (what a grid provides), launching our Chromium.

    Its browsers' profile directories go under a pytest temporary directory: the process
    group's SIGTERM ends Chromium before the server can remove them."""
    choice = resolve()
    if choice.kind == "remote":
        assert choice.ws_endpoint is not None
        yield choice.ws_endpoint
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", "0"]
        + ["--unsafe"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the node server it starts goes too
        env={**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("browser-server"))},
    )
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 30)
        assert ready, "the Playwright browser server did not start"
        line = server.stdout.readline()
        match = re.search(r"ws://\S+", line)
        assert match, line
        launch_options: dict[str, object] = {"args": list(choice.args)}
        if choice.executable_path:
            launch_options["executablePath"] = choice.executable_path
        yield f"{match.group(0)}?launch-options={quote(json.dumps(launch_options))}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # a node server that outlived its parent
            os.killpg(server.pid, signal.SIGKILL)
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.slow
def test_a_remote_browser_server_runs_the_scenarios(
    tmp_path: Path, browser_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["run", "--catalogue", CATALOGUE, "--only", "toy.pass.form", "--workers", "1"]
        + ["--report", str(tmp_path), "--browser-ws-endpoint", browser_server]
    )
    assert code == 0, capsys.readouterr().out
    assert _results(tmp_path)["toy.pass.form"]["status"] == "passed"


def test_an_unreachable_browser_server_is_an_error_not_a_local_fallback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        endpoint = f"ws://127.0.0.1:{sock.getsockname()[1]}/"
        code = main(
            ["run", "--catalogue", CATALOGUE, "--only", "toy.pass.heading", "--workers", "1"]
            + ["--report", str(tmp_path), "--browser-ws-endpoint", endpoint]
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "ERROR toy.pass.heading" in out
    assert "could not start" in out


def test_a_lost_browser_fails_the_remaining_scenarios_without_stopping_the_run(
    tmp_path: Path,
) -> None:
    registry = Registry()

    @registry.scenario(id="lost.closes", title="closes", proves="p")
    def closes(ctx: ScenarioContext[object]) -> None:
        ctx.browser.close()

    @registry.scenario(id="lost.after", title="after", proves="p")
    def after(ctx: ScenarioContext[object]) -> None:
        return None

    summary = run(RunOptions(report_dir=tmp_path, workers=1), registry=registry)
    after_result = summary.results[1]
    assert after_result.status == "error"
    assert "no browser context" in (after_result.message or "")
    assert summary.exit_code == 1


def test_scenarios_an_app_cannot_run_are_skipped_with_the_reason(tmp_path: Path) -> None:
    registry = Registry()
    apps_seen: list[str | None] = []

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker: WorkerInfo) -> Iterator[object]:
        apps_seen.append(worker.app)
        yield None

    @registry.skip_when
    def needs(item: Scenario, app: str | None) -> str | None:
        missing = sorted(item.needs - {"customer-sso"})
        return f"{app} lacks {', '.join(missing)}" if missing else None

    @registry.scenario(id="skip.runs", title="runs", proves="x", needs={"customer-sso"})
    def runs(ctx: ScenarioContext[object]) -> None:
        return None

    @registry.scenario(id="skip.skipped", title="skipped", proves="y", needs={"partner"})
    def skipped(ctx: ScenarioContext[object]) -> None:
        raise AssertionError("a skipped scenario ran")

    out = io.StringIO()
    summary = run(RunOptions(report_dir=tmp_path, app="tiny.toml", app_name="tiny app"),
                  registry=registry, out=out)
    assert [(r.id, r.status) for r in summary.results] == [("skip.runs", "passed"),
                                                          ("skip.skipped", "skipped")]
    assert summary.results[1].message == "tiny.toml lacks partner"
    assert apps_seen == ["tiny.toml"]
    assert summary.exit_code == 0 and summary.app == "tiny app"
    assert "SKIP  skip.skipped\n      tiny.toml lacks partner" in out.getvalue()
    everything_skipped = run(RunOptions(report_dir=tmp_path, only=("skip.skipped",)),
                             registry=registry, out=io.StringIO())
    assert everything_skipped.exit_code == 1, "a run where nothing ran is not a success"


def test_a_step_that_leaves_the_page_as_it_was_reuses_its_screenshot(tmp_path: Path) -> None:
    report = tmp_path / "report"
    summary = run(RunOptions(catalogue=CATALOGUE, only=("toy.shots.reuse",), report_dir=report),
                  out=io.StringIO())
    assert [r.status for r in summary.results] == ["passed"]
    blank, opened, again, typed = (step.screenshot for step in summary.results[0].steps)
    assert blank is None  # the page never navigated: nothing to show
    assert opened is not None and again == opened
    assert typed is not None and typed != opened  # typing changed it
    files = sorted(p.name for p in (report / "screenshots" / "toy.shots.reuse").iterdir())
    assert files == [Path(opened).name, Path(typed).name]


def test_a_step_that_shows_a_typed_password_is_pictured_masked(tmp_path: Path,
                                                              page: Page) -> None:
    report = tmp_path / "report"
    summary = run(RunOptions(catalogue=CATALOGUE, only=("toy.shots.masked",), report_dir=report),
                  out=io.StringIO())
    assert [r.status for r in summary.results] == ["passed"]
    short, long = (report / str(step.screenshot) for step in summary.results[0].steps)
    assert short != long
    _assert_pictured_alike(page, short, long)


def _assert_pictured_alike(page: Page, first: Path, second: Path) -> None:
    """Two pictures of a page with a password field show the field masked, and the same.

    Chromium's rasterizer now and then draws an antialiased pixel one level apart between two
    pictures of the same page (a button's corner beside the field, 3 times in 12 runs): the
    masked field must not differ at all, nor the rest beyond such a pixel or two."""
    found = page.evaluate(_COMPARE_PICTURES_JS, [_data_url(first), _data_url(second)])
    left, top, right, bottom = found["mask"]
    assert right - left > 100 and bottom - top > 10, "no masked password field in the picture"
    inside = [(x, y) for x, y in found["differ"] if left <= x <= right and top <= y <= bottom]
    assert inside == [] and len(found["differ"]) <= 4, found["differ"][:10]


_COMPARE_PICTURES_JS = """async (sources) => {
  const pixels = async (source) => {
    const image = new Image();
    image.src = source;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, image.width, image.height);
  };
  const [a, b] = [await pixels(sources[0]), await pixels(sources[1])];
  const differ = [];
  let mask = [Infinity, Infinity, -1, -1];
  for (let p = 0; p < a.data.length; p += 4) {
    const x = (p / 4) % a.width, y = Math.floor(p / 4 / a.width);
    if ([0, 1, 2].some((i) => a.data[p + i] !== b.data[p + i])) differ.push([x, y]);
    if (a.data[p] === 255 && a.data[p + 1] === 0 && a.data[p + 2] === 255) {
      mask = [Math.min(mask[0], x), Math.min(mask[1], y), Math.max(mask[2], x),
              Math.max(mask[3], y)];
    }
  }
  return { differ, mask };
}"""
"""Where two pictures of one size differ, and the box of the first's mask (Playwright's
default mask colour, #FF00FF)."""


def _data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_step_pictures_are_full_page_and_leave_the_document_as_it_was(
        tmp_path: Path, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 600})
    try:
        watch_page_versions(context)
        page = context.new_page()
        page.goto("data:text/html,<body style='margin:0'><div style='height:2400px'>tall"
                  "</div>")  # (not set_content: about:blank is never pictured)
        before = page_state(page)
        assert before is not None and not before.secret
        photographer = Photographer()
        assert photographer.take(page, tmp_path / "devtools.png", secret=False) is True
        assert _png_size((tmp_path / "devtools.png").read_bytes()) == (800, 2400)
        assert page_state(page) == before  # nothing was injected into the document
        # Where the protocol cannot be used, Playwright's masked screenshot is taken.
        assert photographer.take(page, tmp_path / "masked.png", secret=True) is False
        assert _png_size((tmp_path / "masked.png").read_bytes()) == (800, 2400)
        page.get_by_text("tall").evaluate("e => e.insertAdjacentHTML('afterend', "
                                          "'<input type=password value=s>')")
        after = page_state(page)
        assert after is not None and after.secret and after.version != before.version
    finally:
        context.close()


def test_screenshots_of_failures_only(tmp_path: Path) -> None:
    report = tmp_path / "report"
    options = RunOptions(catalogue=CATALOGUE, only=("toy.pass.form", "toy.fail.assertion"),
                         report_dir=report, screenshots="failure")
    results = {r.id: r for r in run(options, out=io.StringIO()).results}
    assert all(step.screenshot is None for step in results["toy.pass.form"].steps)
    assert results["toy.pass.form"].phases is not None
    assert results["toy.pass.form"].phases.screenshots == 0
    failed = results["toy.fail.assertion"].steps
    assert failed[0].screenshot is None and failed[-1].status == "failed"
    assert failed[-1].screenshot is not None and (report / failed[-1].screenshot).exists()
