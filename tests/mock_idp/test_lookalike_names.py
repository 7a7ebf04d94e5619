"""A username or tenant domain spelled with a character that is not ASCII names nobody.

User principal names are ASCII (``mock_idp.text_policy``: Entra's username policy), and Entra
compares them without regard to ASCII case only. Python's ``str.lower()`` folds more:
``"\\u212a"`` (KELVIN SIGN) becomes ``k``, so ``\\u212aate@…`` was kate's name to the sign-in
page, GetCredentialType, the password grant and Graph, and signed in as her; and
``fabri\u212aam.test`` was fabrikam.test to Graph, the test-control API and fault matching.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, DOMAIN, SECRET, TENANT, auth_params, page_kind, paths, submit
from starlette.applications import Starlette

G = f"/graph/{DOMAIN}/v1.0"
KATE = f"kate@{DOMAIN}"
LOOKALIKE = f"\u212aate@{DOMAIN}"
PASSWORD = "Fuzz-pass-1!"


@pytest.fixture
def kate(idp_app: Starlette) -> Iterator[AppClient]:
    with AppClient(idp_app, follow_redirects=False) as client:
        created = client.post(f"{G}/users", json={
            "accountEnabled": True, "displayName": "Kate", "mailNickname": "kate",
            "userPrincipalName": KATE,
            "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False}})
        assert created.status_code == 201, created.text
        yield client


def test_the_lookalike_signs_nobody_in_with_kates_password(kate: AppClient) -> None:
    page = kate.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(page) == "username"
    answer = submit(kate, page, loginfmt=LOOKALIKE, passwd=PASSWORD)
    # as for a name nobody has: the password page again, "… is incorrect", no session
    assert page_kind(answer) == "password" and "incorrect" in answer.text, answer.text[:300]
    assert "MOCKIDP_SESSION" not in answer.headers.get("set-cookie", "")
    # the ASCII name still signs her in
    page = kate.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(submit(kate, page, loginfmt=KATE, passwd=PASSWORD)) == "kmsi"


def test_the_lookalike_is_no_account_anywhere(kate: AppClient) -> None:
    found = kate.post("/common/GetCredentialType", json={"username": LOOKALIKE})
    assert found.json()["IfExistsResult"] == 1, found.text
    assert kate.get(f"{G}/users/{LOOKALIKE}").status_code == 404
    assert kate.get(f"{G}/users/{KATE}").status_code == 200
    token = kate.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
        "username": LOOKALIKE, "password": PASSWORD, "scope": "openid"})
    assert token.status_code == 400
    assert "AADSTS50034" in token.json()["error_description"] \
        or "AADSTS50126" in token.json()["error_description"], token.text


FABRIKAM = {"id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874", "domain": "fabrikam.test"}
FABRIKAM_LOOKALIKE = "fabri\u212aam.test"


def test_a_lookalike_domain_names_no_tenant(kate: AppClient) -> None:
    """The protocol endpoints refuse it (AADSTS900023); Graph and the test-control API,
    which looked the tenant up by ``str.lower()``, found fabrikam.test and changed it."""
    assert kate.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    assert kate.get(f"/graph/{FABRIKAM_LOOKALIKE}/v1.0/users").status_code in (400, 404)
    patched = kate.patch(f"/_mock/tenants/{FABRIKAM_LOOKALIKE}", json={"lockout_threshold": 5})
    assert patched.status_code == 404 and patched.json()["error"]["field"] == "tenant"
    armed = kate.post("/_mock/faults", json={"kind": "error", "endpoint": "token", "code": 50000,
                                             "status": 400, "tenant": FABRIKAM_LOOKALIKE})
    assert armed.status_code in (400, 404), armed.text
    assert kate.get("/_mock/faults").json()["faults"] == []
    assert kate.delete(f"/_mock/tenants/{FABRIKAM_LOOKALIKE}").status_code == 404
    tenants = kate.get("/_mock/tenants").json()["tenants"]
    fabrikam = next(t for t in tenants if t["id"] == FABRIKAM["id"])
    assert fabrikam["lockout_threshold"] == 10
