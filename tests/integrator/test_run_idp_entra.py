"""``run --idp`` with the ``entra`` driver, against the mock provider: the driver that signs in
on Entra's pages is the one every catalogue scenario uses against the mock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import MockIdp
from scenarios.__main__ import build_parser
from scenarios.drivers import EntraDriver, FormDriver, driver_from_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # scenario runs with --idp


@pytest.fixture
def mock() -> Iterator[MockIdp]:
    with MockIdp(host="localhost") as running:
        yield running


def test_scenarios_run_against_the_mock_with_the_entra_driver(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarios.real_idp_scenarios import run_with_idp

    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(f"""
[provider]
authority = "{mock.authority}"
client_id = "{REFERENCE_RP_CLIENT_ID}"
client_secret_env = "ENTRA_TEST_SECRET"

[user]
username = "alice@contoso.onmicrosoft.com"
password_env = "ENTRA_TEST_PASSWORD"
display_name = "Alice Adams"

[driver]
kind = "entra"
stay_signed_in = "yes"
""", encoding="utf-8")
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(tmp_path / "report"), "--timeout", "20",
        "--only", "auto-login.first-login,auto-login.widget,signout.rp-initiated"])
    code = run_with_idp(args)
    out = capsys.readouterr().out
    assert code == 0, out
    for scenario_id in ("auto-login.first-login", "auto-login.widget", "signout.rp-initiated"):
        assert f"PASS  {scenario_id}" in out, out
    assert "P@ssw0rd-alice" not in out and REFERENCE_RP_SECRET not in out


def test_the_driver_config_kinds() -> None:
    assert driver_from_config({"kind": "entra", "stay-signed-in": "yes"}) == EntraDriver(
        stay_signed_in=True)
    assert isinstance(driver_from_config({}), FormDriver)
    with pytest.raises(ValueError, match="'entra' or 'form'"):
        driver_from_config({"kind": "mock"})
