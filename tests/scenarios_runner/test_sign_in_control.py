"""``[sign_in] control``: an app whose sign-in URL is a page with a "Sign in with Microsoft"
button runs the catalogue when its profile names the button; without it, the failure says
which button the page waits for and the key that names it; a name the page lacks fails
saying so, not with a timeout's stack; a protected URL that lands on that page fails saying
the control is not clicked there, not telling a profile that names it to name it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sample_apps.state_rp import state_profile

from scenarios.runner import RunOptions, run

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a stack and an app each

BUTTON = "Sign in with Microsoft"
SIGN_INS = ("auto-login.first-login", "auto-login.silent-return")


def _verdicts(profile: Path, report: Path, only: tuple[str, ...] = SIGN_INS
              ) -> dict[str, tuple[str, str]]:
    summary = run(RunOptions(app=str(profile), only=only, report_dir=report, workers=1,
                             trace="off", screenshots="failure", timeout_ms=10_000),
                  out=io.StringIO())
    return {r.id: (r.status, r.message or "") for r in summary.results}


@pytest.mark.parametrize("link", [False, True], ids=["button", "link"])
def test_a_profile_naming_the_button_signs_in_through_it(tmp_path: Path, link: bool) -> None:
    """The page clicked is no page "on the way" of a sign-in by redirects: the sign-in starts
    there (a link to a URL of the app's own that redirects, as a posted form)."""
    verdicts = _verdicts(state_profile(tmp_path, bind=True, button=BUTTON, control=BUTTON,
                                       link=link), tmp_path / "named")
    assert verdicts == {id_: ("passed", "") for id_ in SIGN_INS}, verdicts


def test_without_the_control_the_failure_names_the_button_and_the_key(tmp_path: Path) -> None:
    verdicts = _verdicts(state_profile(tmp_path, bind=True, button=BUTTON), tmp_path / "bare")
    status, message = verdicts["auto-login.first-login"]
    assert status == "failed", verdicts
    assert (f"the page waits for a click on its {BUTTON!r} button: a sign-in URL must send the "
            "browser to the provider by itself") in message, message
    assert f'[sign_in] control = "{BUTTON}"' in message, message


def test_a_control_the_page_lacks_is_named_in_the_failure(tmp_path: Path) -> None:
    verdicts = _verdicts(state_profile(tmp_path, bind=True, button=BUTTON, control="Sign on"),
                         tmp_path / "wrong")
    for status, message in verdicts.values():
        assert status == "failed", verdicts
        assert message.startswith("AssertionError: no button or link named [sign_in] control "
                                  "'Sign on' on the page http://127.0.0.1:"), message
        assert "Timeout" not in message.splitlines()[0], message


def test_a_protected_url_at_the_button_page_is_not_told_to_name_the_control(
        tmp_path: Path) -> None:
    """``auto-login.app-visit`` opens ``/account``, which redirects to the button page: the
    control the profile names is clicked after a sign-in URL only, and the failure says so."""
    profile = state_profile(tmp_path, bind=True, button=BUTTON, control=BUTTON, protected=True)
    status, message = _verdicts(profile, tmp_path / "visit", ("auto-login.app-visit",))[
        "auto-login.app-visit"]
    assert status == "failed", message
    assert f"the page waits for a click on its {BUTTON!r} button, which no scenario gives " \
        f"here: [sign_in] control {BUTTON!r} is clicked only on the page a scenario opens by " \
        "following one of [sign_in] urls, and this page was reached otherwise: a protected " \
        "URL must start the sign-in by itself" in message, message
    assert "name it in the profile" not in message, message
