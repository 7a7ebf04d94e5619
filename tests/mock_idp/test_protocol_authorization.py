"""The authorize request pipeline (``mock_idp.protocol.authorization``), without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_idp.config import IdpConfig
from mock_idp.errors import EntraError
from mock_idp.protocol import authorization
from mock_idp.protocol.authorization import PageError, RedirectError, parse
from mock_idp.store import Store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
REDIRECT = "http://localhost/auth/callback"


@pytest.fixture
def store() -> Store:
    return Store.from_config(IdpConfig.default(), NOW)


def _params(**overrides: str) -> dict[str, str]:
    return {"client_id": CLIENT, "response_type": "code", "redirect_uri": REDIRECT,
            "scope": "openid profile", "state": "s", **overrides}


def test_a_valid_request(store: Store) -> None:
    req = parse(store, TENANT, "2.0", _params(code_challenge="c" * 43, code_challenge_method="S256",
                                              client_info="1", max_age="30"))
    assert req.client_id == CLIENT and req.app_tenant_id == TENANT
    assert req.response_mode == "query" and req.wants_code and not req.wants_id_token
    assert req.scopes == ("openid", "profile") and req.client_info and req.max_age == 30


@pytest.mark.parametrize("segment", ["common", "organizations", "COMMON"])
def test_common_finds_a_multi_tenant_app_in_its_home_tenant(store: Store, segment: str) -> None:
    store.tenants[TENANT].apps[CLIENT].sign_in_audience = "AzureADMultipleOrgs"
    req = parse(store, segment, "2.0", _params())
    assert req.tenant is None and req.app_tenant_id == TENANT


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_a_single_tenant_app_through_common_is_50194_on_the_page(store: Store,
                                                                  segment: str) -> None:
    with pytest.raises(PageError) as info:
        parse(store, segment, "1.0", _params())
    assert info.value.code == 50194
    assert f"Application '{CLIENT}'(Reference relying party)" in info.value.description_head


def test_missing_redirect_uri_picks_the_first_registered(store: Store) -> None:
    params = _params()
    del params["redirect_uri"]
    assert parse(store, TENANT, "2.0", params).redirect_uri == REDIRECT


@pytest.mark.parametrize("sent", [True, False], ids=["a redirect URI sent", "none sent"])
def test_a_registration_without_redirect_uris_is_500113_even_when_one_is_sent(
        store: Store, sent: bool) -> None:
    """Entra says "No reply address is registered" for a registration with none, not that
    the one sent does not match (AADSTS50011)."""
    app = store.tenants[TENANT].apps[CLIENT]
    app.redirect_uris.clear()
    assert not app.all_redirect_uris()
    params = _params()
    if not sent:
        del params["redirect_uri"]
    with pytest.raises(PageError) as info:
        parse(store, TENANT, "2.0", params)
    assert info.value.code == 500113


@pytest.mark.parametrize(("uri", "refused"), [
    ("http://app.example/auth/callback", True),
    ("http://rp:8000/auth/callback", True),
    ("https://app.example/auth/callback", False),
    ("http://127.0.0.1:8000/auth/callback", False),
    ("http://[::1]:8000/auth/callback", False),
    ("myapp://auth", False),
])
def test_plain_http_off_loopback_is_500117_even_when_registered(store: Store, uri: str,
                                                                 refused: bool) -> None:
    store.tenants[TENANT].apps[CLIENT].redirect_uris.append(uri)
    if not refused:
        assert parse(store, TENANT, "2.0", _params(redirect_uri=uri)).redirect_uri == uri
        return
    with pytest.raises(PageError) as info:
        parse(store, TENANT, "1.0", _params(redirect_uri=uri))
    assert info.value.code == 500117


@pytest.mark.parametrize("params, code", [
    ({"client_id": "00000000-0000-0000-0000-000000000001"}, 700016),
    ({"client_id": ""}, 900144),
    ({"redirect_uri": "https://evil.example/cb"}, 50011),
    ({"redirect_uri": "x" * 5000}, 50011),
])
def test_client_errors_are_page_errors(store: Store, params: dict[str, str], code: int) -> None:
    with pytest.raises(PageError) as info:
        parse(store, TENANT, "2.0", _params(**params))
    assert info.value.code == code


@pytest.mark.parametrize("segment, code", [("bad_segment", 900023),
                                           ("fabrikam.example.com", 90002)])
def test_tenant_errors(store: Store, segment: str, code: int) -> None:
    with pytest.raises(EntraError) as info:
        parse(store, segment, "2.0", _params())
    assert info.value.code == code


def test_an_empty_prompt_is_no_prompt(store: Store) -> None:
    # omniauth-azure-activedirectory-v2 2.0 sends a bare ``prompt`` on every sign-in
    # (RFC 6749 section 3.1: a parameter without a value is treated as omitted).
    assert parse(store, TENANT, "2.0", _params(prompt="")).prompt is None


@pytest.mark.parametrize("params, code", [
    ({"response_type": ""}, 900144),
    ({"response_type": "id_token"}, 700054),
    ({"response_type": "token"}, 700051),
    ({"scope": ""}, 900144),
    ({"prompt": "bogus"}, 90023),
    ({"prompt": "consent select_account"}, 90023),
    ({"code_challenge_method": "S512", "code_challenge": "c"}, 900144),
    ({"code_challenge_method": "S256"}, 900144),
    ({"max_age": "-5"}, 90014),
    ({"max_age": "²"}, 90014),
    ({"max_age": "١٢"}, 90014),
    ({"response_mode": "web_message"}, 900144),
])
def test_other_errors_are_redirected(store: Store, params: dict[str, str], code: int) -> None:
    with pytest.raises(RedirectError) as info:
        parse(store, TENANT, "2.0", _params(**params))
    assert info.value.error.code == code
    assert info.value.request.redirect_uri == REDIRECT
    assert info.value.request.state == "s"


def test_v1_needs_no_scope(store: Store) -> None:
    assert parse(store, TENANT, "1.0", _params(scope="")).scopes == ()


def test_checks_run_in_a_fixed_order() -> None:
    names = [c.__name__ for c in authorization.CHECKS]
    assert names.index("_response_type") < names.index("_nonce")
