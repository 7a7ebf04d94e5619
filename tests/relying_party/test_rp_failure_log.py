"""The warning the reference RP logs for each failed sign-in names where the sign-in was headed
(``connection 3``), or says what it does not know: never a ``None``."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from asgi_client import AppClient
from rp_support import RpHarness, database


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "relying_party.failures"]


def test_a_state_no_sign_in_started_logs_what_is_unknown(
        rp: RpHarness, caplog: pytest.LogCaptureFixture) -> None:
    rp.add_connection()
    with caplog.at_level(logging.WARNING, logger="relying_party.failures"):
        response = rp.client.get("/auth/callback?code=abc&state=made-up")
    record = rp.assert_failure_page(response, status=400, code="state_unknown",
                                    contact=rp.settings.default_support_contact)
    (line,) = _logged(caplog)
    assert line.startswith(f"sign-in failure {record['ref']} state_unknown "
                           "(connection or installation unknown): ")
    assert "None" not in line


def test_a_failure_of_a_known_connection_names_it(
        rp: RpHarness, caplog: pytest.LogCaptureFixture) -> None:
    connection = rp.add_connection(client_secret="the-secret-id-not-the-value")
    with caplog.at_level(logging.WARNING, logger="relying_party.failures"):
        rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_invalid")
    (line,) = _logged(caplog)
    assert f"client_secret_invalid (connection {connection}): " in line
    assert "None" not in line


LONG = quote("\u202e" + "x" * 4999 + "\n", safe="")
"""An unknown id of 5001 characters, a bidi override and a line break among them."""


@pytest.mark.parametrize("path", [f"/sso/{LONG}/widget",
                                  f"/launch?installation_id={LONG}&user_id=u"])
def test_a_long_unknown_id_is_logged_cut_to_its_start_and_length_escaped(
        rp: RpHarness, caplog: pytest.LogCaptureFixture, path: str) -> None:
    rp.add_connection()
    with caplog.at_level(logging.WARNING, logger="relying_party"):
        response = rp.client.get(path)
    assert response.status_code in (400, 404)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("relying_party")]
    assert lines
    for line in lines:
        assert len(line) < 700, line[:200]
        assert "\u202e" not in line and "\n" not in line
        assert "x" * 65 not in line
    assert any("(5001 characters)" in line for line in lines), lines


def test_a_long_app_name_is_logged_cut_too(
        rp: RpHarness, caplog: pytest.LogCaptureFixture) -> None:
    cid = rp.add_connection()
    with caplog.at_level(logging.WARNING, logger="relying_party"):
        response = rp.client.get(f"/sso/{cid}/{LONG}")
    assert response.status_code == 404
    (line,) = [r.getMessage() for r in caplog.records if r.name == "relying_party.failures"]
    assert len(line) < 700 and "(5001 characters)" in line and "\n" not in line


def test_an_unexpected_error_logs_a_long_path_cut(
        rp: RpHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    rp.add_connection()

    def broken(connection_id: str) -> None:
        raise RuntimeError("the store broke")

    monkeypatch.setattr(database(rp).connections, "get", broken)
    with (caplog.at_level(logging.WARNING, logger="relying_party"),
          AppClient(rp.client.app, raise_server_exceptions=False) as client):
        response = client.get(f"/sso/{LONG}/widget")
    assert response.status_code == 500
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("relying_party")]
    assert len(lines) == 2  # the error log's warning, the traceback's line
    for line in lines:
        assert len(line) < 700 and "\n" not in line and "\u202e" not in line, line[:200]
        assert "characters)" in line
