"""The relying party against the project's Entra-shaped mock provider, all in-process.

The browser is two ``AppClient`` s (one per host); the RP's back-channel calls reach the mock
through ``httpx.ASGITransport``, and the mock's platform events reach the RP the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from asgi_client import AppClient
from entra_pages import next_form, sign_in_answers
from rp_support import ADMIN_HEADERS, ADMIN_TOKEN, ANY_VERSION
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_idp import IdpConfig, MockClock
from mock_idp import create_app as create_mock
from relying_party import Settings, create_app

B = "http://localhost:8400"
B_TLS = "https://localhost:8443"
"""The provider as reached over https (in-process: the scheme is what the RP decides on)."""
RP = "http://127.0.0.1:8500"
TID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"


class _Later:
    """An ASGI app filled in after construction (the two apps call each other)."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@dataclass
class World:
    rp: AppClient
    idp: AppClient
    clock: MockClock
    base: str = B

    def connection(self, version: str = "v2", *, authority: str | None = None) -> str:
        path = "oauth2/v2.0" if version == "v2" else "oauth2"
        authority = authority or f"{self.base}/{TID}"
        response = self.rp.post(
            "/api/admin/connections",
            json={
                "authorization_uri": f"{authority}/{path}/authorize",
                "token_url": f"{authority}/{path}/token",
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "secret_expires_on": (self.clock.now() + timedelta(days=180)).date().isoformat(),
                "support_contact": "helpdesk@contoso.test",
            },
        )
        assert response.status_code == 201, response.text
        self.register_redirect_uri(response.json()["redirect_uri"])
        cid: str = response.json()["id"]
        return cid

    def register_redirect_uri(self, uri: str) -> None:
        """Add ``uri`` (a connection's own, as the admin API names it) to the app
        registration's redirect URIs, as an administrator does after making the connection."""
        app = f"/graph/{TID}/v1.0/applications(appId='{CLIENT_ID}')"
        uris = self.idp.get(app).json()["web"]["redirectUris"]
        patched = self.idp.patch(app, json={"web": {"redirectUris": [*uris, uri]}})
        assert patched.status_code == 204, patched.text

    def through_idp(self, location: str, user: str = "alice") -> str:
        """Follow the provider's pages as the browser, signing in when asked (username,
        password, "Stay signed in?" No); return the first URL that leads back to the relying
        party."""
        answers = sign_in_answers(f"{user}@contoso.onmicrosoft.com", f"P@ssw0rd-{user}")
        while location.startswith(self.base):
            response = self.idp.get(location)
            while response.status_code == 200:
                action, ctx = next_form(response.text)
                url = action if action.startswith("http") else self.base + action
                response = self.idp.post(url, data={"ctx": ctx, **next(answers)})
            assert response.status_code in (302, 303), response.text[:500]
            location = response.headers["location"]
        return location


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """Provider and RP wired in-process; parametrize indirectly with ``B_TLS`` for https."""
    yield from open_world(tmp_path, getattr(request, "param", B))


def open_world(tmp_path: Path, base: str = B, *, allow_http_idp: bool = False,
               deliveries: Callable[[ASGIApp], ASGIApp] | None = None,
               back_channel: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
               | None = None) -> Iterator[World]:
    """The mock provider and the relying party in-process, wired to each other; the
    provider's calls to the RP (platform events, logout notifications) go through
    ``deliveries(rp_app)`` when it is given, and the RP's back-channel calls through
    ``back_channel(to_the_mock)`` (another provider beside the mock)."""
    clock = MockClock()
    rp_later = _Later()
    idp = create_mock(
        IdpConfig.default(public_url=base, clock=clock),
        http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=rp_later)),
    )
    settings = Settings(
        db_path=str(tmp_path / "rp.db"),
        public_url=RP,
        clock=clock,
        event_keys_url=f"{base}/.well-known/platform-event-keys.json",
        partner_app_id=CLIENT_ID,  # the mock's events carry the app registration's id
        admin_token=ADMIN_TOKEN,
        graph_url=f"{base}/graph/{TID}",  # the mock's Graph, where the groups overage goes
        allow_http_idp=allow_http_idp,
    )
    to_mock: httpx.AsyncBaseTransport = httpx.ASGITransport(app=idp)
    rp_app = create_app(settings, http_client=httpx.AsyncClient(
        transport=back_channel(to_mock) if back_channel is not None else to_mock))
    rp_later.app = rp_app if deliveries is None else deliveries(rp_app)
    with (
        AppClient(rp_app, base_url=RP, follow_redirects=False, headers=ADMIN_HEADERS) as rp,
        AppClient(idp, base_url=base, follow_redirects=False) as idp_browser,
    ):
        yield World(rp=rp, idp=idp_browser, clock=clock, base=base)


@pytest.mark.parametrize("world, version", [(B, "v2"), (B_TLS, "v2"), (B_TLS, "v1")],
                         indirect=["world"])
def test_customer_sso_signs_in_and_out(world: World, version: str) -> None:
    cid = world.connection(version)
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    callback = world.through_idp(location)
    response = world.rp.get(callback)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/portal"
    me = world.rp.get("/api/me").json()
    assert me["email"] == "alice@contoso.onmicrosoft.com"
    # A v1 sign-in's issuer is Entra's v1 one, on sts.windows.net: the check accepts it.
    host = world.base if version == "v2" else "https://sts.windows.net"
    assert me["issuer"].startswith(f"{host}/{TID}")

    assert world.rp.get("/logout").status_code == 200  # the confirmation form
    logout = world.rp.post("/logout", data={"csrf_token": world.rp.cookies["rp_csrf"]})
    assert logout.headers["location"].startswith(f"{world.base}/{TID}/")
    assert world.rp.get("/api/me").status_code == 401
    back = world.through_idp(logout.headers["location"])
    assert back.startswith(f"{RP}/signed-out")
    page = world.rp.get(back)
    assert page.status_code == 200 and 'id="signed-out-unconfirmed"' not in page.text


def test_an_upper_case_host_and_tenant_id_sign_in(world: World) -> None:
    """Host names are case-insensitive and Entra (the mock too) takes the tenant GUID in any
    case, but its issuer names it in lower case: the issuer expected of the discovery document
    is derived from the lower-cased URL, not the one typed."""
    authority = f"{world.base.upper().replace('HTTP://', 'http://')}/{TID.upper()}"
    cid = world.connection(authority=authority)
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    assert location.startswith(f"{world.base}/{TID.upper()}/oauth2/v2.0/authorize?")
    callback = world.through_idp(location)
    response = world.rp.get(callback)
    assert response.status_code == 303, response.text
    assert world.rp.get("/api/me").json()["issuer"] == f"{world.base}/{TID}/v2.0"


@pytest.fixture
def world_allowing_http(tmp_path: Path) -> Iterator[World]:
    """As ``world``, with the relying party accepting http providers (``allow_http_idp``)."""
    yield from open_world(tmp_path, B, allow_http_idp=True)


def test_v1_endpoints_over_http_are_refused_with_the_fix(world_allowing_http: World) -> None:
    """Entra's v1 token endpoint sends the ID token unsigned: not trusted without TLS. Such a
    connection is refused on save, unless the test setup allows http providers
    (``allow_http_idp``): then it is the sign-in that is refused, saying how to fix it."""
    world = world_allowing_http
    cid = world.connection("v1")
    response = world.rp.get(world.through_idp(world.rp.get(f"/sso/{cid}/kb").headers["location"]))
    assert response.status_code == 502
    assert 'id="admin-hint"' in response.text and "v2.0 endpoints" in response.text
    ref = re.search(r'id="error-ref">([^<]+)<', response.text)
    assert ref
    record = world.rp.get(f"/api/admin/errors/{ref.group(1)}").json()
    assert record["code"] == "id_token_unsigned_over_http"
    assert world.rp.get("/api/me").status_code == 401


@pytest.mark.parametrize("world", [B_TLS], indirect=True)
def test_unsigned_id_tokens_stay_refused_on_v2_even_over_https(world: World) -> None:
    cid = world.connection("v2")
    world.idp.post("/_mock/faults", json={"kind": "alg_none", "endpoint": "token"})
    response = world.rp.get(world.through_idp(world.rp.get(f"/sso/{cid}/kb").headers["location"]))
    assert response.status_code == 502
    ref = re.search(r'id="error-ref">([^<]+)<', response.text)
    assert ref
    assert world.rp.get(f"/api/admin/errors/{ref.group(1)}").json()["code"] == "alg_not_allowed"


def test_expired_secret_ends_on_failure_page_with_aadsts7000222(world: World) -> None:
    cid = world.connection()
    world.clock.advance(timedelta(days=181))
    # reconnect: clear cached keys
    world.rp.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    world.rp.post(f"/api/admin/connections/{cid}/enable", headers=ANY_VERSION)
    callback = world.through_idp(world.rp.get("/widget").headers["location"])
    response = world.rp.get(callback)
    assert response.status_code == 502
    assert "AADSTS7000222" in response.text
    assert "helpdesk@contoso.test" in response.text
    ref = re.search(r'id="error-ref">([^<]+)<', response.text)
    assert ref
    record = world.rp.get(f"/api/admin/errors/{ref.group(1)}").json()
    assert record["code"] == "client_secret_expired"
    assert world.rp.get("/api/me").status_code == 401
    health = world.rp.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["secret_expired"] is True


def test_partner_install_launch_and_user_logout(world: World) -> None:
    installed = world.idp.post(
        "/_mock/installations",
        json={"app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events"},
    )
    assert installed.status_code == 201, installed.text
    [installation] = world.rp.get("/api/admin/installations").json()
    iid = installation["installation_id"]

    alice = world.idp.get(f"/graph/{TID}/v1.0/users/alice@contoso.onmicrosoft.com").json()
    location = world.rp.get(f"/launch?installation_id={iid}&user_id={alice['id']}")
    assert location.status_code == 302
    assert f"login_hint={alice['id']}" in location.headers["location"]
    response = world.rp.get(world.through_idp(location.headers["location"]))
    assert response.status_code == 303, response.text
    me = world.rp.get("/api/me").json()
    assert me["platform_user_id"] == alice["id"]

    sent = world.idp.post(
        f"/_mock/installations/{iid}/logout",
        json={"user_id": alice["id"], "user_email": "alice@contoso.onmicrosoft.com"},
    )
    assert sent.status_code == 200, sent.text
    assert world.rp.get("/api/me").status_code == 401


def test_an_id_token_whose_c_hash_is_not_the_codes_is_refused(world: World) -> None:
    """The mock's ``bad_c_hash`` fault: the ID token names another code than the one redeemed
    (OIDC Core 3.3.2.11): the failure page, and nobody signed in."""
    cid = world.connection("v2")
    armed = world.idp.post("/_mock/faults", json={"kind": "bad_c_hash", "endpoint": "token"})
    assert armed.status_code in (200, 201), armed.text
    response = world.rp.get(world.through_idp(world.rp.get(f"/sso/{cid}/kb").headers["location"]))
    assert response.status_code == 502, response.text
    assert "Sign-in failed" in response.text and "helpdesk@contoso.test" in response.text
    assert "rp_session" not in response.headers.get("set-cookie", "")
    ref = re.search(r'id="error-ref">([^<]+)<', response.text)
    assert ref
    assert world.rp.get(f"/api/admin/errors/{ref.group(1)}").json()["code"] == "c_hash_mismatch"
    assert world.rp.get("/api/me").status_code == 401
