"""The authorization-code exchange: RFC 6749 §4.1.3-§4.1.4 with PKCE (RFC 7636 §4.5).

https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3

Client authentication by secret (§2.3.1): ``client_secret_basic`` sends
``Basic base64(urlencode(client_id) ":" urlencode(client_secret))`` (both form-urlencoded first,
as §2.3.1 requires), ``client_secret_post`` sends both in the form body. Error bodies (§5.2, and
Entra's with ``AADSTSnnnn`` codes) become :class:`~relying_party.oidc.errors.IdpError`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx

from ..inputs import ascii_digits, escape_invisible
from ._http import DEFAULT_TIMEOUT, json_object, send
from .errors import TokenEndpointError, idp_error_from_body

__all__ = [
    "ClientAuthMethod",
    "ClientCredentials",
    "TokenRequest",
    "TokenResponse",
    "basic_authorization",
    "build_code_exchange",
    "exchange_code",
    "parse_token_response",
]

ClientAuthMethod = Literal["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True, kw_only=True)
class ClientCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    auth_method: ClientAuthMethod = "client_secret_post"


@dataclass(frozen=True, kw_only=True)
class TokenRequest:
    """A ready-to-send token request: POST ``form`` to ``url`` with ``headers``."""

    url: str
    form: Mapping[str, str] = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class TokenResponse:
    """A successful token response (§5.1 / OIDC Core §3.1.3.3)."""

    access_token: str = field(repr=False)
    id_token: str = field(repr=False)
    token_type: str
    expires_in: int | None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The ``Authorization`` header value for ``client_secret_basic`` (RFC 6749 §2.3.1)."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def build_code_exchange(
    token_endpoint: str,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    credentials: ClientCredentials,
) -> TokenRequest:
    """The ``grant_type=authorization_code`` request, with the exact ``redirect_uri`` sent to
    the authorization endpoint and the PKCE ``code_verifier``."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    headers = {"Accept": "application/json"}
    if credentials.auth_method == "client_secret_basic":
        headers["Authorization"] = basic_authorization(
            credentials.client_id, credentials.client_secret
        )
    elif credentials.auth_method == "client_secret_post":
        form["client_id"] = credentials.client_id
        form["client_secret"] = credentials.client_secret
    else:
        raise ValueError(f"unsupported client authentication {credentials.auth_method!r}")
    return TokenRequest(
        url=token_endpoint, form=MappingProxyType(form), headers=MappingProxyType(headers)
    )


def parse_token_response(status_code: int, body: Mapping[str, Any] | None) -> TokenResponse:
    """A success response, or raise ``IdpError`` (OAuth error body) / ``TokenEndpointError``."""
    if body is not None and status_code != 200 and isinstance(body.get("error"), str):
        raise idp_error_from_body(body, status_code=status_code)
    if status_code != 200:
        raise TokenEndpointError(f"token endpoint answered HTTP {status_code} without an error")
    if body is None:
        raise TokenEndpointError("token endpoint did not return a JSON object")
    for name in ("access_token", "id_token", "token_type"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise TokenEndpointError(f"token response lacks {name!r}")
    if body["token_type"].lower() != "bearer":
        raise TokenEndpointError(f"unexpected token_type {body['token_type']!r}")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, str) and ascii_digits(expires_in):
        # Entra v1 sends numbers as strings; other digits ("²") or a number past int()'s
        # reach are no expiry to read, as a value of another type is not
        expires_in = int(expires_in)
    refresh, scope = body.get("refresh_token"), body.get("scope")
    return TokenResponse(
        access_token=body["access_token"],
        id_token=body["id_token"],
        token_type=body["token_type"],
        expires_in=expires_in if isinstance(expires_in, int) else None,
        refresh_token=refresh if isinstance(refresh, str) else None,
        scope=scope if isinstance(scope, str) else None,
        raw=MappingProxyType(dict(body)),
    )


async def exchange_code(
    client: httpx.AsyncClient,
    request: TokenRequest,
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> TokenResponse:
    """POST the token request. Raises ``IdpTimeout`` / ``IdpUnreachable``, ``IdpError`` (with
    ``ClientSecretExpired`` for AADSTS7000222 and ``ClientSecretInvalid`` for 7000215) or
    ``TokenEndpointError``."""
    response = await send(
        client,
        "POST",
        request.url,
        endpoint="token",
        timeout=timeout,
        headers=request.headers,
        data=request.form,
    )
    if 300 <= response.status_code < 400:
        raise _redirected(response)
    return parse_token_response(response.status_code, json_object(response))


_MAX_LOCATION_SHOWN = 300


def _redirected(response: httpx.Response) -> TokenEndpointError:
    """A token endpoint's redirect, for the administrator to act on: it is never followed, as
    following it would send the code and the client secret to an address nobody entered."""
    location = response.headers.get("location", "")
    try:
        target = str(response.request.url.join(location)) if location else ""
    except (httpx.InvalidURL, ValueError):
        target = location
    if len(target) > _MAX_LOCATION_SHOWN:
        target = target[:_MAX_LOCATION_SHOWN] + "…"
    answered = f"token endpoint answered HTTP {response.status_code}"
    if not target:
        return TokenEndpointError(f"{answered} without a Location")
    error = TokenEndpointError(f"{answered}, a redirect to {target!r}", admin_hint=(
        f"The Token URL redirects to {escape_invisible(target)}, and this app does not follow "
        "a redirect with the client secret. If that is the provider's token endpoint, enter "
        "that URL as the Token URL; if the Token URL is not the token endpoint at all (a "
        "sign-in page redirects so), enter the token endpoint."))
    error.redirect_to = escape_invisible(target)
    return error
