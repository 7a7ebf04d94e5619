"""A profile that tells who is signed in only by the text its signed-in page shows (no
``me_url``, no ``[signed_in] page``): a failure scenario the app gets wrong is a FAIL saying
what it showed, and one it never exercised is not exercised, as with a session check; neither
ends in error because the profile gives no session check to ask."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # an app started as a command


def _text_only(directory: Path) -> Path:
    path = tiny_profile(directory)
    text = path.read_text(encoding="utf-8")
    text = text.replace('me_url = "/me"\n', "").replace('[signed_in.me_json]\nemail = "email"\n',
                                                        "")
    assert "me_url" not in text and "me_json" not in text
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("scenario", "status", "says"), [
    ("failure.nonce-mismatch", "failed", "; the failure page did not appear: no "
     "'Sign-in failed'; the app showed /account with HTTP 200: 'Account' / 'Signed in as "
     "Alice Adams'"),
    ("failure.userinfo-sub-mismatch", "skipped", "not exercised: the app never asked UserInfo"),
    ("failure.other-organization", "passed", ""),  # zed is not signed in: nothing shows him
])
def test_a_text_only_profile_gets_a_verdict_not_an_error(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario: str, status: str,
        says: str) -> None:
    result = sso_run_scenario(scenario, app=str(_text_only(tmp_path)))
    assert (result.status, says in (result.message or "")) == (status, True), result
