"""``$Config``: what Entra's sign-in pages hand their own scripts, and what HTTP-only login
scripts read instead of the markup.

Entra renders its pages from a JSON object in the page's head,
``<script type="text/javascript">//<![CDATA[`` then ``$Config={…};`` then ``//]]></script>``.
Scripts that sign in without a browser (saml2aws's Entra provider, and the requests-, Go-,
Java- and PowerShell-based login scripts people publish) fetch a page, cut that object out,
and post the next form from its members:

- every page: ``pgid`` (the page, as in ``<meta name="PageID">``), ``urlPost`` (where the form
  goes), ``sCtx`` (posted as ``ctx``, on "Enter code" as ``request``), ``sFT`` with
  ``sFTName`` ``"flowToken"`` (posted under that name), ``canary`` with ``sCanaryTokenName``,
  ``apiCanary``, ``correlationId`` and ``sessionId`` (posted as ``hpgrequestid``), ``hpgid``
  and ``hpgact`` (sent as headers), ``sPOST_Username`` (the user, once known);
- the username and password (``ConvergedSignIn``, hpgid 1104, hpgact 1800):
  ``urlGetCredentialType`` (absolute), ``sErrorCode`` (``"50058"``, not signed in yet, or the
  AADSTS code of the refusal shown) with ``arrValErrs``, and ``sErrTxt``;
- "Enter code" (``ConvergedTFA``, 1114 / 2202): ``arrUserProofs`` (``authMethodId``,
  ``data``, ``display``, ``isDefault``, ``isLocationAware``), ``urlBeginAuth`` and
  ``urlEndAuth`` (absolute; :mod:`mock_idp.endpoints.sas`), ``oPerAuthPollingInterval``,
  ``sAuthMethodInputFieldName`` ``"mfaAuthMethod"``, ``sTrustedDeviceCheckboxName``
  ``"rememberMFA"`` and ``iTotpOtcLength``;
- "Stay signed in?" (``KmsiInterrupt``, 1115 / 2005), answered with ``LoginOptions`` (1 yes,
  3 no);
- the error page (``ConvergedError``): ``iErrorCode`` (a string), ``strServiceExceptionMessage``
  (``AADSTS<code>: <message>``) and ``strMainMessage`` (the page's message).

Sources (member names and values only): saml2aws's ``pkg/provider/aad`` (its converged-response
struct and the saved pages it tests with), and public login scripts and their tests that read
``iErrorCode``, ``strServiceExceptionMessage`` and ``strMainMessage`` from ``ConvergedError``.

The flow token and the canary are derived from the page's ``ctx`` with the provider's key, so a
post that carries a flow token is checked against the ``ctx`` it came with (a token of another
page, or one altered, ends the sign-in as an unknown ``ctx`` does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from . import ids

FLOW_TOKEN_NAME: Final = "flowToken"
CANARY_NAME: Final = "canary"
CTX_ALIAS: Final = "request"
"""What "Enter code"'s post (``/common/SAS/ProcessAuth``) names the ``ctx`` when scripts send it."""
KMSI_OPTIONS_NAME: Final = "LoginOptions"
KMSI_OPTIONS: Final = {"1": "Yes", "3": "No"}
"""``LoginOptions`` as "Stay signed in?" posts it: 1 for Yes, 3 for No."""
NOT_SIGNED_IN: Final = 50058
"""The username page's ``sErrorCode`` when no refusal is shown: no session answered silently."""
OTP_METHOD: Final = "PhoneAppOTP"
"""The ``authMethodId`` of a code from an authenticator app (Microsoft Authenticator or any
TOTP app registered as a software token)."""
OTP_LENGTH: Final = 6

_PAGE_NUMBERS: Final = {
    ids.PAGE_SIGN_IN: (1104, 1800),
    ids.PAGE_CODE: (1114, 2202),
    ids.PAGE_KMSI: (1115, 2005),
}
"""``hpgid`` and ``hpgact`` of the pages whose values the sources show."""


@dataclass(frozen=True)
class FlowTokens:
    """The ``flowToken`` and ``canary`` of the page whose ``ctx`` is ``ctx``."""

    flow_token: str
    canary: str

    @classmethod
    def of(cls, key: bytes, ctx: str) -> FlowTokens:
        return cls(flow_token=_derive(key, "flowToken", ctx), canary=_derive(key, "canary", ctx))


def flow_token_matches(key: bytes, ctx: str, posted: str) -> bool:
    """Whether ``posted`` is the flow token of the page whose ``ctx`` is ``ctx``."""
    return hmac.compare_digest(_derive(key, "flowToken", ctx).encode(), posted.encode())


def _derive(key: bytes, purpose: str, ctx: str) -> str:
    digest = hmac.new(key, f"{purpose}:{ctx}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class PageData:
    """What one sign-in page tells its scripts."""

    page_id: str
    ctx: str
    url_post: str
    correlation_id: str
    session_id: str
    username: str = ""
    error_code: int | None = None
    error_text: str = ""


def page_config(data: PageData, tokens: FlowTokens, *,
                extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The page's ``$Config``: the members every page has, then ``extra``."""
    config: dict[str, Any] = {
        "pgid": data.page_id,
        "urlPost": data.url_post,
        "sPOST_Username": data.username,
        "sFT": tokens.flow_token,
        "sFTName": FLOW_TOKEN_NAME,
        "sCtx": data.ctx,
        "sCanaryTokenName": CANARY_NAME,
        "apiCanary": tokens.canary,
        "canary": tokens.canary,
        "correlationId": data.correlation_id,
        "sessionId": data.session_id,
    }
    if data.page_id in _PAGE_NUMBERS:
        config["hpgid"], config["hpgact"] = _PAGE_NUMBERS[data.page_id]
    if data.page_id == ids.PAGE_SIGN_IN:
        code = str(data.error_code if data.error_code is not None else NOT_SIGNED_IN)
        config.update(sErrorCode=code, arrValErrs=[code], sErrTxt=data.error_text)
    elif data.error_text:
        config["sErrTxt"] = data.error_text
    config.update(extra or {})
    return config


def sign_in_extra(base_url: str, credential_type_path: str) -> dict[str, Any]:
    return {"urlGetCredentialType": f"{base_url}{credential_type_path}?mkt=en-US"}


def code_extra(base_url: str, begin_path: str, end_path: str) -> dict[str, Any]:
    """"Enter code"'s members: the user's one proof, an authenticator app's code."""
    return {
        "arrUserProofs": [{"authMethodId": OTP_METHOD, "data": OTP_METHOD,
                           "display": "Authenticator app", "isDefault": True,
                           "isLocationAware": False}],
        "urlBeginAuth": f"{base_url}{begin_path}",
        "urlEndAuth": f"{base_url}{end_path}",
        "oPerAuthPollingInterval": {},
        "sAuthMethodInputFieldName": "mfaAuthMethod",
        "sTrustedDeviceCheckboxName": "rememberMFA",
        "iTotpOtcLength": OTP_LENGTH,
    }


def error_config(*, code: int, message: str, correlation_id: str, session_id: str
                 ) -> dict[str, Any]:
    """The error page's ``$Config``."""
    return {
        "pgid": ids.PAGE_ERROR,
        "iErrorCode": str(code),
        "strServiceExceptionMessage": f"AADSTS{code}: {message}",
        "strMainMessage": ids.ERROR_MESSAGE,
        "correlationId": correlation_id,
        "sessionId": session_id,
    }
