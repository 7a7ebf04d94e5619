"""A connection's client-secret health: what the admin page and the admin API say of it.

Two sources, the later one winning where they disagree:

- The end date the admin entered. Entra's secret ends at an instant (Graph's
  ``passwordCredential.endDateTime``, in UTC: learn.microsoft.com/graph/api/resources/
  passwordcredential), which the portal's "Certificates & secrets" lists as a date; only the
  date is stored, so on that day the secret may stop working at any moment. It counts as
  expired from the start of its end date (UTC), when sign-in may already be refused, never
  as "expires in 0 days".
- The provider's last answer to the secret (:attr:`Connection.secret_refused_code`): a token
  request refused as AADSTS7000222 (expired) or 7000215 (wrong value) says the secret does
  not work whatever date was typed, until a new secret is saved or a sign-in succeeds. A
  sign-in with the current secret that succeeded on a day after its end date says the
  opposite: the date on record is wrong, and the secret is not expired
  (:attr:`Health.secret_accepted_after_end_date`) until the provider refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .db import Connection, Database, ErrorRecord
from .oidc.errors import LoginError
from .provider import ClientConfig

SECRET_EXPIRED = "AADSTS7000222"
SECRET_INVALID = "AADSTS7000215"
REFUSALS = (SECRET_EXPIRED, SECRET_INVALID)
"""The provider's codes that refuse the client secret itself."""


@dataclass(frozen=True, kw_only=True)
class Health:
    days_until_secret_expiry: int
    """Days from today (UTC) to the end date: 0 on the end date, negative after it."""
    secret_expired: bool
    """From the end date on, or since the provider refused the secret as expired; not while
    :attr:`secret_accepted_after_end_date`."""
    secret_accepted_after_end_date: bool
    """The end date is past, yet a sign-in with this secret succeeded on a later day, and the
    provider has not refused it since: the date on record is not the secret's."""
    secret_invalid: bool
    """Since the provider refused the secret as wrong (AADSTS7000215)."""
    secret_warning: bool
    secret_refused_code: str | None
    secret_refused_at: datetime | None
    secret_saved_at: datetime
    last_login_at: datetime | None
    """The connection's last successful sign-in, whatever secret it sent."""
    secret_accepted_at: datetime | None
    """The last successful sign-in that sent the current secret."""
    recent_errors: tuple[ErrorRecord, ...]
    errors_before_secret: frozenset[str]
    """The references of ``recent_errors`` that are not the current secret's: of a sign-in
    that sent an earlier secret (:attr:`ErrorRecord.secret_saved_at`), however late its
    refusal came, or, where that is not known, logged before the current secret was saved."""


def health(
    connection: Connection, *, today: date, errors: tuple[ErrorRecord, ...], warning_days: int
) -> Health:
    days = (connection.secret_expires_on - today).days
    refused = connection.secret_refused_code
    since = connection.secret_since
    last = connection.secret_accepted_at
    # A sign-in with this secret succeeded (it clears a refusal) on a day after the end date
    # (on the end date itself the secret may end later that day); not one that sent an
    # earlier secret, however late it finished.
    accepted = (days < 0 and refused is None and last is not None and last >= since
                and last.date() > connection.secret_expires_on)
    return Health(
        days_until_secret_expiry=days,
        secret_expired=(days <= 0 and not accepted) or refused == SECRET_EXPIRED,
        secret_accepted_after_end_date=accepted,
        secret_invalid=refused == SECRET_INVALID,
        secret_warning=days < warning_days,
        secret_refused_code=refused,
        secret_refused_at=connection.secret_refused_at,
        secret_saved_at=since,
        last_login_at=connection.last_login_at,
        secret_accepted_at=last,
        recent_errors=errors,
        errors_before_secret=frozenset(e.ref for e in errors if _before(e, since)),
    )


def _before(error: ErrorRecord, since: datetime) -> bool:
    """Whether ``error`` is of a secret saved before ``since``."""
    return (error.secret_saved_at or error.created_at) < since


def note_refused_secret(db: Database, client: ClientConfig, error: LoginError,
                        at: datetime) -> None:
    """Keep the token endpoint's refusal of a connection's secret (:data:`REFUSALS`), for the
    secret that was sent."""
    aadsts = getattr(error, "aadsts", None)
    code = f"AADSTS{aadsts}" if isinstance(aadsts, int) else None
    if client.source_kind == "connection" and code in REFUSALS:
        db.connections.record_secret_refused(client.source_id, client.client_secret, code, at)
