"""One Entra tenant's v1 and v2 issuers are one identity space.

Entra names a tenant's issuer ``https://sts.windows.net/{tid}/`` on its v1.0 endpoints and
``…/{tid}/v2.0`` on v2.0, with the same ``sub`` for the same user and app: a connection moved
from one to the other keeps its users, and a logout of either spelling ends the sessions of
the other, never another tenant's. Every other issuer keeps its literal (iss, sub). (A tenant
served from another origin than Entra's is its own space: test_rp_tenant_origins.)
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from rp_support import ANY_VERSION
from starlette.applications import Starlette
from test_rp_with_mock_idp import B_TLS, CLIENT_ID, TID, World, open_world

from mock_idp.clock import epoch
from mock_idp.tokens import sign
from relying_party.db import Database, Session, SourceKind
from relying_party.oidc.issuer_key import issuer_key, spelt_issuer_key

V1 = f"https://sts.windows.net/{TID}/"
V2 = f"https://login.microsoftonline.com/{TID}/v2.0"
OTHER_TID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
SUB = "IEue8yhOJzDUDSvclt0GEddSHIPoDSu4nZLNlbtT4HU"
AT = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def tls_world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path, B_TLS)


def _endpoints(world: World, version: str) -> dict[str, str]:
    path = "oauth2/v2.0" if version == "v2" else "oauth2"
    return {"authorization_uri": f"{world.base}/{TID}/{path}/authorize",
            "token_url": f"{world.base}/{TID}/{path}/token"}


def _sign_in(world: World, cid: str) -> dict[str, Any]:
    world.rp.cookies.delete("rp_session")
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    response = world.rp.get(world.through_idp(location))
    assert response.status_code == 303, response.text[-2000:]
    me: dict[str, Any] = world.rp.get("/api/me").json()
    return me


@pytest.mark.parametrize(("before", "after"), [("v1", "v2"), ("v2", "v1")])
def test_moving_a_connection_between_v1_and_v2_keeps_its_users(
    tls_world: World, before: str, after: str
) -> None:
    cid = tls_world.connection(before)
    first = _sign_in(tls_world, cid)
    moved = tls_world.rp.patch(f"/api/admin/connections/{cid}",
                               json=_endpoints(tls_world, after), headers=ANY_VERSION)
    assert moved.status_code == 200, moved.text
    second = _sign_in(tls_world, cid)
    assert second["issuer"] != first["issuer"]
    assert (second["id"], second["subject"]) == (first["id"], first["subject"])
    assert len(tls_world.rp.get("/api/admin/errors").json()) == 0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(str(tmp_path / "rp.db"))
    yield database
    database.close()


def _create(db: Database, issuer: str, email: str | None = None) -> int:
    return db.users.create_with_identity(
        issuer=issuer, subject=SUB, email=email, name=None, source_kind="connection",
        source_id="c1", at=AT).id


@pytest.mark.parametrize("stored", [V1, V2, f"entra:{TID}"])
def test_identities_stored_under_either_spelling_match_the_tenant_key(
    db: Database, stored: str
) -> None:
    user_id = _create(db, stored, "alice@contoso.test")
    for iss in (V1, V2):
        found = db.users.find_by_identity(issuer_key(iss, tid=TID, origin=None), SUB)
        assert found is not None and found.id == user_id


def test_the_same_sub_in_two_tenants_is_two_users(db: Database) -> None:
    _create(db, V1)
    other_v2 = f"https://login.microsoftonline.com/{OTHER_TID}/v2.0"
    other_key = issuer_key(other_v2, tid=OTHER_TID, origin=None)
    assert other_key == f"entra:{OTHER_TID}"
    assert db.users.find_by_identity(other_key, SUB) is None
    assert db.users.find_by_identity(f"entra:{OTHER_TID}", SUB) is None
    other = _create(db, other_key)
    found = db.users.find_by_identity(issuer_key(V2, tid=TID, origin=None), SUB)
    assert found is not None and found.id != other


@pytest.mark.parametrize("tid", [OTHER_TID, None], ids=["another tid", "no tid"])
def test_an_entra_issuer_whose_token_names_another_tenant_keeps_its_literal_key(
    db: Database, tid: str | None
) -> None:
    assert issuer_key(V1, tid=tid, origin=None) == V1
    _create(db, f"entra:{TID}")
    assert db.users.find_by_identity(issuer_key(V1, tid=tid, origin=None), SUB) is None


@pytest.mark.parametrize("iss", [
    "https://op.example/realms/acme",
    f"http://login.microsoftonline.com/{TID}/v2.0",
    f"https://login.microsoftonline.com/{TID}/v2.0/",
    f"https://login.microsoftonline.com/x/{TID}/v2.0",
    f"https://sts.windows.net/{TID}",
    f"https://sts.windows.net/{TID}/?x=1",
    f"https://sts.windows.net/{TID}/v1/",
    f"https://user@sts.windows.net/{TID}/",
], ids=["keycloak", "http", "trailing slash", "deeper path", "v1 without slash", "query",
        "v1 deeper", "userinfo"])
def test_other_issuers_keep_their_literal_key(db: Database, iss: str) -> None:
    assert issuer_key(iss, tid=TID, origin=None) == iss
    assert spelt_issuer_key(iss) == iss
    user_id = _create(db, iss)
    _create(db, f"entra:{TID}", "other@contoso.test")
    found = db.users.find_by_identity(iss, SUB)
    assert found is not None and found.id == user_id


def _session(db: Database, token: str, issuer: str, sid: str) -> None:
    user_id = db.users.create_with_identity(
        issuer=issuer, subject=SUB, email=None, name=None, source_kind="connection",
        source_id="c1", at=AT).id
    db.sessions.create(token, Session(
        user_id=user_id, source_kind="connection", source_id="c1", issuer=issuer, subject=SUB,
        sid=sid, platform_user_id=None, id_token="x", created_at=AT,
        expires_at=AT.replace(year=2030), sign_in_started_at=AT), replaces=None)


ENTRA_SERVED: dict[tuple[SourceKind, str], str | None] = {("connection", "c1"): None}
"""The sessions' connection, served from Entra's own hosts."""


def test_sessions_end_across_the_spellings_and_never_in_another_tenant(db: Database) -> None:
    other_v1 = f"https://sts.windows.net/{OTHER_TID}/"
    _session(db, "v2-session", V2, "sid-1")
    _session(db, "other-tenant", other_v1, "sid-1")
    _session(db, "keycloak", "https://op.example/realms/acme", "sid-1")
    assert db.sessions.end_by_sid("sid-1", issuer=spelt_issuer_key(V1),
                                  origins=ENTRA_SERVED) == 1
    assert db.sessions.get("v2-session", AT) is None
    assert db.sessions.get("other-tenant", AT) is not None
    _session(db, "v1-session", V1, "sid-2")
    assert db.sessions.end_by_subject(issuer_key(V2, tid=TID, origin=None), SUB,
                                      origins=ENTRA_SERVED) == 1
    assert db.sessions.get("v1-session", AT) is None
    assert db.sessions.get("other-tenant", AT) is not None
    assert db.sessions.get("keycloak", AT) is not None
    assert db.sessions.end_by_subject("https://op.example/realms/acme", SUB,
                                      origins=ENTRA_SERVED) == 1


def test_a_session_served_elsewhere_is_not_entra_s_tenant(db: Database) -> None:
    _session(db, "elsewhere", V1, "sid-1")
    elsewhere: dict[tuple[SourceKind, str], str | None] = {
        ("connection", "c1"): "https://login.other.test"}
    assert db.sessions.end_by_sid("sid-1", issuer=f"entra:{TID}", origins=elsewhere) == 0
    assert db.sessions.end_by_subject(f"entra:{TID}", SUB, origins={}) == 0  # no such client
    assert db.sessions.end_by_sid("sid-1", issuer=f"entra:{TID}@https://login.other.test",
                                  origins=elsewhere) == 1


def _session_sid(tmp_path: Path) -> str:
    with contextlib.closing(sqlite3.connect(tmp_path / "rp.db")) as conn:
        (sid,) = conn.execute("SELECT sid FROM sessions").fetchone()
    assert isinstance(sid, str)
    return sid


@pytest.mark.parametrize("signed_in", ["v1", "v2"])
def test_frontchannel_logout_of_either_spelling_ends_the_session(
    tls_world: World, tmp_path: Path, signed_in: str
) -> None:
    cid = tls_world.connection(signed_in)
    _sign_in(tls_world, cid)
    sid = _session_sid(tmp_path)
    other_spelling = V1 if signed_in == "v2" else f"{tls_world.base}/{TID}/v2.0"
    other_tenant = (f"https://sts.windows.net/{OTHER_TID}/" if signed_in == "v2"
                    else f"{tls_world.base}/{OTHER_TID}/v2.0")
    tls_world.rp.get("/auth/frontchannel-logout", params={"sid": sid, "iss": other_tenant})
    assert tls_world.rp.get("/api/me").status_code == 200
    # The mock is not Entra: the v1 spelling alone names Entra's tenant, not the mock's, so it
    # ends the session only on the connection's own front-channel URL.
    path = "/auth/frontchannel-logout"
    if other_spelling == V1:
        tls_world.rp.get(path, params={"sid": sid, "iss": V1})
        assert tls_world.rp.get("/api/me").status_code == 200
        path = f"{path}/{cid}"
    tls_world.rp.get(path, params={"sid": sid, "iss": other_spelling})
    assert tls_world.rp.get("/api/me").status_code == 401


def _v1_logout_token(world: World, sub: str) -> str:
    now = epoch(world.clock.now())
    claims = {
        "iss": V1, "aud": CLIENT_ID, "tid": TID, "sub": sub, "iat": now, "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    idp = cast(Starlette, world.idp.app).state.idp
    return sign(idp, claims, version="1.0", typ="logout+jwt")


def test_a_v1_logout_token_ends_a_session_signed_in_through_v2(tls_world: World) -> None:
    tls_world.connection("v1")  # the connection that validates v1 logout tokens
    me = _sign_in(tls_world, tls_world.connection("v2"))
    assert me["issuer"].endswith("/v2.0")
    response = tls_world.rp.post("/auth/backchannel-logout",
                                 data={"logout_token": _v1_logout_token(tls_world, me["subject"])})
    assert response.status_code == 200, response.text
    assert tls_world.rp.get("/api/me").status_code == 401
