"""The ``claims`` request parameter (OpenID Connect Core §5.5), as far as the mock honours it.

Sources and choices:

- a value that is not a JSON object, or whose ``id_token`` / ``access_token`` / ``userinfo``
  member is not an object of claim names mapped to ``null`` or an object, is refused with
  AADSTS50117, ``invalid_request`` ("Failed to deserialize policy specified in the request's
  claim parameter", as Entra's error lookup for 50117 is quoted publicly, e.g. metricsign's
  Power BI error notes), at ``/authorize`` (back to the redirect URI) and ``/token``;
- ``id_token`` claims: each one the mock knows as an optional claim
  (:mod:`mock_idp.protocol.optional_claims`: ``login_hint``, ``sid``, ``auth_time``, ``email``,
  ``ctry``, ``xms_pl``, …) is emitted as if the app registration configured it. MSAL.js and
  msal-node 7 request ``login_hint`` and ``signin_state`` this way on every request instead of
  asking apps to configure them (AzureAD/microsoft-authentication-library-for-js pull request 8656);
- ``access_token.xms_cc.values``: the client's capabilities (``CP1``; MSAL's
  ``client_capabilities``), emitted as ``xms_cc`` where the token's registration configures
  that optional claim ("the resource server … controls the presence of this claim", optional
  claims reference);
- ``access_token.xms_cc.values`` with ``CP1`` also makes a Microsoft Graph token a
  continuous access evaluation one, which carries ``xms_cc`` (:mod:`mock_idp.protocol.cae`);
- ``access_token.nbf`` (``{"essential": true, "value": "<epoch>"}``): a CAE claims challenge
  the app passes back (MSAL's ``claims_challenge``). It is accepted and needs nothing more: every
  token the mock issues is new, and the refresh token or code behind it is checked against the
  user's revocation, account and second factor as always (AADSTS50173, 50057, 50076), so the
  request fails, or succeeds with a token Graph takes, as the event that caused the challenge
  dictates;
- ``max_age`` on the authorization request asks for ``auth_time`` as an essential claim
  (OpenID Connect Core §3.1.2.1), so it is carried the same way;
- ``access_token.acrs``: Conditional Access authentication contexts, step-up
  (:mod:`mock_idp.protocol.auth_contexts`);
- not honoured: ``signin_state``, ``capolids`` challenges (the mock has no Conditional
  Access policy ids), ``value`` / ``values`` of ID-token claims, ``userinfo`` claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import EntraError
from . import auth_contexts
from .auth_contexts import NONE_ASKED, AcrsRequest

MEMBERS = ("id_token", "access_token", "userinfo")
CLIENT_CAPABILITIES = "xms_cc"
MAX_CAPABILITIES = 10


@dataclass(frozen=True)
class ClaimsRequest:
    """What a ``claims`` parameter (and ``max_age``) asked for that the mock honours."""

    id_token: frozenset[str] = frozenset()
    """ID-token claims asked for by name."""
    client_capabilities: tuple[str, ...] = ()
    """``access_token.xms_cc.values``."""
    acrs: AcrsRequest = NONE_ASKED
    """``access_token.acrs``: authentication contexts (:mod:`.auth_contexts`)."""

    def asks(self, name: str) -> bool:
        return name in self.id_token

    def merged(self, other: ClaimsRequest) -> ClaimsRequest:
        """Both requests: a code's (from ``/authorize``) and its redemption's."""
        return ClaimsRequest(
            id_token=self.id_token | other.id_token,
            client_capabilities=tuple(dict.fromkeys(
                (*self.client_capabilities, *other.client_capabilities))),
            acrs=self.acrs.merged(other.acrs))

    def kept_by_refresh_token(self) -> ClaimsRequest:
        """What a refresh token asks again at each redemption: not the authentication
        contexts, which each request asks for itself (:mod:`.auth_contexts`)."""
        return replace(self, acrs=NONE_ASKED)

    def with_auth_time(self) -> ClaimsRequest:
        return replace(self, id_token=self.id_token | {"auth_time"})


EMPTY = ClaimsRequest()


def _refused() -> EntraError:
    return EntraError(50117, error="invalid_request", status=400)


def _claims_of(value: Any) -> Mapping[str, Any]:
    """One member's claims: an object whose values are ``null`` or objects."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            v is None or isinstance(v, dict) for v in value.values()):
        raise _refused()
    return value


def _capabilities(access: Mapping[str, Any]) -> tuple[str, ...]:
    values = (access.get(CLIENT_CAPABILITIES) or {}).get("values")
    if not isinstance(values, list):
        return ()
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and 0 < len(v) <= 64)
                 )[:MAX_CAPABILITIES]


def _not_a_number(name: str) -> float:
    """``NaN`` and ``Infinity`` are no JSON numbers (RFC 8259 section 6): Python's reader
    takes them, a JSON reader such as Entra's does not, so the parameter cannot be read, as
    a client assertion carrying one cannot (:mod:`.client_auth`)."""
    raise ValueError(f"{name} is not a JSON number")


def parse(raw: str | None) -> ClaimsRequest:
    """The ``claims`` parameter's request; AADSTS50117 when it cannot be read."""
    if raw is None or not raw.strip():
        return EMPTY
    try:
        value = json.loads(raw, parse_constant=_not_a_number)
    except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
        raise _refused() from None
    if not isinstance(value, dict):
        raise _refused()
    members = {name: _claims_of(value.get(name)) for name in MEMBERS}
    return ClaimsRequest(id_token=frozenset(members["id_token"]),
                         client_capabilities=_capabilities(members["access_token"]),
                         acrs=auth_contexts.parse(members["access_token"]))
