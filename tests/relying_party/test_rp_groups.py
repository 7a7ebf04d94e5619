"""The relying party reads a user's groups: from the ID token, or from Microsoft Graph when the
token carries a groups overage; it never sends the user's token to another host, and a lookup
that fails ends on the failure page, not in a session without groups.

End to end against the in-process mock provider (see ``test_rp_with_mock_idp``), plus the pure
edge cases of :mod:`relying_party.oidc.groups` with a mocked transport.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import loops
import pytest
from test_rp_with_mock_idp import B_TLS, CLIENT_ID, TID, World, open_world

from mock_idp.config import SUPPORT_AGENTS_GROUP_ID
from relying_party.oidc.groups import GroupsUnavailable, resolve_groups

G = f"/graph/{TID}/v1.0"
ALICE = "alice@contoso.onmicrosoft.com"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    # Over https: Entra's v1 token endpoint returns unsigned ID tokens, which the RP accepts
    # only over TLS.
    yield from open_world(tmp_path, B_TLS)


def sign_in(world: World, version: str = "v2") -> httpx.Response:
    cid = world.connection(version)
    return world.rp.get(world.through_idp(world.rp.get(f"/sso/{cid}/portal").headers["location"]))


def add_groups(world: World, count: int) -> list[str]:
    alice = world.idp.get(f"{G}/users/{ALICE}").json()["id"]
    ids = []
    for i in range(count):
        created = world.idp.post(f"{G}/groups", json={
            "displayName": f"Team {i:03d}", "mailNickname": f"team{i:03d}",
            "mailEnabled": False, "securityEnabled": True,
            "members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{alice}"]})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_groups_from_the_token(world: World, version: str) -> None:
    assert sign_in(world, version).status_code == 303
    me = world.rp.get("/api/me").json()
    assert me["groups"] == [SUPPORT_AGENTS_GROUP_ID] and me["groups_source"] == "token"
    assert "Member of <strong>1</strong> group." in world.rp.get("/").text


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_user_in_250_groups_keeps_them(world: World, version: str) -> None:
    teams = add_groups(world, 250)
    assert sign_in(world, version).status_code == 303
    me = world.rp.get("/api/me").json()
    assert me["groups_source"] == "graph"
    assert set(me["groups"]) == {SUPPORT_AGENTS_GROUP_ID, *teams} and len(me["groups"]) == 251
    assert "Member of <strong>251</strong> groups (read from Microsoft Graph" in \
        world.rp.get("/").text


def test_no_groups_claim_configured(world: World) -> None:
    world.idp.patch(f"{G}/applications(appId='{CLIENT_ID}')",
                    json={"groupMembershipClaims": None})
    assert sign_in(world).status_code == 303
    me = world.rp.get("/api/me").json()
    assert me["groups"] == [] and me["groups_source"] == "none"
    assert 'id="group-count"' not in world.rp.get("/").text


def _failure_code(world: World, page: httpx.Response) -> str:
    ref = re.search(r'id="error-ref">([^<]+)<', page.text)
    assert ref, page.text[:500]
    code: str = world.rp.get(f"/api/admin/errors/{ref.group(1)}").json()["code"]
    return code


def test_an_overage_pointing_elsewhere_is_refused(world: World) -> None:
    """An ID token whose claim source names another host: the user's token is not sent there
    and the sign-in ends on the failure page. (The overage is planted in the user's test-only
    custom claims as the store holds them: the control API refuses ``_claim_names`` and
    ``_claim_sources``, in Entra's restricted claim set, since Entra never points them
    elsewhere.)"""
    world.idp.patch(f"{G}/applications(appId='{CLIENT_ID}')",
                    json={"groupMembershipClaims": None})
    store = world.idp.app.state.idp.store  # type: ignore[attr-defined]
    user = store.resolve_tenant(TID).find_user(ALICE)
    user.custom_claims = {"id_token": {
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "https://collector.example/getMemberObjects"}}}}
    page = sign_in(world)
    assert page.status_code >= 400
    assert "could not read your group memberships" in page.text
    assert _failure_code(world, page) == "groups_unavailable"
    assert world.rp.get("/api/me").status_code == 401


# --- the pure edge cases ------------------------------------------------------------------------

def _resolve(claims: dict[str, Any], handler: Any, *, access_token: str | None = "at",
             graph: str | None = None) -> Any:
    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await resolve_groups(client, claims,
                                        provider="https://login.example/t/oauth2/v2.0/token",
                                        access_token=access_token,
                                        **({"graph": graph} if graph else {}))
    return loops.run(run())


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.url}")


OVERAGE = {"_claim_names": {"groups": "src1"}, "oid": "0b1c2d3e-0000-4000-8000-000000000001"}


def test_azure_ad_graph_endpoint_is_asked_at_microsoft_graph() -> None:
    seen: list[httpx.Request] = []

    def graph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"value": ["g1", "g2", "g1"]})

    claims = {**OVERAGE, "_claim_sources": {"src1": {
        "endpoint": "https://graph.windows.net/t/users/x/getMemberObjects"}}}
    result = _resolve(claims, graph)
    assert result.ids == ("g1", "g2") and result.source == "graph"
    assert str(seen[0].url) == (
        "https://graph.microsoft.com/v1.0/users/0b1c2d3e-0000-4000-8000-000000000001/"
        "getMemberObjects")
    assert seen[0].headers["authorization"] == "Bearer at"
    assert json.loads(seen[0].content) == {"securityEnabledOnly": False}


def test_azure_ad_graph_endpoint_is_asked_at_the_configured_graph() -> None:
    """A national cloud's Graph, or a test provider's (``Settings.graph_url``), takes the place
    of Microsoft Graph's public one."""
    seen: list[str] = []

    def graph(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"value": ["g1"]})

    claims = {**OVERAGE, "_claim_sources": {"src1": {
        "endpoint": "https://graph.windows.net/t/users/x/getMemberObjects"}}}
    assert _resolve(claims, graph, graph="https://graph.microsoft.us/").ids == ("g1",)
    assert seen == [f"https://graph.microsoft.us/v1.0/users/{OVERAGE['oid']}/getMemberObjects"]
    # An endpoint a token names on the configured Graph's origin is used as it is.
    own = "https://graph.microsoft.us/v1.0/users/x/getMemberObjects"
    assert _resolve({**OVERAGE, "_claim_sources": {"src1": {"endpoint": own}}}, graph,
                    graph="https://graph.microsoft.us").ids == ("g1",)
    assert seen[-1] == own


def test_hasgroups_is_asked_at_microsoft_graph() -> None:
    def graph(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "graph.microsoft.com"
        return httpx.Response(200, json={"value": ["g1"]})

    assert _resolve({"hasgroups": True, "oid": OVERAGE["oid"]}, graph).ids == ("g1",)


@pytest.mark.parametrize(("claims", "reason"), [
    ({**OVERAGE, "_claim_sources": {}}, "does not describe"),
    ({**OVERAGE, "_claim_sources": {"src1": {"endpoint": "https://evil.example/x"}}},
     "neither on Microsoft Graph nor on the provider"),
    ({**OVERAGE, "_claim_sources": {"src1": {"endpoint": "ftp://login.example/x"}}},
     "neither on Microsoft Graph"),
    ({"hasgroups": True}, "no oid"),
    ({"hasgroups": True, "oid": "../me?x=1"}, "no oid"),
    ({"groups": [1, 2]}, "not a list of strings"),
])
def test_refused_without_a_request(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(GroupsUnavailable, match=reason):
        _resolve(claims, _never)


@pytest.mark.parametrize(("response", "reason"), [
    (httpx.Response(403, json={"error": {"code": "Authorization_RequestDenied"}}), "HTTP 403"),
    (httpx.Response(200, json={"value": "g1"}), "did not answer"),
    (httpx.Response(200, content=b"<html>"), "did not answer"),
    (httpx.Response(200, json={"value": ["../../etc"]}), "did not answer"),
])
def test_a_failed_lookup_is_an_error(response: httpx.Response, reason: str) -> None:
    claims = {**OVERAGE, "_claim_sources": {"src1": {
        "endpoint": "https://login.example/graph/t/v1.0/users/x/getMemberObjects"}}}
    with pytest.raises(GroupsUnavailable, match=reason):
        _resolve(claims, lambda request: response)


@pytest.mark.parametrize("charset, spelled", [("utf-7", b"+2AA-"),
                                              ("unicode_escape", b"\\ud800")])
def test_a_failed_lookups_body_is_read_as_utf_8_whatever_charset_it_names(
        charset: str, spelled: bytes) -> None:
    """A charset that spells a lone surrogate would leave the error one the log cannot keep."""
    claims = {**OVERAGE, "_claim_sources": {"src1": {
        "endpoint": "https://login.example/graph/t/v1.0/users/x/getMemberObjects"}}}
    response = httpx.Response(403, content=b"denied " + spelled,
                              headers={"Content-Type": f"text/plain; charset={charset}"})
    with pytest.raises(GroupsUnavailable, match="HTTP 403: denied ") as refused:
        _resolve(claims, lambda request: response)
    assert str(refused.value).encode("utf-8")


def test_no_access_token() -> None:
    claims = {**OVERAGE, "_claim_sources": {"src1": {
        "endpoint": "https://graph.windows.net/t/users/x/getMemberObjects"}}}
    with pytest.raises(GroupsUnavailable, match="no access token"):
        _resolve(claims, _never, access_token=None)
