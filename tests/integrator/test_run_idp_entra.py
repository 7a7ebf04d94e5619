"""``run --idp`` with the ``entra`` driver, against the mock provider: the driver that signs in
on Entra's pages is the one every catalogue scenario uses against the mock."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mock_idp.clock import MockClock
from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET, IdpConfig
from mock_idp.testing import MockIdp
from scenarios.__main__ import build_parser
from scenarios.drivers import EntraDriver, FormDriver, driver_from_config
from scenarios.real_idp_run import CODE_STEPS_FILE
from scenarios.real_idp_scenarios import SKIP_REASON

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # scenario runs with --idp


@pytest.fixture
def mock() -> Iterator[MockIdp]:
    with MockIdp(host="localhost") as running:
        yield running


def _config(mock: MockIdp, *, user: str = "", driver: str = "",
            username: str = "alice@contoso.onmicrosoft.com") -> str:
    """An ``--idp`` file for the mock's reference app and Alice (or ``username``), with the
    entra driver."""
    return f"""
[provider]
authority = "{mock.authority}"
client_id = "{REFERENCE_RP_CLIENT_ID}"
client_secret_env = "ENTRA_TEST_SECRET"

[user]
username = "{username}"
password_env = "ENTRA_TEST_PASSWORD"
{user}

[driver]
kind = "entra"
{driver}
"""


def test_scenarios_run_against_the_mock_with_the_entra_driver(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarios.real_idp_run import run_with_idp

    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock, user='display_name = "Alice Adams"',
                              driver='stay_signed_in = "yes"'), encoding="utf-8")
    junit = tmp_path / "junit.xml"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(tmp_path / "report"), "--timeout", "20",
        "--junit", str(junit), "--only",
        "auto-login.first-login,auto-login.widget,signout.rp-initiated,failure.app-disabled"])
    code = run_with_idp(args)
    out = capsys.readouterr().out
    assert code == 0, out
    for scenario_id in ("auto-login.first-login", "auto-login.widget", "signout.rp-initiated"):
        assert f"PASS  {scenario_id}" in out, out
    assert f"({SKIP_REASON}):\nSKIP  failure.app-disabled\n" in out, out
    assert "P@ssw0rd-alice" not in out and REFERENCE_RP_SECRET not in out
    # the skipped scenario is in the reports, with its reason, as in a run with --app
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("skipped")) == ("4", "1")
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert {r["id"]: r["status"] for r in results["results"]}["failure.app-disabled"] == "skipped"
    # the mock's registration has the email and xms_edov optional claims: an address, no note
    assert "note: the relying party" not in out and results["notes"] == [], out


def test_the_driver_config_kinds() -> None:
    assert driver_from_config({"kind": "entra", "stay-signed-in": "yes"}) == EntraDriver(
        stay_signed_in=True)
    assert isinstance(driver_from_config({}), FormDriver)
    with pytest.raises(ValueError, match="'entra' or 'form'"):
        driver_from_config({"kind": "mock"})


def test_an_account_with_an_authenticator_app_runs_with_its_secret(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarios.real_idp import IdpConfigError, load_idp_config
    from scenarios.real_idp_run import run_with_idp

    registered = mock.http.put(
        f"/_mock/tenants/{mock.tenant_id}/users/alice@contoso.onmicrosoft.com/authenticator",
        json={})
    secret = registered.json()["totp_secret"]
    env = {"ENTRA_TEST_SECRET": REFERENCE_RP_SECRET, "ENTRA_TEST_PASSWORD": "P@ssw0rd-alice",
           "ENTRA_TEST_TOTP": secret}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "idp.toml"
    text = _config(mock, user='totp_secret_env = "ENTRA_TEST_TOTP"')
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(tmp_path / "report"), "--timeout", "20",
        "--only", "auto-login.first-login"])
    # Without the secret the run stops with an error that says what it lacks.
    config.write_text(_config(mock), encoding="utf-8")
    assert run_with_idp(args) != 0
    out = capsys.readouterr().out
    assert "FAIL  auto-login.first-login" in out and "totp_secret_env" in out, out
    config.write_text(text, encoding="utf-8")
    assert secret in load_idp_config(config, env).secrets  # masked in reports like the others
    code = run_with_idp(args)
    out = capsys.readouterr().out
    assert code == 0 and "PASS  auto-login.first-login" in out, out
    assert secret not in out
    # the step whose code was typed is kept for the run's other sign-ins, in its report
    assert (tmp_path / "report" / CODE_STEPS_FILE).read_text(encoding="ascii").strip().isdigit()
    config.write_text(text.replace('kind = "entra"', 'kind = "form"'), encoding="utf-8")
    with pytest.raises(IdpConfigError, match="only the entra driver"):
        load_idp_config(config, env)
    config.write_text(text, encoding="utf-8")
    with pytest.raises(IdpConfigError, match="totp_secret"):
        load_idp_config(config, {**env, "ENTRA_TEST_TOTP": "not base32!"})


def test_an_account_with_an_authenticator_app_signs_in_again_and_again(tmp_path: Path) -> None:
    """Every scenario signs in from scratch, and a provider takes one code per 30-second step
    (RFC 6238 §5.2: the mock refuses a code of a step it accepted a code from, as Entra does).
    So the driver types each step's code once and waits for the next step, saying so in the
    step log. The driver's time is the mock's clock, which stands still half a minute back
    (the RP's clock leeway covers where it ends) and moves only when the driver waits."""
    from scenarios.drivers import CodeSteps, EntraDriver
    from scenarios.real_idp import load_idp_config
    from scenarios.real_idp_scenarios import build_registry
    from scenarios.runner import RunOptions, run

    clock = MockClock(frozen_at=datetime.now(UTC) - timedelta(seconds=30))

    def wait(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    three = ("auto-login.first-login", "auto-login.app-visit", "signout.rp-initiated")
    with MockIdp(IdpConfig.default(clock=clock), host="localhost") as mock:
        secret = mock.http.put(
            f"/_mock/tenants/{mock.tenant_id}/users/alice@contoso.onmicrosoft.com/authenticator",
            json={}).json()["totp_secret"]
        path = tmp_path / "idp.toml"
        path.write_text(_config(mock, user='totp_secret_env = "ENTRA_TEST_TOTP"'),
                        encoding="utf-8")
        config = load_idp_config(path, {"ENTRA_TEST_SECRET": REFERENCE_RP_SECRET,
                                        "ENTRA_TEST_PASSWORD": "P@ssw0rd-alice",
                                        "ENTRA_TEST_TOTP": secret})
        assert isinstance(config.driver, EntraDriver)
        steps = CodeSteps(tmp_path / "run" / CODE_STEPS_FILE,
                          now=lambda: clock.now().timestamp(), sleep=wait)
        config = replace(config, driver=replace(config.driver, code_steps=steps))
        summary = run(RunOptions(only=three, report_dir=tmp_path / "report", trace="off",
                                 timeout_ms=20_000),
                      registry=build_registry(config), out=io.StringIO())
    assert [(r.id, r.status) for r in summary.results] == [(i, "passed") for i in three], [
        r.message for r in summary.results]
    waits = [s.name for r in summary.results for s in r.steps if s.name.startswith("wait ")]
    assert len(waits) == 2 and "for a new authenticator code" in waits[0], waits


def test_a_provider_too_slow_for_the_app_ends_on_the_apps_own_page(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The RP started for a real provider gives up on the token endpoint well before the
    browser gives up on the RP's callback, so a slow provider shows the RP's "took too long"
    page, not the browser's timeout (the token endpoint here hangs until the faults are
    cleared)."""
    from scenarios.real_idp import rp_timeouts
    from scenarios.real_idp_run import run_with_idp

    connect, read = rp_timeouts(3)
    assert connect + read < 3 and rp_timeouts(20) == (5, 10)
    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock), encoding="utf-8")
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(tmp_path / "report"), "--timeout", "3",
        "--only", "auto-login.first-login"])
    assert mock.http.post("/_mock/faults", json={
        "kind": "hang", "endpoint": "token", "seconds": 60}).status_code == 201
    try:
        code = run_with_idp(args)
    finally:
        mock.http.delete("/_mock/faults")
    out = capsys.readouterr().out
    assert code == 1 and "FAIL  auto-login.first-login" in out, out
    assert "took too long to answer" in out and "Timeout 3000ms" not in out, out


def test_a_wrong_password_fails_at_once_and_is_typed_once(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's error ends the wait for the app at once; the scenarios left are skipped,
    naming the key, so that the run adds no more failed sign-ins toward the account's
    lockout (Entra's smart lockout: 10 by default)."""
    from scenarios.real_idp_run import run_with_idp

    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "not-alices-password")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock), encoding="utf-8")
    report = tmp_path / "report"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", "auto-login.first-login,auto-login.widget,auto-login.app-visit"])
    code = run_with_idp(args)
    out = capsys.readouterr().out
    assert code == 1, out
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    by_id = {r["id"]: r for r in results}
    first = by_id["auto-login.first-login"]
    assert first["status"] == "failed" and first["seconds"] < 8, first
    assert "Your account or password is incorrect" in first["message"], first["message"]
    assert "[user] password_env" in first["message"], first["message"]
    for scenario_id in ("auto-login.widget", "auto-login.app-visit"):
        assert by_id[scenario_id]["status"] == "skipped", by_id[scenario_id]
        assert "[user] password_env" in by_id[scenario_id]["message"], by_id[scenario_id]
    assert "not-alices-password" not in out


@pytest.mark.parametrize(("user", "said", "advice"), [
    ("alice", '"Enter code"', "give a [user] username that Conditional Access excludes from "
     "MFA, or set [user] totp_secret_env (or totp_secret_file)"),
    ("dave", "AADSTS50105", "assign [user] username to the app (Entra admin center: Enterprise "
     "apps > the app > Users and groups), or turn its Assignment required? off"),
], ids=["second factor", "not assigned"])
def test_a_user_the_provider_will_not_let_in_is_told_what_to_change(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, user: str, said: str, advice: str) -> None:
    """Alice with an authenticator app, whose code the run cannot type without [user]
    totp_secret_env ("Enter code"), and Dave, not assigned to the app, which requires it (the
    provider sends AADSTS50105 back to the app): the first sign-in fails saying what to
    change, not as a failure of the app, and the scenarios left are skipped with it (each
    sign-in would be refused the same way)."""
    from scenarios.real_idp_run import run_with_idp

    if user == "alice":
        mock.add_authenticator("alice@contoso.onmicrosoft.com")
    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", f"P@ssw0rd-{user}")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock, username=f"{user}@contoso.onmicrosoft.com"),
                      encoding="utf-8")
    report = tmp_path / "report"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", "auto-login.first-login,auto-login.widget"])
    assert run_with_idp(args) == 1
    capsys.readouterr()
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    first, second = ({r["id"]: r for r in results}[i]
                     for i in ("auto-login.first-login", "auto-login.widget"))
    assert first["status"] == "failed" and first["message"].startswith(
        f"AssertionError: {advice}"), first
    assert said in first["message"] and "app's failure page" not in first["message"], first
    assert second["status"] == "skipped" and advice in second["message"], second


def test_a_wrong_client_secret_fails_with_the_providers_code_and_the_apps_admin_hint(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's failure page shows the user a reference; its admin error log has the
    provider's code and the hint for the administrator, which the failure message quotes."""
    from scenarios.real_idp_run import run_with_idp

    monkeypatch.setenv("ENTRA_TEST_SECRET", "not~the~apps~secret")
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock), encoding="utf-8")
    report = tmp_path / "report"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", "auto-login.first-login"])
    assert run_with_idp(args) == 1
    out = capsys.readouterr().out
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    message = results[0]["message"]
    first_lines = "\n".join(message.splitlines()[:2])
    assert "AADSTS7000215" in first_lines, message
    assert "The client secret is wrong" in first_lines, message
    assert "not~the~apps~secret" not in out + message


def test_a_post_logout_uri_not_registered_names_the_providers_page_and_the_uri(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The app registration without the RP's /signed-out: the provider keeps the browser on
    its own "You signed out of your account" page, and the failure says so and which URI to
    register, not which heading it did not find."""
    from scenarios.real_idp_run import run_with_idp

    application = f"/graph/{mock.tenant_id}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    assert mock.http.patch(application, json={"web": {"redirectUris": [
        f"http://{host}/auth/callback/{REFERENCE_RP_CLIENT_ID}"
        for host in ("localhost", "127.0.0.1")]}}).status_code == 204
    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock), encoding="utf-8")
    report = tmp_path / "report"
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", "signout.rp-initiated"])
    assert run_with_idp(args) == 1
    capsys.readouterr()
    result = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"][0]
    message = result["message"]
    assert "You signed out of your account" in message, message
    assert "/signed-out at the provider as the app's post-logout redirect URI" in message, message
    assert "Locator" not in message and result["seconds"] < 15, result


def test_an_unregistered_redirect_uri_is_told_once_and_the_rest_skipped_at_once(
        mock: MockIdp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The app registration without the reference RP's callback: the provider's error page
    (AADSTS50011) comes instead of any sign-in page, for every scenario alike. The first says
    which URI to register and where; the rest are skipped with that reason, at once, instead
    of each failing on the same page (about 3.5 s apiece)."""
    from scenarios.real_idp_run import run_with_idp

    application = f"/graph/{mock.tenant_id}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    assert mock.http.patch(application, json={"web": {"redirectUris": [
        "https://elsewhere.example/auth/callback"]}}).status_code == 204
    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    config = tmp_path / "idp.toml"
    config.write_text(_config(mock), encoding="utf-8")
    report = tmp_path / "report"
    run = ("auto-login.first-login", "auto-login.widget", "auto-login.portal", "auto-login.kb",
           "auto-login.app-visit", "signout.rp-initiated")
    args = build_parser().parse_args([
        "run", "--idp", str(config), "--report", str(report), "--timeout", "20",
        "--only", ",".join(run)])
    assert run_with_idp(args) == 1
    out = capsys.readouterr().out
    by_id = {r["id"]: r for r in json.loads(
        (report / "results.json").read_text(encoding="utf-8"))["results"]}
    first = by_id[run[0]]
    message = first["message"]
    assert first["status"] == "failed", first
    assert message.startswith("AssertionError: register http://"), message
    uri = message.split()[2]
    assert uri.endswith(f"/auth/callback/{REFERENCE_RP_CLIENT_ID}"), message
    assert f"a redirect URI of the app {REFERENCE_RP_CLIENT_ID}" in message, message
    where = "Authentication > Platform configurations > Web > Redirect URIs"
    assert where in message and "python -m scenarios doctor" in message, message
    assert "AADSTS50011: The redirect URI" in message and "Navigate to" not in message, message
    for scenario_id in run[1:]:
        skipped = by_id[scenario_id]
        assert skipped["status"] == "skipped", skipped
        assert f"redirect URI {uri} on its error page (AADSTS50011)" in skipped["message"], \
            skipped
        assert where not in skipped["message"], skipped  # said once, in the failure
        assert skipped["seconds"] < 1.5, skipped  # no browser waits on the provider's page
    assert sum(by_id[i]["seconds"] for i in run) < 10, by_id
    assert f"SKIP  {run[1]}" in out and "P@ssw0rd-alice" not in out, out


@pytest.mark.parametrize("mail", ["alice@contoso.onmicrosoft.com",
                                  "alice.adams@contoso.onmicrosoft.com"])
def test_a_registration_without_email_and_xms_edov_still_runs(
        mail: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An integrator's registration that does not ask for ``email`` and ``xms_edov`` (the
    reference RP then holds no address for its user), or a user whose mail is not the UPN:
    the scenarios tell who signed in by the name the app shows, not by an address, and the run
    notes, once, that the app holds none and what to add to the registration."""
    from mock_idp.config import OptionalClaim, OptionalClaims
    from scenarios.real_idp_run import run_with_idp

    tenant = IdpConfig.default().tenants[0]
    app = replace(tenant.apps[0], optional_claims=OptionalClaims(
        id_token=(OptionalClaim(name="login_hint"),)))
    users = tuple(replace(u, email=mail) if u.upn.startswith("alice@") else u
                  for u in tenant.users)
    config = replace(IdpConfig.default(), tenants=(replace(tenant, apps=(app,), users=users),))
    monkeypatch.setenv("ENTRA_TEST_SECRET", REFERENCE_RP_SECRET)
    monkeypatch.setenv("ENTRA_TEST_PASSWORD", "P@ssw0rd-alice")
    with MockIdp(config, host="localhost") as mock:
        idp = tmp_path / "idp.toml"
        idp.write_text(_config(mock, user='display_name = "Alice Adams"'), encoding="utf-8")
        junit = tmp_path / "junit.xml"
        args = build_parser().parse_args([
            "run", "--idp", str(idp), "--report", str(tmp_path / "report"), "--timeout", "20",
            "--junit", str(junit), "--only", "auto-login.first-login,auto-login.widget"])
        code = run_with_idp(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS  auto-login.first-login" in out and "PASS  auto-login.widget" in out, out
    note = ("the relying party holds no e-mail address for alice@contoso.onmicrosoft.com "
            "(/api/me answers email: null)")
    [line] = [line for line in out.splitlines() if line.startswith("note: the relying party")]
    assert line.startswith(f"note: {note}") and "optional claims email and xms_edov" in line, out
    results = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert [n[len("note: "):] for n in [line]] == results["notes"]
    assert "optional claims email and xms_edov" in (tmp_path / "report" / "index.html"
                                                   ).read_text(encoding="utf-8")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and [p.get("value") for p in suite.iter("property")
                                  if p.get("name") == "note"] == results["notes"]
