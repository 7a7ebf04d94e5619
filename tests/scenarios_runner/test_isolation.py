"""A worker's scenarios share the provider and the app host (scenarios.shared_servers); nothing
one scenario leaves behind reaches the next.

Two stacks are built one after the other through the catalogue's own worker environment and
per-scenario stack (what the runner calls). The first signs alice in through a browser, arms a
fault, moves the clock a year on, adds a user, rotates the signing keys and changes the
directory's settings (another organization, a multi-tenant app, user consent blocked and the
app's consent removed); the second must
see the provider as a freshly started one, and a browser carrying the first one's cookies must
be asked to sign in again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from scenarios import Scenario, WorkerInfo
from scenarios.catalogue import WorkerEnvironment, fresh_stack, worker_environment
from scenarios.flows import first_login, sign_in_at_idp
from scenarios.live import LiveStack

pytestmark = pytest.mark.browser

NEW_USER = "isolation.probe@contoso.onmicrosoft.com"


def _scenario(name: str) -> Scenario:
    return Scenario(id=f"isolation.{name}", title=name, proves=name, group="isolation",
                    run=lambda ctx: None)


def _kids(stack: LiveStack) -> list[str]:
    keys = stack.http.get(stack.idp_url(f"/{stack.tenant_id}/discovery/v2.0/keys")).json()
    return [key["kid"] for key in keys["keys"]]


def _provider_records(stack: LiveStack) -> dict[str, int]:
    store = stack.idp_app.state.idp.store
    return {"sessions": len(store.sessions), "codes": len(store.codes),
            "refresh tokens": len(store.refresh_tokens)}


def _password_grant(stack: LiveStack, person: str, password: str | None = None
                    ) -> httpx.Response:
    who = stack.people[person]
    return stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"), data={
        "grant_type": "password", "client_id": stack.client_id,
        "client_secret": stack.client_secret, "scope": "openid", "username": who.upn,
        "password": who.password if password is None else password})


def _authenticator(stack: LiveStack) -> str:
    return stack.idp_url(
        f"/_mock/tenants/{stack.tenant_id}/users/{stack.people['alice'].upn}/authenticator")


def _leave_state_behind(stack: LiveStack, browser: Browser) -> list[Any]:
    context = browser.new_context()
    try:
        first_login(context.new_page(), stack, stack.people["alice"])
        cookies = context.cookies()
    finally:
        context.close()
    # Smart lockout: a threshold of one, and Bob locked by a wrong password.
    stack.http.patch(stack.idp_url(f"/_mock/tenants/{stack.tenant_id}"),
                     json={"lockout_threshold": 1}).raise_for_status()
    assert _password_grant(stack, "bob", "wrong").json()["error_codes"] == [50053]
    stack.http.put(_authenticator(stack), json={}).raise_for_status()  # Alice: code after password
    stack.graph("PATCH", f"users/{stack.people['bob'].upn}", {  # Bob: a new password to choose
        "passwordProfile": {"forceChangePasswordNextSignIn": True}})
    stack.arm_fault("drop", endpoint="token", times="until_cleared")
    stack.advance(days=400)
    stack.graph("POST", "users", {
        "accountEnabled": True, "displayName": "Probe", "userPrincipalName": NEW_USER,
        "mailNickname": "probe",
        "passwordProfile": {"password": "Probe-pass-1", "forceChangePasswordNextSignIn": False}})
    stack.rotate_keys()
    stack.add_other_organization()
    stack.update_app(signInAudience="AzureADMultipleOrgs")
    stack.block_user_consent()
    assert stack.revoke_consent()
    stack.set_assignment_required(False)
    assert _provider_records(stack)["sessions"] >= 1
    return cookies


def test_one_scenario_leaves_nothing_to_the_next(browser: Browser) -> None:
    with worker_environment(WorkerInfo(index=0, count=1)) as env:
        assert isinstance(env, WorkerEnvironment)
        with fresh_stack(env, _scenario("first")) as first:
            assert isinstance(first, LiveStack)
            initial_kids = _kids(first)
            first_app = first.rp_app
            cookies = _leave_state_behind(first, browser)
            first_kids = set(initial_kids) | set(_kids(first))
            assert len(first_kids) == 2
        with fresh_stack(env, _scenario("second")) as second:
            assert isinstance(second, LiveStack)
            # The same servers (else this test proves nothing about their reset)...
            assert second.idp.base_url == first.idp.base_url
            assert second.app.base_url == first.app.base_url
            # ...seen as freshly started: no fault, the clock at real time, the configured
            # users only, one signing key of its own, no protocol records or logged requests
            # from before.
            assert second.http.get(second.idp_url("/_mock/faults")).json()["faults"] == []
            now = dt.datetime.now(dt.UTC)
            assert abs(second.clock.now() - now) < dt.timedelta(minutes=5)
            missing = second.http.get(second.idp_url(
                f"/graph/{second.tenant_id}/v1.0/users/{NEW_USER}"))
            assert missing.status_code == 404
            # The other organization a scenario added is gone, and the app is single-tenant
            # again, as configured.
            tenants = second.http.get(second.idp_url("/_mock/tenants")).json()
            assert [t["domain"] for t in tenants["tenants"]] == ["contoso.onmicrosoft.com"]
            # Users may consent again, and the app's consent is back; no account is locked.
            assert tenants["tenants"][0]["allow_user_consent"] is True
            assert tenants["tenants"][0]["lockout_threshold"] == 10
            assert _password_grant(second, "bob").status_code == 200  # not 50053, nor 50055
            assert second.http.get(_authenticator(second)).json()["totp_secret"] is None
            principal = second.graph("GET", f"servicePrincipals(appId='{second.client_id}')")
            grants = second.graph("GET", "oauth2PermissionGrants", params={
                "$filter": f"clientId eq '{principal['id']}'"})["value"]
            assert [g["consentType"] for g in grants] == ["AllPrincipals"]
            assert principal["appRoleAssignmentRequired"] is True
            registration = second.graph("GET", f"applications(appId='{second.client_id}')")
            assert registration["signInAudience"] == "AzureADMyOrg"
            # One key, as at start; a rotated-to key (or one published on the side) would
            # otherwise still sign, and the app's key cache would hide a rotation bug.
            kids = _kids(second)
            assert len(kids) == 1 and not set(kids) & first_kids
            assert _provider_records(second) == {"sessions": 0, "codes": 0, "refresh tokens": 0}
            assert second.notifications() == []
            # The app is a new instance, and neither the provider's session cookie nor the
            # app's from the first scenario signs anyone in: the provider asks again.
            assert second.rp_app is not first_app
            context = browser.new_context()
            try:
                context.add_cookies(cookies)
                page = context.new_page()
                page.goto(second.sign_in_url())
                sign_in_at_idp(page, second.people["alice"])
            finally:
                context.close()
