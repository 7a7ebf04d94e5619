"""Customer SSO connections: input validation, discovery-URL derivation, health and sign-in URLs.

Pure functions over plain data; the admin handlers parse requests and persist the results.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from .db import Connection, ErrorRecord
from .oidc.discovery import WELL_KNOWN, derive_discovery_url

APPS: dict[str, str] = {
    "widget": "Website widget",
    "portal": "Customer portal",
    "kb": "Knowledge base",
}
CLIENT_AUTH_METHODS = ("post", "basic")



class ValidationError(Exception):
    """Bad connection input; ``errors`` maps each offending field to a plain message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True, kw_only=True)
class ConnectionInput:
    """Validated admin input. ``client_secret`` is None on an edit that keeps the old secret."""

    name: str
    authorization_uri: str
    token_url: str
    client_id: str
    client_secret: str | None
    secret_expires_on: date
    support_contact: str
    discovery_url: str | None
    client_auth_method: str
    enabled: bool


@dataclass(frozen=True, kw_only=True)
class Health:
    days_until_secret_expiry: int
    secret_expired: bool
    secret_warning: bool
    last_login_at: datetime | None
    recent_errors: tuple[ErrorRecord, ...]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, *, allow_http: bool) -> str | None:
    """Return a message when ``value`` is not an acceptable IdP endpoint URL."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an absolute https URL"
    if parts.scheme == "http" and not (allow_http or is_loopback(parts.hostname)):
        return "must use https (http is allowed only for localhost)"
    if parts.fragment:
        return "must not contain a fragment"
    return None


def normalise_discovery_url(value: str) -> str:
    """Accept an issuer or a full configuration URL; return the configuration URL."""
    if value.rstrip("/").endswith(WELL_KNOWN):
        return value.rstrip("/")
    return value.rstrip("/") + WELL_KNOWN


def discovery_url_for(connection: Connection) -> str:
    if connection.discovery_url:
        return normalise_discovery_url(connection.discovery_url)
    return derive_discovery_url(connection.authorization_uri)


def _text(form: Mapping[str, str], name: str) -> str:
    return str(form.get(name, "") or "").strip()


def _bool(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def parse_connection_input(
    data: Mapping[str, object], *, creating: bool, allow_http: bool = False
) -> ConnectionInput:
    """Validate admin input (form fields or JSON members of the same names)."""
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    for key, value in data.items():
        if value is not None and not isinstance(value, str | bool):
            errors[key] = "must be a string"

    authorization_uri = _text(form, "authorization_uri")
    token_url = _text(form, "token_url")
    for field_name, value in (("authorization_uri", authorization_uri), ("token_url", token_url)):
        if not value:
            errors[field_name] = "is required"
        elif problem := check_url(value, allow_http=allow_http):
            errors[field_name] = problem

    client_id = _text(form, "client_id")
    if not client_id:
        errors["client_id"] = "is required"
    client_secret: str | None = _text(form, "client_secret") or None
    if creating and client_secret is None:
        errors["client_secret"] = "is required"

    expires_raw = _text(form, "secret_expires_on")
    expires_on = date.min
    if not expires_raw:
        errors["secret_expires_on"] = "is required (the client secret's expiry date, YYYY-MM-DD)"
    else:
        try:
            expires_on = date.fromisoformat(expires_raw)
        except ValueError:
            errors["secret_expires_on"] = "must be a date in the form YYYY-MM-DD"

    support_contact = _text(form, "support_contact")
    if not support_contact:
        errors["support_contact"] = "is required (shown to users when sign-in fails)"
    elif len(support_contact) > 200:
        errors["support_contact"] = "must be at most 200 characters"

    discovery_url = _text(form, "discovery_url") or None
    if discovery_url is not None:
        if problem := check_url(discovery_url, allow_http=allow_http):
            errors["discovery_url"] = problem

    method = _text(form, "client_auth_method") or "post"
    if method not in CLIENT_AUTH_METHODS:
        errors["client_auth_method"] = "must be 'post' or 'basic'"

    name = _text(form, "name") or (urlsplit(authorization_uri).hostname or "SSO connection")
    if len(name) > 100:
        errors["name"] = "must be at most 100 characters"

    if errors:
        raise ValidationError(errors)
    return ConnectionInput(
        name=name,
        authorization_uri=authorization_uri,
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        secret_expires_on=expires_on,
        support_contact=support_contact,
        discovery_url=discovery_url,
        client_auth_method=method,
        enabled=_bool(data.get("enabled"), True),
    )


def sign_in_urls(base_url: str, connection_id: str) -> dict[str, str]:
    return {app: f"{base_url}/sso/{connection_id}/{app}" for app in APPS}


def health(
    connection: Connection, *, today: date, errors: tuple[ErrorRecord, ...], warning_days: int
) -> Health:
    days = (connection.secret_expires_on - today).days
    return Health(
        days_until_secret_expiry=days,
        secret_expired=days < 0,
        secret_warning=days < warning_days,
        last_login_at=connection.last_login_at,
        recent_errors=errors,
    )
