"""The protocol records a sign-in leaves: the IdP session behind automatic login, the
authorization codes and the refresh tokens. :class:`~mock_idp.store.Store` keeps them, each
dropped as the provider's clock passes its lifetime."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from .protocol.claims_request import EMPTY, ClaimsRequest


@dataclass
class Session:
    """An IdP browser session (the cookie behind automatic login)."""

    id: str
    tenant_id: str
    user_id: str
    auth_time: datetime
    expires_at: datetime
    """The end of its window: extended by each use (:mod:`mock_idp.signin.session_window`)."""
    apps: dict[str, datetime] = field(default_factory=dict)
    active: bool = True
    mfa: bool = False
    persistent: bool = False
    """Named by the persistent cookie ("Stay signed in?" answered Yes): the longer window."""
    versions: dict[str, str] = field(default_factory=dict)
    """The endpoint version (``1.0`` or ``2.0``) of the latest sign-in to each app, whose
    logout notifications name that version's issuer; ``2.0`` where none is recorded."""
    cookie: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False,
                        compare=False)
    """The opaque value that names this session in a browser's cookies, unrelated to ``id``
    (which tokens and reports show as ``sid`` and ``session_state``): knowing the ``sid``
    signs no one in. Only the store's :attr:`~mock_idp.store.Store.session_cookies` binds it
    to the session, for as long as the session lasts."""


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    tenant_id: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    session_id: str
    auth_time: datetime
    expires_at: datetime
    version: str
    resource: str | None = None
    spa: bool = False
    """Sent to a single-page-application redirect URI: redeemed only cross-origin."""
    mfa: bool = False
    revoked_at: datetime | None = None
    """When the user's grants were revoked before the code was redeemed (AADSTS50173)."""
    claims: ClaimsRequest = EMPTY
    """What the authorization request asked through ``claims`` and ``max_age``."""


@dataclass(frozen=True)
class RefreshToken:
    token: str
    tenant_id: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    session_id: str | None
    version: str
    resource: str | None = None
    spa: bool = False
    """Issued to a single-page app: redeemed only cross-origin, and ``expires_at`` is fixed
    for the whole chain of refreshed tokens."""
    mfa: bool = False
    public: bool = False
    """Issued to a public client (no client credential), whose tokens a user's own password
    change revokes; a confidential client's outlive it (Entra's refresh-token reference)."""
    revoked_at: datetime | None = None
    """When the grant was revoked (sessions revoked, a password changed or reset): presenting
    it then gets AADSTS50173, however close the two instants (a frozen clock)."""
    auth_time: datetime | None = None
    """When the user signed in for the grant, kept for the ID tokens it is redeemed for."""
    claims: ClaimsRequest = EMPTY
    """What its sign-in asked through ``claims`` and ``max_age``, asked again at each redemption
    (a refreshed ID token keeps ``auth_time``, OpenID Connect Core §12.2)."""
