"""The links in Graph's answers: ``@odata.context`` and ``@odata.nextLink`` stay under the root
the caller used (graph.microsoft.com's ``/v1.0/…`` for the tenant-less root, the tenant-scoped
path for the management API), and ``@odata.context`` names the properties ``$select`` chose,
as Graph's does (``#users(displayName,mail)/$entity`` for one object, ``#users(displayName)``
for a list)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from test_graph_directory import ALICE, START, G, bearer, graph_token, user_id
from test_graph_tokens import app_token

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.state import IdpState

pytestmark = pytest.mark.idp_config.with_args(
    lambda: IdpConfig.default(clock=MockClock(frozen_at=START)))

ROOT = "/graph/v1.0"


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    found = idp_app.state.idp
    assert isinstance(found, IdpState)
    return found


def _path_and_fragment(link: str) -> tuple[str, str]:
    parts = urlsplit(link)
    return parts.path, parts.fragment


@pytest.mark.parametrize(("select", "fragment"), [
    (None, "users/$entity"),
    ("displayName,mail", "users(displayName,mail)/$entity"),
    ("id,displayName,userPrincipalName", "users(id,displayName,userPrincipalName)/$entity"),
])
def test_me_s_context_follows_the_root_and_names_the_selection(
        client: AppClient, state: IdpState, select: str | None, fragment: str) -> None:
    token = bearer(graph_token(state, user_id(client, ALICE)))
    params = {"$select": select} if select else {}
    for base in (ROOT, G):
        me = client.get(f"{base}/me", params=params, headers=token)
        assert me.status_code == 200, me.text
        assert _path_and_fragment(me.json()["@odata.context"]) == (f"{base}/$metadata",
                                                                   fragment)


def test_a_list_s_links_follow_the_root_and_the_selection(
        client: AppClient, state: IdpState) -> None:
    token = bearer(app_token(state, "User.Read.All"))
    for base in (ROOT, G):
        page = client.get(f"{base}/users", params={"$top": "1", "$select": "displayName"},
                          headers=token).json()
        seen = 0
        while True:
            seen += len(page["value"])
            assert _path_and_fragment(page["@odata.context"]) == (f"{base}/$metadata",
                                                                  "users(displayName)")
            link = page.get("@odata.nextLink")
            if link is None:
                break
            assert urlsplit(link).path == f"{base}/users", link
            answer = client.get(link, headers=token)
            assert answer.status_code == 200, answer.text
            page = answer.json()
        assert seen >= 2


def test_without_select_a_list_s_context_is_the_entity_set(
        client: AppClient, state: IdpState) -> None:
    token = bearer(app_token(state, "User.Read.All"))
    page = client.get(f"{ROOT}/users", headers=token).json()
    assert _path_and_fragment(page["@odata.context"]) == (f"{ROOT}/$metadata", "users")
