"""``python -m scenarios conformance`` set-up paths that end before a browser starts."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from mock_idp import MockIdp
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import RunningServer, run_in_thread
from scenarios.__main__ import build_parser, main
from scenarios.conformance import cli
from scenarios.conformance.control import MockControl
from scenarios.conformance.rows import RESULTS_SCHEMA, ROWS, Row, RowResult, Verdict
from scenarios.shard import parse_shard


@pytest.fixture(scope="module")
def open_rp() -> Iterator[RunningServer]:
    """An "RP" whose check URL says signed in to everyone."""

    async def me(request: object) -> JSONResponse:
        return JSONResponse({"user": "anyone"})

    with run_in_thread(Starlette(routes=[Route("/api/me", me)])) as server:
        yield server


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdp]:
    with MockIdp() as mock:
        yield mock


def test_defaults_of_the_command() -> None:
    args = build_parser().parse_args(["conformance", "--rp", "http://rp.test"])
    assert (args.start, args.check, args.backchannel, args.idp, args.user, args.app) == (
        None, None, None, None, "alice", None)  # /login and /api/me unless a profile says
    # the mock's tenant and reference app unless given (--app refuses them when given)
    assert (args.tenant, args.client_id) == (None, None)
    assert not args.json and not args.headed


@pytest.mark.parametrize(("option", "bad"), [
    ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "601"), ("--timeout", "nan"),
    ("--idp-port", "-1"), ("--idp-port", "65536"), ("--idp-port", "any"),
    ("--max-failures", "0"), ("--max-failures", "1.5"),
])
def test_numbers_out_of_range_are_usage_errors(option: str, bad: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["conformance", "--rp", "http://rp.test", option, bad])
    assert exited.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.parametrize("empty", ["", ",", " , "])
@pytest.mark.parametrize("listing", [[], ["--list"]])
def test_an_empty_only_is_a_usage_error_not_every_row(
        empty: str, listing: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``--only "$UNSET"`` in CI: refused, as a row id that names no row is."""
    with pytest.raises(SystemExit) as exited:
        main(["conformance", "--rp", "http://rp.test", "--only", empty, *listing])
    captured = capsys.readouterr()
    assert exited.value.code == 2 and captured.out == ""
    assert captured.err.splitlines()[-1].endswith(
        f"error: argument --only: needs ids or glob patterns, got {empty!r}"), captured.err


@pytest.mark.parametrize("option", ["--rp", "--idp"])
@pytest.mark.parametrize("bad", ["127.0.0.1:8000", "localhost:8000", "/login",
                                 "ftp://rp.test", "http://rp.test:port", ""])
def test_a_server_url_that_is_not_absolute_http_is_refused_before_anything_starts(
        option: str, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Refused as the options are parsed, not once the mock has started and printed its
    settings."""
    argv = {"--rp": ["--rp", bad], "--idp": ["--rp", "http://rp.test", "--idp", bad]}[option]
    with pytest.raises(SystemExit) as exited:
        main(["conformance", *argv])
    captured = capsys.readouterr()
    assert exited.value.code == 2 and captured.out == ""
    assert captured.err.splitlines()[-1].endswith(
        f"error: argument {option}: needs an absolute http(s) URL (http://host:port), got "
        f"{bad!r}"), captured.err
    assert "redirect URI" not in captured.err


def test_list_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--list"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == [row.id for row in ROWS]


@pytest.mark.parametrize("shard", [[], ["--shard", "2/3"]])
def test_list_with_json_prints_the_rows_as_json(
        shard: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """For CI: the rows in the results' shape (``schema``, ``shard``, each row's ``id``,
    ``kind``, ``fault``, ``expect``), not the text listing."""
    assert main(["conformance", "--list", "--json", *shard]) == 0
    listed = json.loads(capsys.readouterr().out)
    rows = parse_shard(shard[1]).select(ROWS, key=lambda row: row.id) if shard else ROWS
    assert listed["schema"] == RESULTS_SCHEMA
    assert listed["shard"] == (shard[1] if shard else None)
    assert [r["id"] for r in listed["rows"]] == [row.id for row in rows]
    assert listed["rows"][0] == {"id": rows[0].id, "kind": rows[0].kind, "fault": rows[0].fault,
                                 "expect": rows[0].expect, "what": rows[0].what}


@pytest.mark.parametrize(("argv", "message"), [
    (["--rp", "http://rp.test", "--only", "rp-nope"], "no conformance row matches rp-nope"),
    (["--rp", "http://rp.test", "--only", "rp-nonce"],
     "no conformance row matches rp-nonce (did you mean 'rp-nonce-invalid'?)"),
    (["--only", "rp-nonce-invalid"], "--rp URL is required"),
    (["--rp", "http://rp.test", "--only", "rp-backchannel-*"], "need --backchannel"),
])
def test_usage_errors_exit_2(argv: list[str], message: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_shard_with_no_rows_to_run_passes_with_empty_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """More shards than rows: not an error (a CI matrix job must pass and upload), so exit 0
    with an empty table, JUnit file and report; nothing is started or asked (these URLs answer
    nothing)."""
    junit, report = tmp_path / "junit.xml", tmp_path / "report"
    count = len(ROWS) + 1
    for extra in (["--shard", f"{count}/{count}"],):
        assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", "http://127.0.0.1:9",
                     "--junit", str(junit), "--report", str(report), *extra]) == 0
        captured = capsys.readouterr()
        assert f"shard {extra[1]} has no rows to run" in captured.err, captured.err
        assert "0 passed, 0 failed, 0 not tested, 0 informational" in captured.out
        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite is not None
        assert suite.get("tests") == "0", suite.attrib
        assert f"shard {extra[1]}" in str(suite.get("name"))
        results = json.loads((report / "results.json").read_text(encoding="utf-8"))
        assert results["rows"] == [] and results["ok"] is True
        assert (results["schema"], results["shard"]) == (1, extra[1])


@pytest.mark.parametrize("shard", [[], ["--shard", "1/1"]])
def test_only_logout_token_rows_without_a_back_channel_uri_are_a_set_up_error(
        shard: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing of the selection could be tested, sharded or not; nothing is asked."""
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", "http://127.0.0.1:9",
                 "--only", "rp-backchannel-*", *shard]) == 2
    assert "need --backchannel" in capsys.readouterr().err


def test_a_provider_without_the_control_api_is_refused(
        open_rp: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--rp", open_rp.base_url, "--idp", open_rp.base_url]) == 2
    assert "is not a mock provider with a /_mock/ control API" in capsys.readouterr().err


def test_a_check_url_that_says_signed_in_without_a_session_is_refused(
        idp: MockIdp, open_rp: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--rp", open_rp.base_url, "--idp", idp.url]) == 2
    assert "/api/me answered 200 without a session" in capsys.readouterr().err


def test_an_unknown_client_id_is_refused(idp: MockIdp, open_rp: RunningServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--rp", open_rp.base_url, "--idp", idp.url,
                 "--client-id", "00000000-0000-0000-0000-000000000001"])
    assert code == 2
    assert "has no app 00000000-0000-0000-0000-000000000001" in capsys.readouterr().err


def test_without_idp_it_starts_the_mock_and_prints_what_to_configure(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--redirect-uri",
                 "http://rp.example.test/oidc/callback"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Mock provider running at http://localhost:" in err  # another site than the RP
    assert f"client id       {REFERENCE_RP_CLIENT_ID}" in err
    assert f"client secret   {REFERENCE_RP_SECRET}" in err
    assert "redirect URI    http://rp.example.test/oidc/callback" in err
    assert "the RP is not reachable at http://127.0.0.1:9/api/me" in err


def test_redirect_uris_are_registered_on_the_platform_named(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    web, spa = "http://rp.example.test/oidc/callback", "http://spa.example.test/"
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url,
                 "--redirect-uri", web, "--spa-redirect-uri", spa])
    assert code == 2  # nothing listens at the RP's URL
    with httpx.Client(timeout=15) as http:
        app = MockControl(idp.url, tenant=DEFAULT_TENANT_ID, client_id=REFERENCE_RP_CLIENT_ID,
                          http=http).app()
    assert web in app["web"]["redirectUris"] and web not in app["spa"]["redirectUris"]
    assert spa in app["spa"]["redirectUris"] and spa not in app["web"]["redirectUris"]


def test_the_settings_printed_name_a_single_page_apps_redirect_uri(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--spa-redirect-uri",
                 "http://spa.example.test/"])
    assert code == 2
    assert "redirect URI    http://spa.example.test/ (single-page app)" in capsys.readouterr().err


def test_a_redirect_uri_the_provider_refuses_is_a_set_up_error(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url,
                 "--spa-redirect-uri", "not a url"])
    assert code == 2
    err = capsys.readouterr().err
    assert "the provider refused --spa-redirect-uri" in err
    assert re.search(r"'spa\.redirectUris\[\d\]' contains a character not allowed in a URL", err)
    assert "innerError" not in err


def test_pause_with_no_input_left_is_a_set_up_error_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``--pause < /dev/null`` (a CI step): nobody can press Enter there."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--pause"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == (
        "scenarios conformance: --pause waits for Enter, but the standard input ended first "
        "(closed or empty): run the command where you can press Enter, or without --pause once "
        "the RP is configured")
    assert "Press Enter when the RP is configured" in captured.err and captured.out == ""


def test_pause_carries_on_after_enter(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--pause"]) == 2
    assert "the RP is not reachable at http://127.0.0.1:9/api/me" in capsys.readouterr().err


def _skipped(row: Row) -> RowResult:
    return RowResult(row=row, verdict=Verdict(
        result="SKIP", did="signed in", reason="not tested: no GET of the signing keys"),
        seconds=1.0)


@pytest.mark.parametrize(("results", "code"), [
    ([_skipped(ROWS[1]), _skipped(ROWS[2])], 1),  # nothing tested: not a success
    ([RowResult(row=ROWS[0], verdict=Verdict(result="PASS", did="signed in"), seconds=1.0),
      _skipped(ROWS[1])], 0),
])
def test_a_run_whose_every_row_was_not_tested_is_not_a_success(
        idp: MockIdp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        results: list[RowResult], code: int) -> None:
    """As ``run`` exits 1 when every selected scenario was skipped."""
    monkeypatch.setattr(cli, "preflight", lambda options, control: None)
    monkeypatch.setattr(cli, "_run_with_browser", lambda *args: results)
    only = ",".join(r.row.id for r in results)
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url, "--only", only,
                 "--json"]) == code
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is (code == 0)
    said = ("scenarios conformance: nothing was tested: every selected row was not tested "
            "(SKIP, each with its reason), which is not a success")
    assert (said in captured.err) is (code == 1), captured.err


@pytest.mark.parametrize(("shard", "code"), [("1/3", 0), ("2/3", 0), ("3/3", 0), ("1/1", 1)])
def test_a_shard_whose_every_row_was_not_tested_passes_when_other_shards_have_rows(
        idp: MockIdp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        shard: str, code: int) -> None:
    """``run``'s rule: the rows of a shard that tested nothing are tested in the other shards,
    so sharding the same rows does not turn a passing run into a failing job."""
    monkeypatch.setattr(cli, "preflight", lambda options, control: None)
    monkeypatch.setattr(cli, "_run_with_browser",
                        lambda options, rows, *args: [_skipped(row) for row in rows])
    only = ",".join(row.id for row in ROWS[:3] if row.kind == "login")
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url, "--only", only,
                 "--shard", shard, "--json"]) == code
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is (code == 0)
    assert (f"shard {shard} tested nothing" in captured.err) is (code == 0), captured.err
    assert ("which is not a success" in captured.err) is (code == 1), captured.err


def _passing(options: object, rows: list[Row], *args: object) -> list[RowResult]:
    assert all(row.kind == "login" for row in rows), rows
    return [RowResult(row=row, verdict=Verdict(result="PASS", did="signed in"), seconds=1.0)
            for row in rows]


@pytest.mark.parametrize("shard", [None, "1/3", "2/3", "3/3"])
def test_without_a_back_channel_uri_the_logout_token_rows_are_not_tested_saying_why(
        idp: MockIdp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], shard: str | None) -> None:
    """Not left out: the table, JUnit file and reports hold every row ``--list`` shows, and
    the shards' sizes are those ``--list --shard`` shows."""
    monkeypatch.setattr(cli, "preflight", lambda options, control: None)
    monkeypatch.setattr(cli, "_run_with_browser", _passing)
    sharded = ["--shard", shard] if shard else []
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--list", *sharded]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    junit, report = tmp_path / "junit.xml", tmp_path / "report"
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url, *sharded,
                 "--junit", str(junit), "--report", str(report)]) == 0
    captured = capsys.readouterr()
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in results["rows"]] == listed
    not_tested = [r for r in results["rows"] if r["kind"] != "login"]
    why = "not tested: the logout-token rows need --backchannel, or [sign_out] backchannel_uri"
    assert not_tested and all((r["result"], r["reason"]) == ("SKIP", why)
                              for r in not_tested), not_tested
    assert results["skipped"] == len(not_tested) and results["ok"] is True
    assert f"{len(not_tested)} not tested" in captured.out
    # each row's own line in the table and in the page's summary says why, not what the row
    # expected (HTTP 400) beside "not asked"
    lines = {line.split()[0]: line for line in captured.out.splitlines() if line.strip()}
    page = (report / "index.html").read_text(encoding="utf-8")
    for r in not_tested:
        assert re.fullmatch(rf"{re.escape(r['id'])}\s+{re.escape(r['expect'])}\s+"
                            rf"{re.escape(why)}\s+SKIP", lines[r["id"]]), lines[r["id"]]
        assert (f'<td><a href="#{r["id"]}">{r["id"]}</a></td><td>{r["expect"]}</td>'
                f"<td>{why}</td>") in page
    # the page's title counts them too: "0 passed, 0 failed" alone reads as a clean run
    assert f"failed, {len(not_tested)} not tested</title>" in page, page
    cases = ET.parse(junit).getroot().iter("testcase")
    assert [case.get("name") for case in cases] == listed
    assert len(ET.parse(junit).getroot().findall(".//skipped")) == len(not_tested)


def test_the_job_summary_and_the_report_name_the_app_and_the_shard(
        idp: MockIdp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An app a profile started is named by the profile, not by its port, which lives as long
    as the run; the shard is in the titles too."""
    flags = cli.from_flags
    monkeypatch.setattr(cli, "from_flags", lambda *args, **kwargs: dataclasses.replace(
        flags(*args, **kwargs), name="Contoso <SSO>"))
    monkeypatch.setattr(cli, "preflight", lambda options, control: None)
    monkeypatch.setattr(cli, "_run_with_browser", _passing)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    report = tmp_path / "report"
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url,
                 "--only", "rp-id_token-aud,rp-id_token-iat", "--shard", "1/2",
                 "--report", str(report)]) == 0
    capsys.readouterr()
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(
        "### sso-harness conformance shard 1/2 against Contoso &lt;SSO&gt;\n"), summary
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "<title>Conformance of Contoso &lt;SSO&gt; (shard 1/2): 1 passed" in page, page
    assert "<h1>Relying-party conformance: Contoso &lt;SSO&gt; (shard 1/2)</h1>" in page
    assert "RP <code>http://127.0.0.1:9</code>" in page
