"""Where a run's outputs go: a report directory keeps the files the harness did not write, and
loses the last run's; unusable ``--report`` and ``--junit`` paths are refused before anything
runs; an empty shard passes with empty reports; a run where everything was skipped says why
it fails."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo
from scenarios.__main__ import EXIT_USAGE, main
from scenarios.app.process import with_output
from scenarios.refusals import held_note, with_refusal, with_sign_in_cause
from scenarios.report import write_html
from scenarios.results import RunSummary, ScenarioResult
from scenarios.runner import MANIFEST, RunOptions, run
from scenarios.worker_pool import Progress

TOY = "scenarios_runner.toy_catalogue:registry"
SKIPPING = "scenarios_runner.test_run_outputs:skipping"

skipping = Registry()
"""A catalogue whose one scenario is always skipped: a run of it starts no browser."""


@skipping.environment_factory
@contextlib.contextmanager
def _environment(worker: WorkerInfo) -> Iterator[None]:
    yield None


@skipping.skip_when
def _never(item: Scenario, app: str | None) -> str | None:
    return "this app cannot run it"


@skipping.scenario(id="skip.me", title="skipped", proves="nothing")
def _skipped(ctx: ScenarioContext[None]) -> None:
    raise AssertionError("a skipped scenario ran")


mostly_skipping = Registry()
"""Six scenarios of which the app runs two, ``few.1`` and ``few.3``: dealt by id alone, both
would fall in shard 1 of 2 and shard 2 would hold only skipped ones."""
FEW_RUN = ("few.1", "few.3")
mostly_skipping.environment_factory(_environment)


@mostly_skipping.skip_when
def _all_but_two(item: Scenario, app: str | None) -> str | None:
    return None if item.id in FEW_RUN else "this app cannot run it"


def _never_run(ctx: ScenarioContext[None]) -> None:
    raise AssertionError("a test meant to start no browser ran a scenario")


for _n in range(1, 7):
    mostly_skipping.scenario(id=f"few.{_n}", title=f"scenario {_n}", proves="nothing")(
        _never_run)


FOREIGN = ("logs/app.log", "logs/worker.txt", "screenshots/notes.txt", "traces/keep.zip",
           "rerun/readme.md", "screenshots/by-hand/shot.png")


def _write(root: Path, names: tuple[str, ...] | list[str]) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n", encoding="utf-8")


def test_a_run_deletes_the_last_runs_files_and_nothing_else(tmp_path: Path) -> None:
    """The CI job's app writes reports/logs/app.log, then the harness runs with --report
    reports: the app's log survives; what the last run wrote (its manifest) goes."""
    report = tmp_path / "reports"
    _write(report, FOREIGN)
    last_run = ["screenshots/gone.one/01-open.png", "rerun/traces/gone.one.zip",
                "logs/worker-3.log", "logs/app-gone.one.log"]
    _write(report, last_run)
    _write(report, ["screenshots/skip.me/01-stale.png"])  # where this run writes
    (tmp_path / "outside.txt").write_text("mine", encoding="utf-8")
    (report / MANIFEST).write_text(json.dumps({"files": [
        *last_run, "../outside.txt", "results.json", "/etc/hostname", "logs"]}),
        encoding="utf-8")
    (report / "results.json").write_text("{}", encoding="utf-8")

    summary = run(RunOptions(report_dir=report, catalogue=SKIPPING), registry=skipping,
                  out=io.StringIO())

    assert [r.status for r in summary.results] == ["skipped"]
    assert all((report / name).read_text(encoding="utf-8") == f"{name}\n" for name in FOREIGN)
    assert not any((report / name).exists() for name in last_run)
    assert not (report / "screenshots" / "gone.one").exists()  # emptied, so removed
    assert not (report / "screenshots" / "skip.me").exists()
    assert (tmp_path / "outside.txt").exists() and (report / "results.json").exists()
    assert json.loads((report / MANIFEST).read_text(encoding="utf-8")) == {"files": []}


def test_a_run_deletes_nothing_through_a_symlink(tmp_path: Path) -> None:
    """A symlink where this run's screenshots go, and a manifest naming a file under a
    symlinked logs/ (a CI cache restored): the files they point at stay."""
    victim, victim2, report = tmp_path / "victim", tmp_path / "victim2", tmp_path / "reports"
    _write(victim, ["a.txt", "sub/b.txt"])
    _write(victim2, ["notes.md", "worker-0.log"])
    (report / "screenshots").mkdir(parents=True)
    (report / "screenshots" / "skip.me").symlink_to(victim)
    (report / "logs").symlink_to(victim2)
    (report / "traces").mkdir()
    (report / "traces" / "skip.me.zip").symlink_to(victim / "a.txt")
    (report / MANIFEST).write_text(json.dumps({"files": [
        "logs/notes.md", "screenshots/skip.me/a.txt", "screenshots/skip.me/sub/b.txt"]}),
        encoding="utf-8")

    run(RunOptions(report_dir=report, catalogue=SKIPPING), registry=skipping,
        out=io.StringIO())

    assert sorted(p.relative_to(victim).as_posix() for p in victim.rglob("*")) == [
        "a.txt", "sub", "sub/b.txt"]
    assert sorted(p.name for p in victim2.iterdir()) == ["notes.md", "worker-0.log"]
    assert not (report / "traces" / "skip.me.zip").is_symlink()  # the link itself goes


def test_a_manifest_naming_a_nul_is_ignored(tmp_path: Path) -> None:
    report = tmp_path / "reports"
    _write(report, ["logs/app-gone.log"])
    (report / MANIFEST).write_text(json.dumps({"files": ["logs/a\u0000b", "logs/app-gone.log"]}),
                                   encoding="utf-8")
    summary = run(RunOptions(report_dir=report, catalogue=SKIPPING), registry=skipping,
                  out=io.StringIO())
    assert [r.status for r in summary.results] == ["skipped"]
    assert not (report / "logs" / "app-gone.log").exists()


@pytest.mark.browser
def test_a_runs_pictures_are_gone_after_the_next_run_and_foreign_files_stay(
        tmp_path: Path) -> None:
    report = tmp_path / "reports"
    _write(report, FOREIGN)
    first = run(RunOptions(report_dir=report, catalogue=TOY, only=("toy.pass.heading",),
                           workers=1, trace="off"), out=io.StringIO())
    [shot] = [s.screenshot for s in first.results[0].steps]
    assert shot is not None and (report / shot).is_file()
    assert shot in json.loads((report / MANIFEST).read_text(encoding="utf-8"))["files"]

    run(RunOptions(report_dir=report, catalogue=SKIPPING), registry=skipping,
        out=io.StringIO())
    assert not (report / shot).exists()
    assert not (report / "screenshots" / "toy.pass.heading").exists()
    assert all((report / name).is_file() for name in FOREIGN)


def test_the_report_links_the_logs_of_this_runs_workers_only(tmp_path: Path) -> None:
    _write(tmp_path, ["logs/worker-0.log", "logs/worker-1.log", "logs/worker-5.log"])
    summary = RunSummary(results=(), seconds=0.0, workers=2, report_dir=tmp_path)
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert 'href="logs/worker-0.log"' in html and 'href="logs/worker-1.log"' in html
    assert "worker-5.log" not in html


# -- unusable output paths: one line, exit 2, before anything runs ----------------------------


def _unusable(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    a_dir = tmp_path / "a-dir"
    a_dir.mkdir()
    return {
        "report is a file": (["--report", str(a_file)], f"--report {a_file}: not a directory"),
        "report under a file": (["--report", str(a_file / "r")],
                                f"--report {a_file / 'r'}: {a_file} is not a directory"),
        "report cannot be made": (["--report", "/proc/sso-harness-report"],
                                  "--report /proc/sso-harness-report: cannot write there"),
        "junit is a directory": (["--junit", str(a_dir)], f"--junit {a_dir}: is a directory"),
        "junit cannot be made": (["--junit", "/proc/sso-harness/j.xml"],
                                 "--junit /proc/sso-harness/j.xml: cannot write there"),
    }


CASES = ["report is a file", "report under a file", "report cannot be made",
         "junit is a directory", "junit cannot be made"]


@pytest.mark.parametrize("case", CASES)
def test_run_refuses_unusable_outputs_before_it_starts(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options, message = _unusable(tmp_path)[case]
    report = ["--report", str(tmp_path / "report")] if options[0] != "--report" else []
    code = main(["run", "--catalogue", TOY, "--only", "toy.pass.heading", *report, *options])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE, captured.out + captured.err
    assert captured.err.startswith(f"scenarios: {message}"), captured.err
    assert len(captured.err.splitlines()) == 1 and captured.out == ""


@pytest.mark.parametrize("case", CASES)
def test_conformance_refuses_unusable_outputs_before_it_starts(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options, message = _unusable(tmp_path)[case]
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", "http://127.0.0.1:9",
                 *options])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert err.startswith(f"scenarios conformance: {message}") and len(err.splitlines()) == 1


@pytest.mark.parametrize("where", ["report", "junit"])
def test_a_refusal_leaves_no_directory_behind(
        where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One usable path, one not: the usable one's directories are not left behind."""
    fresh = tmp_path / "new" / "deep"
    options = (["--report", str(fresh / "report"), "--junit", "/proc/sso-harness/j.xml"]
               if where == "report" else
               ["--report", "/proc/sso-harness-report", "--junit", str(fresh / "j.xml")])
    code = main(["run", "--catalogue", TOY, "--only", "toy.pass.heading", *options])
    assert code == EXIT_USAGE, capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_report_directory_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code = main(["run", "--catalogue", TOY, "--only", "toy.pass.heading", "--report",
                     str(locked)])
    finally:
        locked.chmod(0o700)
    assert code == EXIT_USAGE
    assert f"--report {locked}: cannot write there" in capsys.readouterr().err


# -- empty shards and runs where nothing ran --------------------------------------------------


def test_an_empty_shard_passes_with_empty_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report, junit = tmp_path / "r0", tmp_path / "j.xml"
    code = main(["run", "--catalogue", TOY, "--only", "toy.pass.heading", "--shard", "2/3",
                 "--junit", str(junit), "--report", str(report)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "shard 2/3 has no scenarios" in captured.err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "0"
    assert suite.get("name") == "sso-harness scenarios shard 2/3"
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert (data["results"], data["shard"]) == ([], "2/3")
    assert (report / "index.html").is_file()


def test_without_a_shard_an_empty_selection_is_still_an_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--catalogue", "scenarios_runner.toy_catalogue:empty"]) == 5
    assert "no scenarios" in capsys.readouterr().err


def test_a_run_where_everything_was_skipped_says_why_it_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--catalogue", SKIPPING, "--report", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "0 passed, 0 failed, 1 skipped" in captured.out
    assert ("scenarios: nothing ran: every selected scenario was skipped"
            in captured.err), captured.err


MOSTLY_SKIPPING = "scenarios_runner.test_run_outputs:mostly_skipping"


def _listed_to_run(out: str) -> list[str]:
    """The ids ``run --list`` shows without a ``SKIP:`` line."""
    ids: list[str] = []
    skipped: set[str] = set()
    for line in out.splitlines():
        if line and not line.startswith("\t"):
            ids.append(line.split("\t")[0])
        elif line.startswith("\tSKIP:"):
            skipped.add(ids[-1])
    return [i for i in ids if i not in skipped]


def test_the_scenarios_that_run_are_dealt_to_the_shards_first(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A profile that skips most of the catalogue still gives every shard work, while there is
    as much work as shards; ``--list`` shows the split the run makes."""
    for count in (1, 2):
        runs: list[list[str]] = []
        for index in range(1, count + 1):
            assert main(["run", "--catalogue", MOSTLY_SKIPPING, "--list",
                         "--shard", f"{index}/{count}"]) == 0
            runs.append(_listed_to_run(capsys.readouterr().out))
        assert sorted(sum(runs, [])) == sorted(FEW_RUN)
        assert all(len(mine) == len(FEW_RUN) // count for mine in runs), runs


def test_a_shard_whose_scenarios_are_all_skipped_passes_when_others_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three shards, two scenarios that run: the third shard holds only skipped scenarios.
    The two that run are the others' to judge, so its job passes; its reports list its
    scenarios as skipped. With nothing to run in any shard, every such shard fails."""
    junit = tmp_path / "j.xml"
    code = main(["run", "--catalogue", MOSTLY_SKIPPING, "--shard", "3/3",
                 "--junit", str(junit), "--report", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "0 passed, 0 failed, 2 skipped" in captured.out
    assert "shard 3/3 has nothing to run: its scenarios are skipped" in captured.err
    assert "nothing ran" not in captured.err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("skipped")) == ("2", "2")

    code = main(["run", "--catalogue", SKIPPING, "--shard", "1/2",
                 "--report", str(tmp_path / "r2")])
    captured = capsys.readouterr()
    assert code == 1
    assert "scenarios: nothing ran: every selected scenario was skipped" in captured.err


# -- run --idp: one worker, a fixed RP port that is taken -------------------------------------


def test_run_idp_refuses_a_taken_rp_port_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarios_runner.test_real_idp import CONFIG, ENV, RP_PORT

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = tmp_path / "idp.toml"
        config.write_text(CONFIG.replace(f"port = {RP_PORT}", f"port = {port}"), encoding="utf-8")
        code = main(["run", "--idp", str(config), "--report", str(tmp_path / "report"),
                     "--only", "auto-login.first-login"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert f"[rp] port {port} on 127.0.0.1 is not free" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(("workers", "noted"), [([], False), (["--workers", "1"], False),
                                                (["--workers", "3"], True)])
def test_run_idp_says_it_runs_one_worker_when_more_are_asked_for(
        workers: list[str], noted: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import scenarios.real_idp
    import scenarios.runner
    from scenarios_runner.test_real_idp import CONFIG, ENV, RP_PORT

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "idp.toml"
    config.write_text(CONFIG.replace(f"port = {RP_PORT}", "port = 0"), encoding="utf-8")
    ran: list[int] = []

    def nothing(options: RunOptions, *, registry: Registry) -> RunSummary:
        ran.append(options.workers)
        return RunSummary(results=(), seconds=0.0, workers=1, report_dir=options.report_dir)

    monkeypatch.setattr(scenarios.runner, "run", nothing)
    # no provider here: the check that starts the RP before the run is stubbed too
    monkeypatch.setattr(scenarios.real_idp, "real_idp_stack",
                        lambda *args, **kwargs: contextlib.nullcontext())
    main(["run", "--idp", str(config), "--report", str(tmp_path / "report"), "--only",
          "auto-login.first-login", *workers])
    out = capsys.readouterr().out
    assert ran == [1]
    assert ("note: --workers 3 is not used against a real provider" in out) == noted, out


def test_a_long_message_line_is_cut_at_a_word_as_a_scenario_finishes() -> None:
    reason = ("the profile lacks v1-endpoints ([app] env or command, or a [[configure]] call, "
              "naming {issuer}, {discovery_url}, {authorize_url} or {token_url} (an app handed "
              "only {authority} uses the v2.0 endpoints whatever the scenario gives it))")
    out = io.StringIO()
    Progress(out, show_worker=False).finished(ScenarioResult(
        id="failure.v1-unsigned-over-http", title="t", proves="p", group="failure",
        status="skipped", seconds=0.0, message=reason))
    shown = out.getvalue().splitlines()[1].strip()
    assert shown.endswith("…") and len(shown) <= 200, shown
    assert reason.startswith(shown[:-1]) and reason[len(shown) - 1] == " ", shown


def shown_as_it_finishes(message: str) -> list[str]:
    """The console's lines under a failed scenario's own, stripped."""
    out = io.StringIO()
    Progress(out, show_worker=False).finished(ScenarioResult(
        id="auto-login.first-login", title="t", proves="p", group="auto-login",
        status="failed", seconds=1.0, message=message))
    return [line.strip() for line in out.getvalue().splitlines()[1:]]


def test_the_providers_refusal_gets_a_line_of_its_own_as_a_scenario_finishes() -> None:
    first = "the app showed 'Internal Server Error' at /callback " + "with its page " * 14
    message = with_refusal(f"{first.strip()}\n--- the app's output ---\nTraceback", [{
        "path": "/tenant/oauth2/v2.0/token", "method": "POST", "status": 400,
        "response": {"json": {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: x"}}}])
    assert len(message.splitlines()[0]) > 200  # cut on the console, the note would be lost
    shown = shown_as_it_finishes(message)
    assert shown[0].startswith("the app showed 'Internal Server Error'"), shown
    assert shown[1] == ("the provider had refused the app's token request: "
                        "'AADSTS7000215: Invalid client secret provided.'"), shown
    assert shown[2] == "--- the app's output ---", shown


def test_the_providers_hold_gets_a_line_of_its_own_as_a_scenario_finishes() -> None:
    """failure.idp-slow's note that the provider still held the token request the app gave up
    on is the cause its 500 page hides, as a refusal is: shown whole, not cut off the line."""
    first = "the failure page did not appear: the app showed /callback with HTTP 500 " + "x " * 70
    message = f"{first.strip()}{held_note('token request', 5.87)}"
    shown = shown_as_it_finishes(message)
    assert shown[0].startswith("the failure page did not appear: the app showed"), shown
    assert shown[1] == ("the provider was still holding the app's token request (this "
                        "scenario's hang) when the app gave up on it after 5.9 s: what the "
                        "browser shows is the app's answer to its own timeout"), shown


def test_an_apps_start_failure_shows_the_last_lines_it_printed_as_a_scenario_finishes() -> None:
    message = with_output("the app did not start: its process exited with code 1",
                          "Serving on port 8123\nloading settings\nTraceback (most recent call "
                          "last):\n  File app.py, line 9\nOSError: [Errno 98] Address already "
                          "in use")
    out = io.StringIO()
    Progress(out, show_worker=False).finished(ScenarioResult(
        id="auto-login.first-login", title="t", proves="p", group="auto-login",
        status="error", seconds=1.0, message=f"{message}\n--- what the scenario saw then ---\nx"))
    shown = [line.strip() for line in out.getvalue().splitlines()[1:]]
    assert shown == ["the app did not start: its process exited with code 1",
                     "--- the app's output (last lines) ---", "Traceback (most recent call last):",
                     "File app.py, line 9", "OSError: [Errno 98] Address already in use"], shown


def test_the_unsigned_v1_id_token_gets_a_line_of_its_own_as_a_scenario_finishes() -> None:
    first = "alice is not signed in: the page at /login-error shows " + "its text " * 20
    message = with_sign_in_cause(f"{first.strip()}\nthe sign-in did not end at /account", [{
        "path": "/tenant/oauth2/token", "method": "POST", "status": 200,
        "response": {"json": {"id_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30."}}}])
    shown = shown_as_it_finishes(message)
    assert shown[0].startswith("alice is not signed in"), shown
    assert shown[1].startswith("the app's ID token came unsigned from Entra's v1 token "
                               "endpoint"), shown
    assert shown[2] == "the sign-in did not end at /account", shown
