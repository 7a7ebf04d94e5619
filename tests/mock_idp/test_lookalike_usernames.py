"""A username spelled with a character that is not ASCII names nobody.

User principal names are ASCII (``mock_idp.text_policy``: Entra's username policy), and Entra
compares them without regard to ASCII case only. Python's ``str.lower()`` folds more:
``"\\u212a"`` (KELVIN SIGN) becomes ``k``, so ``\\u212aate@…`` was kate's name to the sign-in
page, GetCredentialType, the password grant and Graph, and signed in as her.
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
