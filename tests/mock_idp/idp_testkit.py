"""Helpers for driving the mock provider in-process: authorize, sign in, redeem, decode."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import jwt
from asgi_client import AppClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm

from mock_idp.config import (
    DEFAULT_DOMAIN,
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
    default_tenant,
)
from mock_idp.protocol.optional_claims import login_hint
from mock_idp.signin import ids
from mock_idp.testing import MockIdp

if TYPE_CHECKING:
    import pytest
    from playwright.sync_api import BrowserContext, Page, Request

TENANT = DEFAULT_TENANT_ID
DOMAIN = DEFAULT_DOMAIN
CLIENT_ID = REFERENCE_RP_CLIENT_ID
SECRET = REFERENCE_RP_SECRET
REDIRECT = "http://localhost:5555/auth/callback"
BASE = "http://testserver"
ALICE = "alice@contoso.onmicrosoft.com"
BOB = "bob@contoso.onmicrosoft.com"
CAROL = "carol@contoso.onmicrosoft.com"
DAVE = "dave@contoso.onmicrosoft.com"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""The ``resource`` :func:`get_code` names at v1 unless told otherwise (``resource=None``)."""
ALICE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
"""The authenticator app's secret :func:`alice_with_authenticator` gives Alice."""
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$")


def alice_with_authenticator() -> IdpConfig:
    """The default directory, with Alice holding an authenticator app (:data:`ALICE_SECRET`)."""
    tenant = default_tenant()
    users = tuple(replace(u, totp_secret=ALICE_SECRET) if u.upn == ALICE else u
                  for u in tenant.users)
    return IdpConfig(tenants=(replace(tenant, users=users),))


def config_of(html: str) -> dict[str, Any]:
    """A sign-in page's ``$Config``, cut out as saml2aws cuts it: from ``$Config=`` to
    ``//]]>``, up to the last brace."""
    start = html.index("$Config=") + len("$Config=")
    blob = html[start:html.index("//]]>", start)]
    config: dict[str, Any] = json.loads(blob[:blob.rindex("}") + 1])
    return config


def password(upn: str) -> str:
    return f"P@ssw0rd-{upn.split('@')[0]}"


def paths(tenant: str, version: str) -> dict[str, str]:
    if version == "2.0":
        return {"authorize": f"/{tenant}/oauth2/v2.0/authorize",
                "token": f"/{tenant}/oauth2/v2.0/token",
                "discovery": f"/{tenant}/v2.0/.well-known/openid-configuration",
                "keys": f"/{tenant}/discovery/v2.0/keys"}
    return {"authorize": f"/{tenant}/oauth2/authorize", "token": f"/{tenant}/oauth2/token",
            "discovery": f"/{tenant}/.well-known/openid-configuration",
            "keys": f"/{tenant}/discovery/keys"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def auth_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "openid profile email offline_access", "state": "st-1", "nonce": "n-1",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def ctx_of(html: str) -> str:
    match = re.search(r'name="ctx" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def submit(client: AppClient, page: httpx.Response, **form: str) -> httpx.Response:
    """Post the page's form with ``form`` (``loginfmt``, ``passwd``, ``account``, ``answer``)."""
    assert page.status_code in (200, 400), page.text[:300]
    return client.post(login_action(page.text), data={"ctx": ctx_of(page.text), **form})


def pick_to_sign_out(client: AppClient, page: httpx.Response, upn: str = ALICE
                     ) -> httpx.Response:
    """Answer the end-session endpoint's "Pick an account" with ``upn``'s tile (found by its
    ``data-test-id``, the UPN lowercased), as the person signing out does."""
    assert page_kind(page) == "picker", page.text[:300]
    tile = re.search(rf'{ids.TILE_ATTRIBUTE}="{re.escape(upn.lower())}"\s+data-account="([^"]+)"',
                     page.text)
    assert tile, page.text[:500]
    return submit(client, page, account=tile.group(1))


def logout_hint(client: AppClient, upn: str = ALICE, tenant: str = TENANT) -> str:
    """The ``login_hint`` claim ``upn``'s ID tokens carry: the ``logout_hint`` naming the account
    at the v2.0 end-session endpoint, which then signs it out without "Pick an account"."""
    store = client.app.state.idp.store
    directory = store.tenants[tenant]
    user = directory.find_user(upn)
    assert user is not None, upn
    return login_hint(user, directory)


_TEMPLATE = re.compile(r"<template\b.*?</template>", re.S)


def shown_html(html: str) -> str:
    """``html`` without its ``<template>`` elements: the markup the document shows (the
    username page carries the password view in one, to put it in place after Next)."""
    return _TEMPLATE.sub("", html)


def page_kind(response: httpx.Response) -> str | None:
    """Which sign-in page ``response`` is: username, password, totp ("Enter code"),
    new_password ("Update your password"), kmsi, picker, consent, need_admin ("Need admin
    approval"), or None."""
    if response.status_code not in (200, 400) or "text/html" not in response.headers.get(
            "content-type", ""):
        return None
    html = shown_html(response.text)
    if f'id="{ids.TILES}"' in html:
        return "picker"
    if f'id="{ids.KMSI_DESCRIPTION}"' in html:
        return "kmsi"
    if ids.NEED_ADMIN_HEADING in html:
        return "need_admin"
    if f'id="{ids.CODE_INPUT}"' in html:
        return "totp"
    if f'id="{ids.NEW_PASSWORD_INPUT}"' in html:
        return "new_password"
    if "/Consent/Set" in html:
        return "consent"
    if _shown_input(html, ids.PASSWORD_NAME):
        return "password"
    if _shown_input(html, ids.USERNAME_NAME):
        return "username"
    return None


def _shown_input(html: str, name: str) -> bool:
    """Whether ``html`` has an input named ``name`` that is not off-screen (the username view
    carries the password input off-screen, the password view the username input)."""
    return any(ids.OFF_SCREEN not in tag
               for tag in re.findall(rf'<input\b[^>]*\bname="{name}"[^>]*>', html))


def sign_in(client: AppClient, page: httpx.Response, upn: str = ALICE,
            secret: str | None = None, *, stay: str = "No") -> httpx.Response:
    """Answer the sign-in pages as a person would, from the username or password page: the
    username, the password, then "Stay signed in?" (``stay``). Stops at the first page that
    shows an error (and returns it), or returns the provider's answer to the app."""
    response = page
    if page_kind(response) == "username":
        response = submit(client, response, loginfmt=upn)
        if page_kind(response) != "password" or response.status_code != 200:
            return response
    if page_kind(response) == "password":
        response = submit(client, response, loginfmt=upn, passwd=secret or password(upn))
    if page_kind(response) == "kmsi":
        response = submit(client, response, answer=stay)
    return response


def consent(client: AppClient, page: httpx.Response, answer: str = "Accept") -> httpx.Response:
    assert page_kind(page) == "consent", page.text[:500]
    return submit(client, page, answer=answer)


def browser_sign_in(idp: MockIdp, auth_uri: str, redirect_uri: str, upn: str = ALICE
                    ) -> dict[str, str]:
    """What a browser does with a client library's auth URI against a running provider: sign
    in and land on the redirect URI. Returns the redirect's query parameters."""
    verify = idp.tls.client_context() if idp.tls else True
    with httpx.Client(base_url=idp.url, verify=verify, follow_redirects=False,
                      timeout=10) as browser:
        page = browser.get(auth_uri)
        assert page.status_code == 200, page.text[:300]
        response = sign_in(browser, page, upn)  # type: ignore[arg-type]
        assert response.status_code == 302, response.text[:300]
        location = urljoin(auth_uri, response.headers["location"])
        assert location.startswith(redirect_uri), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@contextmanager
def https_idp(config: IdpConfig, tls_dir: Path, monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[MockIdp]:
    """The provider over HTTPS for MSAL Python, whose ``requests`` session would take its CA
    from ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` over ``verify``: those are unset."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(config, https=True, tls_dir=tls_dir) as running:
        yield running


def type_password(page: Page, idp_url: str, upn: str = ALICE) -> None:
    """In a real browser, what login scripts for Entra do first: open a sign-in of the
    reference app and type the username and the password (``#i0116``, ``#idSIButton9``,
    ``#i0118``, ``#idSIButton9``)."""
    page.goto(f"{idp_url}/{TENANT}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": CLIENT_ID, "response_type": "code", "scope": "openid",
        "redirect_uri": "http://localhost/auth/callback", "state": "st", "nonce": "n"}))
    page.fill(f"#{ids.USERNAME_INPUT}", upn)
    page.click(f"#{ids.PRIMARY_BUTTON}")
    page.fill(f"#{ids.PASSWORD_INPUT}", password(upn))
    page.click(f"#{ids.PRIMARY_BUTTON}")


def token_requests(idp: MockIdp, version: str = "2.0") -> int:
    """How many requests the provider's token endpoint has served (from its request log)."""
    path = paths(idp.tenant_id, version)["token"]
    log = idp.http.get("/_mock/requests", params={"path": path, "limit": "2000"}).json()
    return sum(1 for entry in log["requests"] if entry["path"] == path)


def record_token_requests(context: BrowserContext, idp: MockIdp, into: list[Request]) -> None:
    """Append to ``into`` each token request (a ``POST`` to the v2.0 token endpoint) a page of
    ``context`` sends: what a single-page app redeems from the browser itself."""
    token_path = f"{urlsplit(idp.authority).path}/oauth2/v2.0/token"

    def record(request: Request) -> None:
        if urlsplit(request.url).path == token_path and request.method == "POST":
            into.append(request)

    context.on("request", record)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The parameters of an authorize redirect, from its query or fragment."""
    assert response.status_code == 302, (response.status_code, response.text[:300])
    parts = urlsplit(response.headers["location"])
    raw = parts.fragment or parts.query
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def form_post_fields(response: httpx.Response) -> dict[str, str]:
    import html as htmlmod

    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.text)
    return {name: htmlmod.unescape(value) for name, value in fields}


@dataclass
class CodeGrant:
    code: str
    verifier: str
    redirect_uri: str
    response: httpx.Response


def get_code(client: AppClient, *, tenant: str = TENANT, version: str = "2.0",
             upn: str = ALICE, **overrides: str | None) -> CodeGrant:
    """Authorize with PKCE S256, sign in (or reuse the session) and return the code."""
    verifier, challenge = pkce_pair()
    if version != "2.0":
        overrides.setdefault("resource", GRAPH_APP_ID)
    params = auth_params(code_challenge=challenge, code_challenge_method="S256", **overrides)
    response = client.get(paths(tenant, version)["authorize"], params=params)
    if response.status_code == 200:
        response = sign_in(client, response, upn)
    values = redirect_params(response)
    assert "code" in values, values
    return CodeGrant(values["code"], verifier, params.get("redirect_uri", REDIRECT), response)


def redeem(client: AppClient, grant: CodeGrant, *, tenant: str = TENANT, version: str = "2.0",
           **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
            "code": grant.code, "redirect_uri": grant.redirect_uri,
            "code_verifier": grant.verifier, **extra}
    return client.post(paths(tenant, version)["token"], data=data)


def tokens_for(client: AppClient, *, version: str = "2.0", **overrides: str | None
               ) -> dict[str, Any]:
    grant = get_code(client, version=version, **overrides)
    response = redeem(client, grant, version=version)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def claims(token: str) -> dict[str, Any]:
    out: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return out


def graph_signed(token: str) -> str:
    """A Microsoft Graph access token as its signature covers it, by the recipe people publish
    for Entra's (Microsoft Q&A 1459176): the header's ``nonce`` replaced by its SHA-256,
    base64url, and the header serialized again as compact JSON in its own order."""
    segment, rest = token.split(".", 1)
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    digest = hashlib.sha256(header["nonce"].encode()).digest()
    header["nonce"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    text = json.dumps(header, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode() + "." + rest


def verified(client: AppClient, token: str, *, audience: str | None = None,
             tenant: str = TENANT, version: str = "2.0", graph: bool = False) -> dict[str, Any]:
    """Decode ``token`` after checking its RS256 signature against the published JWKS; a
    ``graph`` token's as Graph checks it (:func:`graph_signed`)."""
    header = jwt.get_unverified_header(token)
    if graph:
        token = graph_signed(token)
    assert header["alg"] == "RS256"
    keys = client.get(paths(tenant, version)["keys"]).json()["keys"]
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    key = jwt.PyJWK.from_dict(jwk, algorithm="RS256")
    out: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=audience,
        options={"verify_aud": audience is not None, "verify_exp": False, "verify_iat": False,
                 "verify_nbf": False})
    return out


@dataclass
class Certificate:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def x5t(self) -> str:
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()

    def assertion(self, *, client_id: str = CLIENT_ID, audience: str, now: datetime,
                  header: dict[str, Any] | None = None, lifetime: int = 600,
                  **claim_overrides: Any) -> str:
        body: dict[str, Any] = {
            "aud": audience, "iss": client_id, "sub": client_id, "jti": secrets.token_hex(16),
            "nbf": int(now.timestamp()), "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + lifetime, **claim_overrides}
        headers = {"x5t": self.x5t} if header is None else header
        return jwt.encode(body, self.key, algorithm="RS256", headers=headers)


def make_certificate(common_name: str = "sso-harness test client", *,
                     not_before: datetime | None = None, not_after: datetime | None = None
                     ) -> Certificate:
    """An RSA certificate valid from a day ago for 30 days, or from ``not_before`` to
    ``not_after``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return Certificate(key, cert)


def non_rsa_certificate(kind: str = "ec", common_name: str = "not rsa") -> x509.Certificate:
    """A self-signed certificate for an EC P-256 (``kind="ec"``) or Ed25519 key."""
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else (
        ed25519.Ed25519PrivateKey.generate())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, None if kind != "ec" else hashes.SHA256()))


@functools.cache
def shared_certificate(common_name: str) -> Certificate:
    """The certificate this process makes for ``common_name`` when a test first asks for it.
    A module that made its certificates at import would have every pytest-xdist worker make
    their RSA keys (about 60 ms of CPU each) while collecting, and every run of pytest too."""
    return make_certificate(common_name)


HYBRID_CLIENT_ID = "5d1c7e3a-8f2b-4c6d-9e0a-1b2c3d4e5f60"
HYBRID_SECRET = "hyb8Q~Hybrid.App.Secret-Value-0123456789"


def hybrid_config(**overrides: Any) -> Any:
    """The default directory plus an app allowed implicit/hybrid id_token and token responses."""
    from dataclasses import replace

    from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant

    tenant = default_tenant()
    hybrid = AppConfig(
        client_id=HYBRID_CLIENT_ID, name="Hybrid app", redirect_uris=("http://localhost/cb",),
        secrets=(SecretConfig(value=HYBRID_SECRET),), allow_id_token=True,
        allow_access_token=True, app_roles=("Agent",))
    return IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, hybrid)),), **overrides)


def multi_tenant_config(audience: str = "AzureADMultipleOrgs") -> Any:
    """The default directory with the reference RP's app registered for ``audience`` (a
    multi-tenant one may sign in through ``/common`` and ``/organizations``)."""
    from dataclasses import replace

    from mock_idp.config import IdpConfig, default_tenant

    tenant = default_tenant()
    apps = tuple(replace(a, sign_in_audience=audience) if a.client_id == CLIENT_ID else a
                 for a in tenant.apps)
    return IdpConfig(tenants=(replace(tenant, apps=apps),))


FABRIKAM_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
ZED = "zed@fabrikam.onmicrosoft.com"
"""A user of Fabrikam, another organization (password ``password(ZED)``)."""


def two_organizations_config(audience: str = "AzureADMultipleOrgs") -> Any:
    """:func:`multi_tenant_config` plus Fabrikam, another organization with one user (ZED)."""
    from mock_idp.config import IdpConfig, TenantConfig, UserConfig

    fabrikam = TenantConfig(id=FABRIKAM_ID, domain="fabrikam.onmicrosoft.com", name="Fabrikam",
                            users=(UserConfig(upn=ZED, name="Zed", password=password(ZED)),))
    return IdpConfig(tenants=(*multi_tenant_config(audience).tenants, fabrikam))


ADA = "ada@fabrikam.onmicrosoft.com"
"""Fabrikam's administrator (a Global Administrator) in :func:`guarded_organizations_config`."""


def guarded_organizations_config(*, allow_user_consent: bool = False,
                                 role: str = "Global Administrator") -> Any:
    """:func:`two_organizations_config` where Fabrikam's users may not consent to apps (unless
    ``allow_user_consent``) and ADA holds ``role``."""
    from dataclasses import replace

    from mock_idp.config import IdpConfig, UserConfig

    contoso, fabrikam = two_organizations_config().tenants
    ada = UserConfig(upn=ADA, name="Ada", password=password(ADA), directory_roles=(role,))
    fabrikam = replace(fabrikam, users=(*fabrikam.users, ada),
                       allow_user_consent=allow_user_consent)
    return IdpConfig(tenants=(contoso, fabrikam))


def verify_platform_event(client: AppClient, raw: bytes, headers: dict[str, str]) -> None:
    """What a receiver does with a platform event: check its signature over the raw body with
    the published key its ``X-Hub-Ecdsa-Signature-Id`` names (raises when it does not hold)."""
    jwks = client.get("/.well-known/platform-event-keys.json").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == headers["x-hub-ecdsa-signature-id"])
    public_key = ECAlgorithm.from_jwk(jwk)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    signature = base64.b64decode(headers["x-hub-ecdsa-signature"])
    public_key.verify(signature, raw, ec.ECDSA(hashes.SHA256()))
