"""Checks of a connection's client record that read more than one field: values that are
accepted one by one but with Entra's endpoints can only fail once a customer signs in.

- A client secret shaped like a GUID, with Entra's endpoints, is the secret's *Secret ID*:
  Entra lists a secret's Value and its Secret ID side by side, the Value is never a GUID, and
  the token endpoint answers the ID with AADSTS7000215 ("…the client secret value, not the
  client secret ID…", learn.microsoft.com/entra/identity-platform/reference-error-codes).
  Other providers' secrets may be GUIDs (Keycloak's were, before version 12): only Entra's
  endpoints are read so.
- Entra's v1.0 token endpoint over plain http: its ID tokens are unsigned, trusted only over
  TLS (:mod:`relying_party.oidc.unsigned`), so every sign-in would end as
  ``id_token_unsigned_over_http``. Loopback hosts are no exception, as they are for http
  otherwise: the token is unsigned wherever it comes from. ``allow_http`` (the
  ``--allow-http-idp`` of test setups) accepts it, for a provider that signs them (the mock's
  ``signV1IdTokens``) or to see the sign-in refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from .oidc.entra_paths import entra_endpoint
from .oidc.unsigned import is_entra_v1_token_endpoint

__all__ = ["client_record_problems", "secret_id_problem", "v1_over_http_problem"]

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def secret_id_problem(secret: str, authorization_uri: str, token_url: str) -> str | None:
    """Why a GUID cannot be the client secret of a connection to Entra's endpoints, or None."""
    if not _GUID.fullmatch(secret):
        return None
    if (entra_endpoint(authorization_uri, "authorize") is None
            and entra_endpoint(token_url, "token") is None):
        return None
    return ("looks like the secret's Secret ID (a GUID), not its Value: Entra shows both side "
            "by side under Certificates & secrets, and the Value is needed (shown only when the "
            "secret is created; if it was not copied then, create a new secret)")


def v1_over_http_problem(token_url: str, *, allow_http: bool) -> str | None:
    """Why Entra's v1.0 token endpoint over http cannot sign anyone in, or None."""
    if allow_http or urlsplit(token_url).scheme != "http":
        return None
    if not is_entra_v1_token_endpoint(token_url):
        return None
    return ("is Entra's v1.0 token endpoint over http: its ID tokens are unsigned and can be "
            "trusted only when they arrive over https (OpenID Connect Core §3.1.3.7), so every "
            "sign-in would fail, on localhost too; use the https Token URL, or Entra's v2.0 "
            "endpoints (…/oauth2/v2.0/authorize and …/oauth2/v2.0/token), whose ID tokens are "
            "signed")


def client_record_problems(values: Mapping[str, str], *, allow_http: bool) -> dict[str, str]:
    """``client_secret`` and ``token_url`` of ``values`` (the connection's fields, empty when
    not given) that cannot work with the others, and why."""
    problems: dict[str, str] = {}
    if values["client_secret"] and (found := secret_id_problem(
            values["client_secret"], values["authorization_uri"], values["token_url"])):
        problems["client_secret"] = found
    if values["token_url"] and (found := v1_over_http_problem(values["token_url"],
                                                              allow_http=allow_http)):
        problems["token_url"] = found
    return problems
