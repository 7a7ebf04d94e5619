"""The partner failure scenarios can fail: each passes against the reference relying party and
fails, saying why, against one that lacks the check it proves.

- ``failure.partner-idp-down``: a relying party whose token call lets the connection error
  through (an app that never caught its HTTP client's errors): a launch whose token request
  fails ends on an error page without the support contact (HTTP 500).
- ``failure.unlicensed-user``: a relying party that accepts ``app.updated`` but never checks a
  licence (authentication taken for authorization): the user whose licence the platform took
  is signed in; and one that takes the platform user id from the launch URL's hint (its
  ``user_id``) instead of the platform's ``/users/me``: the user whose licence was taken gets
  in with a licensed user's id in her launch URL.

The reference relying party made to apply ``app.updated`` a moment after answering it, from a
queue (:mod:`tests.e2e.late_events`), passes ``failure.unlicensed-user``, which gives it up to
``[partner] acknowledgement_wait`` seconds; one that never checks a licence still fails it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from relying_party import callback, launch
from relying_party.login import begin_login
from relying_party.oidc import token_client
from relying_party.platform_user import platform_user_id
from relying_party.provider import ClientConfig
from relying_party.redirect_uris import installation_redirect_uri
from scenarios.pytest_plugin import ScenarioRunner, describe_result
from tests.e2e.late_events import apply_late

OUTAGE, LICENCE = "failure.partner-idp-down", "failure.unlicensed-user"
BROKEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "errors_let_through": (OUTAGE, (
        "does not show the support contact 'support@partner-app.example'",
        f"{installation_redirect_uri('')} with HTTP 500")),
    "licences_ignored": (LICENCE, ("the app accepted the sign-in: someone is signed in",
                                   "and so did every launch for ",
                                   "after the app accepted the app.updated that took alice's "
                                   "licence (data.users.removing: ['")),
    "licence_of_the_hint": (LICENCE, ("got past the licence check with bob's user id",)),
}
"""A broken app (its fixture): the scenario it fails, and what the failure message says."""


@pytest.fixture
def errors_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(client: httpx.AsyncClient, method: str, url: str, *, endpoint: str,
                   **options: Any) -> httpx.Response:
        options.pop("timeout", None)
        return await client.request(method, url, **options)

    monkeypatch.setattr(token_client, "send", send)


@pytest.fixture
def licences_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    def check_nothing(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(callback, "check_licensed", check_nothing)


@pytest.fixture
def licence_of_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launch URL's ``user_id`` becomes the sign-in's platform user id (kept by the
    sign-in's ``state``), and so the user whose licence is checked."""
    hints: dict[str, str | None] = {}
    current: ContextVar[str | None] = ContextVar("launch_hint", default=None)

    async def begin_keeping_hint(request: Request, client: ClientConfig, *, return_to: str,
                                 login_hint: str | None = None) -> Response:
        response = await begin_login(request, client, return_to=return_to,
                                     login_hint=login_hint)
        [state] = parse_qs(urlsplit(response.headers["location"]).query)["state"]
        hints[state] = login_hint
        return response

    original = callback.complete_sign_in

    async def complete_with_hint(rp: Any, client: ClientConfig, tx: Any, params: Any) -> Any:
        current.set(hints.get(tx.state))
        return await original(rp, client, tx, params)

    def user_of_the_hint(answer: Any) -> str:
        return current.get() or platform_user_id(answer)

    monkeypatch.setattr(launch, "begin_login", begin_keeping_hint)
    monkeypatch.setattr(callback, "complete_sign_in", complete_with_hint)
    monkeypatch.setattr(callback, "platform_user_id_of", user_of_the_hint)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", [OUTAGE, LICENCE])
def test_the_partner_failure_scenarios_pass_against_the_reference_rp(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.fixture
def licences_applied_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference RP answers ``app.updated`` at once and applies it a moment later."""
    apply_late(monkeypatch, "app.updated")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.usefixtures("licences_applied_late")
def test_the_licence_scenario_passes_against_an_app_that_applies_app_updated_a_moment_later(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(LICENCE)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("broken", list(BROKEN))
def test_the_partner_failure_scenarios_fail_against_a_broken_app(
        broken: str, request: pytest.FixtureRequest, sso_run_scenario: ScenarioRunner) -> None:
    request.getfixturevalue(broken)
    scenario_id, said = BROKEN[broken]
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    for fragment in said:
        assert fragment in result.message, report
