"""Conditional Access authentication contexts: the ``acrs`` claims request, the step-up it asks
of a sign-in, the errors of a silent request that cannot step up, and how a tenant defines
them (:mod:`mock_idp.protocol.auth_contexts`)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    BOB,
    CLIENT_ID,
    SECRET,
    TENANT,
    alice_with_authenticator,
    auth_params,
    claims,
    page_kind,
    password,
    paths,
    redirect_params,
    sign_in,
    submit,
    tokens_for,
)

from mock_idp import totp
from mock_idp.clock import MockClock
from mock_idp.config import ConfigError, IdpConfig, default_tenant
from mock_idp.protocol.auth_contexts import AcrsRequest, parse
from mock_idp.protocol.claims_request import parse as parse_claims

TOKEN = paths(TENANT, "2.0")["token"]
TENANT_URL = f"/_mock/tenants/{TENANT}"


def acrs(*contexts: str, essential: bool = True) -> str:
    member: dict[str, Any] = {"value": contexts[0]} if len(contexts) == 1 else {
        "values": list(contexts)}
    if essential:
        member["essential"] = True
    return json.dumps({"access_token": {"acrs": member}})


def _step_up_tenant() -> IdpConfig:
    """Alice has an authenticator app, asked for only where a context needs it: ``c1`` is
    behind a policy requiring MFA, ``c2`` is defined with no policy."""
    (tenant,) = alice_with_authenticator().tenants
    return IdpConfig(tenants=(replace(tenant, auth_contexts=(("c1", "mfa"), ("c2", "none")),
                                      mfa_at_sign_in=False),))


pytestmark = pytest.mark.idp_config(_step_up_tenant())


def _refresh(client: AppClient, refresh_token: str, claims_request: str | None = None,
             version: str = "2.0") -> Any:
    data = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": refresh_token, "scope": "User.Read"}
    if version == "1.0":
        data = {**data, "resource": "https://graph.microsoft.com"}
    if claims_request is not None:
        data["claims"] = claims_request
    return client.post(paths(TENANT, version)["token"], data=data)


# -- reading the request ----------------------------------------------------------------------


def test_a_claims_request_names_the_contexts_by_value_or_values() -> None:
    assert parse_claims(acrs("c1")).acrs == AcrsRequest(("c1",), frozenset({"c1"}))
    assert parse_claims(acrs("c1", "c25", "c1")).acrs == AcrsRequest(
        ("c1", "c25"), frozenset({"c1", "c25"}))
    assert parse_claims(acrs("c3", essential=False)).acrs == AcrsRequest(("c3",))


@pytest.mark.parametrize("value", ["c0", "c100", "C1", "cp1", "c01", 1, None, ""])
def test_a_value_that_names_no_context_is_ignored(value: object) -> None:
    assert parse({"acrs": {"essential": True, "value": value}}) == AcrsRequest()
    assert parse({"acrs": {"essential": True, "values": [value, "c2"]}}).asked == ("c2",)


# -- at the token endpoint --------------------------------------------------------------------


def test_a_sign_in_without_a_context_asks_no_code_and_its_token_has_no_acrs(
        client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    response = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(response) == "kmsi", response.text[:300]
    submit(client, response, answer="No")
    body = tokens_for(client, scope="openid offline_access User.Read")
    token = claims(body["access_token"])
    assert "acrs" not in token and token["amr"] == ["pwd"]


@pytest.mark.parametrize(("version", "error"), [("2.0", "invalid_grant"),
                                                ("1.0", "interaction_required")])
def test_a_refresh_asking_a_context_the_sign_in_did_not_satisfy_is_told_to_interact(
        client: AppClient, version: str, error: str) -> None:
    body = tokens_for(client, scope="openid offline_access User.Read")
    refused = _refresh(client, body["refresh_token"], acrs("c1"), version)
    answer = refused.json()
    assert (refused.status_code, answer["error"], answer["error_codes"]) == (400, error, [50076])
    assert json.loads(answer["claims"]) == json.loads(acrs("c1"))
    if version == "2.0":
        assert answer["suberror"] == "basic_action"
    assert _refresh(client, body["refresh_token"]).status_code == 200  # no context: served


@pytest.mark.parametrize("context", ["c2", "c7"])
def test_a_context_with_no_policy_or_not_defined_needs_no_step_up(
        client: AppClient, context: str) -> None:
    body = tokens_for(client, scope="openid offline_access User.Read")
    refreshed = _refresh(client, body["refresh_token"], acrs(context))
    assert refreshed.status_code == 200, refreshed.text
    token = claims(refreshed.json()["access_token"])
    assert token["acrs"] == [context] and token["amr"] == ["pwd"]


def test_a_voluntary_request_gets_only_the_contexts_it_satisfies(client: AppClient) -> None:
    body = tokens_for(client, scope="openid offline_access User.Read")
    refreshed = _refresh(client, body["refresh_token"], acrs("c1", "c2", essential=False))
    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["access_token"])["acrs"] == ["c2"]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_a_user_with_no_authenticator_app_is_told_to_register_one_50079(
        client: AppClient, version: str) -> None:
    body = tokens_for(client, upn=BOB, scope="openid offline_access User.Read")
    refused = _refresh(client, body["refresh_token"], acrs("c1"), version)
    answer = refused.json()
    assert (answer["error"], answer["error_codes"]) == ("interaction_required", [50079])
    assert answer["suberror"] == "basic_action"
    assert "enroll in multi-factor authentication" in answer["error_description"]
    assert json.loads(answer["claims"]) == json.loads(acrs("c1"))


# -- at the authorize endpoint ----------------------------------------------------------------


def test_the_interactive_request_asks_the_code_then_the_token_carries_the_context(
        client: AppClient, clock: MockClock) -> None:
    first = tokens_for(client, scope="openid offline_access User.Read")  # a session, no MFA
    grant = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        scope="openid offline_access User.Read", claims=acrs("c1")))
    assert page_kind(grant) == "totp", grant.text[:300]
    done = submit(client, grant, otc=totp.code_at(ALICE_SECRET, clock.now()))
    code = redirect_params(done)["code"]
    redeemed = client.post(TOKEN, data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"]})
    body = redeemed.json()
    token = claims(body["access_token"])
    assert token["acrs"] == ["c1"] and token["amr"] == ["pwd", "mfa"], token
    # Its refresh token answers the same challenge now; without one, no acrs.
    assert claims(_refresh(client, body["refresh_token"], acrs("c1")).json()[
        "access_token"])["acrs"] == ["c1"]
    assert "acrs" not in claims(_refresh(client, body["refresh_token"]).json()["access_token"])
    # The session took the code: the first sign-in's refresh token still did not.
    assert _refresh(client, first["refresh_token"], acrs("c1")).status_code == 400


def test_a_fresh_sign_in_asking_a_context_asks_the_code_after_the_password(
        client: AppClient, clock: MockClock) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(claims=acrs("c1")))
    asked = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(asked) == "totp", asked.text[:300]


def test_prompt_none_asking_a_context_the_session_lacks_is_interaction_required(
        client: AppClient) -> None:
    tokens_for(client)
    answer = redirect_params(client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        prompt="none", claims=acrs("c1"))))
    assert answer["error"] == "interaction_required" and "AADSTS50076" in answer[
        "error_description"]


def test_prompt_none_asking_a_context_of_a_user_with_no_app_is_50079_not_50076(
        client: AppClient) -> None:
    """A user with no method must register one, which ``prompt=none`` cannot do either: the
    answer is the one an interactive request gets, 50079."""
    tokens_for(client, upn=BOB)
    answer = redirect_params(client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        prompt="none", claims=acrs("c1"))))
    assert answer["error"] == "interaction_required" and "AADSTS50079" in answer[
        "error_description"], answer


def test_acrs_asked_for_the_id_token_or_voluntarily_asks_no_code(client: AppClient) -> None:
    """Only ``access_token.acrs`` with ``essential`` steps up: ``id_token.acrs`` is ignored,
    and a voluntary request gets what the sign-in satisfies."""
    for request in (json.dumps({"id_token": {"acrs": {"essential": True, "value": "c1"}}}),
                    acrs("c1", "c2", essential=False)):
        client.cookies.clear()
        page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
            scope="openid offline_access User.Read", claims=request))
        answer = redirect_params(sign_in(client, page))
        assert "code" in answer, answer
        body = client.post(TOKEN, data={
            "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
            "code": answer["code"], "redirect_uri": auth_params()["redirect_uri"]}).json()
        assert "acrs" not in claims(body["id_token"])
        assert claims(body["access_token"]).get("acrs", []) == (
            [] if "id_token" in request else ["c2"])


def test_a_user_with_no_app_asking_a_context_is_sent_back_with_50079(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(claims=acrs("c1")))
    answer = redirect_params(sign_in(client, page, BOB))
    assert answer["error"] == "interaction_required" and "AADSTS50079" in answer[
        "error_description"]


def test_an_undefined_context_signs_in_without_a_code(client: AppClient) -> None:
    body = tokens_for(client, scope="openid offline_access User.Read", claims=acrs("c9"))
    assert claims(body["access_token"])["acrs"] == ["c9"]


@pytest.mark.idp_config(alice_with_authenticator())
def test_by_default_the_code_is_asked_at_every_sign_in_as_before(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(sign_in(client, page)) == "totp"


def test_the_password_grant_takes_a_user_whose_app_no_policy_asks_for(
        client: AppClient) -> None:
    response = client.post(TOKEN, data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
        "username": ALICE, "password": password(ALICE), "scope": "openid User.Read"})
    assert response.status_code == 200, response.text


# -- defining them -----------------------------------------------------------------------------


def test_idp_toml_defines_contexts_and_refuses_bad_ones() -> None:
    base = {"id": default_tenant().id, "domain": "x.onmicrosoft.com"}
    cfg = IdpConfig.from_mapping({"tenants": [
        {**base, "auth_contexts": {"c1": "mfa", "c99": "none"}, "mfa_at_sign_in": False}]})
    assert cfg.tenants[0].auth_contexts == (("c1", "mfa"), ("c99", "none"))
    assert cfg.tenants[0].mfa_at_sign_in is False
    for bad, where in (({"c100": "mfa"}, "'c100'"), ({"c1": "block"}, "auth_contexts.c1"),
                       ("c1", "auth_contexts")):
        with pytest.raises(ConfigError, match=where):
            IdpConfig.from_mapping({"tenants": [{**base, "auth_contexts": bad}]})


def test_the_control_api_sets_and_removes_contexts(client: AppClient) -> None:
    shown = client.patch(TENANT_URL, json={"auth_contexts": {"c3": "mfa", "c1": None},
                                           "mfa_at_sign_in": True})
    assert shown.status_code == 200, shown.text
    assert shown.json()["auth_contexts"] == {"c2": "none", "c3": "mfa"}
    assert shown.json()["mfa_at_sign_in"] is True
    listed = client.get("/_mock/tenants").json()["tenants"]
    assert [t["auth_contexts"] for t in listed if t["id"] == TENANT] == [
        {"c2": "none", "c3": "mfa"}]


@pytest.mark.parametrize(("body", "field"), [
    ({"auth_contexts": ["c1"]}, "auth_contexts"),
    ({"auth_contexts": {"c0": "mfa"}}, "auth_contexts.c0"),
    ({"auth_contexts": {"c1": "block"}}, "auth_contexts.c1"),
    ({"auth_contexts": {"c1": 1}}, "auth_contexts.c1"),
    ({"mfa_at_sign_in": "no"}, "mfa_at_sign_in"),
])
def test_the_control_api_refuses_what_defines_no_context(
        client: AppClient, body: dict[str, Any], field: str) -> None:
    refused = client.patch(TENANT_URL, json=body)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == field, refused.text
    assert client.get("/_mock/tenants").json()["tenants"][0]["auth_contexts"] == {
        "c1": "mfa", "c2": "none"}
