"""Provider metadata: OpenID Connect Discovery 1.0 (§3 metadata, §4 obtaining it, §4.3 issuer).

https://openid.net/specs/openid-connect-discovery-1_0.html

Entra ID: the ``common`` / ``organizations`` documents carry the literal issuer
``https://<host>/{tenantid}/v2.0``, a document fetched through a tenant *domain* names the
tenant *GUID*, and every v1 document (``/<tenant>/.well-known/openid-configuration``) names
``https://sts.windows.net/<tid>/``, whichever host serves it. :func:`check_discovery_issuer`
accepts exactly those deviations (see there); ID-token validation then resolves ``{tenantid}``
with the token's ``tid``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

import httpx

from ..clock import Clock
from ..inputs import remove_dot_segments, url_problem
from ._http import DEFAULT_TIMEOUT, json_object, send
from .errors import DiscoveryFailed, DiscoveryIssuerMismatch

__all__ = [
    "CONSUMERS_TENANT",
    "TENANT_PLACEHOLDER",
    "ENDPOINTS",
    "WELL_KNOWN",
    "DiscoveryCache",
    "ProviderMetadata",
    "any_organization",
    "check_discovery_issuer",
    "check_endpoints",
    "derive_discovery_url",
    "fetch_provider_metadata",
    "issuer_from_discovery_url",
]

WELL_KNOWN = "/.well-known/openid-configuration"
TENANT_PLACEHOLDER = "{tenantid}"
ENTRA_V1_ISSUER_HOST = "sts.windows.net"
"""The host of every Entra v1 issuer: Entra's v1 discovery documents and v1 tokens name
``https://sts.windows.net/<tid>/`` while the sign-in host is ``login.microsoftonline.com`` (or
another), so a strict §4.3 check of a v1 document always fails on Entra (MSAL Python #600:
validators must take the two hosts as one)."""
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Entra's paths are read whatever their case, as entra_paths reads them: the server routes
# ``/OAuth2/Authorize`` as ``/oauth2/authorize``, and a v1 path that escaped the version check
# here would fail at every sign-in.
_ENTRA_V2_AUTHORIZE = re.compile(r"^(?P<base>/[^/]+)/oauth2/v2\.0/authorize/?$", re.IGNORECASE)
_ENTRA_V1_AUTHORIZE = re.compile(r"^(?P<base>/[^/]+)/oauth2/authorize/?$", re.IGNORECASE)
_GENERIC_AUTHORIZE_TAIL = re.compile(
    r"(?:/protocol/openid-connect|(?:/oauth2?)?(?:/v\d+(?:\.\d+)?)?)/(?:authorize|auth)/?$",
    re.IGNORECASE,
)


def _strings(value: Any, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return default


@dataclass(frozen=True, kw_only=True)
class ProviderMetadata:
    """The parts of a discovery document the relying party uses (Discovery §3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods_supported: tuple[str, ...] = ()
    frontchannel_logout_supported: bool = False
    backchannel_logout_supported: bool = False
    authorization_response_iss_parameter_supported: bool = False
    """RFC 9207 §3: the provider puts ``iss`` in every authorization response."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ProviderMetadata:
        """Parse a discovery document; :class:`DiscoveryFailed` when a required member is bad."""
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        for name in required:
            if not isinstance(doc.get(name), str) or not doc[name]:
                raise DiscoveryFailed(f"discovery document lacks a string {name!r}")
        optional = {
            name: doc[name] if isinstance(doc.get(name), str) else None
            for name in ("userinfo_endpoint", "end_session_endpoint")
        }
        return cls(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            **optional,
            id_token_signing_alg_values_supported=_strings(
                doc.get("id_token_signing_alg_values_supported"), ("RS256",)
            ),
            token_endpoint_auth_methods_supported=_strings(
                doc.get("token_endpoint_auth_methods_supported"), ("client_secret_basic",)
            ),
            code_challenge_methods_supported=_strings(doc.get("code_challenge_methods_supported")),
            frontchannel_logout_supported=doc.get("frontchannel_logout_supported") is True,
            backchannel_logout_supported=doc.get("backchannel_logout_supported") is True,
            authorization_response_iss_parameter_supported=doc.get(
                "authorization_response_iss_parameter_supported") is True,
            raw=MappingProxyType(dict(doc)),
        )


ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
             "end_session_endpoint")
"""The members of a discovery document the relying party reads as URLs."""


def check_endpoints(metadata: ProviderMetadata, *, allow_http: bool) -> None:
    """:class:`DiscoveryFailed` naming the first endpoint that a configured provider URL could
    not be (:func:`relying_party.inputs.url_problem`): plain http off loopback without
    ``allow_http``, a fragment, user information, dot segments. The access token, key requests
    and the browser with its ``id_token_hint`` go to these URLs (oidc-rp-checks.md §2.3: the
    end-session endpoint must be https). Another origin than the issuer's is fine: Entra's
    userinfo endpoint is on Microsoft Graph."""
    for name in ENDPOINTS:
        value = getattr(metadata, name)
        if value and (problem := url_problem(value, allow_http=allow_http)):
            raise DiscoveryFailed(f"discovery document's {name} {value!r} {problem}")


def derive_discovery_url(authorization_uri: str) -> str:
    """The discovery URL belonging to an authorization endpoint URL.

    - Entra v2 ``…/{tenant}/oauth2/v2.0/authorize``
      -> ``…/{tenant}/v2.0/.well-known/openid-configuration``
    - Entra v1 ``…/{tenant}/oauth2/authorize`` -> ``…/{tenant}/.well-known/openid-configuration``
    - otherwise a heuristic: drop the query, then a trailing ``/authorize`` or ``/auth`` together
      with a preceding ``/protocol/openid-connect`` (Keycloak) or ``[/oauth2|/oauth][/v1]``
      (Okta, generic), and use what is left as the issuer. When the guess is wrong (Google's
      ``/o/oauth2/v2/auth``, for one), configure the discovery URL explicitly.

    The scheme and host are lower-cased (RFC 3986 §6.2.2.1: they are case-insensitive), and so
    is an Entra tenant GUID: the issuer expected is derived from this URL, and Entra's names
    the host and the tenant id in lower case, so ``https://LOGIN.example/6F2C…/…`` would
    otherwise fail every sign-in as ``discovery_issuer_mismatch``.
    """
    parts = urlsplit(authorization_uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {authorization_uri!r}")
    path = parts.path
    if match := _ENTRA_V2_AUTHORIZE.match(path):
        new_path = f"{_tenant_lowered(match['base'])}/v2.0{WELL_KNOWN}"
    elif match := _ENTRA_V1_AUTHORIZE.match(path):
        new_path = f"{_tenant_lowered(match['base'])}{WELL_KNOWN}"
    else:
        issuer_path = _GENERIC_AUTHORIZE_TAIL.sub("", path).rstrip("/")
        new_path = f"{issuer_path}{WELL_KNOWN}"
    return urlunsplit((parts.scheme.lower(), _netloc_lowered(parts), new_path, "", ""))


def _netloc_lowered(parts: SplitResult) -> str:
    """The authority with its host in lower case; user information and port as given."""
    host_start = parts.netloc.rfind("@") + 1
    return parts.netloc[:host_start] + parts.netloc[host_start:].lower()


def _tenant_lowered(base: str) -> str:
    """``/{tenant}``, its GUID in lower case (Entra's issuers name the tenant id so)."""
    return base.lower() if _GUID.fullmatch(base[1:]) else base


CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
"""The tenant of every personal Microsoft account: ``consumers`` is its alias (the ``tid`` of
their tokens; learn.microsoft.com/entra/identity-platform/id-token-claims-reference, ``tid``)."""
_ENTRA_ENDPOINT = re.compile(
    rf"^/(?P<alias>common|organizations|consumers|{CONSUMERS_TENANT})"
    r"(?:/(?:oauth2|v2\.0|\.well-known|discovery)(?:/|$)|/?$)", re.IGNORECASE)
_SLASHES = re.compile(r"/{2,}")


def any_organization(url: str) -> str | None:
    """The alias (``common``, ``organizations``, ``consumers``) an Entra endpoint URL names in
    place of a tenant, if it does: such endpoints sign in users of any organization (or any
    personal account) to a multi-tenant app, and their tokens carry each user's own tenant. The
    personal accounts' tenant GUID is ``consumers`` by another name. The path is read as the
    server reads it: percent-decoded, without dot segments (RFC 3986 §5.2.4, as browsers and
    httpx send it), repeated slashes as one, either before or after the dot segments go; the
    alias alone (an issuer) counts too."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:  # not a URL at all: nothing to say here
        return None
    for read in (_SLASHES.sub("/", remove_dot_segments(path)),
                 remove_dot_segments(_SLASHES.sub("/", path))):
        if match := _ENTRA_ENDPOINT.match(read):
            alias = match["alias"].lower()
            return "consumers" if alias == CONSUMERS_TENANT else alias
    return None


def issuer_from_discovery_url(discovery_url: str) -> str:
    """The issuer a discovery URL promises: the URL minus ``/.well-known/openid-configuration``,
    with its scheme and host in lower case, and a first path segment that is a tenant GUID too
    (see :func:`derive_discovery_url`)."""
    if not discovery_url.endswith(WELL_KNOWN):
        raise ValueError(f"not a discovery URL: {discovery_url!r}")
    issuer = discovery_url[: -len(WELL_KNOWN)]
    try:
        parts = urlsplit(issuer)
    except ValueError:  # an unclosed IPv6 bracket: the fetch refuses it
        return issuer
    if not parts.netloc:
        return issuer
    first, slash, rest = parts.path[1:].partition("/")
    path = f"/{_tenant_lowered('/' + first)[1:]}{slash}{rest}" if parts.path else ""
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=_netloc_lowered(parts),
                                     path=path))


def _is_tenant_alias(segment: str) -> bool:
    return segment in ("common", "organizations", "consumers") or (
        "." in segment and not _GUID.fullmatch(segment)
    )


def _is_entra_v1_issuer(doc: SplitResult, exp: SplitResult) -> bool:
    """``doc`` is ``https://sts.windows.net/<tenant>/`` for the v1 issuer ``exp``
    (``<scheme>://<any host>/<tenant>[/]``): the same tenant, or for an alias its GUID or
    ``{tenantid}``."""
    doc_tenant, exp_tenant = doc.path.strip("/"), exp.path.strip("/")
    return (
        (doc.scheme, doc.netloc, doc.path) == ("https", ENTRA_V1_ISSUER_HOST, f"/{doc_tenant}/")
        and not (doc.query or doc.fragment or exp.query or exp.fragment)
        and "/" not in exp_tenant and bool(exp_tenant) and "/" not in doc_tenant
        and (
            doc_tenant == exp_tenant
            or (_is_tenant_alias(exp_tenant)
                and (doc_tenant == TENANT_PLACEHOLDER or bool(_GUID.fullmatch(doc_tenant))))
        )
    )


def check_discovery_issuer(
    document_issuer: str, expected_issuer: str, *, allow_trailing_slash: bool = False
) -> None:
    """Discovery §4.3: the document's ``issuer`` must equal the expected issuer.

    ``allow_trailing_slash`` is for an expected issuer derived from a discovery URL: §4.1 drops a
    terminating ``/`` of the issuer before appending the well-known path, so ``…/tid/`` (Entra v1)
    and ``…/tid`` share one discovery URL.

    Two Entra rules are added. When the expected issuer's first path segment is a tenant
    *alias* (``common``, ``organizations``, ``consumers`` or a domain such as
    ``contoso.onmicrosoft.com``), the document may name the tenant GUID or the literal
    ``{tenantid}`` there instead, provided scheme, host, port and every other path segment are
    identical. A GUID tenant must match exactly. And where the expected issuer is a v1 one (the
    tenant segment alone), the document may name ``https://sts.windows.net/`` with the same
    tenant (by the same rule) instead of the host it came from: Entra's v1 issuer.
    """
    actual = document_issuer
    if allow_trailing_slash and not expected_issuer.endswith("/"):
        actual = actual.removesuffix("/")
    if actual == expected_issuer:
        return
    try:
        doc, exp = urlsplit(actual), urlsplit(expected_issuer)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise DiscoveryIssuerMismatch(f"issuer {document_issuer!r} is not a URL") from exc
    doc_segments, exp_segments = doc.path.split("/"), exp.path.split("/")
    if (
        (doc.scheme, doc.netloc, doc.query, doc.fragment)
        == (exp.scheme, exp.netloc, exp.query, exp.fragment)
        and len(doc_segments) == len(exp_segments) >= 2
        and doc_segments[2:] == exp_segments[2:]
        and _is_tenant_alias(exp_segments[1])
        and (doc_segments[1] == TENANT_PLACEHOLDER or _GUID.fullmatch(doc_segments[1]))
    ):
        return
    if _is_entra_v1_issuer(urlsplit(document_issuer), exp):  # its own trailing "/"
        return
    raise DiscoveryIssuerMismatch(
        f"discovery document issuer {document_issuer!r} != expected {expected_issuer!r}"
    )


async def fetch_provider_metadata(
    client: httpx.AsyncClient,
    discovery_url: str,
    *,
    expected_issuer: str | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    allow_http: bool = False,
) -> ProviderMetadata:
    """GET and check a discovery document.

    ``expected_issuer`` defaults to :func:`issuer_from_discovery_url`. Raises
    :class:`IdpTimeout` / :class:`IdpUnreachable`, :class:`DiscoveryFailed` (non-200, not a JSON
    object, required member missing, an endpoint refused by :func:`check_endpoints` under
    ``allow_http``) or :class:`DiscoveryIssuerMismatch`.
    """
    derived = expected_issuer is None
    expected = expected_issuer or issuer_from_discovery_url(discovery_url)
    response = await send(client, "GET", discovery_url, endpoint="discovery", timeout=timeout)
    if response.status_code != 200:
        raise DiscoveryFailed(f"GET {discovery_url} answered HTTP {response.status_code}")
    doc = json_object(response)
    if doc is None:
        raise DiscoveryFailed(f"GET {discovery_url} did not return a JSON object")
    metadata = ProviderMetadata.from_document(doc)
    check_discovery_issuer(metadata.issuer, expected, allow_trailing_slash=derived)
    check_endpoints(metadata, allow_http=allow_http)
    return metadata


class DiscoveryCache:
    """Provider metadata per (discovery URL, expected issuer), kept for ``ttl`` by ``clock``.

    Failures are not cached. Concurrent callers for the same URL share one fetch.
    ``allow_http`` is :func:`fetch_provider_metadata`'s.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        clock: Clock,
        ttl: timedelta = timedelta(hours=1),
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        allow_http: bool = False,
    ) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._timeout = timeout
        self._allow_http = allow_http
        self._entries: dict[tuple[str, str | None], tuple[datetime, ProviderMetadata]] = {}
        self._locks: dict[tuple[str, str | None], asyncio.Lock] = {}

    async def get(
        self, discovery_url: str, *, expected_issuer: str | None = None
    ) -> ProviderMetadata:
        key = (discovery_url, expected_issuer)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._entries.get(key)
            if cached is not None and self._clock.now() < cached[0] + self._ttl:
                return cached[1]
            metadata = await fetch_provider_metadata(
                self._client,
                discovery_url,
                expected_issuer=expected_issuer,
                timeout=self._timeout,
                allow_http=self._allow_http,
            )
            self._entries[key] = (self._clock.now(), metadata)
            return metadata

    def cached(self, discovery_url: str) -> ProviderMetadata | None:
        """The metadata last fetched from ``discovery_url``, however old, without fetching."""
        entry = self._entries.get((discovery_url, None))
        return entry[1] if entry is not None else None

    def invalidate(self, discovery_url: str | None = None) -> None:
        """Forget one URL's metadata (e.g. after an admin edits the connection), or all."""
        for key in [k for k in self._entries if discovery_url in (None, k[0])]:
            del self._entries[key]
