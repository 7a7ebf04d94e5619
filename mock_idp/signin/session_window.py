"""How long a browser session at the provider lasts: a rolling window after its last use.

Microsoft's token-lifetime reference ("Configurable token lifetimes in the Microsoft identity
platform", single sign-on session tokens; MicrosoftDocs/azure-docs,
``articles/active-directory/develop/active-directory-configurable-token-lifetimes.md``)
describes two kinds of session token: a nonpersistent one, kept in a browser-session cookie,
and a persistent one, kept in a persistent cookie once the user chose "Stay signed in"
("Manage the 'Stay signed in?' prompt": without it the cookie "lasts for 24 hours or until the
browser is closed"). Each lasts a window after it was last used, and each use within the window
extends it by another window: 24 hours for the nonpersistent one; 90 days for the persistent
one in that page's revisions since 2020 (earlier ones said 180 days; Entra's sign-in frequency
default is likewise "a rolling window of 90 days" in "Configure authentication session
management with Conditional Access"). ``IdpConfig.session_lifetime`` and
``IdpConfig.persistent_session_lifetime`` set the two windows.

An unused session ends at the end of its window (``prompt=none`` is ``login_required``,
AADSTS50058), and the store drops it then (:class:`~mock_idp.expiry.ExpiringMap` reads the
session's ``expires_at`` again before it drops it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from ..records import Session


class Windows(Protocol):
    """The two windows (:class:`~mock_idp.config.IdpConfig` has them)."""

    @property
    def session_lifetime(self) -> timedelta: ...
    @property
    def persistent_session_lifetime(self) -> timedelta: ...


def window(config: Windows, persistent: bool) -> timedelta:
    """How long a session lasts after its last use."""
    return config.persistent_session_lifetime if persistent else config.session_lifetime


def use(config: Windows, session: Session, now: datetime) -> None:
    """``session`` signed its user in at ``now``: its window starts again from then (never
    shorter than it was)."""
    session.expires_at = max(session.expires_at, now + window(config, session.persistent))


def make_persistent(config: Windows, session: Session, persistent: bool,
                    now: datetime) -> None:
    """The answer to "Stay signed in?" (or ``POST /_mock/sessions`` ``persistent``): Yes gives
    the session the persistent window from now."""
    if persistent and not session.persistent:
        session.persistent = True
        use(config, session, now)
