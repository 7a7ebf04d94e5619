"""The standalone URL (``/launch``) is typed by anyone. A parameter given twice, in one spelling
or in both (``installation_id`` and ``talkdesk_installation_id``), is refused on the failure
page naming it, rather than one of the values being picked. An installation id that names no
installation is kept in the error log, and shown, with its control and invisible format
characters (NUL, bidi overrides) escaped and cut to a bound. Any method but GET ends on the
failure page too (405), starting no sign-in."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fake_op import USERS
from rp_support import INSTALLATION, PARTNER_CONTACT, RpHarness, install

from relying_party.db import ErrorRecord

AMBIGUOUS = {
    "talkdesk_installation_id twice": (
        f"talkdesk_installation_id={INSTALLATION}&talkdesk_installation_id=other",
        "talkdesk_installation_id more than once"),
    "installation_id twice": (f"installation_id={INSTALLATION}&installation_id={INSTALLATION}",
                              "installation_id more than once"),
    "both spellings": (f"installation_id={INSTALLATION}&talkdesk_installation_id=other",
                       "both installation_id and talkdesk_installation_id"),
    "both spellings, one empty": (f"installation_id=&talkdesk_installation_id={INSTALLATION}",
                                  "both installation_id and talkdesk_installation_id"),
    "user_id in both spellings": (
        f"installation_id={INSTALLATION}&user_id=a&talkdesk_user_id=b",
        "both talkdesk_user_id and user_id"),
}


@pytest.mark.parametrize("case", sorted(AMBIGUOUS))
def test_an_ambiguous_launch_is_refused_naming_the_parameter(rp: RpHarness, case: str) -> None:
    install(rp)
    query, given = AMBIGUOUS[case]
    response = rp.client.get(f"/launch?{query}")
    record = rp.assert_failure_page(response, status=400, code="launch_ambiguous",
                                    contact=PARTNER_CONTACT)
    assert f"it gives {given}." in response.text
    assert record["detail"] == f"the launch URL gives {given}"
    assert record["source_id"] is None


def test_each_spelling_alone_still_launches(rp: RpHarness) -> None:
    install(rp)
    for query in (f"installation_id={INSTALLATION}&user_id={USERS['alice'].oid}",
                  f"talkdesk_installation_id={INSTALLATION}&talkdesk_user_id=x",
                  f"talkdesk_installation_id={INSTALLATION}&user_id=x"):
        assert rp.client.get(f"/launch?{query}").status_code == 302, query


def test_an_unknown_installation_id_is_logged_and_shown_escaped(rp: RpHarness) -> None:
    sent = "evil\x00id\u202etxt.exe\u200b\n"
    response = rp.client.get(f"/launch?talkdesk_installation_id={quote(sent)}")
    record = rp.assert_failure_page(response, status=404, code="unknown_installation",
                                    contact=PARTNER_CONTACT)
    escaped = "evil\\x00id\\u202etxt.exe\\u200b\\x0a"
    assert record["source_id"] == escaped
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    detail = rp.client.get(f"/admin/errors/{record['ref']}").text
    for shown in (page, detail):
        assert escaped in shown
        assert not any(ch in shown for ch in "\x00\u202e\u200b")


def test_a_long_unknown_installation_id_is_cut_after_escaping(rp: RpHarness) -> None:
    response = rp.client.get("/launch?installation_id=" + quote("\u202e" * 3000))
    record = rp.assert_failure_page(response, status=404, code="unknown_installation",
                                    contact=PARTNER_CONTACT)
    source_id = str(record["source_id"])
    assert len(source_id) <= 200 and source_id.startswith("\\u202e\\u202e")
    assert "\u202e" not in source_id


def test_the_error_log_escapes_what_an_older_version_stored(rp: RpHarness) -> None:
    """A row written before the source id was escaped is shown escaped too."""
    errors = rp.client.app.state.rp.db.errors  # type: ignore[attr-defined]
    record = ErrorRecord(ref="RP-0000000001", created_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                         status=404, code="unknown_installation", message="m", detail="d",
                         admin_hint=None, idp_error_code=None, source_kind="installation",
                         source_id="a\u202eb", support_contact=PARTNER_CONTACT)
    errors._insert(record)
    assert errors.get(record.ref).source_id == "a\\u202eb"
    assert record.bounded().source_id == "a\\u202eb"
    assert record.bounded().bounded() == record.bounded()


def test_a_real_installation_id_is_logged_unchanged(rp: RpHarness) -> None:
    install(rp)
    rp.op.faults.token_error = (400, {"error": "invalid_grant"})
    location = rp.start(f"/launch?installation_id={INSTALLATION}&user_id=x")
    response = rp.client.get(rp.op.approve(location, "alice"))
    record = rp.assert_failure_page(response, status=502, code="idp_error",
                                    contact=PARTNER_CONTACT)
    assert record["source_id"] == INSTALLATION


def _login_transactions(rp: RpHarness) -> int:
    with closing(sqlite3.connect(rp.settings.db_path)) as db:
        count: int = db.execute("SELECT COUNT(*) FROM login_transactions").fetchone()[0]
    return count


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_another_method_than_get_ends_on_the_failure_page(rp: RpHarness, method: str) -> None:
    """As on ``/auth/callback``: a 405 with the partner contact and a reference, no sign-in
    started."""
    install(rp)
    query = f"installation_id={INSTALLATION}&user_id={USERS['alice'].oid}"
    response = rp.client.request(method, f"/launch?{query}", data={"installation_id": "x"})
    record = rp.assert_failure_page(response, status=405, code="launch_refused",
                                    contact=PARTNER_CONTACT)
    assert "GET" in response.headers["allow"]
    assert "location" not in response.headers
    assert "rp_login" not in response.headers.get("set-cookie", "")
    assert record["source_id"] is None
    assert _login_transactions(rp) == 0
    assert rp.client.get(f"/launch?{query}").status_code == 302
