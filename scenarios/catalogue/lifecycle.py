"""Lifecycle: secrets expire and are renewed, SSO is switched off and on, signing keys and
partner credentials rotate, and sign-in keeps working once the RP has caught up."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import (
    NavigationLog,
    drop_rp_session,
    expect_failure,
    expect_signed_in,
    first_login,
    install_partner,
    launch_and_sign_in,
    oid_of,
    sign_in_at_idp,
)
from scenarios.live import LiveStack
from scenarios.pages import AdminPage, FailurePage

Ctx = ScenarioContext[LiveStack]


def _connection_name(stack: LiveStack) -> str:
    return str(stack.connection()["name"])


def _key_fetches(stack: LiveStack) -> int:
    logged = stack.http.get(stack.idp_url("/_mock/requests"), params={
        "path": f"/{stack.tenant_id}/discovery/v2.0/keys", "limit": 1000})
    assert logged.status_code == 200, logged.text
    return len(logged.json()["requests"])


def _active_kid(stack: LiveStack) -> str:
    return str(stack.http.get(stack.idp_url("/_mock/keys")).json()["active"])


def _token_with_secret(stack: LiveStack, secret: str) -> tuple[int, dict[str, Any]]:
    """A client-credentials request at the provider: does it accept this secret?"""
    response = stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"), data={
        "grant_type": "client_credentials", "client_id": stack.client_id,
        "client_secret": secret, "scope": "https://graph.microsoft.com/.default"})
    return response.status_code, response.json()


@scenario(
    id="lifecycle.secret-renewal",
    title="An expired client secret, renewed on the admin page, restores sign-in",
    proves="Past the secret's end date the token request fails with AADSTS7000222 and the "
    "failure page appears; a new secret from the management API, entered on the RP's admin "
    "edit form, makes login work again",
    tags={"lifecycle"},
)
def secret_renewal(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    name = _connection_name(stack)
    with ctx.step("the clock passes the secret's end date: the failure page, AADSTS7000222"):
        stack.advance(days=181)
        page.goto(stack.sign_in_url("widget"))
        sign_in_at_idp(page, alice)
        expect_failure(page, stack, idp_code="7000222", logged_code="client_secret_expired")
    admin = AdminPage(page)
    with ctx.step("the admin page asks for the admin token before showing anything"):
        admin.open(stack.rp.base_url)
        expect(admin.heading).to_have_text("Admin sign-in")
    with ctx.step("the administrator signs in: the admin page shows the secret as expired"):
        admin.sign_in(stack.rp.base_url, stack.admin_token)
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(admin.connection(name)).to_contain_text("Expired")
    with ctx.step("a new secret is added at the provider and entered on the edit form"):
        secret = stack.add_secret(days=180)
        expires_on = (stack.clock.now() + timedelta(days=180)).date().isoformat()
        admin.edit_connection(name)
        admin.client_secret.fill(secret)
        admin.secret_expires_on.fill(expires_on)
        admin.save()
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(admin.connection(name)).to_contain_text(f"Expires in 180 day(s) ({expires_on})")
    with ctx.step("login works again, silently with the IdP session"):
        page.goto(stack.sign_in_url("widget"))
        expect_signed_in(page, alice, path="/widget")


@scenario(
    id="lifecycle.disable-enable",
    title="Disabling SSO shows the failure page; enabling it restores sign-in",
    proves="With the connection disabled on the admin page, visiting an app ends on the "
    "failure page for a disabled connection (contact, reference, error log); enabled again, "
    "the app signs in through the IdP",
    tags={"lifecycle"},
)
def disable_enable(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    name = _connection_name(stack)
    admin = AdminPage(page)
    with ctx.step("the administrator signs in and disables SSO for the connection"):
        admin.sign_in(stack.rp.base_url, stack.admin_token)
        admin.set_enabled(name, False)
        expect(admin.connection(name)).to_contain_text("(disabled)")
    with ctx.step("visiting an app shows the failure page for a disabled connection"):
        page.goto(stack.rp_url("/portal"))
        expect_failure(page, stack, logged_code="connection_disabled")
        expect(FailurePage(page).message).to_contain_text("turned off")
    with ctx.step("the connection's sign-in URL fails the same way"):
        page.goto(stack.sign_in_url("portal"))
        expect_failure(page, stack, logged_code="connection_disabled")
    with ctx.step("enable SSO again on the admin page"):
        admin.open(stack.rp.base_url)
        admin.set_enabled(name, True)
        expect(admin.connection(name)).to_contain_text("(enabled)")
    with ctx.step("login works again"):
        page.goto(stack.rp_url("/portal"))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/portal")


@scenario(
    id="lifecycle.key-rotation",
    title="A signing-key rotation between two logins does not break sign-in",
    proves="After the IdP rotates its signing keys, an ID token with an unknown kid makes the "
    "RP fetch the key set again instead of failing, and the second login succeeds",
    tags={"lifecycle"},
)
def key_rotation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice signs in, then signs out of the RP locally"):
        first_login(page, stack, alice, "widget")
        drop_rp_session(page)
        fetched_before = _key_fetches(stack)
        assert fetched_before >= 1, "the RP never fetched the provider's keys"
    with ctx.step("the IdP rotates its signing keys"):
        old_kid = _active_kid(stack)
        stack.rotate_keys()
        assert _active_kid(stack) != old_kid, "the active signing key did not change"
    log = NavigationLog(page)
    with ctx.step("login again works, with no click"):
        page.goto(stack.sign_in_url("widget"))
        expect_signed_in(page, alice, path="/widget")
        assert log.pages_shown_from(stack.idp.base_url) == [], log.documents
    with ctx.step("the RP re-fetched the key set for the new kid"):
        assert _key_fetches(stack) == fetched_before + 1, (
            f"keys fetched {_key_fetches(stack)} times, {fetched_before} before the rotation")


@scenario(
    id="lifecycle.credentials-rotated",
    title="app.credentials_rotated: the next launch signs in with the new credentials",
    proves="The platform rotates the installation's secret and sends app.credentials_rotated; "
    "the old secret stops working at the IdP, and a new launch still signs in because the RP "
    "stored the new secret",
    tags={"lifecycle", "partner"},
)
def credentials_rotated(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("install the app, launch it and sign in"):
        installation_id = install_partner(stack)
        launch_and_sign_in(page, stack, installation_id, alice)
    installation_url = stack.idp_url(f"/_mock/installations/{installation_id}")
    with ctx.step("the platform rotates the credentials and the RP accepts the event"):
        old_secret = str(stack.http.get(installation_url).json()["client_secret"])
        rotated = stack.http.post(f"{installation_url}/rotate", json={})
        assert rotated.status_code == 200, rotated.text
        body = rotated.json()
        assert body["event"]["type"] == "app.credentials_rotated", body["event"]
        assert body["delivery"]["status"] == 200, f"the RP refused it: {body['delivery']}"
        assert body["installation"]["client_secret"] != old_secret
    with ctx.step("the old secret stops working at the IdP"):
        status, error = _token_with_secret(stack, old_secret)
        assert status == 401 and 7000215 in error.get("error_codes", []), (status, error)
    log = NavigationLog(page)
    with ctx.step("a new launch signs in with the new credentials"):
        drop_rp_session(page)
        page.goto(stack.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, alice, path="/")
        assert any("/auth/callback" in u for u, _ in log.documents), log.documents
        me = page.request.get(stack.rp_url("/api/me")).json()
        assert me["source_id"] == installation_id, me
