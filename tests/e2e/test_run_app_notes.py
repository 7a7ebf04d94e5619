"""What ``run --app`` notes under its results, as ``run --idp`` does: an app that holds no
e-mail address for the people it signed in, though its profile's name told who they were (the
sloppy app of ``tests/sample_apps/tiny_rp.py`` keeping only an address with
``email_verified``, which Entra never sends)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.__main__ import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # an app started as a command

NOTE = ("tiny sloppy app holds no e-mail address for alice@contoso.onmicrosoft.com, "
        "bob@contoso.onmicrosoft.com (/me answers email: null), though the scenarios passed on "
        "the name it shows: ")  # bob: the second person auto-login.first-login signs in


def _profile(directory: Path, *, vouched_only: bool) -> Path:
    path = tiny_profile(directory, env='TINY_VOUCHED_EMAIL = "1"' if vouched_only else "")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('email = "email"\n', 'email = "email"\nname = "name"\n'),
                    encoding="utf-8")
    return path


def _run(tmp_path: Path, profile: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))
    code = main(["run", "--app", str(profile), "--only", "auto-login.first-login",
                 "--report", str(tmp_path / "report"), "--junit", str(tmp_path / "junit.xml"),
                 "--workers", "1"])
    return code, capsys.readouterr().out


def test_an_app_that_holds_no_address_is_noted_in_every_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(tmp_path, _profile(tmp_path, vouched_only=True), capsys, monkeypatch)
    assert code == 0, out
    [line] = [line for line in out.splitlines() if line.startswith("note: ")]
    assert line.startswith(f"note: {NOTE}"), out
    assert "take email where xms_edov is true (Entra sends no email_verified)" in line, line
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert results["notes"] == [line.removeprefix("note: ")]
    assert "Entra sends no email_verified" in (tmp_path / "report" / "index.html").read_text(
        encoding="utf-8")
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and [p.get("value") for p in suite.iter("property")
                                  if p.get("name") == "note"] == results["notes"]
    assert NOTE in (tmp_path / "step-summary.md").read_text(encoding="utf-8")


def test_an_app_that_holds_the_address_is_not_noted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(tmp_path, _profile(tmp_path, vouched_only=False), capsys, monkeypatch)
    assert code == 0, out
    assert "note: " not in out
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert results["notes"] == []
