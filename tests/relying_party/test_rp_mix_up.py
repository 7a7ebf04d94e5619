"""The mix-up attack (RFC 9700 §4.4) fails: each connection has its own redirect URI, and the
installations theirs, so a provider's code that comes back with another sign-in's ``state`` is
refused before it is redeemed anywhere.

The attack: the attacker runs the provider of connection B (a customer of the app, or anyone
an administrator added). They start a sign-in of their own at connection A (or a partner
launch) and keep its authorization request. They send the victim to B's sign-in URL; B sends
the victim's browser on to A's provider with the attacker's request but the victim's
``state``; the victim signs in at A, her own company's page; the code comes back to the app
with B's ``state``. Were it redeemed by ``state`` alone, it would go to B's token endpoint, and
the attacker would bring it to the app in their own sign-in (their PKCE verifier, their nonce)
and be signed in as the victim. Entra sends no ``iss`` with its response, so the redirect URI
the response arrives at is what tells A's response from B's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_client import AppClient
from rp_support import ADMIN_HEADERS, ANY_VERSION
from test_rp_with_mock_idp import CLIENT_ID, RP, TID, World, open_world

EVIL = "https://evil.test"
EVIL_TENANT = "0c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5"
EVIL_CONTACT = "it@fabrikam.test"


class Provider(httpx.AsyncBaseTransport):
    """The RP's back channel: the attacker's provider at :data:`EVIL` beside the mock; every
    token request is kept, whichever provider it went to."""

    def __init__(self, mock: httpx.AsyncBaseTransport) -> None:
        self.mock = mock
        self.token_requests: list[tuple[str, dict[str, str]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            form = dict(httpx.QueryParams((await request.aread()).decode()))
            self.token_requests.append((str(request.url.host), form))
        if request.url.host != httpx.URL(EVIL).host:
            return await self.mock.handle_async_request(request)
        issuer = f"{EVIL}/{EVIL_TENANT}/v2.0"
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={
                "issuer": issuer,
                "authorization_endpoint": f"{EVIL}/{EVIL_TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": f"{EVIL}/{EVIL_TENANT}/oauth2/v2.0/token",
                "jwks_uri": f"{EVIL}/{EVIL_TENANT}/discovery/v2.0/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
            })
        if request.url.path.endswith("/keys"):
            return httpx.Response(200, json={"keys": []})
        # The token endpoint: the attacker has what they came for.
        return httpx.Response(503, json={"error": "temporarily_unavailable"})


@pytest.fixture
def provider() -> list[Provider]:
    return []


@pytest.fixture
def world(tmp_path: Path, provider: list[Provider]) -> Iterator[World]:
    def beside(mock: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        provider.append(Provider(mock))
        return provider[0]

    yield from open_world(tmp_path, back_channel=beside)


def _evil_connection(world: World) -> str:
    """Connection B: the attacker's provider, added by an administrator as a customer's."""
    authority = f"{EVIL}/{EVIL_TENANT}/oauth2/v2.0"
    response = world.rp.post("/api/admin/connections", json={
        "name": "Fabrikam",
        "authorization_uri": f"{authority}/authorize",
        "token_url": f"{authority}/token",
        "client_id": "fabrikam-client",
        "client_secret": "fabrikam-secret-value",
        "secret_expires_on": "2099-01-01",
        "support_contact": EVIL_CONTACT,
    })
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


def _browser(world: World) -> AppClient:
    """Another browser on the RP (its own cookies)."""
    return AppClient(world.rp.app, base_url=RP, follow_redirects=False)  # type: ignore[attr-defined]


def _forwarded(attackers_request: str, victims_request: str) -> str:
    """What the attacker's provider answers the victim's authorization request with: the
    attacker's request to the honest provider, with the victim's ``state``."""
    victims_state = httpx.URL(victims_request).params["state"]
    url = httpx.URL(attackers_request)
    return str(url.copy_set_param("state", victims_state))


def _attack(world: World, provider: Provider, attackers_start: str) -> httpx.Response:
    evil = _evil_connection(world)
    attacker = _browser(world)
    attackers_request = attacker.get(attackers_start).headers["location"]
    assert attackers_request.startswith(world.base), attackers_request
    victim = world.rp
    victims_request = victim.get(f"/sso/{evil}/portal").headers["location"]
    assert victims_request.startswith(EVIL), victims_request
    # The victim signs in at her own company's provider, which answers the request it got.
    callback = world.through_idp(_forwarded(attackers_request, victims_request))
    assert callback.startswith(f"{RP}/auth/callback/"), callback
    before = len(provider.token_requests)
    response = victim.get(callback)
    assert provider.token_requests[before:] == [], "a code was redeemed"
    assert response.status_code == 400, response.text
    assert "Sign-in failed" in response.text and EVIL_CONTACT in response.text
    assert "rp_session" not in response.headers.get("set-cookie", "")
    assert victim.get("/api/me").status_code == 401
    ref = re.search(r'id="error-ref">([^<]+)<', response.text)
    assert ref
    record = world.rp.get(f"/api/admin/errors/{ref.group(1)}", headers=ADMIN_HEADERS).json()
    assert record["code"] == "redirect_uri_mismatch"
    assert record["source_id"] == evil
    assert "nothing was redeemed" in record["detail"]
    return response


def test_a_mix_up_through_another_connection_is_refused_before_the_code_is_redeemed(
        world: World, provider: list[Provider]) -> None:
    honest = world.connection()
    _attack(world, provider[0], f"/sso/{honest}/portal")
    # The connection the code belonged to still signs its users in.
    response = world.rp.get(world.through_idp(
        world.rp.get(f"/sso/{honest}/portal").headers["location"]))
    assert response.status_code == 303, response.text
    assert world.rp.get("/api/me").json()["email"] == "alice@contoso.onmicrosoft.com"


def test_a_mix_up_with_a_partner_launch_is_refused_before_the_code_is_redeemed(
        world: World, provider: list[Provider]) -> None:
    installed = world.idp.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events"})
    assert installed.status_code == 201, installed.text
    [installation] = world.rp.get("/api/admin/installations").json()
    iid = installation["installation_id"]
    alice = world.idp.get(f"/graph/{TID}/v1.0/users/alice@contoso.onmicrosoft.com").json()
    launch = f"/launch?installation_id={iid}&user_id={alice['id']}"
    _attack(world, provider[0], launch)
    response = world.rp.get(world.through_idp(world.rp.get(launch).headers["location"]))
    assert response.status_code == 303, response.text
    assert world.rp.get("/api/me").json()["platform_user_id"] == alice["id"]


def test_every_connection_signs_in_at_its_own_redirect_uri(world: World) -> None:
    first, second = world.connection(), world.connection()
    for cid in (first, second):
        browser = _browser(world)
        location = browser.get(f"/sso/{cid}/portal").headers["location"]
        assert httpx.URL(location).params["redirect_uri"] == f"{RP}/auth/callback/{cid}"
        callback = world.through_idp(location)
        assert callback.startswith(f"{RP}/auth/callback/{cid}?"), callback
        assert browser.get(callback).status_code == 303
        assert browser.get("/api/me").json()["source_id"] == cid


@pytest.mark.parametrize("arrives_at", ["other connection", "installations", "legacy"])
def test_a_response_at_another_redirect_uri_than_its_sign_ins_is_refused(
        world: World, provider: list[Provider], arrives_at: str) -> None:
    first, second = world.connection(), world.connection()
    callback = world.through_idp(world.rp.get(f"/sso/{first}/portal").headers["location"])
    query = httpx.URL(callback).query.decode()
    path = {"other connection": f"/auth/callback/{second}",
            "installations": "/auth/callback/installation", "legacy": "/auth/callback"}[arrives_at]
    response = world.rp.get(f"{path}?{query}")
    assert response.status_code == 400, response.text
    assert "helpdesk@contoso.test" in response.text  # the sign-in's own connection's contact
    assert provider[0].token_requests == []
    assert world.rp.get("/api/me").status_code == 401
    # Its state is spent: the response at the right URI is no use any more either.
    assert world.rp.get(callback).status_code == 400
    assert provider[0].token_requests == []


def test_a_connection_may_be_given_its_id_so_its_redirect_uri_is_known_beforehand(
        world: World) -> None:
    """An administrator (or a set-up script) registers ``…/auth/callback/{id}`` at the provider
    before making the connection, naming it ``id`` (the mock's app registration has
    ``…/auth/callback/{its client id}`` from the start)."""
    body = {
        "authorization_uri": f"{world.base}/{TID}/oauth2/v2.0/authorize",
        "token_url": f"{world.base}/{TID}/oauth2/v2.0/token",
        "client_id": CLIENT_ID, "client_secret": "rp7Q~Reference.Relying.Party.Secret-Value01",
        "secret_expires_on": "2099-01-01", "support_contact": "helpdesk@contoso.test",
    }
    created = world.rp.post("/api/admin/connections", json={**body, "id": CLIENT_ID})
    assert created.status_code == 201, created.text
    assert created.json()["id"] == CLIENT_ID
    assert created.json()["redirect_uri"] == f"{RP}/auth/callback/{CLIENT_ID}"
    response = world.rp.get(world.through_idp(
        world.rp.get(f"/sso/{CLIENT_ID}/portal").headers["location"]))
    assert response.status_code == 303, response.text

    again = world.rp.post("/api/admin/connections", json={**body, "id": CLIENT_ID})
    assert again.status_code == 409 and set(again.json()["fields"]) == {"id"}, again.text
    for bad in ("installation", "INSTALLATION", "", "-x", "a/b", "a b", "x" * 65, 7, None):
        refused = world.rp.post("/api/admin/connections", json={**body, "id": bad})
        assert refused.status_code == 400, (bad, refused.text)
        assert set(refused.json()["fields"]) == {"id"}, (bad, refused.text)
    moved = world.rp.patch(f"/api/admin/connections/{CLIENT_ID}", json={"id": "other"},
                           headers=ANY_VERSION)
    assert moved.status_code == 400 and "id" in moved.json()["fields"], moved.text
    assert len(world.rp.get("/api/admin/connections").json()) == 1
