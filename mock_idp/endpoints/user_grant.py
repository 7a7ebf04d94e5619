"""What a user grant at the token endpoint resolved to (:mod:`mock_idp.endpoints.token`): who,
for which scopes, and what the tokens issued for it carry over from the sign-in."""

from __future__ import annotations

from datetime import datetime

from ..protocol.claims_request import EMPTY, ClaimsRequest
from ..store import User


class UserGrant:
    """What a grant resolved to: who, for which app, which scopes."""

    def __init__(self, user: User | None, scopes: tuple[str, ...], *, nonce: str | None = None,
                 session_id: str | None = None, auth_time: datetime | None = None,
                 resource: str | None = None, spa_refresh_end: datetime | None = None,
                 granted: tuple[str, ...] | None = None, mfa: bool = False,
                 claims: ClaimsRequest = EMPTY) -> None:
        self.user = user
        self.claims = claims
        """What the code's authorization request asked through ``claims`` and ``max_age``."""
        self.mfa = mfa
        """The sign-in behind the grant took a second factor (v1 tokens' ``amr``)."""
        self.scopes = scopes
        self.granted = scopes if granted is None else granted
        """What a refresh token from this grant may later be redeemed for: everything the
        code or refresh token held, not only the resource this redemption asked."""
        self.nonce = nonce
        self.session_id = session_id
        self.auth_time = auth_time
        self.resource = resource
        self.spa_refresh_end = spa_refresh_end
        """For a single-page app: when its refresh tokens end (``None`` for a new sign-in,
        whose refresh token gets the full 24 hours)."""
