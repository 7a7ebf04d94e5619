"""The environment the app is configured from, and the provider's discovery document.

mozilla-django-oidc takes the provider's endpoints one by one as settings (``OIDC_OP_*``) and
does no discovery; the glue reads the document once at start-up, as the library's
documentation suggests for providers that publish one, with the same trust (``requests``'
``verify``) the library is given for its own calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

DISCOVERY_TIMEOUT = 10.0
CALLBACK_PATH = "/oidc/callback/"
"""The library's callback route (its ``urls.py`` mounted at ``oidc/``)."""


def fail(message: str) -> None:
    """Stop the app with one line on standard error (no stack trace)."""
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)


@dataclass(frozen=True, kw_only=True)
class Environment:
    discovery_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str | None
    ca_file: str | None

    @property
    def verify(self) -> str | bool:
        """``requests``' ``verify``: the provider's CA bundle (a path) or the default store."""
        return self.ca_file or True

    @property
    def host(self) -> str:
        return urlsplit(self.redirect_uri).hostname or ""

    @property
    def signed_out_path(self) -> str:
        return urlsplit(self.post_logout_redirect_uri or "").path or "/signed-out"


def from_env(environ: Mapping[str, str]) -> Environment:
    names = ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URI")
    missing = [name for name in names if not environ.get(name)]
    if missing:
        fail(f"missing environment variable(s): {', '.join(missing)}")
    for name in ("OIDC_DISCOVERY_URL", "OIDC_REDIRECT_URI", "OIDC_POST_LOGOUT_REDIRECT_URI"):
        value = environ.get(name)
        if value and not (urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc):
            fail(f"{name} is not an absolute URL: {value}")
    redirect_path = urlsplit(environ["OIDC_REDIRECT_URI"]).path
    if redirect_path != CALLBACK_PATH:
        fail(f"OIDC_REDIRECT_URI must end at the library's callback {CALLBACK_PATH}, "
             f"not {redirect_path or '/'}")
    ca_file = environ.get("OIDC_CA_FILE") or None
    if ca_file and not os.path.isfile(ca_file):
        fail(f"OIDC_CA_FILE cannot be read: no such file: {ca_file}")
    return Environment(
        discovery_url=environ["OIDC_DISCOVERY_URL"], client_id=environ["OIDC_CLIENT_ID"],
        client_secret=environ["OIDC_CLIENT_SECRET"], redirect_uri=environ["OIDC_REDIRECT_URI"],
        post_logout_redirect_uri=environ.get("OIDC_POST_LOGOUT_REDIRECT_URI") or None,
        ca_file=ca_file)


def discover(env: Environment) -> dict[str, Any]:
    """The provider's OpenID configuration document, or the app stops naming why."""
    try:
        response = requests.get(env.discovery_url, verify=env.verify, timeout=DISCOVERY_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except requests.exceptions.SSLError as exc:
        hint = "" if env.ca_file else " (set OIDC_CA_FILE to the CA the mock printed)"
        fail(f"could not read the provider's discovery document: {_first_line(exc)}{hint}")
    except (requests.RequestException, ValueError) as exc:
        fail(f"could not read the provider's discovery document: {_first_line(exc)}")
    wanted = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    if not isinstance(document, dict) or not all(document.get(key) for key in wanted):
        fail(f"the provider's discovery document lacks one of {', '.join(wanted)}")
    found: dict[str, Any] = document
    return found


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
