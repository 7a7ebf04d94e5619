"""What an app's page says is quoted in every output of ``conformance`` (the table, the
results, the HTML report, the JUnit XML): a secret the run knows is masked there, even where the
quote cuts it short, and control characters are shown escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.__main__ import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_secret_on_the_apps_page_is_masked_in_every_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = tmp_path / "shown-secret.txt"
    profile = tiny_profile(tmp_path, env=f'TINY_SHOW_SECRET = "{shown}"\n')
    report = tmp_path / "report"
    code = main(["conformance", "--app", str(profile), "--only", "rp-id_token-aud",
                 "--report", str(report), "--junit", str(report / "junit.xml")])
    out, err = capsys.readouterr()
    assert code == 0, err  # the tiny app checks the audience: it refuses, showing its secret
    secret = shown.read_text(encoding="utf-8")
    assert 'page HTTP 400: "Sign-in failed \\x1b[1m[redacted] [redacted]' in out, out
    # The second copy straddles the quote's length: the part left is masked too.
    outputs = {"terminal": out + err,
               **{p.name: p.read_text(encoding="utf-8") for p in report.iterdir()
                  if p.is_file()}}
    assert {"results.json", "index.html", "junit.xml"} <= set(outputs)
    for name, text in outputs.items():
        assert secret[:16] not in text, name
        assert "\x1b" not in text, name
