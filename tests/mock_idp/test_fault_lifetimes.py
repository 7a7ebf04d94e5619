"""How long a fault's effect lasts: a JWKS change made by a ``kid_absent`` fault, and the
requests a ``hang`` holds; both end with the fault that made them, and only with it."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, get_code, paths, redeem

V2 = paths(TENANT, "2.0")


def arm(client: AppClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def id_token(client: AppClient) -> str:
    response = redeem(client, get_code(client))
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def jwks(client: AppClient) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = client.get(V2["keys"]).json()["keys"]
    return keys


def verifies_with(token: str, jwk: dict[str, Any]) -> bool:
    key = jwt.PyJWK.from_dict({**jwk, "alg": "RS256"}).key
    try:
        jwt.decode(token, key, algorithms=["RS256"], options={
            "verify_aud": False, "verify_exp": False, "verify_iat": False,
            "verify_nbf": False, "verify_iss": False})
    except jwt.InvalidSignatureError:
        return False
    return True


def armed(client: AppClient) -> list[dict[str, Any]]:
    faults: list[dict[str, Any]] = client.get("/_mock/faults").json()["faults"]
    return faults


# --- kid_absent: the key set changes as long as the fault lasts -----------------------------

@pytest.mark.parametrize("kind", ["kid_absent", "kid_absent_multiple"])
def test_a_spent_one_shot_kid_fault_leaves_the_key_set_as_it_was(client: AppClient,
                                                                  kind: str) -> None:
    before = jwks(client)
    fault = arm(client, kind=kind)
    token = id_token(client)
    assert [f["id"] for f in armed(client)] == [fault["id"]]  # its key-set change is pending
    faulted = jwks(client)  # the relying party fetches the keys to check this token
    assert all("kid" not in k for k in faulted)
    assert any(verifies_with(token, k) for k in faulted)
    assert armed(client) == []
    assert jwks(client) == before
    second = id_token(client)
    kid = jwt.get_unverified_header(second)["kid"]
    assert verifies_with(second, next(k for k in jwks(client) if k["kid"] == kid))


@pytest.mark.parametrize("kind", ["kid_absent", "kid_absent_multiple"])
def test_an_until_cleared_kid_fault_keeps_the_change_until_it_is_cleared(client: AppClient,
                                                                         kind: str) -> None:
    before = jwks(client)
    fault = arm(client, kind=kind, times="until_cleared")
    id_token(client)
    for _ in range(2):
        assert all("kid" not in k for k in jwks(client))
    assert [f["id"] for f in armed(client)] == [fault["id"]]
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 204
    assert jwks(client) == before


def test_a_kid_fault_with_uses_left_keeps_the_change(client: AppClient) -> None:
    arm(client, kind="kid_absent_multiple", times=2)
    id_token(client)
    assert len(jwks(client)) == 2 and len(jwks(client)) == 2
    assert armed(client)[0]["times"] == 1


def test_clearing_a_spent_kid_fault_by_id_undoes_its_change(client: AppClient) -> None:
    before = jwks(client)
    fault = arm(client, kind="kid_absent_multiple")
    id_token(client)
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 204
    assert jwks(client) == before
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 404
