from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.__main__ import (
    EXIT_BROKEN_PIPE,
    EXIT_NO_SCENARIOS,
    EXIT_USAGE,
    build_parser,
    main,
)

CATALOGUE = "scenarios_runner.toy_catalogue:registry"


def test_an_unknown_scenario_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--catalogue", CATALOGUE, "--only", "toy.nope", "--report", str(tmp_path)])
    assert code == EXIT_USAGE
    assert "toy.nope" in capsys.readouterr().err


@pytest.mark.parametrize("empty", ["", ",", " , "])
@pytest.mark.parametrize("listing", [[], ["--list"]])
def test_an_empty_only_is_a_usage_error_not_the_whole_catalogue(
        empty: str, listing: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--only "$UNSET"`` in CI: refused, as a pattern that matches nothing is."""
    with pytest.raises(SystemExit) as exited:
        main(["run", "--catalogue", CATALOGUE, "--only", "toy.pass.*", "--only", empty,
              "--report", str(tmp_path), *listing])
    captured = capsys.readouterr()
    assert exited.value.code == EXIT_USAGE and captured.out == ""
    assert captured.err.splitlines()[-1].endswith(
        f"error: argument --only: needs ids or glob patterns, got {empty!r}"), captured.err


def test_an_empty_catalogue_is_not_a_success(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--catalogue", "scenarios_runner.toy_catalogue:empty"]) == (
        EXIT_NO_SCENARIOS
    )
    assert "no scenarios" in capsys.readouterr().err


@pytest.mark.parametrize(("spec", "said"), [
    ("nonexist", "no module named 'nonexist'"),
    ("scenarios.catalogue:NOPE", "module scenarios.catalogue has no 'NOPE'"),
    ("os:path", "os:path is not a scenarios.registry.Registry"),
])
def test_a_catalogue_that_is_not_there_is_one_line_not_a_traceback(
        spec: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--catalogue", spec, "--list"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err == f"scenarios: --catalogue {spec}: {said}\n" and captured.out == ""


def test_list_shows_ids_titles_and_claims(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--catalogue", CATALOGUE, "--only", "toy.pass.*", "--list"]) == 0
    out = capsys.readouterr().out
    assert "toy.pass.heading\tHeading shows" in out
    assert "proves: forms post back" in out
    assert "toy.fail.assertion" not in out


def test_run_options_parse() -> None:
    args = build_parser().parse_args(
        [
            "run",
            "--only",
            "a.*",
            "--only",
            "b.one,c.two",
            "--headed",
            "--workers",
            "3",
            "--junit",
            "j.xml",
            "--report",
            "out",
            "--trace",
            "on",
            "--browser-ws-endpoint",
            "ws://grid/",
        ]
    )
    assert args.only == ["a.*", "b.one,c.two"]
    assert (args.headed, args.workers, args.trace) == (True, 3, "on")
    assert (args.junit, args.report, args.browser_ws_endpoint) == (
        Path("j.xml"),
        Path("out"),
        "ws://grid/",
    )


@pytest.mark.parametrize(("argv", "command", "option"), [
    (["run", "--skip", "x"], "run", "--skip"),
    (["doctor", "--app", "x"], "doctor", "--app"),
    (["conformance", "--list", "--nope"], "conformance", "--nope"),
    (["run", "--scenario", "auto-login.first-login"], "run", "--scenario"),
    (["conformance", "--li"], "conformance", "--li"),
    (["app", "check", "x", "--bogus"], "app check", "--bogus"),
    (["app", "init", "--bogus"], "app init", "--bogus"),
])
def test_an_option_a_subcommand_does_not_have_is_its_usage_error(
        argv: list[str], command: str, option: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With the subcommand's usage, which lists the options it has, not the top level's. The
    start of an option's name is not that option: ``run --scenario X`` is not taken for
    ``--scenario-timeout`` (and refused as "expected a number of seconds")."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == EXIT_USAGE
    assert err.startswith(f"usage: python -m scenarios {command} "), err
    assert err.splitlines()[-1] == (f"python -m scenarios {command}: error: unrecognized "
                                    f"arguments: {' '.join(argv[argv.index(option):])}"), err


@pytest.mark.parametrize("bad", ["0", "-1", "many"])
def test_bad_worker_counts_are_refused(bad: str) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--workers", bad])


@pytest.mark.parametrize("command", [["run"], ["run", "--idp", "idp.toml"],
                                     ["conformance", "--rp", "http://rp.test"]])
@pytest.mark.parametrize(("option", "said"), [("--report", "needs a directory"),
                                              ("--junit", "needs a file path")])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_report_or_junit_path_is_refused_not_the_current_directory(
        command: list[str], option: str, said: str, value: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--report "$UNSET"`` wrote the report into (and later cleared) the current directory;
    ``--junit ''`` was refused as ``--junit .``, a path nobody typed."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*command, option, value])
    assert exited.value.code == EXIT_USAGE
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"error: argument {option}: {said}, got {value!r}")


@pytest.mark.parametrize(("argv", "said"), [
    (["run", "--app"], "--app: needs an app profile's path or a shipped profile's name"),
    (["conformance", "--app"], "--app: needs an app profile's path or a shipped profile's name"),
    (["run", "--idp"], "--idp: needs a file path"),
])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_profile_or_idp_config_is_refused_not_the_current_directory(
        argv: list[str], said: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--app "$UNSET"`` was read as the current directory ("cannot read the profile: Is a
    directory"), ``--idp ''`` as ``--idp .``; ``conformance --app '' --list`` went on."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*argv, value, "--list"])
    assert exited.value.code == EXIT_USAGE
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"error: argument {said}, got {value!r}")


@pytest.mark.parametrize("option", ["--start", "--check", "--backchannel", "--tenant",
                                    "--client-id", "--user", "--password", "--redirect-uri",
                                    "--spa-redirect-uri"])
def test_an_empty_conformance_value_is_refused_not_its_default(
        option: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--backchannel "$UNSET"`` left the logout-token rows untested, ``--client-id ''``
    signed in the reference app, ``--check ''`` asked /api/me: each quietly, after the mock
    and the browser had started."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["conformance", "--rp", "http://rp.test", option, ""])
    assert exited.value.code == EXIT_USAGE
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"error: argument {option}: needs a value, got ''")


@pytest.mark.parametrize("listing", [[], ["--list"]])
def test_conformance_refuses_flags_beside_app_when_listing_too(
        listing: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``--list`` is the dry run of the command line a CI job runs: it refuses what the run
    refuses (as ``run --idp X --app Y --list`` does), rather than listing and exiting 0."""
    argv = ["conformance", "--app", "reference-rp", "--rp", "http://rp.test", *listing]
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "it does not take --rp" in captured.err


def test_default_workers_is_a_positive_number() -> None:
    assert build_parser().parse_args(["run"]).workers >= 1


@pytest.mark.parametrize("bad", ["0", "-1", "601", "nan", "inf", "soon"])
def test_timeouts_that_are_not_a_positive_bounded_number_are_refused(
        bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", "--timeout", bad])
    assert exited.value.code == EXIT_USAGE
    assert "argument --timeout" in capsys.readouterr().err


def test_timeouts_within_bounds_are_taken() -> None:
    assert build_parser().parse_args(["run", "--timeout", "0.5"]).timeout == 0.5
    assert build_parser().parse_args(["run", "--timeout", "600"]).timeout == 600
    assert build_parser().parse_args(["run"]).timeout == 10


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    """``python -m scenarios run --list | head``: no traceback, the shell's SIGPIPE status."""
    tests = Path(__file__).parents[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "scenarios", "run", "--catalogue", CATALOGUE, "--list"],
        cwd=tests.parent, env={**os.environ, "PYTHONPATH": str(tests)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the child has written anything
    with child.stderr:
        err = child.stderr.read().decode()
    assert child.wait(timeout=60) == EXIT_BROKEN_PIPE, err
    assert err == ""


@pytest.mark.parametrize("argv", [["app", "check", "mine.toml"],
                                  ["app", "check", "--app", "mine.toml"]])
def test_app_check_takes_the_profile_as_run_does_too(
        argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``app check --app PROFILE``, as ``run --app`` takes it, checks that profile: it was
    refused as an unrecognized argument, though the other commands name the profile so."""
    checked: list[Path] = []
    monkeypatch.setattr("scenarios.app.check.check_profile",
                        lambda path, out: checked.append(path) or 0)
    assert main(argv) == 0
    assert [path.name for path in checked] == ["mine.toml"]


@pytest.mark.parametrize(("argv", "said"), [
    (["app", "check"], "the following arguments are required: PROFILE (or --app PROFILE)"),
    (["app", "check", "a.toml", "--app", "b.toml"], "give the profile once"),
])
def test_app_check_needs_the_profile_once(argv: list[str], said: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == EXIT_USAGE
    assert said in capsys.readouterr().err.splitlines()[-1]
