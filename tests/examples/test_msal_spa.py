"""The single-page app on MSAL.js through its profile: where its redirect URI is registered
decides whether it can sign in at all, and ``app check`` takes its script-started sign-in as
what it is.

Its profile registers the redirect URI as a single-page app's (``[provider] platform =
"spa"``), so the browser may redeem the codes; the catalogue run (``test_catalogue.py``)
shows it signing in. Registered as a web app's instead, the provider refuses the browser's
code redemption as Entra does (AADSTS9002326) and MSAL.js shows that on the failure page:
``auto-login.first-login`` fails, saying so.

``conformance`` judges its rows by the page its profile names (``[signed_in] page``): it has
no server session, so no ``/me`` to ask.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from example_apps import MSAL_SPA

from scenarios.__main__ import main
from scenarios.app.check import check_profile
from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.slow  # Node.js and the app's npm package


def _ready() -> None:
    if reason := MSAL_SPA.unavailable() or MSAL_SPA.prepare():
        pytest.skip(reason)


def _profile_with_platform(platform: str, tmp_path: Path) -> Path:
    text = MSAL_SPA.profile.read_text(encoding="utf-8")
    assert 'platform = "spa"' in text
    profile = tmp_path / f"{platform}.toml"
    profile.write_text(text.replace('platform = "spa"', f'platform = "{platform}"').replace(
        "[app]\n", f'[app]\ncwd = "{MSAL_SPA.directory}"\n', 1), encoding="utf-8")
    return profile


@pytest.mark.browser
def test_registered_as_a_web_app_the_spa_cannot_sign_in(tmp_path: Path) -> None:
    _ready()
    summary = run(RunOptions(app=str(_profile_with_platform("web", tmp_path)),
                             only=("auto-login.first-login",), trace="off",
                             report_dir=tmp_path / "report"))
    [result] = summary.results
    message = result.message or ""
    assert result.status == "failed", message
    assert "the signed-in page does not show 'Alice Adams'" in message, message
    assert "Sign-in failed" in message and "AADSTS9002326" in message, message
    assert "Cross-origin token redemption is permitted only for the 'Single-Page " \
           "Application' client-type" in message, message
    assert summary.exit_code == 1


def _check(profile: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = check_profile(profile, out=out)
    return code, out.getvalue().splitlines()


def test_app_check_notes_that_the_spa_starts_its_sign_in_by_script(tmp_path: Path) -> None:
    _ready()
    code, lines = _check(MSAL_SPA.profile)
    assert code == 0, "\n".join(lines)
    for label in ("sign-in URL 'login'", "protected URL /account"):
        assert any(line.startswith(f"note     {label} (http://127.0.0.1:") and line.endswith(
            ") is a page: a single-page app's script starts the sign-in, which only the "
            "scenarios' browser runs") for line in lines), lines
    assert any(line.startswith("note     the profile lacks client-secret (") and line.endswith(
        "failure.expired-secret will be skipped") for line in lines), lines

    # Registered as a web app, its page's script may start the sign-in all the same (as
    # next-auth v4's does): a note, since only the scenarios' browser runs it (their first
    # login then fails on the provider's AADSTS9002326, test_msal_spa's web case).
    code, lines = _check(_profile_with_platform("web", tmp_path))
    assert code == 0, lines
    assert any(line.startswith("note     sign-in URL 'login' (http://127.0.0.1:") and line.endswith(
        "is a page whose script may start the sign-in as it loads (next-auth v4's signIn(), "
        "MSAL.js): the check runs no script and cannot follow it, the scenarios' browser does "
        "(a page that waits for a click fails them)") for line in lines), lines


@pytest.mark.browser
def test_the_spa_signs_out_to_the_post_logout_path_it_is_given(tmp_path: Path) -> None:
    """OIDC_POST_LOGOUT_REDIRECT_URI's path is where the app says the user is signed out, as
    the README's settings table promises for every example."""
    _ready()
    text = MSAL_SPA.profile.read_text(encoding="utf-8")
    assert text.count("/signed-out") == 2
    profile = tmp_path / "bye.toml"
    profile.write_text(text.replace("/signed-out", "/bye").replace(
        "[app]\n", f'[app]\ncwd = "{MSAL_SPA.directory}"\n', 1), encoding="utf-8")
    summary = run(RunOptions(app=str(profile), only=("signout.rp-initiated",), trace="off",
                             report_dir=tmp_path / "report"))
    [result] = summary.results
    assert result.status == "passed", result.message


@pytest.mark.browser
def test_conformance_judges_the_spa_by_its_signed_in_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _ready()
    code = main(["conformance", "--app", str(MSAL_SPA.profile), "--json",
                 "--report", str(tmp_path / "report"), "--only",
                 "rp-response_type-code,rp-nonce-invalid,rp-id_token-issuer-mismatch,"
                 "rp-id_token-sig-none,rp-id_token-kid-absent-single-jwks"])
    captured = capsys.readouterr()
    rows = {r["id"]: r for r in json.loads(captured.out)["rows"]}
    assert {i: r["result"] for i, r in rows.items()} == {
        "rp-response_type-code": "PASS",
        # MSAL.js checks the nonce (its nonce_mismatch on the failure page) ...
        "rp-nonce-invalid": "PASS",
        # ... not the issuer, as failure.wrong-issuer finds (expected_verdicts: spa_accepts)
        "rp-id_token-issuer-mismatch": "FAIL",
        # the ID token comes from the token endpoint over TLS, and MSAL.js fetches no keys
        "rp-id_token-sig-none": "INFO",
        "rp-id_token-kid-absent-single-jwks": "SKIP"}, captured.err
    assert rows["rp-nonce-invalid"]["did"].startswith(
        'not signed in; page HTTP 200: "Sign-in failed Error code: nonce_mismatch'), rows
    assert code == 1
