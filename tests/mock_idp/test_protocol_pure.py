"""The small pure protocol modules: PKCE, redirect URI matching, tenants, discovery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_idp.config import IdpConfig
from mock_idp.errors import EntraError
from mock_idp.protocol import discovery, pkce, redirect, resources, tenants
from mock_idp.store import Store

TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REGISTERED = ["http://localhost/auth/callback", "https://app.example/cb",
              "https://app.example"]


def test_pkce_s256_rfc7636_appendix_b() -> None:
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.s256(VERIFIER) == challenge
    assert pkce.verify(challenge, "S256", VERIFIER)
    assert not pkce.verify(challenge, "S256", VERIFIER[:-1] + "x")


def test_pkce_plain_is_the_default_method() -> None:
    assert pkce.verify(VERIFIER, None, VERIFIER) and pkce.verify(VERIFIER, "plain", VERIFIER)
    assert not pkce.verify(VERIFIER, "plain", VERIFIER + "x")


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "é" * 50, "a b" * 20, ""])
def test_pkce_rejects_malformed_verifiers(verifier: str) -> None:
    assert not pkce.verify(verifier, "plain", verifier)


@pytest.mark.parametrize("uri, ok", [
    ("http://localhost/auth/callback", True),
    ("http://localhost:8080/auth/callback", True),
    ("http://LOCALHOST:1/auth/callback", True),
    ("http://localhost/auth/callback/", False),
    ("http://localhost/auth/other", False),
    ("https://localhost/auth/callback", False),
    ("https://app.example/cb", True),
    ("https://app.example:8443/cb", False),
    ("https://app.example/", True),
    ("https://app.example/cb#frag", False),
    ("http://[::1", False),
    ("", False),
])
def test_redirect_uri_matching(uri: str, ok: bool) -> None:
    assert redirect.matches(uri, REGISTERED) is ok


@pytest.fixture
def store() -> Store:
    return Store.from_config(IdpConfig.default(), datetime(2026, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize("segment", [TENANT, TENANT.upper(), "contoso.onmicrosoft.com",
                                     "CONTOSO.onmicrosoft.com"])
def test_tenant_resolution(store: Store, segment: str) -> None:
    tenant = tenants.resolve(store, segment)
    assert tenant is not None and tenant.id == TENANT


@pytest.mark.parametrize("segment", ["common", "organizations", "consumers", "Common"])
def test_multi_tenant_aliases(store: Store, segment: str) -> None:
    assert tenants.resolve(store, segment) is None


@pytest.mark.parametrize("segment, code", [
    ("nope", 900023), ("under_score", 900023), ("6f2c1a9e3b7d4e58a1c492d0b7e5f318", 900023),
    ("00000000-0000-0000-0000-000000000000", 90002), ("fabrikam.com", 90002),
])
def test_tenant_errors(store: Store, segment: str, code: int) -> None:
    with pytest.raises(EntraError) as info:
        tenants.resolve(store, segment)
    assert info.value.code == code


def test_instance_discovery_answer() -> None:
    base = "https://127.0.0.1:8443"
    answer = discovery.instance_discovery(
        base, f"{base}/contoso.onmicrosoft.com/oauth2/v2.0/authorize", "1.0")
    assert answer is not None
    assert answer["tenant_discovery_endpoint"] == (
        f"{base}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert answer["api-version"] == "1.0"
    assert discovery.instance_discovery(base, "https://elsewhere/x/oauth2/v2.0/authorize",
                                        "1.1") is None
    assert discovery.instance_discovery(base, "http://[::1", "1.1") is None


def test_documents_name_the_tenant_guid() -> None:
    doc = discovery.v2_document("https://h", "contoso.com", tenant_id=TENANT, region="EU")
    assert doc["token_endpoint"] == f"https://h/{TENANT}/oauth2/v2.0/token"
    assert doc["tenant_region_scope"] == "EU"
    doc = discovery.v1_document("https://h", "common", tenant_id=None, region=None)
    assert doc["issuer"] == "https://sts.windows.net/{tenantid}/"


# --- resources and the scope Entra echoes ---------------------------------------------------

def _directory_with_api() -> Store:
    from dataclasses import replace

    from mock_idp.config import AppConfig, default_tenant

    tenant = default_tenant()
    api = AppConfig(client_id="9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c", name="API",
                    identifier_uris=("api://orders",))
    config = IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, api)),))
    return Store.from_config(config, datetime(2026, 1, 1, tzinfo=UTC))


def test_resources_graph_by_bare_name_uri_or_default() -> None:
    tenant = _directory_with_api().tenants[TENANT]
    for scopes in (("User.Read",), ("https://graph.microsoft.com/Mail.Read",), ("openid",),
                   ("https://graph.microsoft.com/.default",)):
        assert resources.resolve(tenant, scopes).is_graph, scopes
    asked = ("openid", "Mail.Read", "https://graph.microsoft.com/User.Read", "offline_access")
    names = resources.granted(resources.GRAPH, asked)
    assert names == ("Mail.Read", "User.Read")
    assert resources.echoed_scope(resources.GRAPH, names, asked) == (
        "Mail.Read https://graph.microsoft.com/User.Read profile openid email")
    assert resources.echoed_scope(resources.GRAPH, names, ("User.Read",)) == "User.Read Mail.Read"
    # ``.default`` is what was granted on Graph; a request naming no Graph permission gets
    # ``User.Read``.
    held = ("User.Read", "Mail.Read")
    assert resources.granted(resources.GRAPH, ("https://graph.microsoft.com/.default",),
                             held) == held
    assert resources.granted(resources.GRAPH, ("openid", "profile"), held) == ("User.Read",)
    assert resources.granted(resources.GRAPH, ("openid",), held,
                             resource="https://graph.microsoft.com") == held


def test_resources_an_api_by_identifier_uri_or_app_id() -> None:
    tenant = _directory_with_api().tenants[TENANT]
    by_uri = resources.resolve(tenant, ("openid", "api://orders/Orders.Read", "email"))
    assert not by_uri.is_graph and by_uri.token_version == "1.0"
    assert by_uri.audience == "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"
    names = resources.granted(by_uri, ("openid", "api://orders/Orders.Read", "email"))
    assert resources.echoed_scope(by_uri, names, ("openid",)) == "api://orders/Orders.Read"
    by_id = resources.find(tenant, "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c")
    assert by_id.audience == by_uri.audience
    # ``.default`` (or v1's ``resource``) is what was granted on the API: nothing, when
    # nothing was.
    assert resources.granted(by_uri, ("api://orders/.default",), ("Orders.Read",)) == (
        "Orders.Read",)
    assert resources.granted(by_uri, ("api://orders/.default",)) == ()
    assert resources.granted(by_uri, (), ("Orders.Read",), resource="api://orders") == (
        "Orders.Read",)


GRAPH_URI = "https://graph.microsoft.com"


@pytest.mark.parametrize(("asked", "names", "echoed"), [
    (("User.Read", "openid", "profile", "offline_access"), ("User.Read",),
     "User.Read profile openid email"),
    ((f"{GRAPH_URI}/user.read", "openid", "offline_access"), ("User.Read",),
     f"profile openid email {GRAPH_URI}/User.Read"),
    ((f"{GRAPH_URI}/User.Read",), ("User.Read",), f"{GRAPH_URI}/User.Read"),
    # ``.default``: what it stood for, then itself; Graph's brings the OpenID Connect scopes
    # unasked (a refresh for ``.default offline_access``).
    ((f"{GRAPH_URI}/.default", "offline_access"), ("User.Read", "Mail.Read"),
     f"profile openid email {GRAPH_URI}/User.Read {GRAPH_URI}/Mail.Read {GRAPH_URI}/.default"),
    (("00000003-0000-0000-c000-000000000000/.default",), ("User.Read",),
     "profile openid email 00000003-0000-0000-c000-000000000000/User.Read "
     "00000003-0000-0000-c000-000000000000/.default"),
    (("openid", "profile"), ("User.Read",), "User.Read profile openid email"),
], ids=["short", "uri", "uri-without-openid", "default", "default-by-app-id", "openid-alone"])
def test_resources_graphs_echo_keeps_the_form_asked(asked: tuple[str, ...],
                                                     names: tuple[str, ...], echoed: str) -> None:
    assert resources.echoed_scope(resources.GRAPH, names, asked) == echoed


def test_resources_an_apis_echo_keeps_the_prefix_asked() -> None:
    tenant = _directory_with_api().tenants[TENANT]
    api = resources.resolve(tenant, ("api://orders/.default",))
    assert resources.echoed_scope(api, ("Orders.Read",), ("api://orders/.default", "openid")) == (
        "api://orders/Orders.Read api://orders/.default")
    # ARM's form in Azure CLI: the resource with its slash, then ``/.default``.
    slash = resources.resolve(tenant, ("api://orders//.default",))
    assert resources.echoed_scope(slash, ("user_impersonation",), ("api://orders//.default",)) == (
        "api://orders//user_impersonation api://orders//.default")
    by_id = resources.resolve(tenant, ("9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c/Orders.Read",))
    assert resources.echoed_scope(by_id, ("Orders.Read",), (
        "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c/Orders.Read",)) == (
        "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c/Orders.Read")


@pytest.mark.parametrize(("requested", "version"), [(None, "1.0"), (1, "1.0"), (2, "2.0")])
def test_resources_an_apis_token_version_is_what_its_registration_asks(
        requested: int | None, version: str) -> None:
    # Entra's default (null) is v1, whichever endpoint the client called.
    api = _directory_with_api().tenants[TENANT].apps["9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"]
    api.requested_access_token_version = requested
    assert resources.api_version(api) == version


@pytest.mark.parametrize(("requested", "scopes", "resource", "aud"), [
    (None, ("api://orders/Orders.Read",), None, "api://orders"),
    (None, ("9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c/.default",), None,
     "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"),
    (None, (), "api://orders", "api://orders"),
    (2, ("api://orders/Orders.Read",), None, "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"),
    (None, ("User.Read",), None, "00000003-0000-0000-c000-000000000000"),
    (None, ("https://graph.microsoft.com/.default",), None, "https://graph.microsoft.com"),
    (None, (), "https://graph.microsoft.com/", "https://graph.microsoft.com/"),
    (None, ("HTTPS://Graph.Microsoft.com/User.Read",), None, "https://graph.microsoft.com"),
], ids=["v1 by uri", "v1 by app id", "v1 resource", "v2", "graph bare", "graph url",
        "graph resource", "graph url in another case"])
def test_resources_a_v1_tokens_aud_is_the_resource_as_named(
        requested: int | None, scopes: tuple[str, ...], resource: str | None, aud: str) -> None:
    tenant = _directory_with_api().tenants[TENANT]
    tenant.apps["9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"].requested_access_token_version = requested
    assert resources.resolve(tenant, scopes, resource).token_audience == aud


def test_resources_unknown_resource_is_500011() -> None:
    tenant = _directory_with_api().tenants[TENANT]
    with pytest.raises(EntraError) as caught:
        resources.resolve(tenant, ("api://nobody/read",))
    assert caught.value.code == 500011
