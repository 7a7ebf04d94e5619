"""The ``xms_edov`` optional claim: whether Entra vouches for the domain of the ``email`` claim.

Optional claims reference (learn.microsoft.com/entra/identity-platform/optional-claims-reference):
a boolean, true when the address's domain is verified by the tenant the account resides in, and
only in a token that carries ``email``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mock_idp.config import IdpConfig
from mock_idp.directory import OptionalClaim, OptionalClaims
from mock_idp.protocol import claims
from mock_idp.store import Store, User

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
BASE = "https://login.mock.test"


@pytest.fixture
def store() -> Store:
    return Store.from_config(IdpConfig.default(), NOW)


def _alice(store: Store, email: str | None) -> User:
    user = store.tenants[TENANT].find_user("alice@contoso.onmicrosoft.com")
    assert user is not None
    user.email = email
    return user


def _id_token(store: Store, user: User, version: str = "2.0") -> dict[str, object]:
    tenant = store.tenants[TENANT]
    subject = claims.Subject(BASE, tenant, tenant.apps[CLIENT], user, version, NOW)
    return claims.id_token_claims(subject, scopes=("openid", "profile", "email"),
                                  lifetime=timedelta(hours=1), nonce=None, session_id=None,
                                  auth_time=None)


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_an_address_in_the_tenants_domain_is_vouched_for(store: Store, version: str) -> None:
    out = _id_token(store, _alice(store, "Alice@Contoso.onmicrosoft.com"), version)
    assert out["email"] == "Alice@Contoso.onmicrosoft.com" and out["xms_edov"] is True


@pytest.mark.parametrize("email", ["bob@fabrikam.onmicrosoft.com", "alice@gmail.example",
                                   "alice@evil.contoso.onmicrosoft.com"])
def test_an_address_in_another_domain_is_not(store: Store, email: str) -> None:
    out = _id_token(store, _alice(store, email))
    assert out["email"] == email and out["xms_edov"] is False


def test_no_claim_without_an_email_claim(store: Store) -> None:
    app = store.tenants[TENANT].apps[CLIENT]
    app.optional_claims = OptionalClaims(id_token=(OptionalClaim(name="xms_edov"),))
    # a v1 ID token carries ``email`` only as an optional claim, which is not configured now
    out = _id_token(store, _alice(store, "alice@contoso.onmicrosoft.com"), "1.0")
    assert "email" not in out and "xms_edov" not in out
    assert "xms_edov" not in _id_token(store, _alice(store, None))


def test_only_an_app_that_asks_for_it_gets_it(store: Store) -> None:
    app = store.tenants[TENANT].apps[CLIENT]
    app.optional_claims = OptionalClaims(id_token=(OptionalClaim(name="email"),))
    out = _id_token(store, _alice(store, "alice@contoso.onmicrosoft.com"))
    assert out["email"] and "xms_edov" not in out


def test_a_guest_without_a_home_account_here_is_not_vouched_for(store: Store) -> None:
    user = _alice(store, "alice@contoso.onmicrosoft.com")
    user.user_type = "Guest"
    assert _id_token(store, user)["xms_edov"] is False
