"""A failure on the app's page (no failure page, or not signed in) names the first of the app's
back-channel requests the mock provider refused in the scenario: the cause an app's bare 500
hides (:mod:`scenarios.refusals`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from asgi_client import AppClient

from mock_idp import create_app, request_log
from mock_idp.config import (
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
)
from mock_idp.request_log import CALLER_HEADER
from scenarios import flows
from scenarios.app.me_answer import SignedInElsewhere
from scenarios.app.profile import parse_profile
from scenarios.live import LiveStack
from scenarios.people import PEOPLE
from scenarios.refusals import first_refusal, graph_host_note
from scenarios.worker_pool import console_lines

SHOWN = ("the failure page does not show the support contact 'help@example.com'; the app "
         "showed /auth/callback with HTTP 500: 'Internal Server Error'")
TOKEN = f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token"


class _App:
    """An app whose pages fail the checks: a 500 at its callback, as the QA's Authlib app."""

    def __init__(self, message: str) -> None:
        self.message = message

    def expect_failure(self, page: object, kind: str | None = None, **_: Any) -> str | None:
        raise AssertionError(self.message)

    def expect_signed_in(self, page: object, person: object, *, lands_on: str | None = None
                         ) -> None:
        raise AssertionError("the sign-in did not end at http://127.0.0.1/")


@pytest.fixture
def provider() -> Iterator[AppClient]:
    with AppClient(create_app(IdpConfig.default()), follow_redirects=False) as client:
        yield client


def stack(provider: AppClient, message: str = SHOWN, *, sign_in_started: float = 0.0
          ) -> LiveStack:
    def provider_requests() -> list[dict[str, Any]]:
        return list(provider.get("/_mock/requests", params={"limit": 2000}).json()["requests"])

    return cast(LiveStack, SimpleNamespace(app=_App(message), http=provider,
                                           idp_url=lambda path: path,
                                           provider_requests=provider_requests,
                                           sign_in_started=sign_in_started))


def failure_message(provider: AppClient, message: str = SHOWN, *,
                    sign_in_started: float = 0.0) -> str:
    with pytest.raises(AssertionError) as caught:
        flows.expect_failure(cast(Any, None), stack(provider, message,
                                                    sign_in_started=sign_in_started),
                             "invalid-secret")
    return str(caught.value)


def wrong_secret(provider: AppClient, headers: dict[str, str] | None = None) -> None:
    answer = provider.post(TOKEN, headers=headers, data={
        "grant_type": "client_credentials", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": "not-the-secret", "scope": "https://graph.microsoft.com/.default"})
    assert answer.status_code == 401, answer.text


def test_the_failure_page_s_message_names_the_token_endpoint_s_refusal(provider: AppClient
                                                                        ) -> None:
    provider.get(f"/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration")  # answered
    provider.get(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize",  # the browser's: not counted
                 params={"client_id": "unknown", "response_type": "code"})
    wrong_secret(provider)
    first, *_ = failure_message(provider).splitlines()
    assert first.startswith(SHOWN + "; the provider had refused the app's token request: "
                            "'AADSTS7000215: Invalid client secret provided.")
    assert first.count("AADSTS") == 1 and "Trace ID" not in first


def test_the_not_signed_in_message_names_it_on_its_first_line(provider: AppClient) -> None:
    wrong_secret(provider)
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(cast(Any, _Page()), stack(provider), PEOPLE["alice"])
    first, second = str(caught.value).splitlines()
    assert "; the provider had refused the app's token request: 'AADSTS7000215" in first
    assert second == "the sign-in did not end at http://127.0.0.1/"


def test_a_message_that_names_the_refusal_already_is_left_as_it_is(provider: AppClient
                                                                    ) -> None:
    wrong_secret(provider)
    named = SHOWN + " / 'AADSTS7000215: Invalid client secret provided.'"
    assert failure_message(provider, named) == named


def test_a_fault_that_replaced_the_key_set_s_answer_is_named(provider: AppClient) -> None:
    armed = provider.post("/_mock/faults", json={"kind": "drop", "endpoint": "jwks"})
    assert armed.status_code == 201, armed.text
    with pytest.raises(Exception):  # noqa: B017, PT011 -- the connection is dropped
        provider.get(f"/{DEFAULT_TENANT_ID}/discovery/v2.0/keys")
    logged = provider.get("/_mock/requests").json()["requests"]
    assert first_refusal(logged) == ("signing keys request",
                                     "dropped the connection (fault drop)")


def test_an_instance_discovery_the_provider_refused_is_named(provider: AppClient) -> None:
    # msal-node's first request; an authority the provider does not know ends there, before
    # any discovery document: the app's 500 hides AADSTS50049.
    answer = provider.get("/common/discovery/instance", params={
        "api-version": "1.1",
        "authorization_endpoint": "https://login.example.org/t/oauth2/v2.0/authorize"})
    assert answer.status_code == 400
    logged = provider.get("/_mock/requests").json()["requests"]
    assert first_refusal(logged) == ("instance discovery request",
                                     "AADSTS50049: Unknown or invalid instance.")


def test_a_request_to_a_path_the_provider_does_not_serve_names_the_path(provider: AppClient
                                                                       ) -> None:
    # mozilla-django-oidc takes its UserInfo URL by hand (OIDC_OP_USER_ENDPOINT); one guessed
    # beside the token endpoint is answered "NotFound: Not Found", which named nothing.
    guessed = f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/userinfo"
    assert provider.get(guessed, headers={"Authorization": "Bearer x"}).status_code == 404
    logged = provider.get("/_mock/requests").json()["requests"]
    assert first_refusal(logged) == (
        "UserInfo request", f"HTTP 404: the provider serves nothing at {guessed} (take each "
        "endpoint from its discovery document)")


def test_a_user_without_a_photo_is_no_refusal(provider: AppClient) -> None:
    # Auth.js's Entra provider reads the user's photo at every sign-in, and goes on without
    # one: a scenario that failed later (a replayed callback in another browser) was said to
    # have been refused by Microsoft Graph, for the photo of the sign-in that had worked.
    token = provider.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "password", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "scope": "User.Read",
        "username": PEOPLE["alice"].upn, "password": PEOPLE["alice"].password})
    assert token.status_code == 200, token.text
    photo = provider.get(f"/graph/{DEFAULT_TENANT_ID}/v1.0/me/photos/48x48/$value", headers={
        "Authorization": f"Bearer {token.json()['access_token']}"})
    assert photo.status_code == 404 and photo.json()["error"]["code"] == "ImageNotFound"
    assert failure_message(provider) == SHOWN
    provider.get(f"/graph/{DEFAULT_TENANT_ID}/v1.0/me")  # no token: 401, a refusal
    assert "the provider had refused the app's Microsoft Graph request" in failure_message(
        provider)


def test_without_a_refusal_the_message_is_the_page_s_alone(provider: AppClient) -> None:
    provider.get(f"/{DEFAULT_TENANT_ID}/discovery/v2.0/keys")
    assert failure_message(provider) == SHOWN


class _Page:
    """What :func:`scenarios.flows.page_shows` reads of a page."""

    url = "http://127.0.0.1/auth/callback"

    def evaluate(self, script: str, arg: object = None) -> dict[str, Any]:
        return {"errors": [], "heading": "Internal Server Error", "lines": []}


def test_the_quoted_answer_leaves_out_the_trace_and_correlation_ids(provider: AppClient
                                                                     ) -> None:
    answer = provider.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET})  # v2, with no scope
    assert answer.status_code == 400 and "Trace ID" in answer.json()["error_description"]
    first, *_ = failure_message(provider).splitlines()
    assert first == (SHOWN + "; the provider had refused the app's token request: "
                     "\"AADSTS900144: The request body must contain the following parameter: "
                     "'scope'.\"")


def password_grant(provider: AppClient, token_path: str) -> None:
    """The app's token request answered with an ID token (ROPC: no browser needed here)."""
    answer = provider.post(token_path, data={
        "grant_type": "password", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "scope": "openid profile",
        "resource": "https://graph.microsoft.com", "username": PEOPLE["alice"].upn,
        "password": PEOPLE["alice"].password})
    assert answer.status_code == 200 and "id_token" in answer.json(), answer.text


def not_signed_in_message(provider: AppClient, *, sign_in_started: float = 0.0) -> str:
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(cast(Any, _Page()),
                               stack(provider, sign_in_started=sign_in_started),
                               PEOPLE["alice"])
    return str(caught.value)


def test_a_sign_in_on_the_v1_endpoints_names_the_unsigned_id_token_it_got(provider: AppClient
                                                                          ) -> None:
    # python-social-auth's AzureADOAuth2 (v1) looks for a kid in that token and shows
    # "The authentication response is missing a required field." at every sign-in: the
    # message said only that, not that Entra's v1 token endpoint signs no ID token.
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/token")
    first, second = not_signed_in_message(provider).splitlines()
    assert first.endswith(
        "; the app's ID token came unsigned from Entra's v1 token endpoint (alg none, no kid, "
        "as Entra sends it there): an app that asks it for a signature or a signing key "
        "refuses every sign-in on the v1 endpoints, whose ID token the TLS connection vouches "
        "for; the v2.0 endpoints sign theirs"), first
    assert second == "the sign-in did not end at http://127.0.0.1/"


def test_an_unsigned_id_token_after_the_v1_discovery_document_names_the_v2_issuer(
        provider: AppClient) -> None:
    # flask-oidc 2.4.0 given the issuer {authority} (no /v2.0) reads the v1 document and
    # refuses every sign-in with a 500: the message named the unsigned token, not the setting.
    provider.get(f"/{DEFAULT_TENANT_ID}/.well-known/openid-configuration")
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/token")
    first = not_signed_in_message(provider).splitlines()[0]
    assert first.endswith(
        "the v2.0 endpoints sign theirs; it found them in Entra's v1 discovery document "
        f"(/{DEFAULT_TENANT_ID}/.well-known/openid-configuration), which an issuer or "
        "discovery URL without /v2.0 leads to: {authority}/v2.0 is the v2.0 issuer, "
        "{authority}/v2.0/.well-known/openid-configuration its document"), first


def test_a_sign_in_on_the_v2_endpoints_or_a_failure_page_gets_no_such_note(
        provider: AppClient) -> None:
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token")
    assert "unsigned" not in not_signed_in_message(provider)
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/token")
    assert failure_message(provider) == SHOWN  # a failure page is what those scenarios want


def test_a_refusal_is_named_before_the_unsigned_id_token(provider: AppClient) -> None:
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/token")
    wrong_secret(provider)
    first = not_signed_in_message(provider).splitlines()[0]
    assert "; the provider had refused the app's token request: 'AADSTS7000215" in first
    assert "unsigned" not in first


def test_the_harness_s_own_refused_call_is_not_the_app_s(provider: AppClient) -> None:
    # lifecycle.secret-renewal checks that the provider refuses the removed secret with a
    # token request of its own: that refusal was named as the app's.
    wrong_secret(provider, headers={CALLER_HEADER: "harness"})
    assert failure_message(provider) == SHOWN


def test_a_refusal_before_the_last_sign_in_started_is_not_named(
        provider: AppClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # lifecycle.secret-renewal: the expired secret's refusal (expected), then a renewed secret
    # and a sign-in that failed for another reason, which the message blamed on the expiry.
    # The log's real times are set, not waited for: the requests come within a millisecond.
    def logged_at(wall: float) -> None:
        monkeypatch.setattr(request_log, "time", SimpleNamespace(
            time=lambda: wall, perf_counter=time.perf_counter))

    logged_at(1_000.0)
    wrong_secret(provider)
    started = 2_000.0
    logged_at(3_000.0)
    password_grant(provider, f"/{DEFAULT_TENANT_ID}/oauth2/token")
    first = not_signed_in_message(provider, sign_in_started=started).splitlines()[0]
    assert "AADSTS7000215" not in first
    assert "; the app's ID token came unsigned from Entra's v1 token endpoint" in first
    assert failure_message(provider, sign_in_started=started) == SHOWN
    wrong_secret(provider)  # this sign-in's own refusal is still named
    assert "'AADSTS7000215" in failure_message(provider, sign_in_started=started)


TEMPLATE_NOTE = ("; the app signs in through /common, whose discovery document's issuer is "
                 "Entra's {tenantid} template, as on Entra: ")


def test_a_sign_in_through_common_names_the_template_issuer(provider: AppClient) -> None:
    # openid-client v6 refuses the /common document of any host but login.microsoftonline.com
    # ("discovered metadata issuer does not match the expected issuer"), and an app that takes
    # the document as it is refuses every ID token's iss: the message said only that the app
    # showed its error page, as if the app alone were at fault.
    document = provider.get("/common/v2.0/.well-known/openid-configuration")
    assert document.json()["issuer"].endswith("/{tenantid}/v2.0")
    first, second = not_signed_in_message(provider).splitlines()
    # openid-client 5 takes any host's document and refuses each ID token's iss instead
    assert "(openid-client 5 and 6 do only on https://login.microsoftonline.com, so they " \
        "refuse the mock's)" in first, first
    assert TEMPLATE_NOTE in first and first.endswith(
        "refuse the mock's); an app for one organization signs in through its tenant "
        "instead (the profile's {authority} or {issuer})"), first
    assert second == "the sign-in did not end at http://127.0.0.1/"


def test_a_browser_sent_to_organizations_names_it_too(provider: AppClient) -> None:
    # the app read its discovery document in an earlier scenario: the sign-in's own
    # authorization request says where it signs in
    provider.get("/organizations/oauth2/v2.0/authorize",
                 params={"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code"})
    message = not_signed_in_message(provider)
    assert "; the app signs in through /organizations, whose discovery" in message


def test_a_tenant_s_sign_in_or_a_refusal_gets_no_template_note(provider: AppClient) -> None:
    provider.get(f"/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert "{tenantid}" not in not_signed_in_message(provider)
    provider.get("/common/v2.0/.well-known/openid-configuration")
    assert failure_message(provider) == SHOWN  # a failure page is what those scenarios want
    wrong_secret(provider)
    first = not_signed_in_message(provider).splitlines()[0]
    assert "'AADSTS7000215" in first and "{tenantid}" not in first


def test_a_provider_page_that_never_came_gets_the_cause(provider: AppClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # openid-client v6 on /common fails at the app's sign-in URL, before any redirect: the
    # provider's sign-in page never comes, and that message said nothing more either.
    did_not_appear = ("the provider's sign-in page did not appear: the browser shows HTTP 500 "
                      "at http://127.0.0.1/login ('Sign-in failed') instead")

    def not_there(page: object, person: object, driver: object = None) -> None:
        raise AssertionError(did_not_appear)

    monkeypatch.setattr(flows, "sign_in_at_idp", not_there)
    provider.get("/common/v2.0/.well-known/openid-configuration")
    with pytest.raises(AssertionError) as caught:
        flows.sign_in_at_provider(cast(Any, _Page()), stack(provider), PEOPLE["alice"])
    assert str(caught.value).startswith(did_not_appear + TEMPLATE_NOTE)


def test_a_single_tenant_app_refused_at_common_is_told_of_its_registration(
        provider: AppClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx-oauth's MicrosoftGraphOAuth2 (fastapi-users) signs in through /common by default:
    # Entra's page answers AADSTS50194 at the authorize endpoint, before any discovery
    # document or ID token, so the note about the {tenantid} issuer misled.
    refused = ("the provider's sign-in page did not appear: the browser shows the provider's "
               "error AADSTS50194: Application 'x'(fastapi-users) is not configured as a "
               "multi-tenant application. (HTTP 400 at http://localhost/common/oauth2/v2.0/"
               "authorize?…, 'Sign in') instead")

    def not_there(page: object, person: object, driver: object = None) -> None:
        raise AssertionError(refused)

    monkeypatch.setattr(flows, "sign_in_at_idp", not_there)
    provider.get("/common/oauth2/v2.0/authorize",
                 params={"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code"})
    with pytest.raises(AssertionError) as caught:
        flows.sign_in_at_provider(cast(Any, _Page()), stack(provider), PEOPLE["alice"])
    message = str(caught.value)
    assert message.startswith(refused + "; the app signs in through /common, which Entra "
                              "refuses for an app registered for one organization "
                              "(AADSTS50194)"), message
    assert "{tenantid}" not in message and 'sign_in_audience = "AzureADMultipleOrgs"' in message


UNTRUSTING_APP = """
name = "fastapi-users"
[app]
base_url = "http://127.0.0.1:8000"
[provider]
https = true
redirect_uris = ["{base_url}/oauth-callback"]
[sign_in]
urls = { login = "/login" }
[signed_in]
me_url = "/users/me"
[failure]
contact = "helpdesk@contoso.example"
"""
"""An app on the mock over https, not handed the mock's CA."""


def test_a_page_that_shows_an_untrusted_certificate_gets_app_check_s_hint(
        provider: AppClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # fastapi-users over https without the CA: its callback answers 500 with httpx's
    # CERTIFICATE_VERIFY_FAILED, which the app's page shows, and prints no traceback; app check
    # cannot follow its script's sign-in, so only the run could say how to fix it.
    untrusted = ("the page at http://127.0.0.1/oauth-callback?… shows: 'Sign-in failed "
                 "(HTTP 500: \"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed\")'")
    monkeypatch.setattr(flows, "page_shows", lambda page: untrusted)
    profile = parse_profile(UNTRUSTING_APP)
    app = _App("")
    app.profile = profile  # type: ignore[attr-defined]
    live = stack(provider)
    live.app = app  # type: ignore[misc]
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(cast(Any, _Page()), live, PEOPLE["alice"])
    lines = str(caught.value).splitlines()
    assert lines[-1].startswith("hint: the app does not trust the mock's certificate: hand it "
                                "{ca_file}"), lines
    assert "SSL_CERT_FILE" in lines[-1]
    assert "hint:" not in not_signed_in_message(provider)  # no profile, or nothing known: none


def test_the_console_shows_the_template_note_on_a_line_of_its_own(provider: AppClient) -> None:
    provider.get("/common/v2.0/.well-known/openid-configuration")
    shown = console_lines(not_signed_in_message(provider))
    assert shown[1].startswith("the app signs in through /common, whose discovery"), shown
    assert shown[2] == "the sign-in did not end at http://127.0.0.1/", shown


class _Nameless(_App):
    """An app that signed alice in without her name: dash-auth 2.3's ``OIDCAuth`` as its
    README registers a provider (scope ``openid email``), whose page shows "Signed in as None"."""

    def expect_signed_in(self, page: object, person: object, *, lands_on: str | None = None
                         ) -> None:
        raise SignedInElsewhere("http://127.0.0.1/me answered HTTP 200; the signed-in page "
                                "does not show 'Signed in as Alice Adams'")


def nameless_message(provider: AppClient, scope: str) -> str:
    provider.get(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize", params={
        "client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code", "scope": scope})
    signed_in_elsewhere = stack(provider)
    cast(Any, signed_in_elsewhere).app = _Nameless(SHOWN)
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(cast(Any, _Page()), signed_in_elsewhere, PEOPLE["alice"])
    return str(caught.value)


def test_a_name_missing_after_a_scope_without_profile_names_the_scope(provider: AppClient
                                                                      ) -> None:
    # "Signed in as None" on every sign-in said only that the page did not show the name: a
    # v2.0 ID token carries name only with the profile scope, which the app never asked for.
    first, *rest = nameless_message(provider, "openid email").splitlines()
    assert first.startswith("alice@contoso.onmicrosoft.com is signed in, but not as the "
                            "profile says: "), first
    assert first.endswith(
        "; the app asked the v2.0 authorize endpoint for scope 'openid email' without "
        "profile: a v2.0 ID token carries name, preferred_username and oid only with the "
        "profile scope, on Entra as here; add profile to the scopes the app asks for"), first
    assert rest == ["http://127.0.0.1/me answered HTTP 200; the signed-in page does not show "
                    "'Signed in as Alice Adams'"]
    shown = console_lines("\n".join([first, *rest]))
    assert shown[1].startswith("the app asked the v2.0 authorize endpoint for scope"), shown


@pytest.mark.parametrize("scope", ["openid profile email", "User.Read"])
def test_a_scope_with_profile_or_without_openid_gets_no_such_note(provider: AppClient,
                                                                   scope: str) -> None:
    assert "without profile" not in nameless_message(provider, scope)


GRAPH_DOWN = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='graph.microsoft.com'"
              ", port=443): Max retries exceeded with url: /v1.0/me (Caused by "
              "NameResolutionError(...))")


def graph_less_message(provider: AppClient, output: str) -> str:
    printed = stack(provider)
    cast(Any, printed).app_output = lambda lines: output
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(cast(Any, _Page()), printed, PEOPLE["alice"])
    return str(caught.value)


def test_a_sign_in_that_failed_on_graph_s_own_host_names_graph_url(provider: AppClient) -> None:
    # A requests-oauthlib tutorial's app reads the person from https://graph.microsoft.com
    # itself: every sign-in ended on its 500, and the message said only that.
    first, second = graph_less_message(provider, f"Traceback ...\n{GRAPH_DOWN}").splitlines()
    assert first.endswith(
        "; the app's output or page names graph.microsoft.com, Microsoft Graph's own host, "
        "which the mock does not answer (nor may this machine reach it): hand the app "
        "{graph_url} in [app.env] and have it call Microsoft Graph there"), first
    assert second == "the sign-in did not end at http://127.0.0.1/"
    shown = console_lines(f"{first}\n{second}")
    assert shown[1].startswith("the app's output or page names graph.microsoft.com"), shown


def test_an_app_that_asked_the_mock_s_graph_gets_no_graph_note(provider: AppClient) -> None:
    assert "graph.microsoft.com" not in graph_less_message(provider, "all fine")
    # an app that asked the mock's Graph too (a photo from elsewhere, say) is not told
    asked = {"path": "/graph/v1.0/me", "method": "GET", "status": 200}
    assert graph_host_note([asked], GRAPH_DOWN) == ""
    assert graph_host_note([{**asked, "caller": "harness"}], GRAPH_DOWN).startswith(
        "; the app's output or page names graph.microsoft.com")
