"""``prompt=admin_consent`` on v1's authorize endpoint: the administrator consent experience
(Entra's v1 guide "Integrating applications with Azure Active Directory"). An administrator gets
the consent page for the organization and the response carries ``admin_consent=True``; anyone
else gets "Need admin approval" (AADSTS90094)."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ADA,
    FABRIKAM_ID,
    GRAPH_APP_ID,
    ZED,
    auth_params,
    consent,
    guarded_organizations_config,
    page_kind,
    paths,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.signin import ids

# Fabrikam's users may consent for themselves: the prompt asks more than that.
CONFIG = guarded_organizations_config(allow_user_consent=True)


def _authorize(client: AppClient, segment: str = FABRIKAM_ID) -> object:
    return client.get(paths(segment, "1.0")["authorize"], params=auth_params(
        prompt="admin_consent", resource=GRAPH_APP_ID, state="s-7"))


def _grants(client: AppClient) -> list[dict[str, str]]:
    return client.get(f"/graph/{FABRIKAM_ID}/v1.0/oauth2PermissionGrants").json()["value"]


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("segment", [FABRIKAM_ID, "common"])
def test_an_administrator_consents_for_the_organization(client: AppClient, segment: str
                                                        ) -> None:
    asked = sign_in(client, _authorize(client, segment), ADA)
    assert page_kind(asked) == "consent"
    assert "for everyone in your organization" in asked.text
    answer = redirect_params(consent(client, asked))
    assert "code" in answer and answer["admin_consent"] == "True" and answer["state"] == "s-7"
    assert [g["consentType"] for g in _grants(client)] == ["AllPrincipals"]


@pytest.mark.idp_config(CONFIG)
def test_a_signed_in_administrator_is_asked_again(client: AppClient) -> None:
    first = redirect_params(consent(client, sign_in(client, _authorize(client), ADA)))
    assert first["admin_consent"] == "True"
    again = _authorize(client)
    assert page_kind(again) == "consent"  # the prompt forces the page, consent or not


@pytest.mark.idp_config(CONFIG)
def test_a_user_who_is_not_an_administrator_needs_admin_approval(client: AppClient) -> None:
    page = sign_in(client, _authorize(client), ZED)
    assert page_kind(page) == "need_admin" and "AADSTS90094" in page.text
    forged = submit(client, page, answer="Accept", **{ids.ORGANIZATION_CONSENT_NAME: "true"})
    assert page_kind(forged) == "need_admin"
    assert _grants(client) == []
    back = redirect_params(submit(client, forged, answer=ids.RETURN_ANSWER))
    assert back["error"] == "access_denied" and "AADSTS65004" in back["error_description"]
    assert "code" not in back and "admin_consent" not in back


@pytest.mark.idp_config(CONFIG)
def test_an_administrator_who_declines_grants_nothing(client: AppClient) -> None:
    back = redirect_params(consent(client, sign_in(client, _authorize(client), ADA),
                                   answer="Cancel"))
    assert back["error"] == "access_denied" and back["error_subcode"] == "cancel"
    assert "admin_consent" not in back and back["state"] == "s-7"
    assert _grants(client) == []


@pytest.mark.idp_config(CONFIG)
def test_without_the_prompt_the_code_says_nothing_of_admin_consent(client: AppClient) -> None:
    page = client.get(paths(FABRIKAM_ID, "1.0")["authorize"],
                      params=auth_params(resource=GRAPH_APP_ID))
    answer = redirect_params(consent(client, sign_in(client, page, ADA)))
    assert "code" in answer and "admin_consent" not in answer
