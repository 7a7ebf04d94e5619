"""Failure pages for sign-ins the app refuses: an ID token or UserInfo answer that fails its
checks (:mod:`scenarios.catalogue.failures_token`), a tampered or replayed state or one brought
back by another browser (:mod:`scenarios.catalogue.failures_state`), and here a launch for an
unknown installation and a second identity with an e-mail already in use. (The failures the
provider causes or decides are in :mod:`scenarios.catalogue.failures`.)"""

from __future__ import annotations

from scenarios import scenario

# Imported first, so their scenarios keep their place in the catalogue.
from scenarios.catalogue import failures_token  # noqa: F401
from scenarios.catalogue.failures import FAILURE_PAGE, Ctx
from scenarios.catalogue.failures_state import (
    state_other_browser,
    state_replayed,
    state_tampered,
)
from scenarios.flows import (
    NavigationLog,
    expect_failure,
    first_login_at_company,
    follow_signed_in_at_company,
)

__all__ = ["duplicate_email", "state_other_browser", "state_replayed", "state_tampered",
           "unknown_installation"]


# -- partner launch and user mapping --------------------------------------------------------------


@scenario(
    id="failure.unknown-installation",
    title="A launch for an unknown installation ends on the failure page",
    proves="The standalone URL with an installation id the app never received shows the "
    "failure page with the support contact, without contacting the provider",
    needs={"partner", "failure-page"},
)
def unknown_installation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("open the launch URL with an unknown installation id"):
        page.goto(stack.app.launch_url("0" * 32, stack.user_id("alice")))
    with ctx.step("the failure page shows the support contact"):
        expect_failure(page, stack, "unknown-installation")
        assert log.pages_shown_from(stack.idp.base_url) == [], "the provider was contacted"


@scenario(
    id="failure.duplicate-email",
    title="A second identity with an e-mail already in use is refused",
    proves="Alice signs in through one connection; signing in through a second app registration "
    "(another pairwise sub, same e-mail) is refused with the second connection's contact",
    needs=FAILURE_PAGE | {"multi-connection"},
)
def duplicate_email(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("register a second app and configure a second connection to it"):
        created = stack.graph("POST", "applications", {
            "displayName": "Second relying party",
            "web": {"redirectUris": [stack.app.redirect_uri]},
            # as the app's own registration: Entra vouches for the address (xms_edov)
            "optionalClaims": {"idToken": [{"name": "xms_edov"}]},
        })
        second_id = str(created["appId"])
        secret = stack.add_secret(client_id=second_id)
        contact = "second-desk@contoso.example"
        second = stack.app.add_connection(client_id=second_id, client_secret=secret,
                                          support_contact=contact)
        if second.redirect_uri != stack.app.redirect_uri:  # one per connection
            stack.update_app(client_id=second_id, web={"redirectUris": [second.redirect_uri]})
    with ctx.step("alice, signed in at her company, signs in through the first connection"):
        first_login_at_company(page, stack, alice)
    with ctx.step("in a new browser, signed in at her company too, alice signs in through the "
                  "second connection"):
        other = ctx.new_context().new_page()
        follow_signed_in_at_company(other, stack, alice, url=second.sign_in_url())
    with ctx.step("the app refuses the second identity", page=other):
        second.expect_failure(other, "duplicate-email", contact=contact)
