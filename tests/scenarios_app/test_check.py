"""``python -m scenarios app check`` and ``app init``: one clear line per problem."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sample_apps import failing_profile, tiny_profile
from sample_apps.partner_rp import partner_profile
from scenarios_runner.page_server import Pages, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mock_idp.testing import MockIdp
from scenarios.__main__ import EXIT_BROKEN_PIPE, main
from scenarios.app import load_profile
from scenarios.app.check import check_profile
from scenarios.app.cli import SKELETON
from scenarios.app.failure_probe import same_server
from scenarios.app.servers import AppLaunch


def _check(path: Path | str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = check_profile(Path(path), out=out)
    return code, out.getvalue().splitlines()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_good_app_has_no_problems(tmp_path: Path) -> None:
    code, lines = _check(tiny_profile(tmp_path))
    assert code == 0, "\n".join(lines)
    assert lines[-1] == "no problems found"
    text = "\n".join(lines)
    assert "the app answers at http://127.0.0.1:" in text and "(started by its command)" in text
    assert "sign-in URL 'login' starts the sign-in at the mock provider" in text
    assert "protected URL /account starts the sign-in at the mock provider" in text
    assert "me_url answers HTTP 401 while nobody is signed in" in text
    assert any(line.startswith("note     the profile lacks partner ([partner] events_url and "
                               "launch_url): ") and "partner.launch" in line
               for line in lines), lines


def test_the_reference_profile_has_no_problems(caplog: pytest.LogCaptureFixture) -> None:
    code, lines = _check("reference-rp")
    assert code == 0, "\n".join(lines)
    assert any("events_url refuses an unsigned event" in line for line in lines)
    assert any("scenarios can run against reference relying party" in line for line in lines)
    # The refusals it provokes are its findings, not the servers' log lines on the terminal.
    assert not [r for r in caplog.records if r.name.startswith(("relying_party", "mock_idp"))]


def test_a_typo_is_named_with_its_line(tmp_path: Path) -> None:
    path = tiny_profile(tmp_path)
    path.write_text(path.read_text().replace('me_url = "/me"', 'me_ulr = "/me"'))
    code, lines = _check(path)
    assert code == 1
    assert any(line.startswith("PROBLEM") and f"{path}:" in line
               and "signed_in.me_ulr: unknown key (did you mean 'me_url'?)" in line
               for line in lines), lines


def test_an_app_that_is_down_is_said_to_be_down(tmp_path: Path) -> None:
    path = tmp_path / "down.toml"
    port = _closed_port()
    path.write_text(f"""\
[app]
base_url = "http://127.0.0.1:{port}"
[provider]
redirect_uris = "{{base_url}}/cb"
[sign_in]
urls = {{ login = "/login" }}
[signed_in]
me_url = "/me"
""")
    code, lines = _check(path)
    assert code == 1
    assert (f"PROBLEM  the app at http://127.0.0.1:{port} is down: http://127.0.0.1:{port}: "
            "cannot connect (connection refused)") in lines, lines


def test_an_app_whose_command_fails_shows_its_output(tmp_path: Path) -> None:
    path = tiny_profile(tmp_path)
    path.write_text(path.read_text().replace('OIDC_CLIENT_ID = "{client_id}"\n', ""))
    code, lines = _check(path)
    assert code == 1
    text = "\n".join(lines)
    assert "PROBLEM  the app's command exited with code 1 before" in text
    assert "KeyError: 'OIDC_CLIENT_ID'" in text


def test_an_app_that_prints_its_secret_is_shown_masked(tmp_path: Path) -> None:
    """As ``run`` keeps what the app printed: the secret masked by its name and by its value."""
    path = tmp_path / "loud.toml"
    path.write_text("""\
[app]
command = "echo boom OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET >&2; echo $OIDC_CLIENT_SECRET; exit 3"
[app.env]
OIDC_CLIENT_SECRET = "{client_secret}"
[provider]
redirect_uris = "{base_url}/cb"
[sign_in]
urls = { login = "/login" }
[signed_in]
me_url = "/me"
""")
    code, lines = _check(path)
    assert code == 1
    assert "boom OIDC_CLIENT_SECRET=[redacted]" in lines and "[redacted]" in lines, lines
    assert not [line for line in lines if "~" in line], lines  # the mock's secrets hold a ~
    # A profile's problem names a key, which is no secret: it is shown as it is.
    path.write_text(path.read_text().replace('"{client_secret}"', '"{client_secrt}"'))
    code, lines = _check(path)
    assert code == 1
    assert any(line.startswith(f"PROBLEM  {path}:4: app.env.OIDC_CLIENT_SECRET: unknown "
                               "placeholder {client_secrt}") for line in lines), lines


def test_a_profile_without_a_session_check_gets_a_note(tmp_path: Path) -> None:
    """With only a selector, the failure scenarios cannot tell whether anyone is signed in."""
    path = tiny_profile(tmp_path)
    text = path.read_text()
    signed_in = text[text.index("[signed_in]"):text.index("[failure]")]
    path.write_text(text.replace(signed_in, '[signed_in]\nselector = "#who"\n\n'))
    code, lines = _check(path)
    assert code == 0, "\n".join(lines)
    assert ("note     no session check ([signed_in] me_url, or page with text or selector): "
            "the failure scenarios cannot check that nobody is signed in, so an app that shows "
            "its failure page but signs the user in anyway passes them") in lines, lines
    code, lines = _check(tiny_profile(tmp_path))
    assert not [line for line in lines if "no session check" in line], lines


def test_an_app_pointed_at_a_provider_on_another_local_port_is_told_its_setting(
        tmp_path: Path) -> None:
    """Another provider on this machine (a mock left running from another set-up) is a stale
    authority setting, said as a run says it (:mod:`scenarios.app.elsewhere`)."""
    with MockIdp() as other:
        code, lines = _check(tiny_profile(tmp_path, authority=other.authority))
        target = f"{other.authority}/oauth2/v2.0/authorize"
    assert code == 1
    [found] = [line for line in lines if "sign-in URL 'login'" in line]
    assert re.fullmatch(
        rf"PROBLEM  sign-in URL 'login' sends the browser to {re.escape(target)}, a local "
        r"address that is neither the app at http://127\.0\.0\.1:\d+ nor the mock provider at "
        r"http://localhost:\d+: an authority, issuer or discovery URL setting of the app is not "
        r"where the mock provider runs \(hand the app the mock's: \{authority\}, or \{issuer\} "
        r"or \{discovery_url\}, in \[app\.env\] or its command\)", found), found


def redirecting_app(launch: AppLaunch) -> Starlette:
    """An app whose sign-in URL sends the browser to ``TARGET`` (of its ``[app.env]``)."""
    async def login(request: Request) -> Response:
        return RedirectResponse(launch.env["TARGET"], status_code=302)

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login), Route("/me", me)])


def _asgi_profile(path: Path, factory: str, env: str, *, callback: str = "/callback",
                  extra: str = "") -> Path:
    """A profile at ``path`` for ``factory`` of this module, with ``env`` as its ``[app.env]``
    lines, a sign-in URL ``/login`` and ``me_url`` ``/me``; ``extra`` follows its sections."""
    path.write_text(f"""\
[app]
asgi = "scenarios_app.test_check:{factory}"
[app.env]
{env}
[provider]
redirect_uris = ["{{base_url}}{callback}"]
[sign_in]
urls = {{ login = "/login" }}
[signed_in]
me_url = "/me"
{extra}""", encoding="utf-8")
    return path


@pytest.mark.parametrize(("target", "said"), [
    ("http://127.0.0.1:5999/callback?code=c", "http://127.0.0.1:5999/callback, a local address "
     "that is neither the app at {app} nor the mock provider at {idp}: a base URL or port "
     "setting of the app is not where the harness serves it (hand the app its own URL: "
     "{{base_url}} or {{port}}, and {{redirect_uri}}, in [app.env] or its command)"),
    ("http://[::1]:5000/login?next=%2F", "http://[::1]:5000/login, a local address that is "
     "neither the app at {app} nor the mock provider at {idp}: a base URL or port setting of "
     "the app is not where the harness serves it (hand the app its own URL: {{base_url}} or "
     "{{port}}, and {{redirect_uri}}, in [app.env] or its command)"),
    ("https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize?client_id=c",
     "https://login.microsoftonline.com, not to the mock provider at {idp}: the app is pointed "
     "at another provider (check which settings it reads: [app.env], [[configure]]; a library "
     "that writes Entra's hosts itself, as fastapi-sso's MicrosoftSSO and arctic's "
     "MicrosoftEntraId do, must be handed the mock's endpoints where it lets an app override "
     "them)"),
], ids=["stale-port", "stale-ipv6", "entra"])
def test_an_app_that_sends_the_browser_elsewhere_is_told_what_goto_tells_it(
        tmp_path: Path, target: str, said: str) -> None:
    """A loopback address that is neither the app's nor the mock's is a setting of the app's
    own URL, as a run's navigation says it; another host is another provider, or Entra's host
    written into the library (arctic 3's MicrosoftEntraId), as a run's navigation says too."""
    code, lines = _check(_asgi_profile(tmp_path / "elsewhere.toml", "redirecting_app",
                                       f'TARGET = "{target}"'))
    [found] = [line for line in lines if "sign-in URL 'login'" in line]
    app = re.search(r"http://127\.0\.0\.1:\d+", "\n".join(lines))
    idp = re.search(r"mock provider at (http://localhost:\d+)", found)
    assert code == 1 and app is not None and idp is not None, lines
    assert found == "PROBLEM  sign-in URL 'login' sends the browser to " + said.format(
        app=app.group(), idp=idp[1]), found


def test_init_writes_a_skeleton_that_reads_back(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.toml"
    assert main(["app", "init", str(path)]) == 0
    assert path.read_text() == SKELETON.read_text()
    profile = load_profile(path)
    assert profile.app.mode == "command" and "customer-sso" in profile.capabilities
    # The harness's interpreter, as the README recommends for an app installed beside it.
    assert profile.app.command == ("{python}", "app.py", "--port", "{port}")
    assert "app check" in capsys.readouterr().out
    assert main(["app", "init", str(path)]) == 2
    assert "exists (--force overwrites it)" in capsys.readouterr().err
    assert main(["app", "init", str(path), "--force"]) == 0


def test_init_where_it_cannot_write_says_why_on_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    a_file = tmp_path / "afile"
    a_file.write_text("", encoding="utf-8")
    said = {
        (str(folder),): f"{folder} is a directory: give the profile's file name",
        (str(folder), "--force"): f"{folder} is a directory: give the profile's file name",
        (str(a_file / "x.toml"),): "a directory on its path is a file",
        (str(a_file / "sub" / "x.toml"),): "a directory on its path is a file",
    }
    for argv, line in said.items():
        assert main(["app", "init", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("scenarios app init: ") and line in err, err
        assert len(err.splitlines()) == 1, err
    assert folder.is_dir() and a_file.read_text(encoding="utf-8") == ""

    def refused(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refused)
    assert main(["app", "init", str(tmp_path / "mine.toml")]) == 2
    assert capsys.readouterr().err == (f"scenarios app init: cannot write {tmp_path / 'mine.toml'}:"
                                       " Permission denied\n")


def test_an_app_on_common_with_a_single_tenant_registration_is_a_problem(
        tmp_path: Path) -> None:
    path = tiny_profile(tmp_path, authority="{idp_url}/common")
    code, lines = _check(path)
    assert code == 1
    # an app that takes the tenant apart from the host (better-auth's tenantId, arctic's
    # tenant argument) is told the placeholder it needs: {authority} holds the host too
    assert any(line.startswith("PROBLEM  sign-in URL 'login' signs in through /common")
               and "AADSTS50194" in line and "sign_in_audience" in line
               and "{tenant_id} where it takes the tenant alone" in line for line in lines), lines
    path.write_text(path.read_text().replace(
        "[provider]\n", '[provider]\nsign_in_audience = "AzureADMultipleOrgs"\n'))
    code, lines = _check(path)
    assert code == 0, "\n".join(lines)
    assert any(line.startswith("note     sign-in URL 'login' signs in through /common: users of "
                               "every organization") for line in lines), lines


@pytest.mark.slow
def test_a_reader_that_leaves_early_stops_the_check_and_the_app_quietly(tmp_path: Path) -> None:
    """``python -m scenarios app check PROFILE | head -2``: no traceback, and the app the check
    started is not left running."""
    child = subprocess.Popen(
        [sys.executable, "-m", "scenarios", "app", "check", str(tiny_profile(tmp_path))],
        cwd=Path(__file__).parents[2], env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    try:
        for line in child.stdout:
            if found := re.search(r"the app answers at (http://127\.0\.0\.1:(\d+))", line):
                break
        else:
            pytest.fail(f"no 'app answers' line: {child.stderr.read()}")
        child.stdout.close()  # the reader leaves while the check goes on writing
        err = child.stderr.read()
        assert child.wait(timeout=60) == EXIT_BROKEN_PIPE, err
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
        child.stderr.close()
    assert "Traceback" not in err, err
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(found[2])),
                                                           timeout=5):
        pass


def test_an_app_that_reads_events_without_their_signature_is_reported(tmp_path: Path) -> None:
    """The probe is a well-formed app.installed addressed to the app: an app that never checks
    the signature takes it (an empty, misaddressed event would be refused for its shape)."""
    code, lines = _check(partner_profile(tmp_path, defect="signature"))
    assert code == 1, "\n".join(lines)
    problems = [line for line in lines if line.startswith("PROBLEM")]
    assert len(problems) == 1, lines
    assert "accepted a well-formed app.installed event unsigned (HTTP 200): an app must verify " \
           "X-Hub-Ecdsa-Signature" in problems[0], problems


def test_an_app_that_verifies_event_signatures_passes_the_events_probe(tmp_path: Path) -> None:
    code, lines = _check(partner_profile(tmp_path))
    assert code == 0, "\n".join(lines)
    assert ("ok       events_url refuses an unsigned event and one signed with a key the "
            "platform does not publish (HTTP 401, 401)") in lines, lines


def test_an_app_that_refuses_badly_signed_events_with_400_passes_the_events_probe(
        tmp_path: Path) -> None:
    """No refusal status is contracted for the platform's events: a 400 refuses as well as a
    401 or 403."""
    code, lines = _check(partner_profile(tmp_path, refusal_status=400))
    assert code == 0, "\n".join(lines)
    assert ("ok       events_url refuses an unsigned event and one signed with a key the "
            "platform does not publish (HTTP 400, 400)") in lines, lines


def test_the_failure_page_is_checked_against_the_profile(tmp_path: Path) -> None:
    """The callback gets what the provider sends when the user cancels; the page the app shows
    should carry the profile's contact, text and error status, so a typo in [failure] is seen
    here rather than as every failure scenario failing (a note: the app may be what is wrong)."""
    code, lines = _check(tiny_profile(tmp_path, extra="error_status = true\n"))
    assert code == 0, "\n".join(lines)
    assert ("ok       failure page after a sign-in the user cancelled (access_denied, "
            "AADSTS65004): it does show 'Sign-in failed'; does show the support contact "
            "'help@tiny.example'; does come with an error status (error_status = true)"
            ) in lines, lines
    path = tiny_profile(tmp_path, extra='reference = "Ref: (T-[0-9]+)"\n')
    path.write_text(path.read_text().replace('"help@tiny.example"', '"nobody@wrong.example"')
                    .replace('"Sign-in failed"', '"Totally different text"'))
    code, lines = _check(path)
    assert code == 0, lines
    assert ("note     failure page after a sign-in the user cancelled (access_denied, "
            "AADSTS65004): it does not show 'Totally different text'; does not show the support "
            "contact 'nobody@wrong.example'; does not show an error reference "
            "(/Ref: (T-[0-9]+)/); the app showed /callback with HTTP 400: 'Sign-in failed'. The "
            "failure scenarios will fail unless [failure] is mistyped: check it against what the "
            "app shows") in lines, lines


def test_a_reference_pattern_written_against_the_html_is_said_to_match_only_there(
        tmp_path: Path) -> None:
    """The reference is looked for in the page's text, as the scenarios look for it in what
    the browser shows: a pattern with the page's tags in it finds nothing, and the note says
    it matched the HTML."""
    code, lines = _check(tiny_profile(tmp_path, extra='reference = "<h1>(Sign-in failed)</h1>"\n'))
    assert code == 0, lines
    assert any(line.startswith("note     failure page after a sign-in the user cancelled") and
               "does not show an error reference (/<h1>(Sign-in failed)</h1>/; it matches the "
               "page's HTML, but the reference is looked for in its text, without tags)" in line
               for line in lines), lines


def test_a_reference_pattern_that_matches_the_text_is_not_said_to_match_only_the_html(
        tmp_path: Path) -> None:
    """A pattern that matches the page's text matches its HTML as well: the finding is ok, with
    no word of the markup."""
    code, lines = _check(tiny_profile(tmp_path, extra='reference = "(Sign-in failed)"\n'))
    assert code == 0, lines
    [found] = [line for line in lines if line.startswith("ok       failure page after")]
    assert found.endswith("; does show an error reference (/(Sign-in failed)/)"), found


def test_a_sign_in_url_that_fails_says_what_the_page_says(tmp_path: Path) -> None:
    path = tiny_profile(tmp_path)
    path.write_text(path.read_text().replace('url = "/login"', 'url = "/log-in"'))
    code, lines = _check(path)
    assert code == 1
    assert any(line.startswith("PROBLEM  sign-in URL 'login' (http://127.0.0.1:")
               and line.endswith("/log-in) answered HTTP 404: 'Not found'")
               for line in lines), lines


def test_a_command_that_is_never_given_its_port_is_told_so(tmp_path: Path) -> None:
    """The harness picks the port; a command that is not handed it listens elsewhere, and the
    wait for it ends with why, not only with the time it took."""
    path = tiny_profile(tmp_path)
    path.write_text(path.read_text().replace('"--port", "{port}"', '"--port", "0"')
                    .replace("timeout = 20", "timeout = 2"))
    code, lines = _check(path)
    assert code == 1
    problem = next(line for line in lines if line.startswith("PROBLEM"))
    assert "within 2 s" in problem and problem.endswith(
        "the command and [app.env] never name {port} or {base_url}, so the app cannot know the "
        "port the harness picked for it: pass it (e.g. --port {port}, or PORT = \"{port}\" in "
        "[app.env]), or give [app] base_url the app's own port"), lines


def test_an_app_that_answers_500_has_its_output_shown_once(tmp_path: Path) -> None:
    """The app printed why it failed (a library's ValueError, say): the check shows its last
    lines with the first 5xx, not only "HTTP 500"."""
    path = failing_profile(tmp_path, "500")
    code, lines = _check(path)
    assert code == 1
    text = "\n".join(lines)
    start = next(i for i, line in enumerate(lines) if "sign-in URL 'login'" in line)
    assert lines[start].endswith("answered HTTP 500: 'Internal Server Error'"), lines
    assert lines[start + 1] == "--- the app's output (last lines) ---", lines
    assert lines[start + 2] == "fatal: cannot serve /login", lines
    assert lines[start + 3] == "[redacted]", lines  # masked as a start failure's output
    assert text.count("--- the app's output (last lines) ---") == 1, text
    assert any(line.startswith("PROBLEM  me_url") and "answers HTTP 500" in line
               for line in lines), lines


def test_an_app_whose_output_shows_a_known_cause_gets_the_fix_under_it(tmp_path: Path) -> None:
    """MSAL Python refuses the mock's http authority in words of its own; the check names the
    profile's fix on the line after the app's output."""
    path = failing_profile(tmp_path, "500")
    path.write_text(path.read_text().replace("[app.env]\n", (
        "[app.env]\nFAILING_WITH = \"ValueError: Your given address (http://localhost:1/t) "
        "should consist of an https url with hostname\"\n")))
    code, lines = _check(path)
    assert code == 1
    start = next(i for i, line in enumerate(lines) if "sign-in URL 'login'" in line)
    assert lines[start + 1] == "--- the app's output (last lines) ---", lines
    assert lines[start + 2].startswith("ValueError: Your given address"), lines
    assert lines[start + 4] == ("hint: MSAL takes only https authorities: set [provider] https = "
                                "true, and hand the app {ca_file} (the mock's CA) in [app.env]"
                                ), lines


@pytest.mark.parametrize(("mode", "shown"), [
    ("host", "Django says: Invalid HTTP_HOST header: '127.0.0.1:"),
    ("host-quiet", "every URL the check asked answered HTTP 400 with Django's "
                   "'Bad Request (400)' page"),
])
def test_a_django_app_that_refuses_the_harness_s_host_is_told_to_allow_it(
        tmp_path: Path, mode: str, shown: str) -> None:
    """Django answers a Host header its ALLOWED_HOSTS leaves out with HTTP 400, which the
    readiness probe takes as ready: the first problem names the host to add, from the line
    Django logs or else from its 400 page answering every URL; once, not under each 400."""
    code, lines = _check(failing_profile(tmp_path, mode))
    assert code == 1
    hints = [i for i, line in enumerate(lines) if line.startswith("hint:")]
    assert len(hints) == 1, lines
    assert lines[hints[0] - 1].startswith("PROBLEM  sign-in URL 'login'"), lines
    assert lines[hints[0]].startswith(
        "hint: the app's Django ALLOWED_HOSTS leaves out 127.0.0.1, the host the harness "
        "reaches it by, so it answers every URL with HTTP 400: add '127.0.0.1' to "
        f"ALLOWED_HOSTS ({shown}"), lines


def test_django_s_400_page_is_blamed_on_the_host_only_when_every_url_answers_it() -> None:
    """Django answers a request it refuses (a tampered state, say) with the same 400 page: an
    app that answered anything else first has a host it allows, and no hint."""
    from scenarios.app.check import Report

    page = b"<title>Bad Request (400)</title><h1>Bad Request (400)</h1>"
    for statuses, hinted in (((302, 400), False), ((400, 400), True)):
        out = io.StringIO()
        report = Report(out, app_base="http://127.0.0.1:8123")
        for status in statuses:
            report.watch(httpx.Response(status, content=page if status == 400 else b"",
                                        request=httpx.Request("GET", "http://127.0.0.1:8123/a")))
        report.add("PROBLEM", "the callback answered HTTP 400: 'Bad Request (400)'")
        assert ("add '127.0.0.1' to ALLOWED_HOSTS" in out.getvalue()) is hinted, out.getvalue()


def test_an_app_that_does_not_start_gets_the_known_cause_under_its_output(
        tmp_path: Path) -> None:
    """An app that builds its MSAL client as it starts stops there on the mock's http
    authority: the start failure names the fix too."""
    path = tmp_path / "stops.toml"
    script = ("import sys; print('ValueError: Your given address (http://localhost:1/t) should "
              "consist of an https url'); sys.exit(1)")
    path.write_text(f"""\
[app]
command = ["{sys.executable}", "-c", "{script}", "{{port}}"]
[provider]
redirect_uris = ["{{base_url}}/cb"]
[sign_in]
urls = {{ login = "/login" }}
[signed_in]
me_url = "/me"
""", encoding="utf-8")
    code, lines = _check(path)
    assert code == 1
    assert lines[-2:] == [
        "ValueError: Your given address (http://localhost:1/t) should consist of an https url",
        "hint: MSAL takes only https authorities: set [provider] https = true, and hand the app "
        "{ca_file} (the mock's CA) in [app.env]"], lines


class _OtherApp(Pages):
    def page(self, path: str) -> tuple[int, str]:
        return 200, "<h1>Another app altogether</h1>"


def test_a_redirect_uri_on_another_server_is_named(tmp_path: Path) -> None:
    """Registered, so the sign-in starts; but the provider's answers go to another server on
    this machine than the app the harness started: a problem, and the failure page's note says
    whose page it read."""
    with serving(_OtherApp) as other:
        elsewhere = other.replace("127.0.0.1", "localhost")
        path = tiny_profile(tmp_path)
        path.write_text(path.read_text().replace('"{base_url}/callback"',
                                                 f'"{elsewhere}/callback"'))
        code, lines = _check(path)
    assert code == 1
    assert any(line.startswith(f"PROBLEM  sign-in URL 'login': the redirect URI {elsewhere}"
                               "/callback is not on the app under test (http://127.0.0.1:")
               and f"so {elsewhere} gets the provider's answers, not the app the harness "
               "started on port " in line and line.endswith(
                   "write the redirect URI with {base_url} in [provider] redirect_uris")
               for line in lines), lines
    assert any(line.startswith("note     failure page after a sign-in the user cancelled")
               and f"; {elsewhere}, not the app under test at http://127.0.0.1:" in line
               and "showed /callback with HTTP 200: 'Another app altogether'" in line
               for line in lines), lines


def test_a_redirect_uri_on_another_host_is_a_note() -> None:
    """Another host name may be a proxy in front of the app: said, not a problem."""
    from scenarios.app.check import Report, _redirect_elsewhere

    report = Report(io.StringIO())
    _redirect_elsewhere(report, "sign-in URL 'login'", "https://app.example/cb",
                        "http://127.0.0.1:5000", True)
    assert [str(f) for f in report.findings] == [
        "note     sign-in URL 'login': the redirect URI https://app.example/cb is not on the "
        "app under test (http://127.0.0.1:5000), so https://app.example gets the provider's "
        "answers: right only if it passes them on to the app (a proxy)"]


@pytest.mark.parametrize(("url", "base", "same"), [
    ("https://app.example.com:443/auth/callback", "https://app.example.com", True),
    ("http://app.example.com/cb", "http://app.example.com:80", True),
    ("http://localhost:5000/cb", "http://127.0.0.1:5000", True),
    ("http://localhost:5000/cb", "http://127.0.0.1:5001", False),
    ("https://app.example.com:8443/cb", "https://app.example.com", False),
    ("http://app.example.com/cb", "https://app.example.com", False),
])
def test_a_default_port_written_out_is_the_same_server(url: str, base: str, same: bool) -> None:
    assert same_server(url, base) is same


def posting_sign_in_app(launch: AppLaunch) -> Starlette:
    """An app whose sign-in starts only by a POST with a CSRF token, as Auth.js's does: its
    sign-in page fetches the token and posts the form as it loads (``SCRIPT=1``), or waits
    for a click on the form's button."""
    script = ('<script>fetch("/auth/csrf").then(r => r.json()).then(j => {'
              'document.getElementById("csrf").value = j.csrfToken; document.forms[0].submit();'
              '});</script>') if launch.env["SCRIPT"] == "1" else ""

    async def login(request: Request) -> HTMLResponse:
        return HTMLResponse('<h1>Signing you in</h1><form method="post" '
                            'action="/auth/signin/entra"><input type="hidden" name="csrfToken" '
                            f'id="csrf"><button>Sign in</button></form>{script}')

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login), Route("/me", me)])


@pytest.mark.parametrize(("script", "level"), [("1", "note"), ("0", "PROBLEM")],
                         ids=["posted-by-its-script", "waiting-for-a-click"])
def test_a_sign_in_page_whose_script_posts_its_form_to_the_app_is_a_note(
        tmp_path: Path, script: str, level: str) -> None:
    """The check runs no script: it cannot follow such a page, which the scenarios' browser
    takes as a hand-off; a page with the form alone waits for a click, which fails them."""
    code, lines = _check(_asgi_profile(tmp_path / "posting.toml", "posting_sign_in_app",
                                       f'SCRIPT = "{script}"', callback="/auth/callback/entra"))
    [found] = [line for line in lines if "sign-in URL 'login'" in line]
    assert found.startswith(f"{level:<8} sign-in URL 'login' (http://127.0.0.1:"), lines
    if level == "note":
        assert code == 0, lines
        assert re.fullmatch(
            r"note     sign-in URL 'login' \((http://127\.0\.0\.1:\d+)/login\) is a page whose "
            r"script may post its form to \1/auth/signin/entra as it loads \(an app whose "
            r"sign-in starts only by a POST, as Auth\.js's does\): the check runs no script "
            r"and cannot follow it, the scenarios' browser does \(a page that waits for a "
            r"click fails them\)", found), found
    else:
        assert code == 1, lines
        assert found.endswith("answered HTTP 200 with a page instead of sending the browser to "
                              "the provider (the scenarios expect a redirect: no click on a "
                              "page in between); it shows a 'Sign in' button: for a customer "
                              "sign-in page that waits for that click, name it in the profile "
                              "as [sign_in] control = \"Sign in\""), found


def login_page_app(launch: AppLaunch) -> Starlette:
    """An OmniAuth-style app: its protected page redirects to its own sign-in page, a button."""
    async def account(request: Request) -> RedirectResponse:
        return RedirectResponse("/login?next=%2Faccount", status_code=302)

    async def login(request: Request) -> HTMLResponse:
        return HTMLResponse('<form method="post" action="/auth/entra"><button>Sign in</button>'
                            "</form>")

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/account", account), Route("/login", login),
                             Route("/me", me)])


def test_a_protected_url_names_the_page_it_led_to(tmp_path: Path) -> None:
    path = _asgi_profile(tmp_path / "login-page.toml", "login_page_app", "")
    urls = 'urls = { login = "/login" }'
    path.write_text(path.read_text(encoding="utf-8").replace(
        urls, f'{urls}\nprotected_urls = ["/account"]'), encoding="utf-8")
    code, lines = _check(path)
    [found] = [line for line in lines if "protected URL" in line]
    assert code == 1, lines
    assert re.fullmatch(
        r"PROBLEM  protected URL /account \((http://127\.0\.0\.1:\d+)/account\) led to "
        r"\1/login, which answered HTTP 200 with a page instead of sending the browser to the "
        r"provider \(the scenarios expect a redirect: no click on a page in between\)",
        found), found


def form_begin_app(launch: AppLaunch) -> Starlette:
    """An app whose sign-in starts only by a POST with the CSRF token the page carries, as
    social-auth-app-django 8's ``social:begin``: its sign-in page posts the form as it loads."""
    token = "csrf-token-of-the-page"

    async def login(request: Request) -> HTMLResponse:
        page = HTMLResponse('<form id="go" method="post" action="/login/entra/">'
                            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
                            '<input type="hidden" name="next" value="/account">'
                            '<button type="submit">Sign In</button></form>'
                            '<script>document.getElementById("go").submit();</script>')
        page.set_cookie("csrftoken", token)
        return page

    async def begin(request: Request) -> Response:
        form = await request.form()
        if token != form.get("csrfmiddlewaretoken") or token != request.cookies.get("csrftoken"):
            return HTMLResponse("CSRF verification failed", status_code=403)
        query = urlencode({"client_id": launch.env["CLIENT_ID"], "response_type": "code",
                           "redirect_uri": launch.env["REDIRECT_URI"], "state": "s"})
        return RedirectResponse(f"{launch.env['AUTHORIZE_URL']}?{query}", status_code=302)

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login), Route("/me", me),
                             Route("/login/entra/", begin, methods=["POST"])])


def test_a_sign_in_page_that_posts_its_own_form_is_followed_by_posting_it(tmp_path: Path
                                                                          ) -> None:
    # python-social-auth's Django app starts a sign-in only by a POST: the check said it
    # could not follow the page, and missed what the posted form leads to (here /common for
    # a single-tenant app, which Entra refuses with AADSTS50194).
    code, lines = _check(_asgi_profile(
        tmp_path / "form-begin.toml", "form_begin_app", 'CLIENT_ID = "{client_id}"\n'
        'REDIRECT_URI = "{redirect_uri}"\nAUTHORIZE_URL = "{idp_url}/common/oauth2/authorize"',
        callback="/complete/entra/"))
    [found] = [line for line in lines if "sign-in URL 'login'" in line]
    assert found.startswith("PROBLEM  sign-in URL 'login' signs in through /common, which "
                            "Entra refuses for a single-tenant app (AADSTS50194)"), lines
    assert code == 1


def secure_state_app(launch: AppLaunch) -> Starlette:
    """An app that keeps its state in a ``Secure`` cookie (as @hono/oidc-auth does) and checks
    it before anything else at its callback: without the cookie it answers a bare 500, with it
    the provider's error gets the failure page."""

    async def login(request: Request) -> Response:
        query = urlencode({"client_id": launch.env["CLIENT_ID"], "response_type": "code",
                           "redirect_uri": launch.env["REDIRECT_URI"], "state": "st8"})
        response = RedirectResponse(f"{launch.env['AUTHORIZE_URL']}?{query}", status_code=302)
        response.set_cookie("state", "st8", httponly=True, secure=True)
        return response

    async def callback(request: Request) -> HTMLResponse:
        if request.cookies.get("state") != request.query_params.get("state"):
            return HTMLResponse("Invalid state", status_code=500)
        return HTMLResponse("<h1>Sign-in failed</h1><p>Contact help@secure.example</p>",
                            status_code=400)

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({}, status_code=401)

    return Starlette(routes=[Route("/login", login), Route("/me", me),
                             Route("/callback", callback)])


def test_a_secure_state_cookie_comes_back_on_loopback_http_as_in_the_browser(
        tmp_path: Path) -> None:
    # Chromium sends a Secure cookie to http://127.0.0.1; the check's cookie jar did not, so
    # the cancelled sign-in met this app's "Invalid state" and the check said its failure
    # page lacked the contact, which the scenarios' browser sees.
    code, lines = _check(_asgi_profile(
        tmp_path / "secure-state.toml", "secure_state_app", 'CLIENT_ID = "{client_id}"\n'
        'REDIRECT_URI = "{redirect_uri}"\nAUTHORIZE_URL = "{authorize_url}"',
        extra='[failure]\ncontact = "help@secure.example"\nerror_status = true\n'))
    assert code == 0, lines
    assert ("ok       failure page after a sign-in the user cancelled (access_denied, "
            "AADSTS65004): it does show the support contact 'help@secure.example'; does come "
            "with an error status (error_status = true)") in lines, lines


def test_a_failure_page_answered_500_as_the_profile_asks_shows_no_output(tmp_path: Path
                                                                         ) -> None:
    """A failure page with the contact, answered 500 (a Flask error handler's) where the
    profile sets error_status, is an ok finding: the app's output printed under it read as a
    problem's traceback."""
    path = tiny_profile(tmp_path, extra="error_status = true",
                        env='TINY_FAILURE_STATUS = "500"\nTINY_LOG_REQUESTS = "1"')
    code, lines = _check(path)
    assert code == 0, "\n".join(lines)
    start = next(i for i, line in enumerate(lines) if "failure page" in line)
    assert lines[start].startswith("ok       failure page after a sign-in the user cancelled"), \
        lines
    assert "--- the app's output (last lines) ---" not in lines, lines
