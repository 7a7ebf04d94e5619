"""Access token lifetimes as Entra gives them: a user's token lives a random 60 to 90 minutes,
drawn from the provider's injected random source, ``expires_in`` (and ``ext_expires_in``, and
v1's ``expires_on``) matching the token's own ``exp``; an app-only token lives 3599 seconds."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_DEFAULT,
    HYBRID_CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    hybrid_config,
    paths,
    redirect_params,
    sign_in,
    tokens_for,
)

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import ConfigError, IdpConfig
from mock_idp.protocol.claims import access_token_issued


class Bound(Random):
    """A random source that always draws the lowest (or highest) value it may."""

    def __init__(self, *, highest: bool = False) -> None:
        super().__init__(0)
        self.highest = highest

    def randint(self, a: int, b: int) -> int:
        return b if self.highest else a


def _lifetime(body: dict[str, object]) -> int:
    token = claims(str(body["access_token"]))
    assert body["expires_in"] == body["ext_expires_in"]
    assert int(str(body["expires_in"])) == token["exp"] - access_token_issued(token["iat"])
    return int(str(body["expires_in"]))


@pytest.mark.idp_config(lifetime_random=Bound())
def test_a_users_token_lives_at_least_60_minutes(client: AppClient) -> None:
    assert _lifetime(tokens_for(client)) == 60 * 60


@pytest.mark.idp_config(lifetime_random=Bound(highest=True))
def test_a_users_token_lives_at_most_90_minutes(client: AppClient) -> None:
    assert _lifetime(tokens_for(client)) == 90 * 60


def test_lifetimes_vary_within_the_range_and_follow_the_seed() -> None:
    def lifetimes(seed: int) -> list[int]:
        app = create_app(IdpConfig.default(lifetime_random=Random(seed)))
        with AppClient(app, follow_redirects=False) as client:
            return [_lifetime(tokens_for(client)) for _ in range(4)]

    first = lifetimes(7)
    assert all(3600 <= value <= 5400 for value in first)
    assert len(set(first)) > 1
    assert lifetimes(7) == first


@pytest.mark.idp_config(lifetime_random=Bound(highest=True))
def test_a_v1_response_counts_expires_on_from_the_same_lifetime(client: AppClient) -> None:
    body = tokens_for(client, version="1.0")
    assert body["expires_in"] == "5400" and _lifetime(body) == 5400
    assert int(body["expires_on"]) - int(body["not_before"]) == 5400 + 300


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_an_id_token_is_dated_five_minutes_before_its_issue_and_ends_an_hour_after_it(
        client: AppClient, clock: MockClock, version: str) -> None:
    """As Entra dates them (``mock_idp.protocol.claims.TOKEN_BACKDATE``): ``iat`` and ``nbf``
    five minutes before the token endpoint answers, ``exp`` an hour after, by the provider's
    clock (moved here, so that the real one cannot pass for it)."""
    clock.freeze()
    issued = int(clock.advance(timedelta(days=7)).timestamp())
    token = claims(str(tokens_for(client, version=version)["id_token"]))
    assert token["iat"] == token["nbf"] == issued - 300
    assert token["exp"] == issued + 3600


@pytest.mark.idp_config(hybrid_config(lifetime_random=Bound(highest=True)))
def test_the_implicit_flows_token_says_its_own_lifetime(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id=HYBRID_CLIENT_ID, redirect_uri="http://localhost/cb",
        response_type="token", scope="User.Read"))
    values = redirect_params(sign_in(client, page))
    token = claims(values["access_token"])
    lifetime = int(token["exp"] - access_token_issued(token["iat"]))
    assert values["expires_in"] == "5400" == str(lifetime)


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_an_app_only_token_lives_3599_seconds(client: AppClient, version: str) -> None:
    scope = {"scope": GRAPH_DEFAULT} if version == "2.0" else {
        "resource": "https://graph.microsoft.com"}
    response = client.post(paths(TENANT, version)["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        **scope})
    assert response.status_code == 200, response.text
    assert _lifetime(response.json()) == 3599


@pytest.mark.idp_config(access_token_lifetime=timedelta(minutes=5))
def test_a_single_timedelta_is_a_fixed_lifetime_as_before_lifetimes_were_drawn(
        client: AppClient) -> None:
    assert _lifetime(tokens_for(client)) == 300


def test_a_list_of_two_bounds_is_kept_as_a_pair() -> None:
    config = IdpConfig.default(access_token_lifetime=[timedelta(minutes=5), timedelta(minutes=6)])
    assert config.access_token_lifetime == (timedelta(minutes=5), timedelta(minutes=6))


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"access_token_lifetime": 300}, "access_token_lifetime: must be a timedelta or a "
                                     "(shortest, longest) pair of timedeltas, not 300"),
    ({"access_token_lifetime": (timedelta(minutes=5),)}, "access_token_lifetime: must be"),
    ({"access_token_lifetime": (timedelta(minutes=5), 600)}, "access_token_lifetime: must be"),
    ({"access_token_lifetime": timedelta(0)}, "access_token_lifetime: the shortest lifetime "
                                              "must be a second or more"),
    ({"access_token_lifetime": (timedelta(hours=2), timedelta(hours=1))},
     "access_token_lifetime: the longest lifetime 1:00:00 is shorter than the shortest 2:00:00"),
    ({"app_token_lifetime": 3599}, "app_token_lifetime must be a timedelta of a second or more"),
    ({"lifetime_random": 7}, "lifetime_random must be a random.Random, not 7"),
])
def test_a_lifetime_of_another_type_is_refused_when_the_config_is_built(
        overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        IdpConfig.default(**overrides)
    assert str(caught.value).startswith(problem), caught.value
