"""How long an access token lives, as Entra decides it.

Sources:

- a user's access token (delegated: authorization code, refresh token, on-behalf-of, device
  code, password grant, the implicit flow) lives a random time between 60 and 90 minutes, 75 on
  average (the "Token lifetime" section of https://learn.microsoft.com/entra/identity-platform/
  access-tokens; quoted in MicrosoftDocs/azure-docs #103150). The mock draws it from the
  provider's injected random source (``IdpConfig.lifetime_random``), in whole seconds, so that a
  test seeds it (or stubs ``randint``) and ``expires_in`` is exactly ``exp`` less the issue
  (``iat`` plus :data:`~mock_idp.protocol.claims.TOKEN_BACKDATE`);
- an app-only token (client credentials) answers ``expires_in`` 3599, as the successful
  response in the client credentials flow's reference shows (https://learn.microsoft.com/
  entra/identity-platform/v2-oauth2-client-creds-grant-flow);
- a client that declares the ``CP1`` capability (continuous access evaluation,
  :mod:`mock_idp.protocol.cae`) gets tokens for a CAE-capable resource (Microsoft Graph) that
  live "up to 28 hours" (https://learn.microsoft.com/entra/identity-platform/
  app-resilience-continuous-access-evaluation); those seen in practice were "about 24 hours"
  (BloodHoundAD/BARK #2, microsoftgraph/msgraph-sdk-powershell #517), so the mock draws between
  24 and 28 hours.

``ext_expires_in`` (the extended lifetime for an outage of the token service) is the same as
``expires_in`` in every response the mock gives.
"""

from __future__ import annotations

from datetime import timedelta
from random import Random

USER_TOKEN_LIFETIME = (timedelta(minutes=60), timedelta(minutes=90))
APP_TOKEN_LIFETIME = timedelta(seconds=3599)
CAE_TOKEN_LIFETIME = (timedelta(hours=24), timedelta(hours=28))


def bounds_of(value: object) -> tuple[timedelta, timedelta]:
    """``access_token_lifetime`` as given: a ``(shortest, longest)`` pair, or one ``timedelta``
    for a fixed lifetime (the field's type before lifetimes were drawn); ``ValueError`` for
    anything else, a lifetime that is not positive, or bounds the wrong way round."""
    if isinstance(value, timedelta):
        value = (value, value)
    if not (isinstance(value, tuple | list) and len(value) == 2
            and all(isinstance(v, timedelta) for v in value)):
        raise ValueError(f"must be a timedelta or a (shortest, longest) pair of timedeltas, "
                         f"not {value!r}")
    low, high = value
    if low.total_seconds() < 1:
        raise ValueError(f"the shortest lifetime must be a second or more, not {low}")
    if high < low:
        raise ValueError(f"the longest lifetime {high} is shorter than the shortest {low}")
    return low, high


def drawn(bounds: tuple[timedelta, timedelta], random: Random) -> timedelta:
    """A lifetime between ``bounds`` (both included), in whole seconds."""
    low, high = (int(b.total_seconds()) for b in bounds)
    return timedelta(seconds=random.randint(low, max(low, high)))


def user_token_lifetime(bounds: tuple[timedelta, timedelta], random: Random, *,
                        cae: bool = False) -> timedelta:
    """A user's access token's lifetime: ``bounds`` (the provider's, 60 to 90 minutes by
    default), or 24 to 28 hours for a CAE token."""
    return drawn(CAE_TOKEN_LIFETIME if cae else bounds, random)
