"""``conformance --app`` on an app whose sign-in page waits for a click on a "Sign in with
Microsoft" button: the profile's ``[sign_in] control`` is clicked after its start URL, in each
row's browser, and the rows are judged as for any app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_apps.state_rp import state_profile

from scenarios.__main__ import main

BUTTON = "Sign in with Microsoft"


@pytest.mark.browser
@pytest.mark.slow  # two rows in a real browser
def test_the_start_step_clicks_the_profiles_sign_in_control(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = state_profile(tmp_path, bind=True, button=BUTTON, control=BUTTON)
    code = main(["conformance", "--app", str(profile), "--json", "--only",
                 "rp-response_type-code,rp-id_token-issuer-mismatch"])
    captured = capsys.readouterr()
    rows = {r["id"]: r["result"] for r in json.loads(captured.out)["rows"]}
    # it signs in whatever the issuer (it reads its ID token without checking it)
    assert rows == {"rp-response_type-code": "PASS", "rp-id_token-issuer-mismatch": "FAIL"}, \
        captured.err
    assert code == 1
