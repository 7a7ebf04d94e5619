"""A tenant id says nothing about who serves it: the key ``entra:{tid}`` that joins one Entra
tenant's v1 and v2 users belongs to Entra's own login hosts. A provider anywhere else naming the
same tenant (its own keys, its own v1 documents naming ``https://sts.windows.net/{tid}/``) gets
users of its own, and its logout tokens end only the sessions signed in through it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from asgi_client import AppClient
from rp_support import ADMIN_HEADERS, ADMIN_TOKEN
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send
from test_rp_with_mock_idp import B_TLS, CLIENT_ID, RP, TID, World

from mock_idp import IdpConfig, MockClock
from mock_idp import create_app as create_mock
from mock_idp.clock import epoch
from mock_idp.tokens import sign
from relying_party import Settings, create_app
from relying_party.oidc.issuer_key import issuer_key, served_origin, spelt_issuer_key

OTHER = "https://login.other.test"
"""A second provider with the same tenant id, on another origin."""
V1 = f"https://sts.windows.net/{TID}/"


class _ByHost:
    """The providers, each reached by its own host name (the RP's back channel)."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = dict(scope["headers"])[b"host"].decode()
        await self.apps[host](scope, receive, send)


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[tuple[World, World]]:
    clock = MockClock()
    idps = {base: create_mock(IdpConfig.default(public_url=base, clock=clock))
            for base in (B_TLS, OTHER)}
    settings = Settings(db_path=str(tmp_path / "rp.db"), public_url=RP, clock=clock,
                        admin_token=ADMIN_TOKEN)
    by_host = _ByHost({httpx.URL(base).netloc.decode(): app for base, app in idps.items()})
    rp_app = create_app(settings, http_client=httpx.AsyncClient(
        transport=httpx.ASGITransport(app=by_host)))
    with (
        AppClient(rp_app, base_url=RP, follow_redirects=False, headers=ADMIN_HEADERS) as rp,
        AppClient(idps[B_TLS], base_url=B_TLS, follow_redirects=False) as first,
        AppClient(idps[OTHER], base_url=OTHER, follow_redirects=False) as second,
    ):
        yield (World(rp=rp, idp=first, clock=clock, base=B_TLS),
               World(rp=rp, idp=second, clock=clock, base=OTHER))


def _sign_in(world: World, cid: str) -> tuple[int, dict[str, Any] | None]:
    world.rp.cookies.delete("rp_session")
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    response = world.rp.get(world.through_idp(location))
    me = world.rp.get("/api/me")
    return response.status_code, me.json() if me.status_code == 200 else None


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_provider_elsewhere_with_the_same_tenant_id_gets_none_of_its_users(
    worlds: tuple[World, World], version: str
) -> None:
    first, other = worlds
    status, alice = _sign_in(first, first.connection("v2"))
    assert status == 303 and alice is not None
    status, impostor = _sign_in(other, other.connection(version))
    # Alice's e-mail address is taken by the first provider's Alice: no second user either.
    assert status == 409 and impostor is None
    assert [e["code"] for e in first.rp.get("/api/admin/errors").json()] == ["duplicate_email"]


def _logout_token(world: World, sub: str) -> str:
    now = epoch(world.clock.now())
    claims = {"iss": V1, "aud": CLIENT_ID, "tid": TID, "sub": sub, "iat": now, "exp": now + 120,
              "jti": str(uuid.uuid4()),
              "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
    idp = cast(Starlette, world.idp.app).state.idp
    return sign(idp, claims, version="1.0", typ="logout+jwt")


def test_its_logout_tokens_end_none_of_the_sessions_signed_in_elsewhere(
    worlds: tuple[World, World]
) -> None:
    first, other = worlds
    first.connection("v1")
    other.connection("v1")  # validates the other provider's v1 logout tokens
    status, alice = _sign_in(first, first.connection("v2"))
    assert status == 303 and alice is not None
    response = other.rp.post("/auth/backchannel-logout",
                             data={"logout_token": _logout_token(other, alice["subject"])})
    assert response.status_code == 200, response.text  # valid, for the other one's sessions
    assert first.rp.get("/api/me").status_code == 200
    response = first.rp.post("/auth/backchannel-logout",
                             data={"logout_token": _logout_token(first, alice["subject"])})
    assert response.status_code == 200, response.text
    assert first.rp.get("/api/me").status_code == 401


@pytest.mark.parametrize(("urls", "origin"), [
    ((f"https://login.microsoftonline.com/{TID}/v2.0/.well-known/openid-configuration",
      f"https://login.microsoftonline.com:443/{TID}/oauth2/v2.0/token"), None),
    ((f"https://LOGIN.windows.net/{TID}/.well-known/openid-configuration",
      f"https://login.microsoftonline.us/{TID}/oauth2/token"), None),
    ((f"https://login.partner.microsoftonline.cn/{TID}/v2.0",
      f"https://login.chinacloudapi.cn/{TID}/oauth2/v2.0/token"), None),
    ((f"http://login.microsoftonline.com/{TID}/v2.0",
      f"https://login.microsoftonline.com/{TID}/oauth2/v2.0/token"),
     "http://login.microsoftonline.com"),
    ((f"https://login.microsoftonline.com:8443/{TID}/v2.0",), "https://login.microsoftonline.com:8443"),
    ((f"https://login.microsoftonline.com/{TID}/v2.0", f"https://evil.test/{TID}/oauth2/token"),
     "https://evil.test"),
    ((f"https://127.0.0.1:9/{TID}/v2.0", f"https://127.0.0.1:9/{TID}/oauth2/token"),
     "https://127.0.0.1:9"),
], ids=["public", "aliases", "china", "http", "port", "token elsewhere", "mock"])
def test_only_entra_s_own_hosts_over_https_serve_the_bare_tenant(
    urls: tuple[str, ...], origin: str | None
) -> None:
    assert served_origin(*urls) == origin


def test_the_key_of_a_tenant_served_elsewhere_names_the_origin() -> None:
    assert issuer_key(V1, tid=TID, origin=None) == f"entra:{TID}"
    assert issuer_key(V1, tid=TID, origin=OTHER) == f"entra:{TID}@{OTHER}"
    v2 = f"{OTHER}/{TID}/v2.0"
    assert issuer_key(v2, tid=TID, origin=OTHER) == f"entra:{TID}@{OTHER}"
    assert spelt_issuer_key(v2) == f"entra:{TID}@{OTHER}"  # its own host
    assert spelt_issuer_key(V1) == f"entra:{TID}"
    assert issuer_key(V1, tid=None, origin=OTHER) == f"{V1}@{OTHER}"  # not V1 itself
    assert issuer_key("https://op.example/realms/a", tid=TID, origin=OTHER) == (
        "https://op.example/realms/a")
