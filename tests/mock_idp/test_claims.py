"""Entra claim sets (``mock_idp.protocol.claims``) as pure functions."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from mock_idp.config import IdpConfig
from mock_idp.directory import OptionalClaims
from mock_idp.protocol import claims
from mock_idp.store import Store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
BASE = "https://login.mock.test"


@pytest.fixture
def store() -> Store:
    return Store.from_config(IdpConfig.default(), NOW)


def _subject(store: Store, version: str, upn: str | None = "alice@contoso.onmicrosoft.com"
             ) -> claims.Subject:
    tenant = store.tenants[TENANT]
    user = tenant.find_user(upn) if upn else None
    return claims.Subject(BASE, tenant, tenant.apps[CLIENT], user, version, NOW)


def test_v2_id_token(store: Store) -> None:
    s = _subject(store, "2.0")
    out = claims.id_token_claims(s, scopes=("openid", "profile", "email"),
                                 lifetime=timedelta(hours=1), nonce="n", session_id="sid-1",
                                 auth_time=NOW)
    assert out["iss"] == f"{BASE}/{TENANT}/v2.0" and out["aud"] == CLIENT
    assert out["ver"] == "2.0" and out["tid"] == TENANT and out["oid"] == s.user.id  # type: ignore[union-attr]
    # dated five minutes before its issue, as Entra dates its ID tokens; exp an hour after it
    assert out["iat"] == out["nbf"] == int(NOW.timestamp()) - 300
    assert out["exp"] == int(NOW.timestamp()) + 3600
    assert out["preferred_username"] == "alice@contoso.onmicrosoft.com"
    assert out["email"] == "alice@contoso.onmicrosoft.com"
    assert out["nonce"] == "n" and out["sid"] == "sid-1"
    assert out["auth_time"] == int(NOW.timestamp())
    assert out["roles"] == ["Agent"] and len(out["groups"]) == 1
    for absent in ("upn", "unique_name", "amr", "c_hash", "at_hash"):
        assert absent not in out


def test_v1_id_token(store: Store) -> None:
    out = claims.id_token_claims(_subject(store, "1.0"), scopes=(), lifetime=timedelta(hours=1),
                                 nonce=None, session_id=None, auth_time=None)
    assert out["iss"] == f"https://sts.windows.net/{TENANT}/" and out["ver"] == "1.0"
    assert out["upn"] == out["unique_name"] == "alice@contoso.onmicrosoft.com"
    assert out["amr"] == ["pwd"]
    assert "preferred_username" not in out and "nonce" not in out and "sid" not in out
    # as a v2 one: the docs' sample v1 ID token has exp - iat = 3900 s
    assert out["iat"] == out["nbf"] == int(NOW.timestamp()) - 300
    assert out["exp"] - out["iat"] == 3900


def test_front_channel_hashes(store: Store) -> None:
    out = claims.id_token_claims(_subject(store, "2.0"), scopes=("openid",),
                                 lifetime=timedelta(hours=1), nonce="n", session_id=None,
                                 auth_time=None, code="the-code", access_token="the-token")
    for name, value in (("c_hash", "the-code"), ("at_hash", "the-token")):
        digest = hashlib.sha256(value.encode()).digest()[:16]
        assert out[name] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_profile_and_email_follow_scopes(store: Store) -> None:
    subject = _subject(store, "2.0")
    subject.app.optional_claims = OptionalClaims()  # (the default one asks for ``email``)
    out = claims.id_token_claims(subject, scopes=("openid",),
                                 lifetime=timedelta(hours=1), nonce=None, session_id=None,
                                 auth_time=None)
    assert "preferred_username" not in out and "email" not in out and "name" not in out
    assert "oid" not in out and out["sub"] and out["tid"] == TENANT


def test_uti_and_sub_shapes(store: Store) -> None:
    assert len({claims.uti() for _ in range(50)}) == 50
    assert all(len(claims.uti()) == 22 for _ in range(10))
    sub = claims.pairwise_sub("user", CLIENT)
    assert len(sub) == 43 and sub != claims.pairwise_sub("user", "other")
    assert sub == claims.pairwise_sub("user", CLIENT)


def test_client_info(store: Store) -> None:
    tenant = store.tenants[TENANT]
    user = tenant.find_user("bob@contoso.onmicrosoft.com")
    assert user is not None
    raw = claims.client_info(user, tenant)
    assert "=" not in raw
    assert json.loads(base64.urlsafe_b64decode(raw + "==")) == {"uid": user.id, "utid": TENANT}


@pytest.mark.parametrize("version, client_key, acr_key", [("1.0", "appid", "appidacr"),
                                                          ("2.0", "azp", "azpacr")])
def test_access_tokens(store: Store, version: str, client_key: str, acr_key: str) -> None:
    out = claims.access_token_claims(_subject(store, "2.0"), audience="aud", scopes=("User.Read",),
                                     lifetime=timedelta(minutes=75), client_auth="1",
                                     token_version=version)
    assert out[client_key] == CLIENT and out[acr_key] == "1" and out["ver"] == version
    assert out["scp"] == "User.Read" and out["exp"] == int(NOW.timestamp()) + 75 * 60
    # dated five minutes before its issue, as Entra dates its access tokens
    assert out["iat"] == out["nbf"] == int(NOW.timestamp()) - 300
    app_only = claims.access_token_claims(_subject(store, "2.0", None), audience="aud",
                                          scopes=(), lifetime=timedelta(minutes=75),
                                          client_auth="2", token_version=version, app_only=True)
    assert app_only["idtyp"] == "app" and "scp" not in app_only
    assert app_only["sub"] == app_only["oid"]


def test_scope_helpers() -> None:
    assert claims.split_scopes(" openid  profile openid ") == ("openid", "profile")
    assert claims.split_scopes(None) == ()
    assert claims.resource_scopes(("openid", "offline_access", "User.Read")) == ("User.Read",)
    assert claims.issuer(BASE, TENANT, "2.0") == f"{BASE}/{TENANT}/v2.0"
    assert claims.issuer(BASE, TENANT, "1.0") == f"https://sts.windows.net/{TENANT}/"
