"""Run every check against one provider configuration: probe, then judge."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from relying_party.oidc.token_client import basic_authorization
from scenarios.doctor import checks, probe
from scenarios.doctor.checks import CheckResult, Flavour
from scenarios.doctor.config import DoctorOptions

__all__ = ["GRAPH_DEFAULT_SCOPE", "Diagnosis", "client_credentials_request", "diagnose",
           "v1_resource"]

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_RESOURCE = "https://graph.microsoft.com"
UNUSABLE_CODE = "sso-harness-doctor-unusable-code"


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    flavour: Flavour
    discovery_url: str
    results: tuple[CheckResult, ...]
    authorization_uri: str = ""
    token_url: str = ""
    """The endpoints checked: as given, else the discovery document's."""

    @property
    def failed(self) -> bool:
        return any(r.status == "FAIL" for r in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _derive_discovery_url(options: DoctorOptions) -> str:
    from relying_party.connections import normalise_discovery_url
    from relying_party.oidc.discovery import derive_discovery_url

    if options.discovery_url:
        # A document's URL is fetched as given (a typo in it is the finding); an issuer's gets
        # the suffix.
        if "/.well-known/" in options.discovery_url:
            return options.discovery_url
        return normalise_discovery_url(options.discovery_url)
    try:
        return derive_discovery_url(options.authorization_uri)
    except ValueError:
        return options.authorization_uri


def _auth_method(options: DoctorOptions, flavour: Flavour, document: dict[str, Any] | None
                 ) -> str:
    if options.client_auth_method:
        return options.client_auth_method
    if checks.is_entra(flavour) or document is None:
        return "post"
    supported = document.get("token_endpoint_auth_methods_supported")
    if isinstance(supported, list) and "client_secret_basic" not in supported and (
            "client_secret_post" in supported):
        return "post"
    return "basic"


def request_flavour(options: DoctorOptions, flavour: Flavour) -> Flavour:
    """The shape of the token request: the token URL's Entra version (a v2.0 endpoint takes a
    scope, a v1.0 one a resource), else ``flavour``, the authorization URI's."""
    token = checks.provider_flavour(options.token_url)
    return token if checks.is_entra(token) else flavour


_OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})


def v1_resource(scope: str) -> str:
    """The ``resource`` Entra's v1.0 token endpoint takes for a v2.0-style ``scope``.

    v1.0 ignores ``scope`` and asks for one resource (an App ID URI or client ID). A v2.0
    permission is that resource's identifier with the permission's name appended, and
    ``{resource}/.default`` asks for the resource's static permissions; a permission without a
    resource is Microsoft Graph's ("Scopes and permissions in the Microsoft identity platform",
    learn.microsoft.com/entra/identity-platform/scopes-oidc, and its section on the .default
    scope). So the first permission's resource is sent, and a value that is already a resource
    (a URI without a path, a client ID) is sent as it is."""
    names = [name for name in scope.split() if name not in _OIDC_SCOPES]
    if not names:
        return GRAPH_RESOURCE
    name = names[0]
    if name.endswith("/.default"):
        return name.removesuffix("/.default")
    if "/" not in name:
        return name if checks.looks_like_guid(name) else GRAPH_RESOURCE
    parts = urlsplit(name)
    if parts.scheme and parts.path.strip("/") == "":
        return name.rstrip("/")
    return name.rsplit("/", 1)[0]


def client_credentials_request(
    options: DoctorOptions, flavour: Flavour, method: str, *, grant: str = "client_credentials"
) -> tuple[dict[str, str], dict[str, str]]:
    """The token request's form and headers (client authentication by ``method``), shaped for
    the token URL's version (:func:`request_flavour`)."""
    flavour = request_flavour(options, flavour)
    form: dict[str, str] = {"grant_type": grant}
    if grant == "authorization_code":
        form["code"] = UNUSABLE_CODE
        form["redirect_uri"] = options.redirect_uri or "http://localhost/"
    elif flavour == "entra-v1":
        form["resource"] = v1_resource(options.scope) if options.scope else GRAPH_RESOURCE
    elif options.scope:
        form["scope"] = options.scope
    elif flavour == "entra-v2":
        form["scope"] = GRAPH_DEFAULT_SCOPE
    headers: dict[str, str] = {}
    secret = options.client_secret.reveal() if options.client_secret else ""
    if method == "basic":
        headers["Authorization"] = basic_authorization(options.client_id, secret)
    else:
        form["client_id"] = options.client_id
        if secret:
            form["client_secret"] = secret
    return form, headers


def _with_endpoints(options: DoctorOptions, http: httpx.Client, clock: probe.Clock
                    ) -> DoctorOptions | Diagnosis:
    """``options`` with the endpoints not given taken from the discovery document, or the
    diagnosis that it cannot be read."""
    url = _derive_discovery_url(options)
    transport = checks.check_transport({"discovery URL": url})
    if transport.status == "FAIL" and "absolute" in transport.detail:
        return Diagnosis(flavour="generic", discovery_url=url, results=(transport,))
    result, document = checks.check_discovery(url, probe.get(http, clock, url), "generic",
                                              given=True)
    if document is None:
        return Diagnosis(flavour="generic", discovery_url=url, results=(transport, result))
    completed = replace(options,
                        authorization_uri=options.authorization_uri or str(
                            document.get("authorization_endpoint", "")),
                        token_url=options.token_url or str(document.get("token_endpoint", "")))
    for key, taken in (("authorization_endpoint", completed.authorization_uri),
                       ("token_endpoint", completed.token_url)):
        try:
            urlsplit(taken).port  # noqa: B018 - an unclosed [ or a port out of range raises
        except ValueError as exc:
            # The document's own URL, not the user's option: the discovery check's finding.
            return Diagnosis(flavour="generic", discovery_url=url, results=(transport, replace(
                result, status="FAIL", detail=f"{url}: its {key} {taken!r} is not a URL ({exc})",
                fix="Fix the provider's discovery document, or give --authorization-uri and "
                "--token-url.")))
    return completed


def _set_up_ids(options: DoctorOptions) -> dict[str, str]:
    """The GUIDs an admin copies next to the secret, by their names in the admin center."""
    ids = {"Application (client) ID": options.client_id}
    for url in (options.token_url, options.authorization_uri):
        tenant = urlsplit(url).path.strip("/").split("/")[0]
        if checks.looks_like_guid(tenant):
            ids["Directory (tenant) ID"] = tenant
    return ids


def diagnose(options: DoctorOptions, http: httpx.Client, *, clock: probe.Clock) -> Diagnosis:
    """Probe the provider as the options describe it and return every check's result (an
    endpoint not given: the discovery document's)."""
    if options.discovery_url and not (options.authorization_uri and options.token_url):
        completed = _with_endpoints(options, http, clock)
        if isinstance(completed, Diagnosis):
            return completed
        options = completed
    flavour = checks.provider_flavour(options.authorization_uri)
    discovery_url = _derive_discovery_url(options)
    transport = checks.check_transport({
        "authorization URI": options.authorization_uri,
        "token URL": options.token_url,
        "discovery URL": discovery_url,
        "redirect URI": options.redirect_uri,
    })
    if transport.status == "FAIL" and "absolute" in transport.detail:
        return Diagnosis(flavour=flavour, discovery_url=discovery_url, results=(transport,),
                         authorization_uri=options.authorization_uri,
                         token_url=options.token_url)

    # Probe: every request first, so that each check knows which hosts answered at all.
    discovered = probe.get(http, clock, discovery_url)
    given = options.discovery_url is not None
    document = checks.check_discovery(discovery_url, discovered, flavour, given=given)[1]
    keys = token_tenant = None
    if document is not None:
        jwks_uri = document.get("jwks_uri")
        keys = probe.get(http, clock, jwks_uri) if isinstance(jwks_uri, str) else None
        if other := checks.token_tenant_discovery_url(options.authorization_uri,
                                                      options.token_url):
            token_tenant = probe.get(http, clock, other)
    method = _auth_method(options, flavour, document)
    form, headers = client_credentials_request(options, flavour, method)
    token = probe.post_form(http, clock, options.token_url, form, headers=headers)
    fallback = None
    if options.client_secret and checks.needs_credential_fallback(
            token, request_flavour(options, flavour)):
        form, headers = client_credentials_request(options, flavour, method,
                                                   grant="authorization_code")
        fallback = probe.post_form(http, clock, options.token_url, form, headers=headers)
    authorization = None
    if options.redirect_uri:
        authorization = probe.authorize(http, clock, options.authorization_uri,
                                        client_id=options.client_id,
                                        redirect_uri=options.redirect_uri)
    exchanges = [e for e in (discovered, keys, token_tenant, token, authorization)
                 if e is not None]
    answered = checks.answered_hosts(exchanges)

    # Judge.
    discovery = checks.check_discovery(discovery_url, discovered, flavour, answered=answered,
                                       given=given)[0]
    if document is not None:
        issuer = checks.check_issuer(document, discovery_url)
        endpoints = checks.check_endpoints(
            document, authorization_uri=options.authorization_uri, token_url=options.token_url,
            flavour=flavour, token_tenant=token_tenant)
        jwks = checks.check_jwks(document, keys)
    else:
        issuer, endpoints, jwks = (checks.skipped(name, "no discovery document")
                                   for name in ("issuer", "endpoints", "jwks"))
    credentials = checks.check_client_credentials(
        token, flavour=flavour,
        secret=options.client_secret.reveal() if options.client_secret else None,
        fallback=fallback, other_ids=_set_up_ids(options))
    redirect = checks.check_redirect_uri(authorization, redirect_uri=options.redirect_uri,
                                         flavour=flavour, answered=answered)
    clock_result = (checks.check_clock(exchanges) if answered
                    else checks.skipped("clock", "the provider did not answer"))
    results = (
        transport,
        checks.check_tls(exchanges, ca_file_given=options.ca_file is not None),
        discovery,
        issuer,
        endpoints,
        checks.check_authorization_query(options.authorization_uri),
        jwks,
        clock_result,
        checks.check_token_endpoint(token, answered=answered),
        checks.unless_blamed(checks.refine_client_credentials(credentials, redirect),
                             endpoints, "token URL"),
        checks.unless_blamed(redirect, endpoints, "authorization URI"),
    )
    return Diagnosis(flavour=flavour, discovery_url=discovery_url, results=results,
                     authorization_uri=options.authorization_uri, token_url=options.token_url)
