"""Continuous access evaluation (CAE): long-lived Microsoft Graph tokens for a client that can
take a claims challenge, and the challenge Graph sends when a critical event makes one stale.

Sources (Microsoft Learn unless named):

- a client declares it can handle claims challenges with the client capability ``CP1``
  (``access_token.xms_cc.values`` in the ``claims`` parameter, MSAL's ``client_capabilities``);
  only then does Microsoft Graph send it claims challenges (claims-challenge), and a resource
  that implements CAE gets CAE tokens for such a client (app-resilience-continuous-access-
  evaluation). Entra took ``cp1`` in lower case too (BloodHoundAD/BARK #2), so the mock compares
  without case. The token carries the declared capabilities in ``xms_cc`` and lives up to 28
  hours (:mod:`mock_idp.protocol.token_lifetimes`); a client without ``CP1`` keeps ordinary
  tokens, valid until they expire whatever happens to the user. App-only tokens are never CAE
  tokens: Entra's CAE for workload identities (concept-continuous-access-evaluation-workload)
  needs a single-tenant app declaring ``cp1``, a Workload Identities Premium licence and a
  Conditional Access policy, which the mock does not model;
- the critical events a CAE resource enforces: the user's sessions revoked by an administrator,
  the password changed or reset, the account disabled or deleted, multifactor authentication
  enabled for the user (concept-continuous-access-evaluation; Entra's "Build resilience by using
  Continuous Access Evaluation" lists them). In the mock: ``tokens_valid_from`` (Graph's
  ``revokeSignInSessions``, an administrator's reset, a deletion), the user's own password
  change (``password_changed_at``), ``accountEnabled`` false, a user no longer in the tenant,
  and an authenticator app registered (``authenticator_registered_at``; a guest's is its home
  account's). Each is an event, not a state: a token issued before the event (its ``iat`` is
  five minutes before its issue: ``access_token_issued``), to the
  second as the challenge names it, is refused; one issued in the same second, or later, still
  passes, with or without ``mfa`` in its ``amr``, whatever the tenant asks at sign-in (Entra's
  resilience article lists "MFA enabled for the user" among the events that revoke tokens
  issued before it, not a condition every later token must meet);
- the refusal: HTTP 401 with Graph's ``WWW-Authenticate`` challenge plus ``error=
  "insufficient_claims"`` and ``claims``, the base64 of ``{"access_token":{"nbf":{"essential":
  true, "value":"<epoch>"}}}`` (the claims-challenge article's format; the header exactly as
  Graph sends it, with ``client_id``, in the CAE tests of Azure SDKs and Kiota's request
  adapters), and Graph's error ``InvalidAuthenticationToken`` "Continuous access evaluation
  resulted in challenge with result: InteractionRequired and code:
  TokenIssuedBeforeRevocationTimestamp" (microsoftgraph/msgraph-sdk-powershell #1741 after
  revokeSignInSessions, msgraph-sdk-java #2306 for the wording). No source gives the code for
  the other events, so the mock names them all so;
- the app then asks for a token with the decoded challenge as its ``claims`` (MSAL:
  ``claims_challenge``, which skips the token cache); the token endpoint accepts that request
  (:mod:`mock_idp.protocol.claims_request`) and decides as for any refresh: a revoked refresh
  token is AADSTS50173, a disabled user AADSTS50057, a missing second factor AADSTS50076, so the
  user signs in again, and the new token passes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import epoch
from ..guest_home import account_of
from ..store import User
from .claims import access_token_issued

CAPABILITY = "cp1"
AUTHORIZATION_URI = "https://login.microsoftonline.com/common/oauth2/authorize"
GRAPH_CLIENT_ID = "00000003-0000-0000-c000-000000000000"
MESSAGE = ("Continuous access evaluation resulted in challenge with result: InteractionRequired "
           "and code: TokenIssuedBeforeRevocationTimestamp")


def declares_cp1(capabilities: Iterable[object]) -> bool:
    return any(isinstance(c, str) and c.lower() == CAPABILITY for c in capabilities)


def capable(resource_is_graph: bool, capabilities: Iterable[str]) -> bool:
    """Whether a user's token is a CAE token: for Microsoft Graph, to a client declaring CP1."""
    return resource_is_graph and declares_cp1(capabilities)


def is_cae_token(claims: dict[str, Any]) -> bool:
    """A user's token whose ``xms_cc`` declares CP1."""
    declared = claims.get("xms_cc")
    return isinstance(declared, list) and declares_cp1(declared)


@dataclass(frozen=True)
class Challenge:
    """Why a CAE token is refused: the instant its replacement must not predate."""

    not_before: int

    @property
    def claims(self) -> str:
        """The claims request the challenge carries, as JSON."""
        return f'{{"access_token":{{"nbf":{{"essential":true, "value":"{self.not_before}"}}}}}}'

    @property
    def header(self) -> str:
        encoded = base64.b64encode(self.claims.encode()).decode("ascii")
        return (f'Bearer realm="", authorization_uri="{AUTHORIZATION_URI}", '
                f'client_id="{GRAPH_CLIENT_ID}", error="insufficient_claims", '
                f'claims="{encoded}"')


def _latest(*instants: datetime | None) -> datetime | None:
    known = [i for i in instants if i is not None]
    return max(known) if known else None


def challenge(claims: dict[str, Any], user: User | None, now: datetime) -> Challenge | None:
    """The claims challenge for a verified Graph token, or ``None`` when it may be used: only a
    CAE token is challenged, for a user gone or disabled, one whose token predates a
    revocation, a password change or an authenticator app registered."""
    if not is_cae_token(claims):
        return None
    if user is None or not user.enabled:
        return Challenge(epoch(now))
    issued = claims.get("iat")
    event = _latest(user.tokens_valid_from, user.password_changed_at,
                    account_of(user).authenticator_registered_at)
    if (event is not None and isinstance(issued, int)
            and access_token_issued(issued) < epoch(event)):
        return Challenge(epoch(event))
    return None

