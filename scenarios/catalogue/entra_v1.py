"""Customer SSO on Entra ID's v1.0 endpoints, the set-up the customer-SSO guide walks through.

The admin copies the "OAuth 2.0 authorization endpoint (v1)" and "OAuth 2.0 token endpoint
(v1)" into the app (the stack's ``entra-v1`` tag hands the app those endpoints). Entra's v1.0
token endpoint returns the ID token unsigned (``alg: none``), so an app can only trust it for
arriving straight from that token endpoint over TLS: over https the sign-in works, over plain
http the app must refuse it (the reference relying party says how to fix the connection).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from scenarios import ScenarioContext, scenario
from scenarios.app.capabilities import V2_FROM_AUTHORITY, v1_switched_settings, v1_written
from scenarios.app.failure_page import ACCEPTED
from scenarios.app.process import AppRefusedSettings, AppStartError
from scenarios.app.profile import AppProfile
from scenarios.catalogue.failures import expect_token_request_failure
from scenarios.context import NotExercised
from scenarios.flows import first_login, sign_in_at_idp, sign_in_by_redirects
from scenarios.goto import open_sign_in
from scenarios.live import LiveStack
from scenarios.navigation_log import NavigationLog
from scenarios.protocol_view.names import provider_step_name
from scenarios.refusals import first_refusal

Ctx = ScenarioContext[LiveStack]


def _on_v1(stack: LiveStack, scheme: str) -> None:
    """The app was given the v1 endpoints, and the provider keeps Entra's unsigned ID tokens."""
    values = stack.provider_values()
    assert values["token_url"] == f"{stack.authority}/oauth2/token", values["token_url"]
    assert values["token_url"].startswith(f"{scheme}://"), values["token_url"]
    app = stack.graph("GET", f"applications(appId='{stack.client_id}')")
    assert app["signV1IdTokens"] is False, "the provider would sign v1 ID tokens"


def _v2_only_advice(stack: LiveStack, log: NavigationLog, *, wanted: str = "sign alice in"
                    ) -> str:
    """Why an app may fail on the v1 endpoints it was handed (it did not do what the scenario
    ``wanted``), and how a profile says its app works on the v2.0 ones only
    (:func:`v2_only_advice`)."""
    provider = urlsplit(stack.idp.base_url).netloc
    if not any(urlsplit(url).netloc == provider for url, _ in log.documents):
        happened = ("the app never sent the browser to the provider: it failed before, on "
                    "the v1 settings it was given")
    else:
        happened = f"the app did not {wanted} with the v1 settings it was given"
    return v2_only_advice(stack.app.profile, happened, values=stack.provider_values(),
                          tenant_id=stack.tenant_id)


def v2_only_advice(profile: AppProfile, happened: str, *, values: Mapping[str, str] | None = None,
                   tenant_id: str = "<tenant id>") -> str:
    """What ``happened`` on Entra's v1 endpoints, and how the profile marks a v2.0-only app:
    the settings naming the templates the entra-v1 scenarios switch to v1 (with the value each
    had, given ``values``), and each written from ``{authority}`` instead (README, "A v2.0-only
    app")."""
    settings = v1_switched_settings(profile)
    if not settings and (written := v1_written(profile)):
        # The app is on v1 in every scenario: advice to write v2.0 settings would be wrong.
        return (f"On Entra's v1 endpoints {happened}. The profile writes Entra's v1 endpoints "
                f"out ({', '.join(written)}), so the app is on them in every scenario: v1's "
                f"discovery document names https://sts.windows.net/{tenant_id}/ as its "
                "issuer, and its token endpoint returns ID tokens unsigned and without "
                "preferred_username")
    given = ", ".join(f"{where} = {{{name}}}" + (f" ({values[name]} here)" if values else "")
                      for where, name in settings)
    instead = ", ".join(f"in {where}, {V2_FROM_AUTHORITY[name]} for {{{name}}}"
                        for where, name in settings)
    return (
        f"On Entra's v1 endpoints {happened}. This scenario hands the app the v1 endpoints "
        f"because the profile gives it {given or 'a template this scenario switches'}. v1's "
        f"discovery document names https://sts.windows.net/{tenant_id}/ as its issuer, "
        "and its token endpoint returns ID tokens unsigned and without preferred_username. "
        "If the app works on the v2.0 endpoints only, as most OpenID "
        f"Connect libraries do, write those settings from {{authority}} instead ({instead}): "
        "the profile then lacks v1-endpoints and the entra-v1 scenarios are skipped (README, "
        "\"A v2.0-only app\")")


def refused_v1_settings(profile: AppProfile, error: AppStartError) -> AppRefusedSettings:
    """``error``, an app that did not start on the v1 endpoints an ``entra-v1`` scenario hands
    it (a library that reads the discovery document at start and checks its issuer, as
    pyoidc's ``provider_config`` does), as that scenario's failure with the advice of
    :func:`v2_only_advice`, once the app started without them
    (:func:`scenarios.catalogue.fresh_stack`): it says nothing of whether the app starts for
    the others."""
    happened = (f"the app did not start with the v1 settings it was given ({error.message})")
    return AppRefusedSettings(v2_only_advice(profile, happened), error.output)


@scenario(
    id="auto-login.v1-endpoints",
    title="A connection on Entra's v1 endpoints over https signs in",
    proves="The unsigned ID token of the v1 token endpoint is accepted because it came "
    "straight from that token endpoint over TLS (OpenID Connect Core 3.1.3.7 step 6), and "
    "the next sign-in URL signs in with no page in between",
    needs={"customer-sso", "session-check", "https-provider", "v1-endpoints"},
    tags=("idp-https", "entra-v1"),
)
def v1_endpoints_over_https(ctx: Ctx) -> None:
    stack = ctx.env
    alice = stack.people["alice"]
    page = ctx.new_context(**stack.browser_context_options()).new_page()
    with ctx.step("the app holds the v1 endpoints of a provider served over https", page=page):
        _on_v1(stack, "https")
    log = NavigationLog(page)
    with ctx.step("sign in at the provider: the app signs alice in", page=page):
        try:
            first_login(page, stack, alice)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{_v2_only_advice(stack, log)}") from exc
    names = stack.app.sign_in_names()
    if len(names) > 1:
        with ctx.step(f"the {names[1]} sign-in URL signs in by redirects alone", page=page):
            sign_in_by_redirects(page, stack, alice, stack.app.sign_in_url(names[1]),
                                 path=stack.app.lands_on(names[1]))


REFUSAL = "refuse alice's unsigned ID token on its failure page"
"""What ``failure.v1-unsigned-over-http`` wants of the app on the v1 endpoints over http."""


@scenario(
    id="failure.v1-unsigned-over-http",
    title="The same v1 connection over plain http is refused",
    proves="An unsigned ID token is never trusted without TLS: the app shows its failure page "
    "(the reference relying party adds the admin hint: use the https token URL or the v2.0 "
    "endpoints, and logs the cause)",
    needs={"customer-sso", "failure-page", "http-provider", "v1-endpoints"},
    tags=("entra-v1",),
)
def v1_endpoints_over_http(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the app holds the v1 endpoints of a provider reached over http"):
        _on_v1(stack, "http")
    log = NavigationLog(page)
    with ctx.step("sign in at the provider: the app refuses the unsigned ID token"):
        try:
            open_sign_in(page, stack, stack.app.sign_in_url())
            sign_in_at_idp(page, stack.people["alice"])
            # An app that asks for no code takes its ID token from the authorization
            # endpoint, which signs it on v1 too: only the v1 token endpoint's are unsigned.
            expect_token_request_failure(ctx, "v1-unsigned-over-http",
                                         unused="the v1 token endpoint's unsigned ID token")
        except AssertionError as exc:
            if (why := _no_id_token_issued(stack)) is not None:
                raise NotExercised(why) from None
            raise AssertionError(f"{exc}\n{_http_refusal_advice(stack, log, str(exc))}"
                                 ) from exc
        if (why := _no_id_token_issued(stack)) is not None:
            raise NotExercised(why)


ACCEPTED_UNSIGNED = (
    "The app accepted the unsigned ID token (alg none) that Entra's v1 token endpoint sent it "
    "over plain http, where nothing vouches for it: OpenID Connect Core 3.1.3.7 (6) lets an "
    "app skip the signature only for an ID token straight from the token endpoint over TLS, "
    "and anyone on the network path could have written this one. The app must refuse an "
    "unsigned ID token from a token URL that is not https (or any unsigned ID token, on the "
    "v2.0 endpoints, which sign theirs) and show its failure page")
"""What ``failure.v1-unsigned-over-http`` says of an app that signed alice in with that token:
advice about settings that stop it signing in on v1 (:func:`_v2_only_advice`) says nothing to
an app that signed her in."""


def _http_refusal_advice(stack: LiveStack, log: NavigationLog, message: str) -> str:
    """What ``failure.v1-unsigned-over-http`` adds to ``message``, its failure: that the app
    trusted the unsigned ID token, when it signed alice in (:data:`ACCEPTED_UNSIGNED`), else why
    an app may fail on the v1 endpoints (:func:`_v2_only_advice`)."""
    if ACCEPTED in message:
        return ACCEPTED_UNSIGNED
    return _v2_only_advice(stack, log, wanted=REFUSAL)


def _no_id_token_issued(stack: LiveStack) -> str | None:
    """Why no unsigned ID token reached the app: the provider refused each of its token
    requests (a client secret it refuses, say), so whatever page it showed
    refused something else; ``None`` when one was answered, or it made none (an app that asks
    for no code is :func:`expect_token_request_failure`'s)."""
    tokens = [entry for entry in stack.provider_requests()
              if provider_step_name(str(entry.get("path", "")), str(entry.get("method", "")))
              == "token"]
    if not tokens or any(isinstance(entry.get("status"), int) and entry["status"] < 400
                         for entry in tokens):
        return None
    found = first_refusal(tokens)
    words = found[1] if found is not None else "an error"
    return (f"the provider refused the app's token request ({words}), so no unsigned ID token "
            "reached the app: auto-login.v1-endpoints shows why it cannot sign in there")
