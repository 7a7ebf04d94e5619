"""A user's profile photo through the mock's Microsoft Graph: its users have none, so each photo
path answers Graph's 404 ``ImageNotFound`` to a caller that may read the user, as Graph does
for a user without a photo, where it used to answer the 400 of an unknown segment."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from test_graph_directory import ALICE, BOB, START, G, bearer, error_of, graph_token, user_id

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.endpoints.graph_photos import NO_PHOTO
from mock_idp.state import IdpState

pytestmark = pytest.mark.idp_config.with_args(
    lambda: IdpConfig.default(clock=MockClock(frozen_at=START)))

PATHS = ("/photo", "/photo/$value", "/photos/48x48", "/photos/48x48/$value")


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    found = idp_app.state.idp
    assert isinstance(found, IdpState)
    return found


@pytest.mark.parametrize("path", PATHS)
def test_the_signed_in_users_photo_is_graphs_image_not_found(
        client: AppClient, state: IdpState, path: str) -> None:
    """What Auth.js's Entra provider reads at each sign-in (``/me/photos/48x48/$value``)."""
    alice = user_id(client, ALICE)
    token = bearer(graph_token(state, alice))
    for who in ("/me", f"/users/{alice}"):
        error = error_of(client.get(f"{G}{who}{path}", headers=token), 404)
        assert (error["code"], error["message"]) == ("ImageNotFound", NO_PHOTO), who


def test_another_users_photo_needs_more_than_user_read(client: AppClient,
                                                       state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    url = f"{G}/users/{alice}/photos/48x48/$value"
    refused = client.get(url, headers=bearer(graph_token(state, bob)))
    assert error_of(refused, 403)["code"] == "Authorization_RequestDenied"
    wider = bearer(graph_token(state, bob, scp="User.ReadBasic.All"))
    assert error_of(client.get(url, headers=wider), 404)["code"] == "ImageNotFound"


def test_a_photo_needs_a_token_and_a_user_that_exists(client: AppClient,
                                                      state: IdpState) -> None:
    assert error_of(client.get(f"{G}/me/photo/$value", headers=bearer("garbage")),
                    401)["code"] == "InvalidAuthenticationToken"
    token = bearer(graph_token(state, user_id(client, BOB), scp="User.ReadBasic.All"))
    missing = client.get(f"{G}/users/nobody@contoso.example/photo", headers=token)
    assert error_of(missing, 404)["code"] != "ImageNotFound"
