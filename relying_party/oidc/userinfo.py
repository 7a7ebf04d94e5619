"""The UserInfo request: OpenID Connect Core 1.0 §5.3.

https://openid.net/specs/openid-connect-core-1_0.html#UserInfo

The access token goes in the ``Authorization: Bearer`` header (RFC 6750 §2.1), never in the query
string. The response's ``sub`` must equal the ID token's (§5.3.2) before any claim is used.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import httpx

from ._http import DEFAULT_TIMEOUT, json_object, send
from .errors import UserinfoFailed, UserinfoSubMismatch

__all__ = ["check_userinfo_sub", "fetch_userinfo"]


async def fetch_userinfo(
    client: httpx.AsyncClient,
    userinfo_endpoint: str,
    access_token: str,
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """GET the UserInfo claims. Raises ``IdpTimeout`` / ``IdpUnreachable`` or
    :class:`UserinfoFailed` (non-200, or not a JSON object: signed UserInfo is not supported)."""
    response = await send(
        client,
        "GET",
        userinfo_endpoint,
        endpoint="userinfo",
        timeout=timeout,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    if response.status_code != 200:
        challenge = response.headers.get("WWW-Authenticate", "")
        raise UserinfoFailed(f"userinfo answered HTTP {response.status_code} {challenge}".strip())
    claims = json_object(response)
    if claims is None:
        raise UserinfoFailed("userinfo did not return a JSON object")
    return claims


def check_userinfo_sub(userinfo: Mapping[str, Any], id_token_sub: str) -> None:
    """Core §5.3.2: the UserInfo ``sub`` must exactly equal the ID token's ``sub``."""
    sub = userinfo.get("sub")
    if not isinstance(sub, str) or not hmac.compare_digest(
        sub.encode("utf-8"), id_token_sub.encode("utf-8")
    ):
        raise UserinfoSubMismatch(f"userinfo sub {sub!r} != id_token sub {id_token_sub!r}")
