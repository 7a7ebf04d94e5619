"""``run --idp``'s config file, its list of skipped scenarios and their place in the reports,
without a provider or a browser (the runs themselves: ``tests/integrator/``)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.__main__ import build_parser, main
from scenarios.real_idp import IdpConfigError, graph_url, load_idp_config
from scenarios.real_idp_run import EXIT_NOTHING_RAN, run_with_idp
from scenarios.real_idp_scenarios import SKIP_REASON
from scenarios.registry import Registry
from scenarios.results import RunSummary, ScenarioResult
from scenarios.runner import RunOptions


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


RP_PORT = _free_port()
"""The reference RP's port in :data:`CONFIG`: one nothing listened on, as a run checks that it
is free before it starts."""
ENV = {"IDP_TEST_SECRET": "s3cret-value", "IDP_TEST_PASSWORD": "pa55word-value"}
CONFIG = f"""
[provider]
authority = "http://127.0.0.1:9/contoso"
client_id = "app-id"
client_secret_env = "IDP_TEST_SECRET"

[user]
username = "alice@contoso.example"
password_env = "IDP_TEST_PASSWORD"
display_name = "Alice Adams"

[driver]
kind = "entra"
stay-signed-in = "no"

[rp]
port = {RP_PORT}
"""


@pytest.fixture
def idp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "idp.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _run(idp_file: Path, *options: str) -> int:
    args = build_parser().parse_args(["run", "--idp", str(idp_file),
                                      "--report", str(idp_file.parent / "report"), *options])
    return run_with_idp(args)


def test_the_skipped_scenarios_need_the_mock_provider_not_an_app_capability(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(idp_file, "--list") == 0
    skips = dict(line.split("\tSKIP: ") for line in capsys.readouterr().out.splitlines()
                 if "\tSKIP: " in line)
    assert "failure.app-disabled" in skips and "auto-login.first-login" not in skips
    cancel = skips.pop("failure.user-cancels")  # the entra driver cannot cancel
    assert "cannot cancel" in cancel, cancel
    assert set(skips.values()) == {SKIP_REASON}

    # a run names the reason once, above the bare ids (nothing runs: exit 5 before a browser,
    # the reports written all the same)
    assert _run(idp_file, "--only", "failure.app-disabled,failure.idp-down") == 5
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:3] == [
        f"skipped against a real provider ({SKIP_REASON}):",
        "SKIP  failure.app-disabled",
        "SKIP  failure.idp-down",
    ]
    assert "every selected scenario needs the mock provider" in captured.err
    results = json.loads((idp_file.parent / "report" / "results.json").read_text("utf-8"))
    assert {r["status"] for r in results["results"]} == {"skipped"}


def test_a_misspelt_scenario_id_is_an_error_next_to_a_skipped_one(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(idp_file, "--only", "failure.idp-dwn,failure.app-disabled") == 2
    assert "no scenario matches 'failure.idp-dwn'" in capsys.readouterr().err


@pytest.mark.parametrize(("edit", "message"), [
    ((f"port = {RP_PORT}", f"prot = {RP_PORT}"), "rp.prot: unknown key (did you mean 'port'?)"),
    (("display_name", "displayname"), "user.displayname: unknown key (did you mean "
     "'display_name'?)"),
    (("password_env", "pasword_env"), "user.pasword_env: unknown key (did you mean "
     "'password_env'?)"),
    (("[rp]", "[rpp]"), "rpp: unknown key (did you mean 'rp'?)"),
    (("stay-signed-in", "stay-signed-inn"), "driver.stay-signed-inn: unknown key (did you mean "
     "'stay_signed_in'?)"),
    (("client_id =", "clientid ="), "provider.clientid: unknown key (did you mean 'client_id'?)"),
])
def test_an_unknown_section_or_key_is_named_with_the_nearest_known_one(
        idp_file: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str],
        message: str) -> None:
    idp_file.write_text(CONFIG.replace(*edit), encoding="utf-8")
    with pytest.raises(IdpConfigError, match="unknown key") as caught:
        load_idp_config(idp_file, ENV)
    assert message in str(caught.value)
    # the same usage error as the config's other problems, with --list too
    assert main(["run", "--idp", str(idp_file), "--list"]) == 2
    err = capsys.readouterr().err
    assert f"scenarios: --idp {idp_file}: line " in err and message in err, err


@pytest.mark.parametrize(("port", "message"), [
    ("70000", "[rp].port must be from 0 to 65535 (0: any free port)"),
    ("65536", "[rp].port must be from 0 to 65535 (0: any free port)"),
    ("-5", "[rp].port must be from 0 to 65535 (0: any free port)"),
    ('"http"', "[rp].port must be a number"),
    ("true", "[rp].port must be a number"),
    ("80.5", "[rp].port must be a number"),
])
def test_a_port_out_of_range_is_refused_with_its_line(
        idp_file: Path, capsys: pytest.CaptureFixture[str], port: str, message: str) -> None:
    """70000 was taken modulo 65536 (port 4464), -5 reported as "not free"."""
    idp_file.write_text(CONFIG.replace(f"port = {RP_PORT}", f"port = {port}"), encoding="utf-8")
    line = CONFIG.splitlines().index(f"port = {RP_PORT}") + 1
    with pytest.raises(IdpConfigError) as caught:
        load_idp_config(idp_file, ENV)
    assert str(caught.value) == f"line {line}: {message}"
    assert main(["run", "--idp", str(idp_file), "--list"]) == 2
    assert capsys.readouterr().err == f"scenarios: --idp {idp_file}: line {line}: {message}\n"


@pytest.mark.parametrize("port", ["0", "65535", '"8080"'])
def test_ports_in_range_are_taken(idp_file: Path, port: str) -> None:
    idp_file.write_text(CONFIG.replace(f"port = {RP_PORT}", f"port = {port}"), encoding="utf-8")
    assert load_idp_config(idp_file, ENV).rp_port == int(port.strip('"'))


def test_every_unknown_key_is_named_and_a_secret_in_the_file_is_still_refused(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idp_file.write_text(CONFIG.replace(f"port = {RP_PORT}", f"prot = {RP_PORT}\nlisten = 1")
                        + "\n[rpp]\nport = 1\n", encoding="utf-8")
    assert main(["run", "--idp", str(idp_file)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"scenarios: --idp {idp_file}: line ")
                                   for line in lines), lines
    assert "rp.listen: unknown key (known here: host, port, support_contact)" in lines[1]
    idp_file.write_text(CONFIG.replace('password_env = "IDP_TEST_PASSWORD"', 'password = "x"'),
                        encoding="utf-8")
    with pytest.raises(IdpConfigError, match="keep secrets out of the file"):
        load_idp_config(idp_file, ENV)


def test_the_reports_list_the_scenarios_that_need_the_mock_provider(
        idp_file: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As a run with --app reports what a profile cannot run (the runner stubbed: the run
    itself is tests/integrator/test_run_idp_entra.py's)."""
    import scenarios.real_idp
    import scenarios.runner

    def one_pass(options: RunOptions, *, registry: Registry) -> RunSummary:
        assert options.only == ("auto-login.first-login",)
        item = registry.get(options.only[0])
        return RunSummary(results=(ScenarioResult(
            id=item.id, title=item.title, proves=item.proves, group=item.group,
            status="passed", seconds=1.0),), seconds=1.0, workers=1,
            report_dir=options.report_dir)

    monkeypatch.setattr(scenarios.runner, "run", one_pass)
    # no provider here: the check that starts the RP before the run is stubbed too
    monkeypatch.setattr(scenarios.real_idp, "real_idp_stack",
                        lambda *args, **kwargs: contextlib.nullcontext())
    junit = idp_file.parent / "junit.xml"
    report = idp_file.parent / "report"
    assert _run(idp_file, "--only", "auto-login.first-login,failure.idp-down",
                "--junit", str(junit)) == 0
    out = capsys.readouterr().out
    assert "1 skipped (need the mock provider)" in out, out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "1" and suite.get("tests") == "2"
    skipped = suite.find("testcase[@name='failure.idp-down']/skipped")
    assert skipped is not None and skipped.get("message") == SKIP_REASON
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        ("auto-login.first-login", "passed"), ("failure.idp-down", "skipped")]
    assert results[1]["message"] == SKIP_REASON
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "1 passed, 0 failed, 1 skipped" in html and "failure.idp-down" in html
    # the provider and client tested are named (the secret never)
    discovery = "http://127.0.0.1:9/contoso/v2.0/.well-known/openid-configuration"
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert (data["provider"], data["client_id"]) == (discovery, "app-id"), data
    assert discovery in html and "app-id" in html
    assert f"provider {discovery}, client id app-id" in out, out
    assert ENV["IDP_TEST_SECRET"] not in out + html
    # so do the suite's name and the page's title, as they name the app of a run with --app
    against = "against provider http://127.0.0.1:9/contoso/v2.0"
    assert suite.get("name") == f"sso-harness scenarios: {against.removeprefix('against ')}"
    assert f"<title>SSO scenarios {against}: 1 passed" in html, html

    # the entra driver cannot cancel: that skip is counted apart from those needing the mock
    assert _run(idp_file, "--only", "auto-login.first-login,failure.idp-down,"
                "failure.user-cancels") == 0
    out = capsys.readouterr().out
    assert "2 skipped (1 need the mock provider, 1 for the reason listed above)" in out, out
    assert "SKIP  failure.user-cancels  (the sign-in driver cannot cancel" in out, out
    assert _run(idp_file, "--only", "auto-login.first-login,failure.user-cancels") == 0
    assert "1 skipped (for the reason listed above)" in capsys.readouterr().out
    # with nothing skipped, no "0 skipped" line
    assert _run(idp_file, "--only", "auto-login.first-login") == 0
    assert "skipped" not in capsys.readouterr().out


def test_a_shard_with_nothing_to_run_reports_its_skipped_scenarios_and_passes(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The scenarios that run are dealt out first, so every shard gets some while there are
    as many as shards; beyond that a shard holds only scenarios that need the mock: its
    JUnit file and report list them as skipped, and the job passes (exit 0). A shard that
    holds nothing at all passes too, with empty but valid reports."""
    from scenarios.real_idp_scenarios import build_registry
    from scenarios.registry import load_catalogue
    from scenarios.runner import DEFAULT_CATALOGUE, shard_of
    from scenarios.shard import Shard

    registry = build_registry(load_idp_config(idp_file, ENV),
                              catalogue=load_catalogue(DEFAULT_CATALOGUE))
    items = list(registry)
    reasons = {item.id: registry.skip_reason(item) for item in items}
    runnable = sum(reason is None for reason in reasons.values())
    assert 2 <= runnable < len(items) - 1
    for count in (2, runnable):
        for index in range(1, count + 1):
            mine = shard_of(Shard(index, count), items, reasons)
            assert any(reasons[item.id] is None for item in mine), (index, count)
    only_skipped = Shard(runnable + 1, runnable + 2)
    assert all(reasons[item.id] is not None for item in shard_of(only_skipped, items, reasons))
    report, junit = idp_file.parent / "report", idp_file.parent / "junit.xml"
    assert _run(idp_file, "--shard", str(only_skipped), "--junit", str(junit)) == 0
    captured = capsys.readouterr()
    assert f"shard {only_skipped}: every selected scenario needs the mock provider" in captured.err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0", suite.attrib
    assert suite.get("tests") == suite.get("skipped") != "0", suite.attrib
    assert f"shard {only_skipped}" in str(suite.get("name"))
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert results["shard"] == str(only_skipped) and results["results"]
    assert {r["status"] for r in results["results"]} == {"skipped"}
    assert (report / "index.html").is_file()

    # when no scenario of the selection runs anywhere, no shard passes
    assert _run(idp_file, "--only", "failure.idp-down", "--shard", "1/2") == EXIT_NOTHING_RAN
    assert "shard 1/2: every selected scenario needs the mock provider" in capsys.readouterr().err

    empty = Shard(len(items) + 1, len(items) + 1)
    assert _run(idp_file, "--shard", str(empty), "--junit", str(junit)) == 0
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "0", suite.attrib
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert results["results"] == []


def test_the_authority_is_trimmed_and_a_query_or_fragment_refused(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idp_file.write_text(CONFIG.replace('"http://127.0.0.1:9/contoso"',
                                       '" http://127.0.0.1:9/contoso/ "'), encoding="utf-8")
    assert load_idp_config(idp_file, ENV).discovery_url == (
        "http://127.0.0.1:9/contoso/v2.0/.well-known/openid-configuration")
    for authority in ("http://127.0.0.1:9/contoso?foo=bar", "http://127.0.0.1:9/contoso#x",
                      "http://127.0.0.1:9/contoso?"):
        idp_file.write_text(CONFIG.replace('"http://127.0.0.1:9/contoso"', f'"{authority}"'),
                            encoding="utf-8")
        assert main(["run", "--idp", str(idp_file), "--list"]) == 2
        err = capsys.readouterr().err
        assert f"[provider].authority: '{authority}' has a query or fragment" in err, err
    idp_file.write_text(CONFIG.replace('"http://127.0.0.1:9/contoso"',
                                       '"login.microsoftonline.com/contoso"'), encoding="utf-8")
    with pytest.raises(IdpConfigError, match=r"\[provider\]\.authority: .* is not an http"):
        load_idp_config(idp_file, ENV)


def _self_signed() -> tuple[bytes, bytes]:
    """A certificate (DER) and its key (PEM)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER), key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def test_a_ca_file_that_is_not_a_pem_certificate_is_a_usage_error_naming_it(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DER, a key or an empty file: exit 2 before anything starts, as ``conformance
    --ca-file`` says it; a PEM certificate is taken."""
    der, key = _self_signed()
    for name, content in (("ca.der", der), ("ca-key.pem", key), ("empty.pem", b"")):
        (idp_file.parent / name).write_bytes(content)
        idp_file.write_text(CONFIG.replace('client_id = "app-id"',
                                           f'client_id = "app-id"\nca_file = "{name}"'),
                            encoding="utf-8")
        assert _run(idp_file) == 2
        err = capsys.readouterr().err
        assert (f"[provider].ca_file: {idp_file.parent / name}: not a readable PEM CA "
                "certificate") in err, err
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
    (idp_file.parent / "ca.pem").write_bytes(pem)
    idp_file.write_text(CONFIG.replace('client_id = "app-id"',
                                       'client_id = "app-id"\nca_file = "ca.pem"'),
                        encoding="utf-8")
    assert load_idp_config(idp_file, ENV).ca_file == idp_file.parent / "ca.pem"


def test_last_failed_narrows_a_run_against_a_real_provider(
        idp_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = idp_file.parent / "report"
    report.mkdir()
    (report / "results.json").write_text(json.dumps({"results": [
        {"id": "auto-login.first-login", "status": "error"},
        {"id": "failure.idp-down", "status": "skipped"}]}), encoding="utf-8")
    assert _run(idp_file, "--list", "--last-failed") == 0
    captured = capsys.readouterr()
    assert [line.split("\t")[0] for line in captured.out.splitlines()
            if line and line[0] != "\t"] == ["auto-login.first-login"]
    assert "--last-failed: running the 1 of" in captured.err


@pytest.mark.parametrize(("metadata", "expected"), [
    ({"msgraph_host": "graph.microsoft.com"}, "https://graph.microsoft.com"),
    ({"msgraph_host": "graph.microsoft.us"}, "https://graph.microsoft.us"),
    ({}, "https://graph.microsoft.com"),
    ({"msgraph_host": "evil.example/x?"}, "https://graph.microsoft.com"),
    ({"msgraph_host": 7}, "https://graph.microsoft.com"),
])
def test_the_relying_party_asks_the_graph_of_the_providers_cloud(
        metadata: dict[str, object], expected: str) -> None:
    """``{graph_url}`` with ``--idp``: Entra's discovery names its cloud's Graph host."""
    assert graph_url(metadata) == expected


@pytest.mark.parametrize(("authority", "fix"), [
    ("http://127.0.0.1:9/contoso/v2.0/.well-known/openid-configuration",
     'discovery_url = "http://127.0.0.1:9/contoso/v2.0/.well-known/openid-configuration"'),
    ("http://127.0.0.1:9/contoso/oauth2/v2.0/authorize", 'authority = "http://127.0.0.1:9/contoso"'),
    ("http://127.0.0.1:9/contoso/oauth2", 'authority = "http://127.0.0.1:9/contoso"'),
    ("http://127.0.0.1:9/contoso/v2.0", 'authority = "http://127.0.0.1:9/contoso"'),
    ("http://127.0.0.1:9/contoso/v2.0/", 'authority = "http://127.0.0.1:9/contoso"'),
])
def test_an_authority_that_is_an_endpoint_says_what_to_write(
        idp_file: Path, capsys: pytest.CaptureFixture[str], authority: str, fix: str) -> None:
    """The discovery path is appended to an authority: a discovery URL, an endpoint or a
    ``/v2.0`` there would be doubled, so the file says what to write instead."""
    idp_file.write_text(CONFIG.replace('"http://127.0.0.1:9/contoso"', f'"{authority}"'),
                        encoding="utf-8")
    assert main(["run", "--idp", str(idp_file), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"scenarios: --idp {idp_file}: [provider].authority: "), err
    assert fix in err, err
    assert len(err.splitlines()) == 1, err


def test_an_issuer_that_is_a_discovery_url_says_to_give_discovery_url(idp_file: Path) -> None:
    url = "http://127.0.0.1:9/realms/acme/.well-known/openid-configuration"
    idp_file.write_text(CONFIG.replace('authority = "http://127.0.0.1:9/contoso"',
                                       f'issuer = "{url}"'), encoding="utf-8")
    with pytest.raises(IdpConfigError, match=rf'\[provider\]\.issuer: .*discovery_url = "{url}"'):
        load_idp_config(idp_file, ENV)
    idp_file.write_text(CONFIG.replace('authority = "http://127.0.0.1:9/contoso"',
                                       'issuer = "http://127.0.0.1:9/contoso/v2.0"'),
                        encoding="utf-8")
    assert load_idp_config(idp_file, ENV).discovery_url == (
        "http://127.0.0.1:9/contoso/v2.0/.well-known/openid-configuration")


@pytest.mark.parametrize(("where", "text", "key"), [
    ("password", "Your account or password is incorrect.", "check [user] password_env"),
    ("username", "This username may be incorrect.", "check [user] username"),
    ("code", "You didn't enter the expected verification code.", "[user] totp_secret_env"),
    ("page", "AADSTS50057: User account is disabled.", "it is disabled"),
    ("factor", 'alice must approve the sign-in ("Approve sign in request")',
     "Conditional Access excludes from MFA, or set [user] totp_secret_env"),
    ("redirect", "interaction_required: AADSTS50105: The signed in user 'alice' is not "
     "assigned to a role for the application.", "Enterprise apps > the app > Users and groups"),
    ("account", 'alice must choose a new password ("Update your password")',
     "then update [user] password_env"),
])
def test_a_refusal_of_the_test_user_names_the_key_to_check(where: str, text: str,
                                                           key: str) -> None:
    """(A locked account: ``tests/scenarios_conformance/test_refusals.py``, with conformance.)"""
    from scenarios.conformance.judging import Refusal
    from scenarios.real_idp_signin import refused_user

    found = re.search(r"AADSTS(\d+)", text)
    said = refused_user("alice@contoso.example", Refusal(
        where=where, text=text, aadsts=int(found.group(1)) if found else None))
    assert said is not None and said.startswith(("check", "enable", "give", "assign", "sign in")
                                                ) and key in said, said
    assert f'"{text}"' in said, said
    # the app's or the connection's refusal is not the user's: the run goes on
    assert refused_user("alice@contoso.example", Refusal(
        where="page", text="AADSTS700016: Application not found.", aadsts=700016)) is None


@pytest.mark.parametrize(("code", "text"), [
    (50011, "AADSTS50011: The redirect URI 'http://127.0.0.1:8765/cb' specified in the request "
     "does not match the redirect URIs configured for the application 'x'. Make sure the "
     "redirect URI sent in the request matches one added to your application."),
    (500113, "AADSTS500113: No reply address is registered for the application."),
])
def test_an_unregistered_redirect_uri_names_the_uri_the_portal_and_doctor(code: int,
                                                                          text: str) -> None:
    from scenarios.conformance.judging import Refusal
    from scenarios.real_idp_signin import unregistered_redirect

    said = unregistered_redirect("http://127.0.0.1:8765/cb", "app-1", Refusal(
        where="page", text=text, aadsts=code))
    assert said is not None and said.startswith(
        "register http://127.0.0.1:8765/cb as a redirect URI of the app app-1 "), said
    assert "App registrations > the app > Authentication > Platform configurations > Web > " \
        "Redirect URIs" in said and "--redirect-uri http://127.0.0.1:8765/cb" in said, said
    assert f'("AADSTS{code}:' in said and "Make sure" not in said, said  # its first sentence
    # another error page (an unknown client id), or AADSTS50011 sent back to the app (so the
    # URI is registered), or a refusal of the user: not this
    for where, other in (("page", 700016), ("redirect", 50011), ("password", None)):
        assert unregistered_redirect("http://127.0.0.1:8765/cb", "app-1", Refusal(
            where=where, text=f"AADSTS{other}: no", aadsts=other)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("shown", "said"), [
    ("We are sorry...\nInvalid parameter: redirect_uri\n« Back to Application",
     "'Invalid parameter: redirect_uri'"),  # Keycloak
    ("oops! something went wrong\nerror: invalid_redirect_uri\nerror_description: redirect_uri "
     "did not match any of the client's registered redirect_uris\nstate: abc",
     '"error: invalid_redirect_uri / error_description: redirect_uri did not match'),
])
def test_another_providers_error_page_for_the_redirect_uri_is_told(shown: str,
                                                                    said: str) -> None:
    from scenarios.real_idp_signin import unregistered_elsewhere

    told = unregistered_elsewhere("http://127.0.0.1:8765/cb", "rp", shown)
    assert told is not None and told.startswith(
        "register http://127.0.0.1:8765/cb as a redirect URI of the client rp at the provider "
        "(`python -m scenarios doctor` checks it"), told
    assert f"error page ({said}" in told and "state:" not in told, told
    assert unregistered_elsewhere("http://127.0.0.1:8765/cb", "rp",
                                  "We are sorry...\nClient not found.") is None
