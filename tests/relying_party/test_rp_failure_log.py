"""The warning the reference RP logs for each failed sign-in names where the sign-in was headed
(``connection 3``), or says what it does not know: never a ``None``."""

from __future__ import annotations

import logging

import pytest
from rp_support import RpHarness


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
