"""``run --idp`` against an app registration the provider refuses alike for every sign-in: an
unknown client id (AADSTS700016), a disabled app (AADSTS7000112), no redirect URI registered
(AADSTS500113), all on the provider's error page, and a client secret the token endpoint
refuses, wrong (AADSTS7000215) or expired (AADSTS7000222). The first scenario fails saying
what to change; the rest are skipped with that reason, at once, instead of each failing the
same way."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import MockIdp
from scenarios.__main__ import build_parser

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # scenario runs with --idp

UNKNOWN_CLIENT = "0d7c2f1e-5a9b-4c3d-8e6f-1a2b3c4d5e6f"
RUN = ("auto-login.first-login", "auto-login.widget", "auto-login.app-visit")


@pytest.fixture
def mock() -> Iterator[MockIdp]:
    with MockIdp(host="localhost") as running:
        yield running


def _unknown_client(mock: MockIdp) -> tuple[str, str]:
    return UNKNOWN_CLIENT, REFERENCE_RP_SECRET


def _disabled(mock: MockIdp) -> tuple[str, str]:
    mock.set_app_enabled(REFERENCE_RP_CLIENT_ID, False)
    return REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET


def _no_redirect_uris(mock: MockIdp) -> tuple[str, str]:
    application = f"/graph/{mock.tenant_id}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    assert mock.http.patch(application, json={"web": {"redirectUris": []}}).status_code == 204
    return REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET


def _wrong_secret(mock: MockIdp) -> tuple[str, str]:
    return REFERENCE_RP_CLIENT_ID, "not~the~apps~secret"


def _expired_secret(mock: MockIdp) -> tuple[str, str]:
    now = mock.clock.now()
    return REFERENCE_RP_CLIENT_ID, mock.add_secret(
        REFERENCE_RP_CLIENT_ID, start=now - timedelta(days=30), end=now - timedelta(days=1))


@pytest.mark.parametrize(("arrange", "first_says", "skipped_says"), [
    (_unknown_client, ["check [provider] client_id and the tenant in [provider] authority",
                       f"refused the app {UNKNOWN_CLIENT} on its error page",
                       f"AADSTS700016: Application with identifier '{UNKNOWN_CLIENT}' was not "
                       "found in the directory"],
     "every sign-in sends the same client id"),
    (_disabled, ["enable the app (Entra admin center: Enterprise apps > the app > Properties",
                 f"AADSTS7000112: Application '{REFERENCE_RP_CLIENT_ID}'"],
     "every sign-in sends the same client id"),
    (_no_redirect_uris, ["register http://", "AADSTS500113: No reply address is registered"],
     "(AADSTS500113): register it at the provider"),
    (_wrong_secret, ["check [provider] client_secret_env (or client_secret_file)",
                     "token endpoint refused the client secret (AADSTS7000215)",
                     "The client secret is wrong"],
     "every sign-in sends the same client secret"),
    (_expired_secret, ["create a new client secret", "(AADSTS7000222)"],
     "every sign-in sends the same client secret"),
], ids=["unknown client id", "disabled app", "no redirect URIs", "wrong secret",
        "expired secret"])
def test_a_registration_refused_alike_for_every_sign_in_is_told_once(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, arrange: Callable[[MockIdp], tuple[str, str]],
        first_says: list[str], skipped_says: str) -> None:
    from scenarios.real_idp_run import run_with_idp

    client_id, secret = arrange(mock)
    monkeypatch.setenv("ENTRA_TEST_SECRET", secret)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(f"""
[provider]
authority = "{mock.authority}"
client_id = "{client_id}"
client_secret_env = "ENTRA_TEST_SECRET"

[user]
username = "alice@contoso.onmicrosoft.com"
password_env = "ENTRA_TEST_PASSWORD"

[driver]
kind = "entra"
""", encoding="utf-8")
    report = tmp_path / "report"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", ",".join(RUN)])
    assert run_with_idp(args) == 1
    out = capsys.readouterr().out
    by_id = {r["id"]: r for r in json.loads(
        (report / "results.json").read_text(encoding="utf-8"))["results"]}
    first = by_id[RUN[0]]
    assert first["status"] == "failed", first
    first_line = first["message"].splitlines()[0]
    assert first_line.startswith(f"AssertionError: {first_says[0]}"), first["message"]
    for said in first_says[1:]:
        assert said in first["message"], first["message"]
    for scenario_id in RUN[1:]:
        skipped = by_id[scenario_id]
        assert skipped["status"] == "skipped", skipped
        assert skipped_says in skipped["message"], skipped
        assert skipped["seconds"] < 3, skipped  # no browser waits on the same refusal (3.5 s)
    assert secret not in out and "P@ssw0rd-alice" not in out
