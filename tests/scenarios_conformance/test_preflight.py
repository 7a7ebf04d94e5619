"""The preflight: before any row, a plain sign-in must work against *this* mock provider and the
app's clock must agree with the provider's; otherwise a set-up error (exit 2), not a table."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from mock_idp import MockIdp
from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import RunningServer, bind_socket, run_in_thread
from scenarios.__main__ import main
from scenarios.conformance import setup
from scenarios.conformance.control import MockControl
from scenarios.conformance.judging import LoginObservation
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.readiness import sign_in_problem


def _refusing_app(authority: str, client_id: str = REFERENCE_RP_CLIENT_ID,
                  says: str = "Sign-in failed", response_mode: str = "query",
                  callback: str = "/auth/callback") -> Starlette:
    """An app that starts a code flow at ``authority`` as ``client_id``, asking for the answer
    in ``response_mode`` at ``callback``, and refuses every callback, saying ``says``."""
    base: dict[str, str] = {}

    async def login(request: Request) -> Response:
        query = urlencode({"client_id": client_id, "response_type": "code",
                           "redirect_uri": f"{base['url']}{callback}", "scope": "openid",
                           "state": "s", "nonce": "n", "response_mode": response_mode})
        return RedirectResponse(f"{authority}/oauth2/v2.0/authorize?{query}")

    async def refuse(request: Request) -> Response:
        return PlainTextResponse(says, status_code=401)

    app = Starlette(routes=[Route("/login", login),
                            Route("/auth/callback", refuse, methods=["GET", "POST"]),
                            Route("/api/me", refuse)])
    app.state.base = base
    return app


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdp]:
    with MockIdp() as mock:
        yield mock


def _serve(authority: str, client_id: str = REFERENCE_RP_CLIENT_ID, says: str = "Sign-in failed",
           response_mode: str = "query", callback: str = "/auth/callback"
           ) -> contextlib.AbstractContextManager[RunningServer]:
    app = _refusing_app(authority, client_id, says, response_mode, callback)
    sock = bind_socket("127.0.0.1", 0)
    app.state.base["url"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return run_in_thread(app, sock=sock)


def test_an_app_whose_clock_disagrees_with_the_provider_is_a_set_up_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with MockIdp() as moved, _serve(moved.authority) as app:
        moved.advance(hours=2)
        assert main(["conformance", "--rp", app.base_url, "--idp", moved.url]) == 2
    err = capsys.readouterr().err
    found = re.search(r"the app's clock is (\d+) s behind the provider's", err)
    assert found is not None, err
    # The Date header counts whole seconds, and a server may date a response by a tick late.
    assert abs(int(found.group(1)) - 7200) <= 1, err
    assert "tolerance 60 s" in err


@pytest.mark.browser
def test_an_app_that_refuses_a_plain_sign_in_gets_a_set_up_error_not_a_table(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    with _serve(idp.authority) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url])
    captured = capsys.readouterr()
    assert code == 2 and "passed" not in captured.out
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith("scenarios conformance: preflight: a plain sign-in at this mock "
                           "provider did not sign the app in"), line
    assert "the app never called this provider's token endpoint" in line


@pytest.mark.browser
def test_the_set_up_error_masks_the_secret_an_app_shows_and_escapes_its_control_characters(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """The app's page is quoted in the error (and a GitHub annotation): the client secret the
    run knows is masked there, and an ANSI colour shown escaped, as in every report."""
    says = f"Sign-in failed: \x1b[31m{REFERENCE_RP_SECRET}\x1b[0m refused"
    with _serve(idp.authority, says=says) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url])
    err = capsys.readouterr().err
    line = err.strip().splitlines()[-1]
    assert code == 2 and "did not sign the app in" in line, line
    assert '"Sign-in failed: \\x1b[31m[redacted]\\x1b[0m refused"' in line, line
    assert REFERENCE_RP_SECRET not in err and "\x1b" not in err


@pytest.mark.browser
def test_an_app_pointed_at_a_provider_on_another_local_port_gets_a_set_up_error(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """Another provider on this machine is a stale authority setting of the app's, said as a
    run's navigation and app check say it (:mod:`scenarios.app.elsewhere`)."""
    with MockIdp() as other, _serve(other.authority) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url])
        target = f"{other.authority}/oauth2/v2.0/authorize"
    captured = capsys.readouterr()
    assert code == 2 and "passed" not in captured.out
    line = captured.err.strip().splitlines()[-1]
    assert line == (
        f"scenarios conformance: preflight: the app sent the browser from {app.base_url}/login "
        f"to {target}, a local address that is neither the app at {app.base_url} nor this mock "
        f"provider at {idp.url}: an authority, issuer or discovery URL setting of the app is not "
        f"where the mock provider runs (give it this mock's authority, {idp.url}/<tenant>)")


@contextlib.contextmanager
def _stale_app() -> Iterator[tuple[str, str]]:
    """An app whose sign-in sends the browser to its own callback at a local port where nothing
    listens (a port bound, never listening: the connection is refused); its URL and that one."""
    with contextlib.closing(bind_socket("127.0.0.1", 0, listen=False)) as dead:
        stale = f"http://127.0.0.1:{dead.getsockname()[1]}/callback"

        async def login(request: Request) -> Response:
            return RedirectResponse(f"{stale}?code=c")

        async def me(request: Request) -> Response:
            return PlainTextResponse("not signed in", status_code=401)

        with run_in_thread(Starlette(routes=[Route("/login", login), Route("/api/me", me)])
                           ) as app:
            yield app.base_url, stale


@pytest.mark.browser
def test_an_app_that_sends_the_browser_to_a_dead_local_port_is_told_its_own_url(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """The browser cannot follow the redirect and stays on a blank page: the preflight names
    where the app sent it and why it could not go, not the start URL as the one that failed."""
    with _stale_app() as (app, stale):
        code = main(["conformance", "--rp", app, "--idp", idp.url])
    captured = capsys.readouterr()
    assert code == 2 and "passed" not in captured.out
    line = captured.err.strip().splitlines()[-1]
    assert line == (
        f"scenarios conformance: preflight: the app sent the browser from {app}/login to "
        f"{stale} (net::ERR_CONNECTION_REFUSED), a local address that is neither the app at "
        f"{app} nor this mock provider at {idp.url}: a base URL or port setting of the app is "
        f"not where it runs (give it {app})")


def test_an_app_the_harness_started_is_told_the_placeholders_of_its_own_url() -> None:
    """With ``--app`` the harness hands the app its URL, by the profile's placeholders."""
    options = ConformanceOptions(rp="http://127.0.0.1:41000", idp="http://localhost:42000",
                                 started_app=True, tenant="t", client_id="c", upn="u",
                                 password="p")
    seen = LoginObservation(reached_sign_in=False, check_status=None,
                            error="net::ERR_CONNECTION_REFUSED at http://localhost:5000/cb",
                            final_url="http://localhost:5000/cb?code=c")
    assert sign_in_problem(options, seen, None) == (
        "the app sent the browser from http://127.0.0.1:41000/login to http://localhost:5000/cb "
        "(net::ERR_CONNECTION_REFUSED), a local address that is neither the app at "
        "http://127.0.0.1:41000 nor this mock provider at http://localhost:42000: a base URL or "
        "port setting of the app is not where the harness serves it (hand the app its own URL: "
        "{base_url} or {port}, and {redirect_uri}, in [app.env] or its command)")


@pytest.mark.browser
def test_an_app_the_provider_refuses_with_its_error_page_gets_one_line_naming_the_code(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """A redirect URI the registration does not hold: the provider shows its error page
    (AADSTS50011) instead of its sign-in page; the preflight says so in one line, exit 2, with
    no traceback."""
    with _serve(idp.authority, callback="/auth/not-registered") as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url])
    captured = capsys.readouterr()
    assert code == 2 and "passed" not in captured.out and "Traceback" not in captured.err
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith(f"scenarios conformance: preflight: {app.base_url}/login: the "
                           "provider answered the app's authorization request with its error "
                           "page, not its sign-in page: \"AADSTS50011: "), line
    assert line.endswith("(check the client id, redirect URI and tenant the app signs in "
                         "with)"), line


@pytest.mark.browser
@pytest.mark.parametrize(("options", "said", "advice", "response_mode"), [
    (["--user", "zed"], "This username may be incorrect", "check --user", "query"),
    (["--password", "nope"], "Your account or password is incorrect", "check --password",
     "query"),
    (["--user", "dave"], "AADSTS50105", "the user is not assigned to the app", "query"),
    (["--user", "dave"], "AADSTS50105", "the user is not assigned to the app", "form_post"),
])
def test_a_user_or_password_the_provider_refuses_is_blamed_not_the_app(
        idp: MockIdp, capsys: pytest.CaptureFixture[str], options: list[str], said: str,
        advice: str, response_mode: str) -> None:
    """The user this command signs in with is its own input: an unknown user, a wrong
    password or a user not assigned to the app (the refusal sent back to the app, in the
    query or, with ``response_mode=form_post``, in the form the provider's page posts) is
    named as such, with the provider's words, not as an app that refuses a valid sign-in."""
    with _serve(idp.authority, response_mode=response_mode) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url, *options])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2, line
    assert line.startswith("scenarios conformance: preflight: the mock provider refused the "
                           "sign-in of "), line
    assert said in line and advice in line and "not a fault of the app" in line, line
    assert "Check its client id" not in line and "Trace ID" not in line, line


@pytest.mark.browser
def test_a_user_who_must_give_a_second_factor_is_named_so(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """A user with an authenticator app is asked for its code after the password ("Enter
    code"), which this command cannot type: the line says so, and what to do, not that the
    user was refused for something else."""
    erin = idp.add_user("erin", assign_to=[REFERENCE_RP_CLIENT_ID])
    idp.add_authenticator(erin.upn)
    with _serve(idp.authority) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url, "--user", erin.upn,
                     "--password", erin.password])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and '"Enter code"' in line, line
    assert "the user must give a second factor, which this command cannot: give another " \
           "--user, or remove the user's authenticator app at the mock" in line, line
    assert "not a fault of the app" in line, line


@pytest.mark.browser
def test_an_app_signing_in_as_another_client_than_the_faults_target_is_a_set_up_error(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    """Every fault is armed for --client-id: an app that signs in as another client would
    never meet one, and each row would seem to be its failure."""
    other = idp.add_app("Another RP", redirect_uris=["http://127.0.0.1/auth/callback"])
    with _serve(idp.authority, other.client_id) as app:
        code = main(["conformance", "--rp", app.base_url, "--idp", idp.url])
    captured = capsys.readouterr()
    assert code == 2 and "passed" not in captured.out
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith("scenarios conformance: preflight: "), line
    assert other.client_id in line and REFERENCE_RP_CLIENT_ID in line, line
    assert "--client-id" in line and "Check its client id" not in line, line


def _strict_cookie_app() -> Starlette:
    """An app whose sign-in needs a cookie set ``SameSite=Strict`` as it starts to come back
    to its callback (which then signs the browser in, without redeeming the code); it signs in
    at ``app.state.base["authority"]``."""
    base: dict[str, str] = {}

    async def login(request: Request) -> Response:
        query = urlencode({"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                           "redirect_uri": f"{base['url']}/auth/callback", "scope": "openid",
                           "state": "s", "nonce": "n"})
        response = RedirectResponse(f"{base['authority']}/oauth2/v2.0/authorize?{query}")
        response.set_cookie("rp_login", "pending", httponly=True, samesite="strict")
        return response

    async def callback(request: Request) -> Response:
        if request.cookies.get("rp_login") != "pending":
            return PlainTextResponse("Sign-in failed: no sign-in in progress", status_code=400)
        response = PlainTextResponse("Signed in")
        response.set_cookie("rp_session", "yes", httponly=True, samesite="lax")
        return response

    async def me(request: Request) -> Response:
        signed_in = request.cookies.get("rp_session") == "yes"
        return PlainTextResponse("me" if signed_in else "no", status_code=200 if signed_in
                                 else 401)

    app = Starlette(routes=[Route("/login", login), Route("/auth/callback", callback),
                            Route("/api/me", me)])
    app.state.base = base
    return app


@pytest.mark.browser
def test_the_mock_the_command_starts_is_another_site_than_the_rp_as_entra_is(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An RP on 127.0.0.1 gets a mock reached as localhost: a login cookie the app set
    SameSite=Strict does not come back from the provider's redirect, as from Entra's, and the
    preflight says the app did not sign in, naming the cookie (on one site it would, and
    pass)."""
    app = _strict_cookie_app()
    printed = setup._print_settings

    def configured(control: MockControl, *args: Any) -> None:  # the RP takes what is printed
        app.state.base["authority"] = control.authority
        printed(control, *args)

    monkeypatch.setattr(setup, "_print_settings", configured)
    sock = bind_socket("127.0.0.1", 0)
    app.state.base["url"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with run_in_thread(app, sock=sock) as rp:
        code = main(["conformance", "--rp", rp.base_url, "--only", "rp-response_type-code"])
    err = capsys.readouterr().err
    assert "Mock provider running at http://localhost:" in err
    assert app.state.base["authority"].startswith("http://localhost:")
    assert code == 2, err
    assert "did not sign the app in" in err and "no sign-in in progress" in err, err
    assert ("the browser held the app's cookie rp_login set SameSite=Strict, which the "
            "provider's cross-site redirect (or form post) to its callback does not carry") in err
    assert "Check its client id" not in err, err


def test_the_mock_is_reached_by_the_other_loopback_name_than_the_rp() -> None:
    assert setup.other_site("http://127.0.0.1:8000") == "localhost"
    assert setup.other_site("http://localhost:8000") == "127.0.0.1"
    assert setup.other_site("https://rp.example.test") == "127.0.0.1"


@pytest.mark.parametrize(("rp", "idp", "same"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8400", True),
    ("http://localhost:8000", "https://LOCALHOST:8400", True),
    ("http://127.0.0.1:8000", "http://localhost:8400", False),
    ("http://rp.example.test", "http://idp.example.test", True),
    ("http://rp.test", "http://idp.test", False),
    ("http://[::1]:8000", "http://127.0.0.1:8400", False),
])
def test_one_site_is_one_address_or_one_registrable_domain(rp: str, idp: str,
                                                          same: bool) -> None:
    assert setup.same_site(rp, idp) is same


def test_a_running_mock_on_the_rps_site_is_warned_about(
        idp: MockIdp, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", idp.url]) == 2
    err = capsys.readouterr().err
    assert (f"warning: the RP (http://127.0.0.1:9) and the mock provider ({idp.url}) are one "
            "site to the browser") in err, err
    assert f"(--idp http://localhost:{idp.port})" in err
