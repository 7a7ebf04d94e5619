"""The device authorization grant (RFC 8628) as Entra answers it.

Facts and sources:

- the device authorization response: ``device_code``, ``user_code``, ``verification_uri`` (v2) or
  ``verification_url`` (v1), ``expires_in`` (900), ``interval`` (5) and ``message``, "To sign in,
  use a web browser to open the page … and enter the code … to authenticate." (Microsoft identity
  platform, "OAuth 2.0 device authorization grant"; a v2 response quoted in Microsoft Q&A
  question 981553); v1 serves the numbers as strings, as its token endpoint does;
- ``authorization_pending`` is AADSTS70016, "The provided request has not yet been authorized by
  the user. The user must input their code." (the token response quoted in Q&A 981553);
- ``expired_token`` is AADSTS70020, "The provided value for the input parameter 'device_code' is
  not valid. This device code has expired." (Azure/azure-cli#22251, MicrosoftDocs/azure-docs#92366);
- ``bad_verification_code`` is AADSTS70018 (BadVerificationCode) and a user code entered after
  it expired AADSTS70019 (CodeExpired), per the AADSTS error-code reference;
- ``authorization_declined``: named by the device-code documentation ("the end user denied the
  authorization request") without a code; the mock sends AADSTS65004 (UserDeclinedConsent), which
  clients written against Entra also see there; not confirmed against a live tenant;
- a device code polled again once its tokens were issued is ``invalid_grant``: MSAL's Android
  library names that case so ("The token was polled again after it was already received", its
  ``ErrorStrings.DEVICE_CODE_FLOW_INVALID_GRANT_ERROR_MESSAGE``, in
  AzureAD/microsoft-authentication-library-common-for-android). Its AADSTS number is not known:
  the mock sends AADSTS70000 (InvalidGrant) with a message of its own, for as long as it would
  still say an expired code expired (:data:`mock_idp.store.EXPIRED_KEPT` past its expiry);
- no ``slow_down``: RFC 8628 §3.5 allows it, but Entra's device-code documentation lists only
  ``authorization_pending``, ``authorization_declined``, ``bad_verification_code`` and
  ``expired_token``, and msal-node (``DeviceCodeClient``) treats any other error as final, so a
  poll sooner than ``interval`` is answered like any other (the mock's clock may be frozen).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..errors import EntraError
from ..store import EXPIRED_KEPT
from .users import revoked

if TYPE_CHECKING:
    from ..store import Store

@dataclass
class DeviceAuthorization:
    """A device-code sign-in (RFC 8628): polled with ``device_code``, approved in a browser
    at ``/devicelogin`` with ``user_code``."""

    device_code: str
    user_code: str
    tenant_id: str
    """The tenant the device polls in: the app's (or the one the request named), and once the
    user approves, the one they signed in at, which issues the tokens."""
    client_id: str
    scopes: tuple[str, ...]
    resource: str | None
    version: str
    issued_at: datetime
    expires_at: datetime
    interval: int
    status: Literal["pending", "approved", "declined", "redeemed"] = "pending"
    user_id: str | None = None
    session_id: str | None = None
    auth_time: datetime | None = None
    revoked_at: datetime | None = None
    """Approved, then the user's grants were revoked before the device redeemed it."""
    alias: bool = False
    """Started through ``/common`` or ``/organizations``: a multi-tenant app's user of another
    organization signs in at their own tenant, as in the authorization-code flow (Azure CLI's
    ``az login --use-device-code`` starts there: Azure/azure-cli #22251)."""
    consumers: bool = False
    """Issued at ``/consumers``: only a personal account may approve it, and the mock has none."""


GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
REDEEMED = ("The device code was already redeemed: its tokens were issued to an earlier poll. "
            "Start the device code flow again for new ones.")
"""AADSTS70000's message for a device code polled again (Entra's own wording is not known)."""
USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
USER_CODE_LENGTH = 9
MAX_RECORDS = 5000


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def new_device_code() -> str:
    return "DAQABAAEAAA" + secrets.token_urlsafe(96)


def issue(store: Store, *, tenant_id: str, client_id: str, scopes: tuple[str, ...],
          resource: str | None, version: str, now: datetime, lifetime: timedelta,
          interval: int, alias: bool = False,
          consumers: bool = False) -> DeviceAuthorization:
    """A new pending device authorization, stored (expired ones are dropped first)."""
    forget_expired(store, now)
    taken = {r.user_code for r in store.device_codes.values()}
    user_code = new_user_code()
    while user_code in taken:
        user_code = new_user_code()
    record = DeviceAuthorization(
        device_code=new_device_code(), user_code=user_code, tenant_id=tenant_id,
        client_id=client_id, scopes=scopes, resource=resource, version=version, issued_at=now,
        expires_at=now + lifetime, interval=interval, alias=alias,
        consumers=consumers)
    store.device_codes[record.device_code] = record
    return record


def forget_expired(store: Store, now: datetime) -> None:
    """Make room under ``MAX_RECORDS``: first the codes past their end, oldest first, then the
    oldest live ones. Below the cap an expired code stays until the store drops it,
    :data:`~mock_idp.store.EXPIRED_KEPT` past its expiry, so that its device polling late is
    told ``expired_token`` (and one redeemed that it was), whatever other devices started
    meanwhile."""
    excess = len(store.device_codes) - MAX_RECORDS + 1
    if excess <= 0:
        return
    codes = store.device_codes.items()
    ended = [c for c, r in codes if r.expires_at <= now]
    live = [c for c, r in codes if r.expires_at > now]
    for code in [*ended, *live][:excess]:
        store.device_codes.pop(code, None)


def response_body(record: DeviceAuthorization, verification_uri: str, now: datetime
                  ) -> dict[str, Any]:
    """The device authorization response, with v1's member names and string numbers."""
    expires_in = int((record.expires_at - now).total_seconds())
    message = (f"To sign in, use a web browser to open the page {verification_uri} and enter "
               f"the code {record.user_code} to authenticate.")
    if record.version == "1.0":
        return {"user_code": record.user_code, "device_code": record.device_code,
                "verification_url": verification_uri, "expires_in": str(expires_in),
                "interval": str(record.interval), "message": message}
    return {"user_code": record.user_code, "device_code": record.device_code,
            "verification_uri": verification_uri, "expires_in": expires_in,
            "interval": record.interval, "message": message}


def normalise_user_code(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()[:64]


def find_for_user(store: Store, user_code: str, now: datetime) -> DeviceAuthorization:
    """The pending device authorization a user typed the code of, or AADSTS70018 (unknown,
    already used) / AADSTS70019 (expired). Compared as UTF-8, as anything may be typed
    (``compare_digest`` takes only ASCII in a ``str``)."""
    wanted = normalise_user_code(user_code).encode()
    record = next((r for r in store.device_codes.values()
                   if secrets.compare_digest(r.user_code.encode(), wanted)), None
                  ) if wanted else None
    if record is None or record.status != "pending":
        raise EntraError(70018)
    if now >= record.expires_at:
        raise EntraError(70019)
    return record


@dataclass(frozen=True)
class Approved:
    """What the token endpoint needs to issue tokens for an approved device code."""

    user_id: str
    session_id: str | None
    auth_time: datetime | None
    scopes: tuple[str, ...]
    resource: str | None


def poll(store: Store, device_code: str, *, tenant_id: str, client_id: str, now: datetime,
         record: DeviceAuthorization | None = None) -> Approved:
    """One poll of the token endpoint (RFC 8628 §3.4); raises Entra's error while the
    user has not finished, and uses the code up once they have: it is kept, marked redeemed,
    so that a later poll is ``invalid_grant``. ``record`` is the code's, when the caller has
    read it already (else it is read here). A code that ends is removed with ``pop``: a move
    of the clock back on another thread may have dropped it since it was read
    (:meth:`mock_idp.state.IdpState.drop_ended`)."""
    if record is None:
        record = store.device_codes.get(device_code)
    if record is not None and record.status == "redeemed" and \
            now >= record.expires_at + EXPIRED_KEPT:  # due to be dropped: forgotten
        store.device_codes.pop(device_code, None)
        record = None
    if record is None or record.client_id != client_id or record.tenant_id != tenant_id:
        raise EntraError(70018, error="bad_verification_code")
    if record.status == "redeemed":
        raise EntraError(70000, text=REDEEMED)
    if now >= record.expires_at:
        store.device_codes.pop(device_code, None)
        raise EntraError(70020, error="expired_token")
    if record.status == "declined":
        store.device_codes.pop(device_code, None)
        raise EntraError(65004, error="authorization_declined")
    if record.status != "approved" or record.user_id is None:
        raise EntraError(70016)
    if record.revoked_at is not None:
        store.device_codes.pop(device_code, None)
        raise revoked(record.auth_time or record.issued_at, record.revoked_at)
    record.status = "redeemed"  # kept, to say so to a device that polls again
    return Approved(user_id=record.user_id, session_id=record.session_id,
                    auth_time=record.auth_time, scopes=record.scopes, resource=record.resource)
