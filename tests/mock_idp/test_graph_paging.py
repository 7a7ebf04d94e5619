"""OData query options on the Graph-shaped lists: pages with ``@odata.nextLink`` whose
``$skiptoken`` is a cursor, ``$select`` on lists, ``$orderby``, ``$count`` and the refusal of
options Graph does not know."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from starlette.requests import Request

from mock_idp.clock import epoch
from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID
from mock_idp.endpoints.graph_http import GraphError
from mock_idp.endpoints.graph_paging import collection
from mock_idp.protocol.claims import GRAPH_RESOURCE_ID
from mock_idp.tokens import sign

G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
BOB = f"bob@{DEFAULT_DOMAIN}"
REF = "https://graph.microsoft.com/v1.0/directoryObjects/"


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def follow(client: AppClient, url: str, headers: dict[str, str] | None = None
           ) -> list[dict[str, Any]]:
    """Every page of a list, as a paging loop reads it."""
    pages = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url, headers=headers or {})
        assert page.status_code == 200, page.text
        pages.append(page.json())
        next_url = page.json().get("@odata.nextLink")
    return pages


def new_group(client: AppClient, name: str, members: tuple[str, ...] = ()) -> str:
    body: dict[str, Any] = {"displayName": name, "mailNickname": name, "mailEnabled": False,
                            "securityEnabled": True}
    if members:
        body["members@odata.bind"] = [REF + m for m in members]
    created = client.post(f"{G}/groups", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def bearer(idp_app: Starlette, oid: str) -> dict[str, str]:
    state = idp_app.state.idp
    now = epoch(state.clock.now())
    token = sign(state, {"aud": GRAPH_RESOURCE_ID, "iat": now, "nbf": now, "exp": now + 3600,
                         "iss": f"https://sts.windows.net/{DEFAULT_TENANT_ID}/",
                         "tid": DEFAULT_TENANT_ID, "oid": oid, "scp": "User.Read",
                         "ver": "1.0"}, version="1.0")
    return {"Authorization": f"Bearer {token}"}


def user_id(client: AppClient, upn: str) -> str:
    return str(client.get(f"{G}/users/{upn}").json()["id"])


# --- paging -------------------------------------------------------------------------------------

def test_top_smaller_than_the_list_gives_a_next_link_that_keeps_the_query(
        client: AppClient) -> None:
    everyone = client.get(f"{G}/users").json()["value"]
    assert len(everyone) == 4
    pages = follow(client, f"{G}/users?$top=2&$select=id,displayName")
    assert [len(p["value"]) for p in pages] == [2, 2]
    link = pages[0]["@odata.nextLink"]
    assert link.startswith(f"http://testserver{G}/users?")
    assert "%24top=2" in link and "%24select=id%2CdisplayName" in link and "skiptoken" in link
    assert all(set(u) == {"id", "displayName"} for p in pages for u in p["value"])
    assert sorted(u["id"] for p in pages for u in p["value"]) == sorted(u["id"] for u in everyone)


def test_a_filter_is_kept_across_pages(client: AppClient) -> None:
    for i in range(3):
        new_group(client, f"Same{i}")
        client.patch(f"{G}/groups/{new_group(client, f'Other{i}')}",
                     json={"displayName": "Elsewhere"})
    pages = follow(client, f"{G}/groups?$filter=displayName eq 'Elsewhere'&$top=1")
    assert len(pages) == 3
    assert {g["displayName"] for p in pages for g in p["value"]} == {"Elsewhere"}


def test_a_filter_names_its_property_in_any_case(client: AppClient) -> None:
    """``Get-MgGroup -Filter "DisplayName eq '…'"``, as Graph takes it."""
    made = new_group(client, "Nightshift")
    for name in ("displayName", "DisplayName", "DISPLAYNAME"):
        found = client.get(f"{G}/groups?$filter={name} eq 'Nightshift'")
        assert [g["id"] for g in found.json()["value"]] == [made], (name, found.text)
    users = client.get(f"{G}/users?$filter=UserPrincipalName eq '{BOB}'").json()["value"]
    assert [u["userPrincipalName"] for u in users] == [BOB]
    disabled = client.get(f"{G}/users?$filter=AccountEnabled eq false").json()["value"]
    assert disabled and disabled == client.get(
        f"{G}/users?$filter=accountEnabled eq false").json()["value"]
    assert error_of(client.get(f"{G}/groups?$filter=Description eq 'x'"), 400)["target"] == (
        "$filter")


def ids_of(client: AppClient, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, page.text
    return sorted(u["userPrincipalName"] for u in page.json()["value"])


def test_users_filter_with_in_and_starts_with_as_graph_does_by_default(
        client: AppClient) -> None:
    """``in`` wherever ``eq`` works, and ``startsWith`` on the names and addresses, without the
    advanced query parameters (aad-advanced-queries.md), the people-picker queries apps send."""
    alice, carol = f"alice@{DEFAULT_DOMAIN}", f"carol@{DEFAULT_DOMAIN}"
    assert ids_of(client, f"{G}/users?$filter=userPrincipalName in ('{alice}', "
                          f"'{BOB.upper()}','nobody@x')") == [alice, BOB]
    bob_id = user_id(client, BOB)
    assert ids_of(client, f"{G}/users?$filter=id in ('{bob_id}')") == [BOB]
    assert ids_of(client, f"{G}/users?$filter=startsWith(displayName,'b')") == [BOB]
    assert ids_of(client, f"{G}/users?$filter=startswith(UserPrincipalName, 'CAR')") == [carol]
    assert ids_of(client, f"{G}/users?$filter=givenName eq 'Alice'") == [alice]
    assert ids_of(client, f"{G}/users?$filter=surname in ('Adams', 'Clark')") == [alice, carol]
    assert ids_of(client, f"{G}/users?$filter=startsWith(displayName,'O''Brien')") == []


def test_groups_apps_and_service_principals_take_starts_with_as_graph_does_by_default(
        client: AppClient) -> None:
    """``startsWith`` on the names (and groups' addresses) works without the advanced query
    parameters: ``groups?$filter=startswith(displayName,'Sales')`` is the permissions
    reference's example; ``description`` needs them."""
    new_group(client, "Sales-team")

    def names(path: str) -> list[str]:
        page = client.get(path)
        assert page.status_code == 200, page.text
        return sorted(item["displayName"] for item in page.json()["value"])

    assert names(f"{G}/groups?$filter=startswith(displayName,'Sales')") == ["Sales-team"]
    assert names(f"{G}/groups?$filter=startsWith(mailNickname,'SALES-')") == ["Sales-team"]
    assert names(f"{G}/groups?$filter=startsWith(mail,'sales')") == []  # not mail-enabled
    apps = client.get(f"{G}/applications").json()["value"]
    first = apps[0]["displayName"]
    for path in ("applications", "servicePrincipals"):
        found = names(f"{G}/{path}?$filter=startsWith(displayName,'{first[:3]}')")
        assert first in found and all(n.lower().startswith(first[:3].lower()) for n in found)
        refused = client.get(f"{G}/{path}?$filter=startsWith(description,'x')")
        assert error_of(refused, 400)["target"] == "$filter"


@pytest.mark.parametrize("expr", [
    "startsWith(jobTitle,'x')",  # not a property startsWith takes by default
    "startsWith(displayName)", "id in ()", "id in ('a' 'b')", "displayName in 'a'",
    "endsWith(mail,'@x.com')", "displayName ne 'x'", "not(displayName eq 'x')",
    "displayName eq 'a' or displayName eq 'b'", "startsWith(displayName,'a",
    "id in (" + ",".join(f"'{i}'" for i in range(16)) + ")",
])
def test_a_filter_graph_does_not_take_by_default_is_a_400_naming_it(
        client: AppClient, expr: str) -> None:
    error = error_of(client.get(f"{G}/users", params={"$filter": expr}), 400)
    assert error["target"] == "$filter"


def test_a_filter_of_the_wrong_type_is_odatas_type_error(client: AppClient) -> None:
    error = error_of(client.get(f"{G}/users?$filter=accountEnabled in ('yes')"), 400)
    assert "incompatible types" in error["message"]


def test_groups_page_at_one_hundred_by_default(client: AppClient) -> None:
    made = {new_group(client, f"Bulk{i:03}") for i in range(150)}
    first = client.get(f"{G}/groups").json()
    assert len(first["value"]) == 100 and "@odata.nextLink" in first
    listed = [g["id"] for p in follow(client, f"{G}/groups") for g in p["value"]]
    assert len(listed) == len(set(listed)) == 151 and made <= set(listed)


def test_a_user_removed_between_pages_pushes_no_one_out_of_sight(client: AppClient) -> None:
    first = client.get(f"{G}/users?$top=2").json()
    gone = first["value"][0]["id"]
    assert client.delete(f"{G}/users/{gone}").status_code == 204
    rest = follow(client, first["@odata.nextLink"])
    seen = [u["id"] for u in first["value"]] + [u["id"] for p in rest for u in p["value"]]
    assert len(seen) == 4 and len(set(seen)) == 4


def test_member_of_pages_are_stable_when_memberships_change(
        client: AppClient, idp_app: Starlette) -> None:
    bob = user_id(client, BOB)
    groups = [new_group(client, f"Shift{i:03}", (bob,)) for i in range(150)]
    headers = bearer(idp_app, bob)
    first = client.get(f"{G}/me/memberOf?$select=id,displayName", headers=headers).json()
    assert len(first["value"]) == 100
    assert set(first["value"][0]) == {"@odata.type", "id", "displayName"}
    seen = [g["id"] for g in first["value"]]
    for gid in [g for g in groups if g in seen][:10]:
        assert client.delete(f"{G}/groups/{gid}/members/{bob}/$ref").status_code == 204
    rest = follow(client, first["@odata.nextLink"], headers)
    assert all(set(g) == {"@odata.type", "id", "displayName"} for p in rest for g in p["value"])
    seen += [g["id"] for p in rest for g in p["value"]]
    assert len(seen) == len(set(seen))
    assert set(groups) <= set(seen)


def test_joining_a_group_ahead_of_the_cursor_repeats_and_hides_nothing(
        client: AppClient, idp_app: Starlette) -> None:
    bob = user_id(client, BOB)
    held = [new_group(client, f"Held{i}", (bob,)) for i in range(4)]
    headers = bearer(idp_app, bob)
    first = client.get(f"{G}/me/memberOf?$top=2", headers=headers).json()
    cursor = max(g["id"] for g in first["value"])
    # A group that sorts before the page already read, as an older group may.
    ahead = next(gid for gid in (new_group(client, f"Other{i}") for i in range(200))
                 if gid < cursor)
    assert client.post(f"{G}/groups/{ahead}/members/$ref",
                       json={"@odata.id": REF + bob}).status_code == 204
    rest = follow(client, first["@odata.nextLink"], headers)
    seen = [g["id"] for g in first["value"]] + [g["id"] for p in rest for g in p["value"]]
    assert len(seen) == len(set(seen))
    assert set(held) <= set(seen)


def test_a_skiptoken_is_refused_when_it_is_not_ours_or_not_this_querys(
        client: AppClient) -> None:
    for token in ("zz", "%F0%9F%98%80", "WyJhIl0"):
        assert error_of(client.get(f"{G}/users?$skiptoken={token}"), 400)["target"] == \
            "$skiptoken"
    link = client.get(f"{G}/users?$top=1").json()["@odata.nextLink"]
    token = link.split("skiptoken=")[1]
    other = client.get(f"{G}/users?$top=1&$orderby=displayName&$skiptoken={token}")
    assert error_of(other, 400)["target"] == "$skiptoken"


# --- $select, $orderby, $count and unknown options ----------------------------------------------

def test_select_on_lists_and_the_default_user_properties(client: AppClient) -> None:
    listed = client.get(f"{G}/users?$select=displayName,accountEnabled").json()["value"]
    assert all(set(u) == {"id", "displayName", "accountEnabled"} for u in listed)
    apps = client.get(f"{G}/applications?$select=appId").json()["value"]
    assert all(set(a) == {"id", "appId"} for a in apps)
    bad = client.get(f"{G}/groups?$select=nothingLikeIt")
    assert error_of(bad, 400)["target"] == "$select"
    default = client.get(f"{G}/users").json()["value"][0]
    assert set(default) == {"businessPhones", "displayName", "givenName", "id", "jobTitle",
                            "mail", "mobilePhone", "officeLocation", "preferredLanguage",
                            "surname", "userPrincipalName"}


def test_select_in_another_case_answers_and_names_the_properties_own_spelling(
        client: AppClient) -> None:
    """``$select`` matches names in any case; the objects and ``@odata.context`` spell them
    as Graph's model does (OData .NET writes the model's name into the context URL)."""
    listed = client.get(f"{G}/users?$select=DisplayName,ACCOUNTENABLED,Id").json()
    assert listed["@odata.context"].endswith("/$metadata#users(displayName,accountEnabled,id)")
    assert all(set(u) == {"id", "displayName", "accountEnabled"} for u in listed["value"])
    one = client.get(f"{G}/users/{BOB}?$select=userPrincipalNAME").json()
    assert one["@odata.context"].endswith("/$metadata#users(userPrincipalName)/$entity")
    assert one["userPrincipalName"] == BOB


def test_orderby_display_name_and_graphs_refusals(client: AppClient, idp_app: Starlette
                                                  ) -> None:
    names = [u["displayName"] for p in follow(client, f"{G}/users?$orderby=displayName&$top=3")
             for u in p["value"]]
    assert names == sorted(names, key=str.casefold) and len(names) == 4
    unsupported = error_of(client.get(f"{G}/users?$orderby=createdDateTime"), 400)
    assert unsupported["code"] == "Request_UnsupportedQuery"
    assert unsupported["message"] == "Unsupported sort property 'createdDateTime' for 'User'."
    bob = user_id(client, BOB)
    nav = error_of(client.get(f"{G}/me/memberOf?$orderby=displayName",
                              headers=bearer(idp_app, bob)), 400)
    assert (nav["code"], nav["message"]) == ("Request_UnsupportedQuery",
                                             "Sorting not supported for current query.")


@pytest.mark.parametrize(("query", "target"), [("$orderby=jobTitle", "$orderby"),
                                               ("$filter=jobTitle eq 'x'", "$filter"),
                                               ("$filter=JobTitle eq 'x'", "$filter")])
def test_a_query_on_a_property_the_caller_cannot_read_of_every_item_is_refused(
        query: str, target: str) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/users", "headers": [],
                       "query_string": query.encode()})
    with pytest.raises(GraphError) as refused:
        collection(request, "users", [{"id": "1", "displayName": "A", "jobTitle": "x"}],
                   filterable={"displayName", "jobTitle"},
                   orderable={"displayName", "jobTitle"}, readable={"id", "displayName"})
    assert (refused.value.status, refused.value.code, refused.value.field) == (
        403, "Authorization_RequestDenied", target)


def test_count_needs_the_eventual_consistency_header(client: AppClient) -> None:
    # Without the header Graph ignores $count=true silently (aad-advanced-queries.md).
    ignored = client.get(f"{G}/users?$count=true")
    assert ignored.status_code == 200, ignored.text
    assert "@odata.count" not in ignored.json() and len(ignored.json()["value"]) == 4
    counted = client.get(f"{G}/users?$count=true&$top=1",
                         headers={"ConsistencyLevel": "eventual"}).json()
    assert counted["@odata.count"] == 4 and len(counted["value"]) == 1
    assert error_of(client.get(f"{G}/users?$count=yes"), 400)["target"] == "$count"


def test_unknown_system_query_options_are_refused(client: AppClient) -> None:
    for option in ("$foo", "$skip", "$expand", "$search"):
        assert error_of(client.get(f"{G}/users?{option}=1"), 400)["target"] == option
    assert error_of(client.get(f"{G}/groups?$top=1&$TOP=2"), 400)["target"] == "$TOP"
    assert client.get(f"{G}/users?custom=1").status_code == 200


def test_single_objects_take_select_only_and_once(client: AppClient) -> None:
    """``GET`` of one object refuses options as the lists do; ``$select`` is the one it
    takes."""
    group = new_group(client, "Readers")
    app = client.get(f"{G}/applications").json()["value"][0]
    items = (f"{G}/users/{BOB}", f"{G}/applications/{app['id']}",
             f"{G}/applications(appId='{app['appId']}')",
             f"{G}/servicePrincipals(appId='{app['appId']}')", f"{G}/groups/{group}")
    for item in items:
        twice = error_of(client.get(f"{item}?$select=id&$select=displayName"), 400)
        assert twice == {**twice, "target": "$select",
                         "message": "The query option '$select' is given more than once."}
        assert error_of(client.get(f"{item}?$select=id&$SELECT=id"), 400)["target"] == "$SELECT"
        for option in ("$bogus", "$top", "$filter", "$expand"):
            refused = error_of(client.get(f"{item}?{option}=1"), 400)
            assert refused["target"] == option, (item, refused)
        assert set(client.get(f"{item}?$SELECT=id").json()) == {"@odata.context", "id"}
        assert client.get(f"{item}?custom=1").status_code == 200
