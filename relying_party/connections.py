"""Customer SSO connections: input validation, discovery-URL derivation, health and sign-in URLs.

Pure functions over plain data; the admin handlers parse requests and persist the results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from .client_record import client_record_problems
from .db import Connection
from .inputs import (
    MAX_URL_LENGTH,
    InputError,
    client_credential,
    display_name,
    escape_invisible,
    text,
    url_problem,
)
from .oidc.discovery import (
    CONSUMERS_TENANT,
    WELL_KNOWN,
    any_organization,
    derive_discovery_url,
)
from .oidc.entra_paths import EntraEndpoint, entra_endpoint, entra_tenant_guid
from .settings import endpoint_origin

APPS: dict[str, str] = {
    "widget": "Website widget",
    "portal": "Customer portal",
    "kb": "Knowledge base",
}
CLIENT_AUTH_METHODS = ("post", "basic")
ENDPOINT_FIELDS = ("authorization_uri", "token_url", "discovery_url")
FIELDS = ("name", *ENDPOINT_FIELDS, "client_id", "client_secret", "secret_expires_on",
          "support_contact", "client_auth_method", "enabled")
"""What admin input may set; any other member is refused, so a misspelt one changes nothing
silently."""
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""Entra's v1.0 ``…/{tenant}/oauth2/{authorize|token}`` and v2.0
``…/{tenant}/oauth2/v2.0/{authorize|token}`` endpoints, by path whatever the host (as
:func:`relying_party.oidc.discovery.derive_discovery_url` reads them)."""
T = TypeVar("T")


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


def normalise_discovery_url(value: str) -> str:
    """Accept an issuer or a full configuration URL; return the configuration URL."""
    if value.rstrip("/").endswith(WELL_KNOWN):
        return value.rstrip("/")
    return value.rstrip("/") + WELL_KNOWN


def discovery_url_for(connection: Connection) -> str:
    if connection.discovery_url:
        return normalise_discovery_url(connection.discovery_url)
    try:
        return derive_discovery_url(connection.authorization_uri)
    except ValueError:
        # Only a connection stored before its URLs were checked gets here; fetching this
        # fails as "provider unreachable", which the failure page reports.
        return connection.authorization_uri


_TRUE = ("1", "true", "on", "yes")
_FALSE = ("0", "false", "off", "no")


def _bool(value: object, field: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise InputError.of(field, "must be true or false")


def _url(data: Mapping[str, object], field: str, *, allow_http: bool, required: bool) -> str:
    value = text(data.get(field), field, max_length=MAX_URL_LENGTH, required=required)
    if value and (problem := url_problem(value, allow_http=allow_http)):
        raise InputError.of(field, problem)
    if value and (alias := any_organization(value)):
        raise InputError.of(field, organization_problem(alias))
    return value


def organization_problem(alias: str) -> str:
    """Why a connection's endpoint may not say ``common`` or ``organizations``: a connection
    serves one customer's organization, and through those endpoints a multi-tenant app signs in
    users of every organization, each of whom would become a user of this customer."""
    named = (f"'{alias}', the tenant {CONSUMERS_TENANT} of every personal Microsoft account,"
             if alias == "consumers" else f"'{alias}'")
    return (f"names no organization ({named} instead of a tenant): a connection serves one "
            "customer, and these endpoints sign in users of any organization; put the "
            "customer's Directory (tenant) ID or a verified domain there")


def mixed_versions_problem(authorization_uri: str, other: str, field: str) -> str | None:
    """Why Entra's endpoints of two versions cannot make one connection: a v1.0 ID token names
    the issuer ``https://sts.windows.net/{tid}/``, a v2.0 one ``https://login.microsoftonline.com
    /{tid}/v2.0`` (learn.microsoft.com/entra/identity-platform/id-token-claims-reference,
    ``iss``), and the issuer expected is the authorization URI's version's (or the discovery
    URL's), so every sign-in would fail as ``id_token_wrong_issuer``. ``other`` is the
    connection's ``field`` (``token_url`` or ``discovery_url``). None unless both URLs are
    Entra's, of two versions."""
    wanted = entra_endpoint(authorization_uri, "authorize")
    endpoint: EntraEndpoint = "token" if field == "token_url" else "discovery"
    given = entra_endpoint(other, endpoint)
    if wanted is None or given is None or wanted == given:
        return None
    fix = ("the authorization URI with 'authorize' replaced by 'token'" if field == "token_url"
           else "or leave it empty: it is derived from the authorization URI")
    what = "token endpoint" if field == "token_url" else "discovery document"
    return (f"is Entra's {given} {what}, but the authorization URI is its {wanted} "
            f"one: the ID tokens would name the {given} issuer, not the {wanted} one the "
            f"connection expects; use the {wanted} {field.replace('_', ' ').replace('url', 'URL')} "
            f"({fix})")


LABELS = {"authorization_uri": "Authorization URI", "token_url": "Token URL",
          "discovery_url": "Discovery URL", "client_id": "Client ID"}
"""The admin form's names of the fields the checks below speak of."""


def swapped_problem(url: str, field: str, other: str) -> str | None:
    """Why an authorization URI that is Entra's token endpoint, or a token URL that is its
    authorization endpoint, cannot work: the browser would be sent to the token endpoint (which
    answers a GET with a page of JSON, AADSTS900561, and never comes back), or the code posted
    to the authorization endpoint (which answers with a redirect, not tokens). ``other`` is
    the other of the two fields: the fields are said to be swapped only when it is wrong too,
    and the URL to enter follows its version when it is right. None otherwise."""
    wrong: EntraEndpoint = "token" if field == "authorization_uri" else "authorize"
    right: EntraEndpoint = "authorize" if wrong == "token" else "token"
    version = entra_endpoint(url, wrong)
    if version is None:
        return None
    name = {"authorize": "authorization endpoint", "token": "token endpoint"}
    swapped = entra_endpoint(other, right) is not None
    wanted = version if swapped else entra_endpoint(other, wrong) or version
    return (f"is Entra's {version} {name[wrong]} (…/{_OAUTH2[version]}{wrong}), not its "
            f"{name[right]}: "
            + ("are the Authorization URI and the Token URL swapped? " if swapped else "")
            + f"Enter the …/{_OAUTH2[wanted]}{right} URL as the {LABELS[field]}")


_OAUTH2 = {"v1.0": "oauth2/", "v2.0": "oauth2/v2.0/"}
"""The path of Entra's endpoints of each version, after the tenant."""


def other_tenant_problem(authorization_uri: str, other: str, field: str) -> str | None:
    """Why Entra endpoints naming two tenant GUIDs cannot make one connection: the code issued
    by the authorization URI's tenant is redeemed at its own token endpoint only, and the ID
    token names its issuer. A domain and a GUID cannot be compared without asking Entra, so
    only two GUIDs are. None otherwise."""
    if field == "discovery_url":
        other = normalise_discovery_url(other)
    wanted, given = entra_tenant_guid(authorization_uri), entra_tenant_guid(other)
    if wanted is None or given is None or wanted == given:
        return None
    return (f"names the tenant {given}, but the Authorization URI names the tenant {wanted}: "
            f"a connection signs in one customer's tenant; use the {LABELS[field]} of tenant "
            f"{wanted}")


def tenant_as_client_problem(client_id: str, urls: Mapping[str, str]) -> str | None:
    """Why the Directory (tenant) ID in the endpoint URLs cannot be the Client ID: Entra knows
    no application by that id (AADSTS700016, on its own page: the user never comes back)."""
    for field, url in urls.items():
        if url and (tenant := entra_tenant_guid(url)) and client_id.lower() == tenant:
            return (f"is the Directory (tenant) ID, as in the {LABELS[field]}; use the "
                    "Application (client) ID from the app registration's Overview")
    return None


def entra_problems(values: Mapping[str, str]) -> dict[str, str]:
    """Each of :data:`ENDPOINT_FIELDS` and ``client_id`` (all in ``values``, empty when not
    given) that, with Entra's endpoints, cannot work with the others, and why; the first
    problem found for a field. Used at save and, for connections stored before, at sign-in."""
    problems: dict[str, str] = {}
    authorization_uri = values["authorization_uri"]
    for field in ENDPOINT_FIELDS:
        url = values[field]
        if not url:
            continue
        other = values["token_url" if field == "authorization_uri" else "authorization_uri"]
        found = swapped_problem(url, field, other) if field != "discovery_url" else None
        if field != "authorization_uri" and authorization_uri:
            found = (found or mixed_versions_problem(authorization_uri, url, field)
                     or other_tenant_problem(authorization_uri, url, field))
        if found:
            problems[field] = found
    if values["client_id"] and (found := tenant_as_client_problem(
            values["client_id"], {f: values[f] for f in ENDPOINT_FIELDS})):
        problems["client_id"] = found
    return problems


def without_trailing_slash(url: str) -> str:
    """An Entra authorization or token endpoint URL without a slash after ``authorize`` or
    ``token``: Entra's Endpoints pane lists them without, and a server that redirects the
    slashed path (the mock does) gets a token request it cannot answer, since the request is
    not sent again with the secret to where it redirects. Other URLs as given (AD FS's token
    endpoint is ``…/adfs/oauth2/token/``)."""
    parts = urlsplit(url)
    if not parts.path.endswith("/") or (entra_endpoint(url, "authorize") is None
                                        and entra_endpoint(url, "token") is None):
        return url
    return urlunsplit(parts._replace(path=parts.path.rstrip("/")))


def _date(data: Mapping[str, object], field: str) -> date:
    raw = text(data.get(field), field, max_length=10, required=False)
    if not raw:
        raise InputError.of(field, "is required (the client secret's expiry date, YYYY-MM-DD)")
    if not _ISO_DATE.fullmatch(raw):  # fromisoformat also takes 20260901 and 2026-W01-1
        raise InputError.of(field, "must be a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError.of(field, "must be a date in the form YYYY-MM-DD") from None


class _Collect:
    """Run field parsers, keeping every field's refusal instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, parse: Callable[[], T], default: T) -> T:
        try:
            return parse()
        except InputError as exc:
            self.errors.update(exc.errors)
            return default


def _effective(values: Mapping[str, str], name: str) -> str:
    """An endpoint's URL; an empty discovery URL is derived from the authorization URI."""
    return values[name] or values["authorization_uri"]


def moved_endpoints(before: Connection, after: Mapping[str, str]) -> list[str]:
    """The endpoint fields whose origin in ``after`` differs from the one ``before`` had: the
    stored client secret must not follow them to another host."""
    old = {"authorization_uri": before.authorization_uri, "token_url": before.token_url,
           "discovery_url": before.discovery_url or ""}
    return [name for name in ENDPOINT_FIELDS
            if endpoint_origin(_effective(after, name)) != endpoint_origin(_effective(old, name))]


def _moved_words(moved: list[str], given: Mapping[str, str]) -> str:
    """The moved endpoints as the admin form names them, of those the admin gave (a derived
    discovery URL moves with the Authorization URI), with their verb."""
    names = [f"the {LABELS[name]}" for name in moved if given[name]] or [
        "the Discovery URL (derived from the Authorization URI)"]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{listed} {'is' if len(names) == 1 else 'are'}"


def parse_connection_input(
    data: Mapping[str, object], *, creating: bool, allow_http: bool = False,
    previous: Connection | None = None,
) -> ConnectionInput:
    """Validate admin input (form fields or JSON members of the same names, :data:`FIELDS`);
    every offending field is named in one :class:`InputError`, a member of another name too.

    On an edit (``previous``), an empty ``client_secret`` keeps the stored one, unless the
    origin (scheme, host, port) of an endpoint changes: the secret is then required again, so
    that it is never sent to a host it was not entered for."""
    take = _Collect()
    take.errors.update(unknown_fields(data))
    authorization_uri = take(
        lambda: _url(data, "authorization_uri", allow_http=allow_http, required=True), "")
    token_url = take(lambda: _url(data, "token_url", allow_http=allow_http, required=True), "")
    discovery_url = take(
        lambda: _url(data, "discovery_url", allow_http=allow_http, required=False), "")
    client_id = take(lambda: client_credential(data.get("client_id"), "client_id",
                                               max_length=256), "")
    client_secret = take(lambda: client_credential(data.get("client_secret"), "client_secret",
                                                   max_length=1024, required=creating), "")
    expires_on = take(lambda: _date(data, "secret_expires_on"), date.min)
    support_contact = take(lambda: _support_contact(data), "")
    method = take(lambda: _auth_method(data), "post")
    name = take(lambda: display_name(data.get("name"), "name", max_length=100, required=False),
                "")
    enabled = take(lambda: _bool(data.get("enabled"), "enabled", True), True)
    authorization_uri, token_url = (without_trailing_slash(authorization_uri),
                                    without_trailing_slash(token_url))
    urls = {"authorization_uri": authorization_uri, "token_url": token_url,
            "discovery_url": discovery_url}
    for field, problem in entra_problems({**urls, "client_id": client_id}).items():
        take.errors.setdefault(field, problem)
    for field, problem in client_record_problems(
            {**urls, "client_secret": client_secret}, allow_http=allow_http).items():
        take.errors.setdefault(field, problem)
    if (previous is not None and not client_secret and authorization_uri and token_url
            and not take.errors.keys() & set(ENDPOINT_FIELDS)
            and (moved := moved_endpoints(previous, urls))):
        take.errors["client_secret"] = (
            f"is required again: {_moved_words(moved, urls)} now on another host, and the "
            "stored secret is sent only where it was entered for")
    if take.errors:
        raise InputError(take.errors)
    return ConnectionInput(
        name=name or (urlsplit(authorization_uri).hostname or "SSO connection"),
        authorization_uri=authorization_uri,
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret or None,
        secret_expires_on=expires_on,
        support_contact=support_contact,
        discovery_url=discovery_url or None,
        client_auth_method=method,
        enabled=enabled,
    )


def _squashed(name: str) -> str:
    return re.sub(r"[\W_]", "", name).casefold()


def unknown_fields(data: Mapping[str, object]) -> dict[str, str]:
    """Each member that is not one of :data:`FIELDS`, and why (with the field it may mean)."""
    refused = {}
    for name in data:
        if name in FIELDS:
            continue
        meant = [f for f in FIELDS if _squashed(f) == _squashed(name)] or get_close_matches(
            name.casefold(), FIELDS, n=1)
        hint = f"did you mean '{meant[0]}'?" if meant else f"the fields are {', '.join(FIELDS)}"
        refused[escape_invisible(name)[:100]] = f"is not a field of a connection ({hint})"
    return refused


def _support_contact(data: Mapping[str, object]) -> str:
    value = display_name(data.get("support_contact"), "support_contact", max_length=200,
                         required=False)
    if not value:
        raise InputError.of("support_contact", "is required (shown to users when sign-in fails)")
    return value


def _auth_method(data: Mapping[str, object]) -> str:
    value = text(data.get("client_auth_method"), "client_auth_method", max_length=10,
                 required=False) or "post"
    if value not in CLIENT_AUTH_METHODS:
        raise InputError.of("client_auth_method", "must be 'post' or 'basic'")
    return value


def sign_in_urls(base_url: str, connection_id: str) -> dict[str, str]:
    return {app: f"{base_url}/sso/{connection_id}/{app}" for app in APPS}


def frontchannel_logout_url(base_url: str, connection_id: str) -> str:
    """The front-channel logout URL to register at this connection's provider: it names the
    connection, so a ``sid`` sent without ``iss`` ends only sessions signed in through it."""
    return f"{base_url}/auth/frontchannel-logout/{connection_id}"
