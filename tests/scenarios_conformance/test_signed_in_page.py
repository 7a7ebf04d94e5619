"""``conformance --app`` on an app whose profile tells who is signed in by a page and a selector
(``[signed_in] page``), with no ``me_url``: the rows are judged by that page, opened in the
row's browser, as the scenarios judge it. The app (``state_rp``) reads its ID token without
checking it, so a row can be seen to fail as well as pass; a selector the page shows to anyone
is refused before any row, as it tells nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_apps.state_rp import state_profile

from scenarios.__main__ import main


@pytest.mark.browser
@pytest.mark.slow  # three rows in a real browser
def test_rows_are_judged_by_the_signed_in_page(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    profile = state_profile(tmp_path, bind=True, check_dates=True,
                            signed_in_selector="#signed-in-as")
    code = main(["conformance", "--app", str(profile), "--json", "--only",
                 "rp-response_type-code,rp-id_token-issuer-mismatch,harness-id_token-nbf-future"])
    captured = capsys.readouterr()
    rows = {r["id"]: r for r in json.loads(captured.out)["rows"]}
    assert {i: r["result"] for i, r in rows.items()} == {
        "rp-response_type-code": "PASS",
        # it signs in whatever the issuer: its page says so
        "rp-id_token-issuer-mismatch": "FAIL",
        # it refuses an ID token not valid yet, and signs in with a correct one after it
        "harness-id_token-nbf-future": "PASS"}, captured.err
    assert rows["rp-id_token-issuer-mismatch"]["reason"] == (
        "the RP signed in although the ID token's iss is wrong")
    assert rows["harness-id_token-nbf-future"]["did"].startswith(
        'not signed in; page HTTP 400: "Sign-in failed')
    assert code == 1


@pytest.mark.browser
def test_a_page_that_shows_the_selector_to_anyone_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = state_profile(tmp_path, bind=True, signed_in_selector="h1")
    code = main(["conformance", "--app", str(profile), "--only", "rp-response_type-code"])
    err = capsys.readouterr().err
    assert code == 2
    assert "scenarios conformance: preflight: the [signed_in] page http://127.0.0.1:" in err
    assert ("/ shows someone signed in to a browser that has signed in nowhere: its selector "
            "or text must be shown only while signed in") in err, err


@pytest.mark.browser
def test_a_selector_the_signed_in_page_never_shows_is_named_as_the_profiles(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The app signs in, but the profile's selector is mistyped: the preflight's plain sign-in
    fails naming the profile's selector and text first, and quotes the page the sign-in ended
    on, not only the app's client id and secret."""
    profile = state_profile(tmp_path, bind=True, signed_in_selector="#signed-in")
    code = main(["conformance", "--app", str(profile), "--only", "rp-response_type-code"])
    err = capsys.readouterr().err
    assert code == 2
    assert "scenarios conformance: preflight: after a plain sign-in at this mock provider the " \
           "[signed_in] page http://127.0.0.1:" in err, err
    assert ('/ does not show anyone signed in (page HTTP 200: "Account Signed in as '
            'alice@contoso.onmicrosoft.com"); the provider\'s token endpoint answered HTTP 200: '
            "check the profile's [signed_in] selector and text against what that page shows "
            "once signed in") in err, err


def test_a_profile_with_neither_me_url_nor_page_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = state_profile(tmp_path, bind=True, signed_in_selector="#signed-in-as")
    profile.write_text(profile.read_text(encoding="utf-8").replace('page = "/"\n', ""),
                       encoding="utf-8")
    code = main(["conformance", "--app", str(profile), "--only", "rp-response_type-code"])
    err = capsys.readouterr().err
    assert code == 2
    assert ("state app: conformance tells whether the browser is signed in by a URL "
            "([signed_in] me_url, or --check) or by a page that shows who is and never starts "
            "a sign-in itself ([signed_in] page, with its selector or text): the profile gives "
            "neither") in err, err
