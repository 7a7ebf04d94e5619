"""The client registration: the token endpoint, the client ID and secret, the redirect URI."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import parse_qs, urlsplit

from scenarios.doctor.checks.entra import (
    PORTAL_SECRETS,
    Flavour,
    aadsts_code,
    entra_error,
    entra_failure,
    is_entra,
    looks_like_guid,
)
from scenarios.doctor.checks.result import CheckResult, failed, skipped
from scenarios.doctor.checks.transport import provider_trouble, unreachable
from scenarios.doctor.probe import Exchange

__all__ = [
    "REDIRECT_ERRORS",
    "check_client_credentials",
    "check_redirect_uri",
    "check_token_endpoint",
    "needs_credential_fallback",
    "refine_client_credentials",
]


def check_token_endpoint(exchange: Exchange, *, answered: Collection[str] = ()) -> CheckResult:
    """Something that speaks OAuth answers at the token URL (any JSON answer will do)."""
    name = "token-endpoint"
    if exchange.failure is not None:
        return unreachable(name, "token endpoint", exchange, answered=answered)
    body = exchange.json()
    if not isinstance(body, dict) and (trouble := provider_trouble(name, "token endpoint",
                                                                    exchange)):
        return trouble
    if not isinstance(body, dict) or exchange.status in (404, 405):
        return failed(name, f"POST {exchange.url} answered HTTP {exchange.status} without an "
                      "OAuth JSON body: this is not a token endpoint",
                      "Use the token_endpoint from the provider's discovery document.")
    return CheckResult(name=name, status="PASS", detail=f"answered HTTP {exchange.status}")


def needs_credential_fallback(exchange: Exchange, flavour: Flavour) -> bool:
    """A generic provider refused the grant itself, not the client: try another grant."""
    if is_entra(flavour) or exchange.failure is not None:
        return False
    body = exchange.json()
    error = body.get("error") if isinstance(body, dict) else None
    return error in ("unauthorized_client", "unsupported_grant_type", "invalid_scope",
                     "invalid_request", "invalid_target")


def check_client_credentials(
    exchange: Exchange, *, flavour: Flavour, secret: str | None,
    fallback: Exchange | None = None, other_ids: Mapping[str, str] | None = None,
) -> CheckResult:
    """The client ID and secret are accepted, judged by a client-credentials request.

    ``fallback``: for providers that refuse that grant for the client, an authorization-code
    request with an unusable code; ``invalid_grant`` there means the client authenticated.
    ``other_ids``: the GUIDs of the set-up by what Entra calls them ("Application (client)
    ID": ...), which a refused secret shaped like a GUID is told apart from a Secret ID by.
    """
    name = "client-credentials"
    if secret is None:
        return CheckResult(name=name, status="WARN", detail="no client secret given: not tested",
                           fix="Give the secret with --client-secret-env NAME.")
    if exchange.failure is not None:
        return skipped(name, "the token endpoint was not reached")
    body = exchange.json()
    if trouble := provider_trouble(name, "token request", exchange):
        return trouble if isinstance(body, dict) else skipped(
            name, "the token endpoint is unavailable (see token-endpoint)")
    if not isinstance(body, dict):
        return failed(name, f"the token endpoint answered HTTP {exchange.status} without JSON",
                      "Use the token_endpoint from the provider's discovery document.")
    granted = " ".join(f"{k} {v}" for k, v in exchange.sent.items()
                       if k in ("scope", "resource"))
    if exchange.status == 200 and body.get("access_token"):
        return CheckResult(name=name, status="PASS",
                           detail="token issued" + (f" ({granted})" if granted else ""))
    error = str(body.get("error", ""))
    description = str(body.get("error_description", ""))
    code = aadsts_code(description, body)
    if code is not None:
        if code in (1002012, 70011, 500011):
            asked = "resource" if "resource" in exchange.sent else "scope"
            return CheckResult(
                name=name, status="WARN",
                detail=f"AADSTS{code}: the {asked} was refused ({granted}); the secret is not "
                "proven", fix="Pass --scope <resource>/.default for an API the app may call.")
        pasted = next((label for label, value in (other_ids or {}).items()
                       if value and value.strip().lower() == secret.strip().lower()), None)
        if code == 7000215 and pasted is not None:
            return failed(name, f"AADSTS{code}: invalid client secret; the value given is the "
                          f"{pasted}, not a secret",
                          "Paste a client secret's Value (from Certificates & secrets; create "
                          "one if its value was not saved) as the secret.", PORTAL_SECRETS)
        extra = ""
        if code == 7000215 and looks_like_guid(secret):
            extra = ("; the value given has the shape of a Secret ID (a GUID): the secret ID was "
                     "pasted instead of the secret value")
        result = entra_failure(name, code, description, extra=extra)
        if code == 7000215 and looks_like_guid(secret):
            return CheckResult(name=name, status="FAIL", detail=result.detail,
                               fix="Paste the secret's Value, not its Secret ID; if the value "
                               "was not saved when the secret was created, create a new secret.",
                               portal=PORTAL_SECRETS)
        return result
    if fallback is not None and fallback.failure is None:
        fallback_body = fallback.json()
        fallback_error = fallback_body.get("error") if isinstance(fallback_body, dict) else None
        if fallback_error == "invalid_grant":
            return CheckResult(
                name=name, status="PASS",
                detail=f"client authenticated ({error} for client_credentials; an unusable "
                "authorization code was refused as invalid_grant)")
        if fallback_error == "invalid_client":
            error, description = "invalid_client", str(fallback_body.get("error_description", ""))
    said = f"{error}: {description}" if description else error or f"HTTP {exchange.status}"
    if error == "invalid_client":
        return failed(name, f"the provider refused the client ({said})",
                      "Check the client ID, copy the client secret again from the provider's "
                      "client settings, and use the authentication method the client is "
                      "registered with (--client-auth-method basic|post).")
    if error in ("unauthorized_client", "unsupported_grant_type", "invalid_scope"):
        return CheckResult(name=name, status="WARN",
                           detail=f"the grant was refused ({said}); the secret is not proven",
                           fix="Allow the client the client_credentials grant, or pass --scope.")
    return failed(name, f"token request failed ({said})",
                  "Read the provider's error above and correct the client settings.")


# --- redirect URI ---------------------------------------------------------------------------

REDIRECT_ERRORS = ("invalid_redirect_uri", "invalid parameter: redirect_uri",
                   "redirect_uri did not match", "redirect uri mismatch",
                   "redirect_uri_mismatch", "invalid redirect_uri",
                   "redirect_uri is not registered")
"""Words, lowercased, of other providers' error pages for an unregistered redirect URI
(Keycloak: "Invalid parameter: redirect_uri"; node oidc-provider: ``invalid_redirect_uri``,
"redirect_uri did not match any of the client's registered redirect_uris")."""
_GENERIC_CLIENT_ERRORS = ("invalid_client", "client not found", "unknown client",
                          "client is invalid")


def check_redirect_uri(
    exchange: Exchange | None, *, redirect_uri: str | None, flavour: Flavour,
    answered: Collection[str] = (),
) -> CheckResult:
    """The redirect URI is registered: judged by the authorization endpoint's first answer."""
    name = "redirect-uri"
    if redirect_uri is None or exchange is None:
        return skipped(name, "no --redirect-uri given")
    if exchange.failure is not None:
        return unreachable(name, "authorization endpoint", exchange, answered=answered)
    status = exchange.status or 0
    location = exchange.header("location")
    if 300 <= status < 400 and location:
        target, wanted = urlsplit(location), urlsplit(redirect_uri)
        if (target.scheme, target.netloc, target.path) == (wanted.scheme, wanted.netloc,
                                                            wanted.path):
            query = parse_qs(target.query)
            error = query.get("error", [""])[0]
            if error and not is_entra(flavour):
                return CheckResult(name=name, status="PASS",
                                   detail=f"registered (the provider sent error={error} back "
                                   "to it, which it only does for a registered URI)")
            if error:
                # Entra sends an error back, with no one at the keyboard, only for a request it
                # refuses (the authorization URI's own query is kept in it): every sign-in
                # would end so. The URI is registered, but the set-up is not usable.
                said = query.get("error_description", [""])[0].split("\r\n")[0].strip()
                code = aadsts_code(said)
                known = entra_error(code) if code is not None else None
                return CheckResult(
                    name=name, status="FAIL",
                    detail=f"registered, but the provider refused the sign-in request: "
                    f"error={error}" + (f" ({said})" if said else ""),
                    fix=known[1] if known else "Read the provider's error; a query in the "
                    "authorization URI (see authorize-query) goes with every sign-in.",
                    portal=known[2] if known else None)
            return CheckResult(name=name, status="PASS",
                               detail="registered (the provider redirected back to it)")
        return CheckResult(name=name, status="PASS",
                           detail="registered (the provider went on to its sign-in page)")
    if trouble := provider_trouble(name, "authorization endpoint", exchange):
        return trouble
    text = exchange.text
    code = aadsts_code(text)
    if code is not None:
        return entra_failure(name, code, "", extra=f" ({redirect_uri})" if code == 50011 else "")
    lowered = text.lower()
    if any(marker in lowered for marker in REDIRECT_ERRORS):
        return failed(name, f"{redirect_uri} is not registered for this client",
                      f"Register {redirect_uri} exactly (scheme, host, port and path) as a "
                      "redirect URI of the client at the provider.")
    if any(marker in lowered for marker in _GENERIC_CLIENT_ERRORS):
        return failed(name, "the authorization endpoint does not know this client ID",
                      "Use the client ID of the client registered at the provider.")
    if status == 200:
        return CheckResult(name=name, status="PASS",
                           detail="registered (the provider showed its sign-in page)")
    return failed(name, f"the authorization endpoint answered HTTP {status}",
                  "Open the authorization URI in a browser to read the provider's error, and "
                  "correct the client's redirect URIs.")


def refine_client_credentials(credentials: CheckResult, redirect: CheckResult) -> CheckResult:
    """A generic ``invalid_client`` names no culprit; the authorization endpoint may have."""
    if (credentials.status == "FAIL" and "invalid_client" in credentials.detail
            and redirect.status == "FAIL" and "client ID" in redirect.detail):
        return CheckResult(name=credentials.name, status="FAIL",
                           detail="the client ID is unknown to the provider (invalid_client; the "
                           "authorization endpoint does not know it either)",
                           fix="Use the client ID of the client registered at the provider.")
    return credentials
