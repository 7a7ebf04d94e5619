"""Claims as Entra shapes them: a user's groups reach the app, even past the groups overage.

Entra puts at most 200 groups in a token; past that it leaves ``groups`` out and sends
``_claim_names`` / ``_claim_sources`` instead (the groups overage:
https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference#groups-overage-claim),
whose endpoint is on Azure AD Graph (``graph.windows.net``), retired: apps must ask Microsoft
Graph's ``getMemberObjects`` for the token's ``oid``, which the mock serves at ``{graph_url}``.
An app that reads only ``groups``, or follows the endpoint as it is, then holds no groups for
exactly the users in the most groups. ``claims.groups-overage`` shows it: it passes for an app
that follows the overage to Graph (the reference relying party) and fails, saying why, for one
that does not (the ``token-groups-only`` profile).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scenarios import ScenarioContext, scenario
from scenarios.flows import first_login_at_company
from scenarios.live import LiveStack

Ctx = ScenarioContext[LiveStack]

OVERAGE_GROUPS = 250
"""Groups added to the user: past Entra's limit of 200 in a JWT."""


def _every(stack: LiveStack, path: str) -> list[dict[str, Any]]:
    """A Graph list across its pages: Graph (and the mock) answers 100 at a time and an
    ``@odata.nextLink`` while more remain (https://learn.microsoft.com/graph/paging)."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] | None = None
    while True:
        page = stack.graph("GET", path, params=params)
        items += page["value"]
        if "@odata.nextLink" not in page:
            return items
        params = dict(parse_qsl(urlsplit(page["@odata.nextLink"]).query))


def _groups_of(stack: LiveStack, first_name: str) -> set[str]:
    """The security groups the provider's directory has the user in (directly)."""
    user = stack.user_id(first_name)
    out = set()
    for group in _every(stack, "groups"):
        members = _every(stack, f"groups/{group['id']}/members")
        if group["securityEnabled"] and any(m["id"] == user for m in members):
            out.add(str(group["id"]))
    return out


def _add_groups(stack: LiveStack, first_name: str, count: int) -> set[str]:
    """``count`` new security groups with the user in each; their ids."""
    user = stack.user_id(first_name)
    return {str(stack.graph("POST", "groups", {
        "displayName": f"Project {i + 1:03d}", "mailNickname": f"project{i + 1:03d}",
        "mailEnabled": False, "securityEnabled": True,
        "members@odata.bind": [f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"],
    })["id"]) for i in range(count)}


GRAPH_PATHS = ("/graph/", "/v1.0/")
"""Where the provider's log has Graph's calls, under the path each caller used: the tenant-scoped
``/graph/<tenant>/v1.0/``, the tenant-less root ``{graph_url}/v1.0/`` (``/graph/v1.0/``), and
that root at the host's own root (``/v1.0/``, mock_idp.endpoints.graph_root)."""


def _overage_calls(stack: LiveStack) -> list[str]:
    """Requests the provider's Graph received for a user's memberships, through whichever of
    its roots the app called."""
    wanted = ("getMemberObjects", "getMemberGroups", "memberOf", "transitiveMemberOf")
    return [entry["path"] for prefix in GRAPH_PATHS for entry in stack.provider_requests(prefix)
            if entry["path"].rsplit("/", 1)[-1] in wanted]


@scenario(
    id="claims.groups-in-token",
    title="A user's groups reach the app in the ID token",
    proves="With groupMembershipClaims set to SecurityGroup, a user in a few groups signs in "
    "and the app holds exactly the groups the directory has the user in",
    needs={"customer-sso", "groups"},
)
def groups_in_token(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the app registration emits security groups; alice is in one"):
        stack.update_app(groupMembershipClaims="SecurityGroup")
        expected = _groups_of(stack, "alice")
        assert expected, "alice is in no group of the directory"
    with ctx.step("alice, signed in at her company, follows the sign-in URL"):
        first_login_at_company(page, stack, stack.people["alice"])
    with ctx.step("the app holds alice's groups"):
        held = set(stack.app.groups(page))
        assert held == expected, f"the app holds {sorted(held)}, expected {sorted(expected)}"


@scenario(
    id="claims.groups-overage",
    title="A user in 250 groups keeps all of them (the groups overage is followed)",
    proves=f"For a user in {OVERAGE_GROUPS + 1} groups the ID token carries the groups overage "
    "instead of groups, and the app still holds every one of them: it followed the overage to "
    "the provider's Graph with the user's token",
    needs={"customer-sso", "groups"},
)
def groups_overage(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step(f"alice is in {OVERAGE_GROUPS} more security groups"):
        stack.update_app(groupMembershipClaims="SecurityGroup")
        expected = _groups_of(stack, "alice") | _add_groups(stack, "alice", OVERAGE_GROUPS)
    with ctx.step("alice, signed in at her company, follows the sign-in URL"):
        stack.http.delete(stack.idp_url("/_mock/requests"))
        first_login_at_company(page, stack, stack.people["alice"])
    with ctx.step(f"the app holds all {len(expected)} of alice's groups"):
        held = set(stack.app.groups(page))
        calls = _overage_calls(stack)
        assert held == expected, (
            f"the app holds {len(held)} of alice's {len(expected)} groups. Past 200 groups the "
            f"ID token carries no groups claim but a groups overage (_claim_names / "
            f"_claim_sources pointing at Azure AD Graph's getMemberObjects, as on Entra); the app "
            + ("asked the provider's Graph (" + ", ".join(calls) + ") but did not keep them all"
               if calls else "never asked the provider's Graph for them: it ignores the "
               "overage, or follows _claim_sources to Azure AD Graph (graph.windows.net, "
               "retired) instead of asking Microsoft Graph's "
               "{graph_url}/v1.0/users/{oid}/getMemberObjects, and loses the user's groups"))
