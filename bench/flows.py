"""The client's side of one login round trip, for each provider under test.

A flow is: authorize (the user already known to the provider) -> a code in the redirect ->
the code exchanged at the token endpoint -> the ID token's RS256 signature, audience, issuer
and nonce checked with pyjwt against the provider's JWKS (fetched once). Each provider reaches
"the user already known" its own way:

- ``mock_idp``: an IdP session cookie, obtained once per client by posting the sign-in form;
  authorize then answers at once with a redirect (automatic login).
- ``oauth2-mock-server``: authorize always redirects back with a code at once.
- ``oidc-provider-mock``: the authorize form is posted with ``sub`` (it keeps no session).

``starlette-baseline`` (:mod:`bench.baseline_app`) answers the same two requests with fixed
values and signs nothing; its flow checks the redirect and the token response only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from .wire import Connection, Reply

TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
CLIENT_SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"
USER = "alice@contoso.onmicrosoft.com"
PASSWORD = "P@ssw0rd-alice"
REDIRECT_URI = "http://127.0.0.1/auth/callback"
SCOPE = "openid profile email"

PROVIDERS = ("mock_idp", "oauth2-mock-server", "oidc-provider-mock", "starlette-baseline")


class FlowError(RuntimeError):
    """A round trip that did not end with a verified ID token."""


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_params(response: Reply, expected_state: str) -> dict[str, str]:
    """The query of an authorize redirect back to the client; checks status and state."""
    if response.status_code not in (302, 303):
        raise FlowError(f"authorize answered {response.status_code}, not a redirect: "
                        f"{response.text[:200]!r}")
    location = response.location
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if "code" not in params:
        raise FlowError(f"no code in the redirect: {location[:300]}")
    if params.get("state") != expected_state:
        raise FlowError(f"state {params.get('state')!r} came back, not {expected_state!r}")
    return params


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorize: str
    token: str
    keys: dict[str, jwt.PyJWK]

    @classmethod
    def discover(cls, http: httpx.Client, discovery_url: str) -> Endpoints:
        doc = http.get(discovery_url).raise_for_status().json()
        jwks = http.get(doc["jwks_uri"]).raise_for_status().json()
        keys = {k["kid"]: jwt.PyJWK(k, algorithm="RS256") for k in jwks["keys"]
                if k.get("kty") == "RSA"}
        return cls(issuer=doc["issuer"], authorize=doc["authorization_endpoint"],
                   token=doc["token_endpoint"], keys=keys)

    def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        kid = unverified_kid(id_token)
        key = self.keys.get(kid) if kid else next(iter(self.keys.values()), None)
        if key is None:
            raise FlowError(f"ID token signed with unknown key {kid!r}")
        claims: dict[str, Any] = jwt.decode(id_token, key, algorithms=["RS256"],
                                            audience=CLIENT_ID, issuer=self.issuer)
        if claims.get("nonce") != nonce:
            raise FlowError(f"nonce {claims.get('nonce')!r} in the ID token, not {nonce!r}")
        return claims


def unverified_kid(token: str) -> str | None:
    """The header's ``kid``, read directly: ``jwt.decode`` checks the header again anyway, and
    parsing it twice with pyjwt doubles the client's cost per flow."""
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError as exc:
        raise FlowError(f"ID token header is not base64url JSON: {exc}") from exc
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


class Flow(Protocol):
    def setup(self, http: httpx.Client) -> None:
        """Once per client, not timed: whatever makes the user known to the provider (the
        cookies ``http`` keeps are then sent by the client's :class:`Connection`)."""

    def run(self, wire: Connection) -> None:
        """One timed login round trip; raises :class:`FlowError` when it goes wrong."""


def _token_response(response: Reply) -> dict[str, Any]:
    if response.status_code != 200:
        raise FlowError(f"token answered {response.status_code}: {response.text[:300]!r}")
    body: dict[str, Any] = response.json()
    if "id_token" not in body or "access_token" not in body:
        raise FlowError(f"token response without tokens: {sorted(body)}")
    return body


class MockIdpFlow:
    """Authorize with the IdP session cookie, code, token with secret and PKCE, verify."""

    def __init__(self, base_url: str, endpoints: Endpoints) -> None:
        self.base_url = base_url
        self.endpoints = endpoints

    def _authorize_params(self) -> tuple[dict[str, str], str, str, str]:
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        params = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
                  "scope": SCOPE, "state": state, "nonce": nonce, "code_challenge": challenge,
                  "code_challenge_method": "S256", "response_mode": "query"}
        return params, verifier, state, nonce

    def _redemption(self, code: str, verifier: str) -> dict[str, str]:
        return {"grant_type": "authorization_code", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier, "scope": SCOPE}

    def setup(self, http: httpx.Client) -> None:
        params, verifier, state, nonce = self._authorize_params()
        page = http.get(self.endpoints.authorize, params=params)
        found = re.search(r'name="ctx" value="([^"]+)"', page.text)
        if page.status_code != 200 or found is None:
            raise FlowError(f"no sign-in page at authorize ({page.status_code})")
        kmsi = http.post(f"{self.base_url}/{TENANT_ID}/login", data={
            "ctx": found.group(1), "loginfmt": USER, "passwd": PASSWORD})
        found = re.search(r'name="ctx" value="([^"]+)"', kmsi.text)
        if kmsi.status_code != 200 or found is None:
            raise FlowError(f"no 'Stay signed in?' page after the password ({kmsi.status_code})")
        signed_in = http.post(f"{self.base_url}/kmsi", data={"ctx": found.group(1),
                                                             "answer": "No"})
        code = redirect_params(Reply.of(signed_in), state)["code"]
        if not http.cookies:
            raise FlowError("signing in set no session cookie")
        tokens = http.post(self.endpoints.token, data=self._redemption(code, verifier))
        self.endpoints.verify(_token_response(Reply.of(tokens))["id_token"], nonce=nonce)

    def run(self, wire: Connection) -> None:
        params, verifier, state, nonce = self._authorize_params()
        code = redirect_params(wire.get(self.endpoints.authorize, params=params), state)["code"]
        body = _token_response(wire.post(self.endpoints.token,
                                         data=self._redemption(code, verifier)))
        self.endpoints.verify(body["id_token"], nonce=nonce)


class OAuth2MockServerFlow:
    """``oauth2-mock-server``: GET /authorize redirects with a code; POST /token; verify."""

    def __init__(self, base_url: str, endpoints: Endpoints) -> None:
        self.endpoints = endpoints

    def setup(self, http: httpx.Client) -> None:
        """Nothing: the provider needs no session."""

    def run(self, wire: Connection) -> None:
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        response = wire.get(self.endpoints.authorize, params={
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
            "scope": SCOPE, "state": state, "nonce": nonce, "code_challenge": challenge,
            "code_challenge_method": "S256"})
        code = redirect_params(response, state)["code"]
        body = _token_response(wire.post(self.endpoints.token, data={
            "grant_type": "authorization_code", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}))
        self.endpoints.verify(body["id_token"], nonce=nonce)


class OidcProviderMockFlow:
    """``oidc-provider-mock``: POST the authorize form with ``sub``; token with basic auth.

    It implements no PKCE, so its flows carry none.
    """

    def __init__(self, base_url: str, endpoints: Endpoints) -> None:
        self.endpoints = endpoints

    def setup(self, http: httpx.Client) -> None:
        """Nothing: the provider needs no session."""

    def run(self, wire: Connection) -> None:
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        response = wire.post(self.endpoints.authorize, params={
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
            "scope": SCOPE, "state": state, "nonce": nonce}, data={"sub": USER})
        code = redirect_params(response, state)["code"]
        body = _token_response(wire.post(
            self.endpoints.token, auth=(CLIENT_ID, CLIENT_SECRET), data={
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": REDIRECT_URI}))
        self.endpoints.verify(body["id_token"], nonce=nonce)


class BaselineFlow:
    """``starlette-baseline``: the same two requests, nothing signed and nothing verified."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def setup(self, http: httpx.Client) -> None:
        """Nothing: the provider needs no session."""

    def run(self, wire: Connection) -> None:
        state = secrets.token_urlsafe(12)
        response = wire.get(f"{self.base_url}/authorize", params={
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
            "scope": SCOPE, "state": state, "nonce": secrets.token_urlsafe(12)})
        code = redirect_params(response, state)["code"]
        _token_response(wire.post(f"{self.base_url}/token", data={
            "grant_type": "authorization_code", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "code": code, "redirect_uri": REDIRECT_URI}))


def discovery_url(provider: str, base_url: str) -> str:
    if provider == "mock_idp":
        return f"{base_url}/{TENANT_ID}/v2.0/.well-known/openid-configuration"
    return f"{base_url}/.well-known/openid-configuration"


def make_flow(provider: str, base_url: str, http: httpx.Client) -> Flow:
    """Discover the provider (and fetch its JWKS) once; return its flow."""
    if provider == "starlette-baseline":
        return BaselineFlow(base_url)
    endpoints = Endpoints.discover(http, discovery_url(provider, base_url))
    if provider == "mock_idp":
        return MockIdpFlow(base_url, endpoints)
    if provider == "oauth2-mock-server":
        return OAuth2MockServerFlow(base_url, endpoints)
    if provider == "oidc-provider-mock":
        return OidcProviderMockFlow(base_url, endpoints)
    raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
