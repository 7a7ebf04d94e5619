"""``/_mock/tenants/{tenant}/users/{user}/authenticator``: a user's authenticator app.

A user with one is asked for its code after their password ("Enter code", :mod:`mock_idp.totp`)
and is refused the password grant (AADSTS50076). ``PUT {"totp_secret": "<base32>"}`` registers
one (``PUT {}`` a new random secret), ``GET`` shows it with an ``otpauth://`` URI that
``pyotp.parse_uri`` and authenticator apps read, ``DELETE`` removes it. Graph cannot register
an authenticator app, so this is the mock's own route; ``totp_secret`` in ``idp.toml`` does the
same at start. A registration is a continuous access evaluation critical event: Graph challenges
the user's CAE tokens issued before it (:mod:`mock_idp.protocol.cae`). A reset drops it with the
rest of the runtime directory.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import totp
from ..store import Tenant, User
from .common import idp
from .custom_claims import path_user
from .payload import BadInput, check_known, get_str, read_object

NEW_SECRET_BYTES = 20
"""160 bits, RFC 4226's recommended key length."""


def _json(tenant: Tenant, user: User) -> dict[str, Any]:
    secret = user.totp_secret
    uri = None
    if secret is not None:
        label = quote(f"{tenant.name}:{user.upn}", safe="@:")
        uri = f"otpauth://totp/{label}?" + urlencode(
            {"secret": secret, "issuer": tenant.name, "digits": totp.DIGITS,
             "period": totp.STEP_SECONDS})
    return {"tenant": tenant.id, "user": user.id, "totp_secret": secret, "otpauth_uri": uri}


async def get_authenticator(request: Request) -> Response:
    tenant, user = path_user(request)
    return JSONResponse(_json(tenant, user))


async def put_authenticator(request: Request) -> Response:
    tenant, user = path_user(request)
    body = await read_object(request, optional=True)
    check_known(body, {"totp_secret"})
    secret = get_str(body, "totp_secret", max_len=totp.MAX_SECRET_CHARS)
    if secret is None:
        secret = base64.b32encode(secrets.token_bytes(NEW_SECRET_BYTES)).decode()
    try:
        user.totp_secret = totp.normalised(secret)
    except ValueError as exc:
        raise BadInput(str(exc), field="totp_secret") from exc
    user.authenticator_registered_at = idp(request).clock.now()  # a CAE critical event
    return JSONResponse(_json(tenant, user))


async def delete_authenticator(request: Request) -> Response:
    _, user = path_user(request)
    user.totp_secret = None
    return Response(status_code=204)
