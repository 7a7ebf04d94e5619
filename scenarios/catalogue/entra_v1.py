"""Customer SSO on Entra ID's v1.0 endpoints, the set-up the customer-SSO guide walks through.

The admin copies the "OAuth 2.0 authorization endpoint (v1)" and "OAuth 2.0 token endpoint
(v1)" into the connection. Entra's v1.0 token endpoint returns the ID token unsigned
(``alg: none``), so the relying party can only trust it for arriving straight from that token
endpoint over TLS: over https the sign-in works, over plain http it is refused with a hint
that tells the administrator how to fix the connection.
"""

from __future__ import annotations

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import expect_failure, expect_signed_in, sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.pages import FailurePage

Ctx = ScenarioContext[LiveStack]


def _v1_connection(stack: LiveStack) -> str:
    """The admin enters the v1 endpoints; the provider keeps Entra's unsigned v1 ID tokens."""
    app = stack.graph("GET", f"applications(appId='{stack.client_id}')")
    assert app["signV1IdTokens"] is False, "the provider would sign v1 ID tokens"
    created = stack.create_connection(name="Contoso (Entra ID v1)", **stack.endpoints("1.0"))
    connection_id = str(created["id"])
    stack.connection_id = connection_id
    return connection_id


@scenario(
    id="auto-login.v1-endpoints",
    title="A connection on Entra's v1 endpoints over https signs in",
    proves="The unsigned ID token of the v1 token endpoint is accepted because it came "
    "straight from that token endpoint over TLS (OpenID Connect Core 3.1.3.7 step 6), and "
    "the next app signs in with no page in between",
    tags=("idp-https", "no-connection"),
)
def v1_endpoints_over_https(ctx: Ctx) -> None:
    stack = ctx.env
    alice = stack.people["alice"]
    assert stack.idp.base_url.startswith("https://"), stack.idp.base_url
    page = ctx.new_context(**stack.browser_context_options()).new_page()
    with ctx.step("an admin enters the v1 authorization and token endpoints", page=page):
        _v1_connection(stack)
    with ctx.step("the widget sign-in URL leads to the provider; sign in there", page=page):
        page.goto(stack.sign_in_url("widget"))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/widget")
    with ctx.step("the portal signs in silently with the IdP session", page=page):
        page.goto(stack.sign_in_url("portal"))
        expect_signed_in(page, alice, path="/portal")


@scenario(
    id="failure.v1-unsigned-over-http",
    title="The same v1 connection over plain http is refused with a hint for the admin",
    proves="An unsigned ID token is never trusted without TLS: the failure page says to use "
    "the https token URL or the v2.0 endpoints, and the error log names the cause",
    tags=("no-connection",),
)
def v1_endpoints_over_http(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    assert stack.idp.base_url.startswith("http://"), stack.idp.base_url
    with ctx.step("an admin enters the v1 endpoints of a provider reached over http"):
        _v1_connection(stack)
    with ctx.step("sign in at the provider: the relying party refuses the unsigned ID token"):
        page.goto(stack.sign_in_url("widget"))
        sign_in_at_idp(page, stack.people["alice"])
        expect_failure(page, stack, logged_code="id_token_unsigned_over_http")
    with ctx.step("the failure page tells the administrator how to fix it"):
        hint = FailurePage(page).admin_hint
        expect(hint).to_contain_text("https")
        expect(hint).to_contain_text("v2.0 endpoints")
