"""A user's own password change while the directory changes under it: the change tells the
apps about the sessions it ended (a back-channel logout, which the app answers in its own
time), and a reset of the provider or the user's deletion made during that call leaves no
session behind, neither the old ones nor the one the change was starting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, TENANT, auth_params, get_code, page_kind, password, paths, submit
from starlette.applications import Starlette
from test_notifications import BACKCHANNEL_URL, Receiver

from mock_idp import create_app
from mock_idp.config import IdpConfig, default_tenant
from mock_idp.endpoints.browser_sessions import SESSION_COOKIE
from mock_idp.signin import ids

NEW = "Winter-2027 sky"
GRAPH = f"/graph/{TENANT}/v1.0"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def idp(receiver: Receiver) -> Starlette:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], backchannel_logout_uri=BACKCHANNEL_URL)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    return create_app(IdpConfig(tenants=(replace(tenant, apps=(rp,)),)), http_client=http)


@pytest.fixture
def browser(idp: Starlette) -> Iterator[AppClient]:
    with AppClient(idp, follow_redirects=False) as client:
        yield client


def _meanwhile(receiver: Receiver, idp: Starlette, method: str, url: str) -> list[int]:
    """Make ``method url`` at the provider while the app answers its back-channel logout; the
    list gets that request's status."""
    said: list[int] = []

    async def change() -> None:
        transport = httpx.ASGITransport(app=idp)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            said.append((await c.request(method, url)).status_code)

    receiver.meanwhile["/auth/backchannel-logout"] = change
    return said


@pytest.mark.parametrize(("method", "url", "code"), [
    ("POST", "/_mock/reset", 9002313),
    ("DELETE", f"{GRAPH}/users/{ALICE}", 50057),
], ids=["reset", "user-deleted"])
def test_a_change_meanwhile_leaves_no_session_of_the_password_change(
        browser: AppClient, idp: Starlette, receiver: Receiver, method: str, url: str,
        code: int) -> None:
    get_code(browser, upn=ALICE)  # a session the app signed in with: the change tells it
    store = idp.state.idp.store
    alice = store.tenants[TENANT].find_user(ALICE)
    assert alice is not None
    alice.force_change_password = True
    browser.cookies.clear()
    page = submit(browser, browser.get(paths(TENANT, "2.0")["authorize"],
                                       params=auth_params()),
                  loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(page) == "new_password", page.text[:300]
    said = _meanwhile(receiver, idp, method, url)
    answer = submit(browser, page, **{ids.CURRENT_PASSWORD_NAME: password(ALICE),
                                      ids.NEW_PASSWORD_NAME: NEW,
                                      ids.CONFIRM_PASSWORD_NAME: NEW})
    assert said == [204 if method == "DELETE" else 200]
    assert len(receiver.logout_tokens()) == 1  # the change did reach the app
    assert [s for s in store.sessions.values() if s.active] == []
    assert not store.session_cookies
    assert answer.status_code == 400 and f"AADSTS{code}" in answer.text, answer.text[:300]
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
