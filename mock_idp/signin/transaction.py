"""The transaction a sign-in page's ``ctx`` names: what the sign-in (or sign-out) has settled
so far, kept between its pages (:mod:`mock_idp.endpoints.pages`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..protocol.authorization import AuthRequest

Kind = Literal["authorize", "device", "logout", "adminconsent"]


@dataclass(frozen=True)
class Transaction:
    """A sign-in (or sign-out) in progress; each page posts back the ``ctx`` that names it."""

    kind: Kind
    tenant_id: str
    """The tenant whose directory signs the user in: the app's tenant, or for a multi-tenant
    app reached through an alias, the user's own once they are known."""
    created: datetime
    request: AuthRequest | None = None
    device_code: str | None = None
    alias: bool = False
    """A device-code sign-in started through ``/common`` or ``/organizations`` (an
    authorization request's ``tenant`` says so for its own)."""
    consumers: bool = False
    """The sign-in is at ``/consumers`` (personal Microsoft accounts only), which signs no one
    in: the mock has no personal accounts (:func:`mock_idp.signin.flow.personal_account_step`)."""
    logout_params: tuple[tuple[str, str], ...] = ()
    session_id: str | None = None
    """Set once the user is known (signed in or picked)."""
    consent_shown: bool = False
    confirmed: bool = False
    """For a device sign-in: the user confirmed the app on "Are you trying to sign in?"."""
    persistent: bool = field(default=False)
    """The answer to "Stay signed in?" (a persistent session cookie)."""
    new_session: bool = False
    """The session started in this transaction; its cookie is still to be set."""
    pending_user: str | None = None
    """A user who gave the right password and owes what ``awaiting`` names."""
    awaiting: Literal["code", "new_password"] | None = None
    """"Enter code" (an authenticator app's code) or "Update your password"."""
    code_given: bool = False
    """The pending user gave their authenticator app's code (the session is then ``mfa``)."""
    wrong_codes: int = 0
    """Wrong codes typed on "Enter code" so far; at :data:`MAX_WRONG_CODES` the sign-in ends."""
    code_proven: bool = False
    """The code was checked by script (``/common/SAS/EndAuth``): "Enter code"'s post asks none."""
    step_up_session: str | None = None
    """The pending user's existing session, which took no code and asks for it now; it is
    ``session_id`` only once the code is given, so no other page can go on without it."""

    @property
    def prompt(self) -> str | None:
        return self.request.prompt if self.request is not None else None
