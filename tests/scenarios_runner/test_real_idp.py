"""``run --idp``'s config file, its list of skipped scenarios and their place in the reports,
without a provider or a browser (the runs themselves: ``tests/integrator/``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.__main__ import build_parser, main
from scenarios.real_idp import IdpConfigError, load_idp_config
from scenarios.real_idp_scenarios import SKIP_REASON, run_with_idp
from scenarios.registry import Registry
from scenarios.results import RunSummary, ScenarioResult
from scenarios.runner import RunOptions

ENV = {"IDP_TEST_SECRET": "s3cret-value", "IDP_TEST_PASSWORD": "pa55word-value"}
CONFIG = """
[provider]
authority = "http://127.0.0.1:9/contoso"
client_id = "app-id"
client_secret_env = "IDP_TEST_SECRET"

[user]
username = "alice@contoso.example"
password_env = "IDP_TEST_PASSWORD"
display_name = "Alice Adams"

[driver]
kind = "entra"
stay-signed-in = "no"

[rp]
port = 8765
"""


@pytest.fixture
def idp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "idp.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _run(idp_file: Path, *options: str) -> int:
    args = build_parser().parse_args(["run", "--idp", str(idp_file),
                                      "--report", str(idp_file.parent / "report"), *options])
    return run_with_idp(args)


def test_the_skipped_scenarios_need_the_mock_provider_not_an_app_capability(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(idp_file, "--list") == 0
    skips = dict(line.split("\tSKIP: ") for line in capsys.readouterr().out.splitlines()
                 if "\tSKIP: " in line)
    assert "failure.app-disabled" in skips and "auto-login.first-login" not in skips
    cancel = skips.pop("failure.user-cancels")  # the entra driver cannot cancel
    assert "cannot cancel" in cancel, cancel
    assert set(skips.values()) == {SKIP_REASON}

    # a run names the reason once, above the bare ids (nothing runs: exit 5 before a browser)
    assert _run(idp_file, "--only", "failure.app-disabled,failure.idp-down") == 5
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"skipped against a real provider ({SKIP_REASON}):",
        "SKIP  failure.app-disabled",
        "SKIP  failure.idp-down",
    ]
    assert "every selected scenario needs the mock provider" in captured.err


def test_a_misspelt_scenario_id_is_an_error_next_to_a_skipped_one(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(idp_file, "--only", "failure.idp-dwn,failure.app-disabled") == 2
    assert "no scenario matches 'failure.idp-dwn'" in capsys.readouterr().err


@pytest.mark.parametrize(("edit", "message"), [
    (("port = 8765", "prot = 8765"), "rp.prot: unknown key (did you mean 'port'?)"),
    (("display_name", "displayname"), "user.displayname: unknown key (did you mean "
     "'display_name'?)"),
    (("password_env", "pasword_env"), "user.pasword_env: unknown key (did you mean "
     "'password_env'?)"),
    (("[rp]", "[rpp]"), "rpp: unknown key (did you mean 'rp'?)"),
    (("stay-signed-in", "stay-signed-inn"), "driver.stay-signed-inn: unknown key (did you mean "
     "'stay_signed_in'?)"),
    (("client_id =", "clientid ="), "provider.clientid: unknown key (did you mean 'client_id'?)"),
])
def test_an_unknown_section_or_key_is_named_with_the_nearest_known_one(
        idp_file: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str],
        message: str) -> None:
    idp_file.write_text(CONFIG.replace(*edit), encoding="utf-8")
    with pytest.raises(IdpConfigError, match="unknown key") as caught:
        load_idp_config(idp_file, ENV)
    assert message in str(caught.value)
    # the same usage error as the config's other problems, with --list too
    assert main(["run", "--idp", str(idp_file), "--list"]) == 2
    err = capsys.readouterr().err
    assert f"scenarios: --idp {idp_file}: line " in err and message in err, err


def test_every_unknown_key_is_named_and_a_secret_in_the_file_is_still_refused(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idp_file.write_text(CONFIG.replace("port = 8765", "prot = 8765\nlisten = 1")
                        + "\n[rpp]\nport = 1\n", encoding="utf-8")
    assert main(["run", "--idp", str(idp_file)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"scenarios: --idp {idp_file}: line ")
                                   for line in lines), lines
    assert "rp.listen: unknown key (known here: host, port, support_contact)" in lines[1]
    idp_file.write_text(CONFIG.replace('password_env = "IDP_TEST_PASSWORD"', 'password = "x"'),
                        encoding="utf-8")
    with pytest.raises(IdpConfigError, match="keep secrets out of the file"):
        load_idp_config(idp_file, ENV)


def test_the_reports_list_the_scenarios_that_need_the_mock_provider(
        idp_file: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As a run with --app reports what a profile cannot run (the runner stubbed: the run
    itself is tests/integrator/test_run_idp_entra.py's)."""
    import scenarios.runner

    def one_pass(options: RunOptions, *, registry: Registry) -> RunSummary:
        assert options.only == ("auto-login.first-login",)
        item = registry.get(options.only[0])
        return RunSummary(results=(ScenarioResult(
            id=item.id, title=item.title, proves=item.proves, group=item.group,
            status="passed", seconds=1.0),), seconds=1.0, workers=1,
            report_dir=options.report_dir)

    monkeypatch.setattr(scenarios.runner, "run", one_pass)
    junit = idp_file.parent / "junit.xml"
    report = idp_file.parent / "report"
    assert _run(idp_file, "--only", "auto-login.first-login,failure.idp-down",
                "--junit", str(junit)) == 0
    out = capsys.readouterr().out
    assert "1 skipped (need the mock provider)" in out, out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "1" and suite.get("tests") == "2"
    skipped = suite.find("testcase[@name='failure.idp-down']/skipped")
    assert skipped is not None and skipped.get("message") == SKIP_REASON
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        ("auto-login.first-login", "passed"), ("failure.idp-down", "skipped")]
    assert results[1]["message"] == SKIP_REASON
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "1 passed, 0 failed, 1 skipped" in html and "failure.idp-down" in html

    # with nothing skipped, no "0 skipped" line
    assert _run(idp_file, "--only", "auto-login.first-login") == 0
    assert "skipped" not in capsys.readouterr().out
