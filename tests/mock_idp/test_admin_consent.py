"""Consent an administrator gives for a whole organization: a tenant whose users may not consent
("Need admin approval", AADSTS90094), "Consent on behalf of your organization" on the consent
page, and the admin consent endpoints (v1 and v2), after which a multi-tenant app's users sign in
without a consent page and the app gets app-only tokens in that tenant."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import msal
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ADA,
    ALICE,
    CLIENT_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    ZED,
    auth_params,
    claims,
    consent,
    guarded_organizations_config,
    page_kind,
    paths,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.config import ConfigError, IdpConfig
from mock_idp.directory_roles import canonical, consents_for_organization
from mock_idp.signin import flow, ids
from mock_idp.testing import MockIdp

GUARDED = guarded_organizations_config()
REDIRECT = auth_params()["redirect_uri"]


def _authorize(client: AppClient, segment: str = "organizations", **extra: str
               ) -> httpx.Response:
    return client.get(paths(segment, "2.0")["authorize"], params=auth_params(**extra))


def _admin_consent(client: AppClient, segment: str = "organizations", version: str = "2.0",
                   **params: str) -> httpx.Response:
    path = f"/{segment}/v2.0/adminconsent" if version == "2.0" else f"/{segment}/adminconsent"
    query = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": "st-1", **params}
    if version == "2.0":
        query.setdefault("scope", GRAPH_DEFAULT)
    return client.get(path, params=query)


def _ordered_params(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 302, (response.status_code, response.text[:300])
    return parse_qsl(urlsplit(response.headers["location"]).query, keep_blank_values=True)


def _client_credentials(client: AppClient, tenant: str) -> httpx.Response:
    return client.post(paths(tenant, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})


def _organization_grants(client: AppClient, tenant: str) -> list[dict[str, str]]:
    listed = client.get(f"/graph/{tenant}/v1.0/oauth2PermissionGrants").json()["value"]
    return [g for g in listed if g["consentType"] == "AllPrincipals"]


# -- the pure parts -------------------------------------------------------------------------------


def test_roles_that_may_consent_for_the_organization() -> None:
    assert canonical("global administrator") == "Global Administrator"
    assert canonical("Directory Wizard") is None
    for role in ("Global Administrator", "Privileged Role Administrator",
                 "Cloud Application Administrator", "Application Administrator"):
        assert consents_for_organization([role])
    assert not consents_for_organization(["Global Reader", "User Administrator"])
    assert not consents_for_organization([])


@pytest.mark.parametrize(("admin", "may_consent", "prompt", "consented", "expected"), [
    (False, True, None, False, flow.AskConsent()),
    (True, True, None, False, flow.AskConsent(for_organization=True)),
    (True, False, None, False, flow.AskConsent(for_organization=True)),
    (False, False, None, False, flow.NeedAdmin()),
    (False, False, "consent", True, flow.NeedAdmin()),
    (False, False, None, True, flow.Issue()),
])
def test_which_consent_page_a_user_gets(admin: bool, may_consent: bool, prompt: str | None,
                                        consented: bool, expected: object) -> None:
    assert flow.before_issue(consented=consented, prompt=prompt, consent_shown=False, app_id="a",
                             app_name="A", may_consent=may_consent, admin=admin) == expected


def test_prompt_none_never_shows_need_admin_approval() -> None:
    decision = flow.before_issue(consented=False, prompt="none", consent_shown=False,
                                 app_id="a", app_name="A", may_consent=False)
    assert isinstance(decision, flow.Refuse) and decision.error.code == 65001


def test_an_unknown_directory_role_is_refused_where_it_is_configured() -> None:
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.users\[0\]\.directory_roles"):
        IdpConfig.from_mapping({"tenants": [{
            "id": FABRIKAM_ID, "domain": "fabrikam.onmicrosoft.com",
            "users": [{"upn": ZED, "password": "x", "directory_roles": ["Wizard"]}]}]})


def test_the_settings_come_from_idp_toml() -> None:
    config = IdpConfig.from_mapping({"tenants": [{
        "id": FABRIKAM_ID, "domain": "fabrikam.onmicrosoft.com", "allow_user_consent": False,
        "users": [{"upn": ADA, "password": "x",
                   "directory_roles": ["privileged role administrator"]}]}]})
    (tenant,) = config.tenants
    assert tenant.allow_user_consent is False
    assert tenant.users[0].directory_roles == ("Privileged Role Administrator",)


# -- a tenant whose users may not consent ---------------------------------------------------------


@pytest.mark.idp_config(GUARDED)
def test_a_user_who_may_not_consent_gets_need_admin_approval(client: AppClient) -> None:
    page = sign_in(client, _authorize(client, state="s-9"), ZED)
    assert page_kind(page) == "need_admin"
    assert ids.NEED_ADMIN_HEADING in page.text and "90094" in page.text
    assert ids.RETURN_WITHOUT_CONSENT in page.text and ids.SWITCH_TO_ADMIN in page.text
    back = redirect_params(submit(client, page, answer=ids.RETURN_ANSWER))
    assert back["error"] == "access_denied" and "AADSTS65004" in back["error_description"]
    assert back["state"] == "s-9"
    assert client.get(f"/graph/{FABRIKAM_ID}/v1.0/oauth2PermissionGrants").json()["value"] == []


@pytest.mark.idp_config(GUARDED)
def test_accepting_from_need_admin_approval_grants_nothing(client: AppClient) -> None:
    page = sign_in(client, _authorize(client), ZED)
    again = submit(client, page, answer="Accept")
    assert page_kind(again) == "need_admin"
    assert client.get(f"/graph/{FABRIKAM_ID}/v1.0/oauth2PermissionGrants").json()["value"] == []
    forged = submit(client, again, answer="Accept", **{ids.ORGANIZATION_CONSENT_NAME: "true"})
    assert page_kind(forged) == "need_admin"


@pytest.mark.idp_config(GUARDED)
def test_an_administrator_consents_for_everyone_from_need_admin_approval(
        client: AppClient) -> None:
    page = sign_in(client, _authorize(client), ZED)
    switched = submit(client, page, answer=ids.SWITCH_ACCOUNT_ANSWER)
    assert page_kind(switched) == "username"
    asked = sign_in(client, switched, ADA)
    assert page_kind(asked) == "consent"
    assert ids.ORGANIZATION_CONSENT_LABEL in asked.text
    answer = redirect_params(submit(client, asked, answer="Accept",
                                    **{ids.ORGANIZATION_CONSENT_NAME: "true"}))
    assert "code" in answer
    (grant,) = _organization_grants(client, FABRIKAM_ID)
    assert "openid" in grant["scope"].split()
    # Everyone in Fabrikam now signs in without a page about consent (zed, in a new browser).
    client.cookies.clear()
    assert "code" in redirect_params(sign_in(client, _authorize(client), ZED))


@pytest.mark.idp_config(GUARDED)
def test_an_administrator_who_leaves_the_box_clear_consents_for_themselves(
        client: AppClient) -> None:
    asked = sign_in(client, _authorize(client), ADA)
    assert "code" in redirect_params(consent(client, asked))
    grants = client.get(f"/graph/{FABRIKAM_ID}/v1.0/oauth2PermissionGrants").json()["value"]
    assert [g["consentType"] for g in grants] == ["Principal"]


@pytest.mark.idp_config(guarded_organizations_config(allow_user_consent=True))
def test_where_users_may_consent_they_do_and_the_box_is_only_for_administrators(
        client: AppClient) -> None:
    asked = sign_in(client, _authorize(client), ZED)
    assert page_kind(asked) == "consent"
    assert ids.ORGANIZATION_CONSENT_LABEL not in asked.text
    assert "code" in redirect_params(submit(client, asked, answer="Accept",
                                            **{ids.ORGANIZATION_CONSENT_NAME: "true"}))
    assert _organization_grants(client, FABRIKAM_ID) == []


@pytest.mark.idp_config(GUARDED)
def test_the_setting_is_changed_and_shown_through_the_control_api(client: AppClient) -> None:
    assert client.get("/_mock/tenants").json()["tenants"][1]["allow_user_consent"] is False
    changed = client.patch(f"/_mock/tenants/{FABRIKAM_ID}", json={"allow_user_consent": True})
    assert changed.status_code == 200 and changed.json()["allow_user_consent"] is True
    assert page_kind(sign_in(client, _authorize(client), ZED)) == "consent"
    bad = client.patch(f"/_mock/tenants/{FABRIKAM_ID}", json={"allow_user_consent": "no"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "allow_user_consent"
    client.post("/_mock/reset")
    assert client.get("/_mock/tenants").json()["tenants"][1]["allow_user_consent"] is False


# -- the admin consent endpoints ------------------------------------------------------------------


@pytest.mark.idp_config(GUARDED)
def test_v2_admin_consent_through_organizations(client: AppClient) -> None:
    assert _client_credentials(client, FABRIKAM_ID).json()["error_codes"] == [700016]
    page = sign_in(client, _admin_consent(client), ADA)
    assert page_kind(page) == "consent" and "everyone in your organization" in page.text
    answer = _ordered_params(consent(client, page))
    assert answer == [("admin_consent", "True"), ("tenant", FABRIKAM_ID),
                      ("scope", GRAPH_DEFAULT), ("state", "st-1")]
    (grant,) = _organization_grants(client, FABRIKAM_ID)
    assert set(grant["scope"].split()) >= {"openid", "profile", "User.Read"}
    # The app now has a service principal in Fabrikam: app-only tokens from Fabrikam.
    token = _client_credentials(client, FABRIKAM_ID)
    assert token.status_code == 200, token.text
    assert claims(token.json()["access_token"])["tid"] == FABRIKAM_ID


@pytest.mark.idp_config(GUARDED)
def test_v2_admin_consent_for_the_scopes_asked(client: AppClient) -> None:
    page = sign_in(client, _admin_consent(client, scope="openid User.Read Mail.Send"), ADA)
    assert "Access Mail.Send" in page.text
    answer = dict(_ordered_params(consent(client, page)))
    assert answer["scope"] == "openid User.Read Mail.Send"
    (grant,) = _organization_grants(client, FABRIKAM_ID)
    assert grant["resourceId"] and grant["scope"].split() == ["openid", "User.Read", "Mail.Send"]


@pytest.mark.idp_config(GUARDED)
def test_v1_admin_consent_answers_in_the_v1_shape(client: AppClient) -> None:
    page = sign_in(client, _admin_consent(client, FABRIKAM_ID, version="1.0"), ADA)
    answer = _ordered_params(consent(client, page))
    assert answer == [("tenant", FABRIKAM_ID), ("state", "st-1"), ("admin_consent", "True")]


@pytest.mark.idp_config(GUARDED)
def test_declining_admin_consent(client: AppClient) -> None:
    v2 = dict(_ordered_params(consent(client, sign_in(client, _admin_consent(client), ADA),
                                      answer="Cancel")))
    assert v2["admin_consent"] == "True" and v2["error"] == "consent_required"
    assert v2["error_description"].startswith("AADSTS65004") and v2["state"] == "st-1"
    v1 = _ordered_params(consent(client, _admin_consent(client, version="1.0"), answer="Cancel"))
    assert v1 == [("error", "permission_denied"),
                  ("error_description", "The admin canceled the request")]
    assert _organization_grants(client, FABRIKAM_ID) == []


@pytest.mark.idp_config(GUARDED)
def test_a_user_who_is_not_an_administrator_cannot_complete_admin_consent(
        client: AppClient) -> None:
    page = sign_in(client, _admin_consent(client), ZED)
    assert page_kind(page) == "need_admin"
    again = submit(client, page, answer="Accept")
    assert page_kind(again) == "need_admin"
    back = dict(_ordered_params(submit(client, again, answer=ids.RETURN_ANSWER)))
    assert back["admin_consent"] == "True" and back["error_description"].startswith("AADSTS65004")
    assert _organization_grants(client, FABRIKAM_ID) == []


@pytest.mark.idp_config(guarded_organizations_config(role="Global Reader"))
def test_a_role_that_cannot_consent_is_not_enough(client: AppClient) -> None:
    assert page_kind(sign_in(client, _admin_consent(client), ADA)) == "need_admin"


@pytest.mark.idp_config(GUARDED)
@pytest.mark.parametrize(("params", "code", "name"), [
    ({"scope": ""}, 900144, "scope"),
])
def test_v2_admin_consent_without_a_scope_is_sent_back(client: AppClient, params: dict[str, str],
                                                       code: int, name: str) -> None:
    back = dict(_ordered_params(_admin_consent(client, **params)))
    assert back["error"] == "invalid_request" and f"AADSTS{code}" in back["error_description"]
    assert name in back["error_description"] and back["state"] == "st-1"


@pytest.mark.idp_config(GUARDED)
def test_v2_admin_consent_at_common_is_refused(client: AppClient) -> None:
    """MicrosoftDocs/azure-docs #45151: sent back with ``invalid_request`` naming
    ``response_type``."""
    back = dict(_ordered_params(_admin_consent(client, "common")))
    assert back["error"] == "invalid_request" and "response_type" in back["error_description"]


@pytest.mark.idp_config(GUARDED)
@pytest.mark.parametrize(("params", "code"), [
    ({"client_id": "00000000-0000-0000-0000-0000000000aa"}, 700016),
    ({"redirect_uri": "https://evil.example/cb"}, 50011),
    ({"client_id": ""}, 900144),
])
def test_what_admin_consent_shows_on_the_error_page(client: AppClient, params: dict[str, str],
                                                   code: int) -> None:
    for version in ("2.0", "1.0"):
        page = _admin_consent(client, FABRIKAM_ID, version=version, **params)
        assert page.status_code >= 400 and f"AADSTS{code}" in page.text
        assert "location" not in page.headers


@pytest.mark.idp_config(guarded_organizations_config())
def test_a_single_tenant_app_cannot_be_consented_through_organizations(
        client: AppClient) -> None:
    client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
                 json={"signInAudience": "AzureADMyOrg"})
    page = _admin_consent(client)
    assert page.status_code == 400 and "AADSTS50194" in page.text
    # In another organization's own tenant, Entra does not find it at all.
    assert "AADSTS700016" in _admin_consent(client, FABRIKAM_ID).text


def test_an_app_consented_in_its_own_tenant_by_its_administrator(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alice, a Cloud Application Administrator of Contoso, consents for Contoso; MSAL then
    gets app-only tokens there, and in Fabrikam only after Fabrikam's administrator did too."""
    from dataclasses import replace

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    contoso, fabrikam = GUARDED.tenants
    alice = replace(contoso.users[0], directory_roles=("Cloud Application Administrator",))
    assert alice.upn == ALICE
    config = IdpConfig(tenants=(replace(contoso, users=(alice, *contoso.users[1:])), fabrikam))
    with MockIdp(config, https=True, tls_dir=tmp_path) as idp:
        verify = idp.tls.client_context() if idp.tls else True

        def daemon(tenant: str) -> msal.ConfidentialClientApplication:
            app = msal.ConfidentialClientApplication(
                CLIENT_ID, client_credential=SECRET, authority=f"{idp.url}/{tenant}",
                validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
            apps.append(app)
            return app

        apps: list[msal.ConfidentialClientApplication] = []
        try:
            # A new MSAL app afterwards: MSAL answers a request it saw refused with HTTP 400
            # from its own cache for a minute (its throttled HTTP client).
            before = daemon(FABRIKAM_ID).acquire_token_for_client([GRAPH_DEFAULT])
            assert 700016 in before["error_codes"], before
            with httpx.Client(base_url=idp.url, verify=verify, timeout=10) as browser:
                for upn, segment in ((ALICE, TENANT), (ADA, FABRIKAM_ID)):
                    page = browser.get(f"/{segment}/adminconsent", params={
                        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": upn})
                    asked = sign_in(browser, page, upn)  # type: ignore[arg-type]
                    answer = consent(browser, asked)  # type: ignore[arg-type]
                    assert dict(_ordered_params(answer))["admin_consent"] == "True"
                    browser.cookies.clear()
            for tenant in (TENANT, FABRIKAM_ID):
                result = daemon(tenant).acquire_token_for_client([GRAPH_DEFAULT])
                assert "access_token" in result, result
                assert claims(result["access_token"])["tid"] == tenant
        finally:
            for app in apps:
                app.http_client.close()


# -- the wids claim -------------------------------------------------------------------------------


def _with_group_claims(value: str | None) -> IdpConfig:
    from dataclasses import replace

    contoso, fabrikam = GUARDED.tenants
    apps = tuple(replace(a, group_membership_claims=value) if a.client_id == CLIENT_ID else a
                 for a in contoso.apps)
    return IdpConfig(tenants=(replace(contoso, apps=apps), fabrikam))


def _id_token(client: AppClient, upn: str) -> dict[str, object]:
    from idp_testkit import pkce_pair

    verifier, challenge = pkce_pair()
    page = _authorize(client, code_challenge=challenge, code_challenge_method="S256")
    answer = sign_in(client, page, upn)
    if page_kind(answer) == "consent":
        answer = consent(client, answer)
    code = redirect_params(answer)["code"]
    token = client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})
    return claims(token.json()["id_token"])


@pytest.mark.idp_config(_with_group_claims("DirectoryRole"))
def test_wids_lists_an_administrators_roles_then_the_member_role(client: AppClient) -> None:
    assert _id_token(client, ADA)["wids"] == ["62e90394-69f5-4237-9190-012177145e10",
                                              "b79fbf4d-3ef9-4689-8143-76b194e85509"]


@pytest.mark.idp_config(_with_group_claims("SecurityGroup"))
def test_wids_needs_directory_role_or_all_in_group_membership_claims(client: AppClient) -> None:
    assert "wids" not in _id_token(client, ADA)


def test_wids_is_left_out_of_implicit_tokens() -> None:
    from mock_idp.protocol.group_claims import groups_and_roles
    from mock_idp.store import Store

    store = Store.from_config(_with_group_claims("All"), GUARDED.clock.now())
    fabrikam = store.tenants[FABRIKAM_ID]
    ada = fabrikam.find_user(ADA)
    app = store.tenants[TENANT].apps[CLIENT_ID]
    assert ada is not None
    assert "wids" in groups_and_roles(fabrikam, app, ada, configured=(), implicit=False)
    assert "wids" not in groups_and_roles(fabrikam, app, ada, configured=(), implicit=True)


@pytest.mark.idp_config(GUARDED)
def test_the_service_principal_in_the_customers_tenant_after_consent(client: AppClient) -> None:
    path = f"/graph/{FABRIKAM_ID}/v1.0/servicePrincipals(appId='{CLIENT_ID}')"
    assert client.get(path).status_code == 404
    consent(client, sign_in(client, _admin_consent(client), ADA))
    principal = client.get(path).json()
    assert principal["appId"] == CLIENT_ID and principal["appOwnerOrganizationId"] == TENANT
    assert [r["value"] for r in principal["appRoles"]] == ["Agent"]
    (grant,) = _organization_grants(client, FABRIKAM_ID)
    assert grant["clientId"] == principal["id"]
    changed = client.patch(path, json={"accountEnabled": False})
    assert changed.status_code == 400 and changed.json()["error"]["target"] == "accountEnabled"
