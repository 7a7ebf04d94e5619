"""Sign-out tests' world: the reference app and a portal with front- and back-channel logout
URLs (and a quiet app with neither) on a frozen clock, a receiver standing in for the apps'
back-channel endpoints, and a browser's sign-in and sign-out."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    TENANT,
    auth_params,
    claims,
    get_code,
    paths,
    pick_to_sign_out,
    redeem,
    redirect_params,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
PORTAL_ID = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
PORTAL_SECRET = "prt8Q~Portal.App.Secret-Value-0123456789"
PORTAL_REDIRECT = "http://127.0.0.1:7000/portal/cb"
RP_FRONT = "http://localhost/auth/frontchannel-logout"
PORTAL_FRONT = "https://portal.test/fc?tenant=contoso"
SIGNED_OUT = "http://localhost:5555/signed-out"
LOGOUT = {"2.0": f"/{TENANT}/oauth2/v2.0/logout", "1.0": f"/{TENANT}/oauth2/logout"}


@dataclass
class Hit:
    path: str
    content_type: str
    form: dict[str, str]


@dataclass
class Receiver:
    """The apps' back-channel logout endpoints: records each POST, answers ``status``."""

    status: int = 200
    hits: list[Hit] = field(default_factory=list)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            form = await request.form()
            self.hits.append(Hit(request.url.path, request.headers.get("content-type", ""),
                                 {k: v for k, v in form.items() if isinstance(v, str)}))
            return Response(status_code=self.status, headers={"Cache-Control": "no-store"})

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def tokens(self, path: str) -> list[str]:
        return [h.form["logout_token"] for h in self.hits if h.path == path]


def config(**overrides: Any) -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], logout_url=RP_FRONT,
                 backchannel_logout_uri="http://rp.test/auth/backchannel-logout")
    portal = AppConfig(
        client_id=PORTAL_ID, name="Portal", redirect_uris=(PORTAL_REDIRECT,),
        secrets=(SecretConfig(value=PORTAL_SECRET),), logout_url=PORTAL_FRONT,
        frontchannel_logout_iss=True, backchannel_logout_uri="http://portal.test/bc")
    quiet = AppConfig(client_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b", name="Quiet",
                      redirect_uris=("http://localhost/quiet",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, portal, quiet)),),
                     clock=MockClock(frozen_at=START), **overrides)


def sign_in_rp(browser: AppClient, upn: str = ALICE, version: str = "2.0") -> dict[str, Any]:
    """Sign in to the reference app; its token response (with the ID token)."""
    body: dict[str, Any] = redeem(browser, get_code(browser, upn=upn, version=version),
                                  version=version).json()
    assert "id_token" in body, body
    return body


def sign_in_portal(browser: AppClient) -> dict[str, str]:
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id=PORTAL_ID, redirect_uri=PORTAL_REDIRECT)))
    assert "code" in values, values  # the session signs in without a page
    return values


def sign_out(browser: AppClient, version: str = "2.0", upn: str = ALICE,
             **params: str) -> httpx.Response:
    """Sign out without ``logout_hint``: the v2 endpoint asks "Pick an account" even for one
    account, and ``upn``'s tile answers it; the v1 endpoint signs the account out directly."""
    response = browser.get(LOGOUT[version], params=params)
    return pick_to_sign_out(browser, response, upn) if version == "2.0" else response


def hinted(token: str, **params: str) -> dict[str, str]:
    """End-session parameters naming the ID token's account: ``id_token_hint`` and
    ``logout_hint`` (its ``login_hint`` claim), so the v2 endpoint asks no one."""
    return {"id_token_hint": token, "logout_hint": claims(token)["login_hint"], **params}


def is_sign_in_page(response: httpx.Response) -> bool:
    return response.status_code == 200 and 'name="ctx"' in response.text and (
        'name="loginfmt"' in response.text)


def iframes(page: httpx.Response) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'<iframe[^>]*src="([^"]+)"', page.text)]
