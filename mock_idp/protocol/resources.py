"""Which resource a token request names, and the ``scope`` Entra echoes back for it.

A v2 request names its resource through its scopes: ``User.Read`` and
``https://graph.microsoft.com/User.Read`` are Microsoft Graph's, ``api://<app>/access_as_user``
belongs to the app registered with that identifier URI (or app id), ``<resource>/.default``
stands for everything granted on the resource. A v1 request names it with ``resource``.

The ``scope`` member of a v2 token response is what MSAL caches the access token under (MSAL
Python and msal-node keep it as the entry's target and serve a silent request from it only
when every scope asked is among it), so it follows Entra's form exactly
(:func:`echoed_scope`):

- Each permission comes back in the form it was asked: a bare Microsoft Graph name as a short
  name (asked ``User.Read offline_access openid profile``, Entra answers
  ``User.Read profile openid email``: the token-response sample in Microsoft's device-code and
  ROPC references), a full URI as the full URI, on the prefix the request wrote (Microsoft's
  on-behalf-of reference answers ``https://graph.microsoft.com/user.read`` for that scope;
  nock recordings of Entra's answers to msal-node clients read
  ``email openid profile https://graph.microsoft.com/…``).
- ``<resource>/.default`` comes back as every permission it stood for, each on the prefix as
  asked, followed by the ``.default`` scope itself: Azure/azure-cli #32931 shows ARM's answer
  ``https://management.core.windows.net//user_impersonation
  https://management.core.windows.net//.default`` for ``https://management.core.windows.net//.default``;
  a recorded refresh for ``https://graph.microsoft.com/.default offline_access`` is answered
  ``email openid profile https://graph.microsoft.com/Mail.ReadWrite …
  https://graph.microsoft.com/.default``; custom APIs' answers are cached as
  ``api://<app id>/user_impersonation api://<app id>/.default``, and MSAL.js cache entries read
  ``https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/.default``.
- Microsoft Graph adds ``profile openid email`` when ``openid`` was asked, and for Graph's
  ``.default`` whether or not it was (the recorded refresh above asked no ``openid``): consent
  to any scope includes the OpenID Connect scopes, which is why ``email`` comes back unasked
  (MicrosoftDocs/azure-docs #101648); ``offline_access`` is never echoed. They follow short
  names and precede full URIs, as in the answers above (MSAL compares sets: order is not
  significant to it).
- Any other resource: its scope URIs only, no OpenID Connect scopes
  (AzureAD/microsoft-authentication-library-for-dotnet #1547: asked ``<api scope> email``, the
  answer is the API scope alone; MicrosoftDocs/azure-docs #68619).

The client credentials grant answers with no ``scope`` at all (the client-credentials
reference's success response), and MSAL then caches under the scope it asked:
:mod:`mock_idp.endpoints.app_only`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..config_fields import is_guid
from ..consent import consented
from ..errors import EntraError
from ..store import Application, Tenant
from . import graph_permissions
from .claims import (
    AZURE_AD_GRAPH,
    GRAPH_AUDIENCES,
    GRAPH_DEFAULT_SCOPES,
    GRAPH_RESOURCE_ID,
    GRAPH_RESOURCE_URI,
    OIDC_SCOPES,
    V1_DEFAULT,
    resource_scopes,
)

GRAPH_ALIASES = frozenset({GRAPH_RESOURCE_URI, GRAPH_RESOURCE_ID, AZURE_AD_GRAPH})
ID_TOKEN_SCOPES = ("profile", "openid", "email")
"""The OpenID Connect scopes Entra echoes for Microsoft Graph, in its order."""


@dataclass(frozen=True)
class Resource:
    """The resource a token is for."""

    audience: str
    """The resource's app id (the API's, or Microsoft Graph's): what grants and consent name.
    A token's ``aud`` is :attr:`token_audience`."""
    token_version: str
    """The access token's version, which the resource decides, not the endpoint: Graph takes
    v1 tokens, an API what its ``api.requestedAccessTokenVersion`` asks (:func:`api_version`)."""
    prefix: str
    """How the request named the resource (``https://graph.microsoft.com``, ``api://…``)."""
    app: Application | None = None
    """The API's registration; ``None`` for Microsoft Graph."""
    named: str | None = None
    """The identifier the request named the resource by (``resource``, or a scope's prefix);
    ``None`` for Graph's bare permission names."""
    aud: str | None = None
    """An ``aud`` other than the one the request's naming gives (:data:`V1_DEFAULT`)."""

    @property
    def is_graph(self) -> bool:
        return self.app is None

    @property
    def token_audience(self) -> str:
        """The access token's ``aud``. A v2 token's is always the app id; a v1 token's is the
        resource as the request named it: the identifier URI, or the app id (the access-token
        reference's ``aud``; MicrosoftDocs/azure-docs #50881, an App ID URI comes back as the
        ``aud``; TheNetworg/oauth2-azure #209, ``api://…`` in v1 tokens;
        AzureAD/microsoft-identity-web #1081, the app id when asked for ``<app id>/.default``).
        Graph permissions asked by their bare names give Graph's app id, as in Entra's samples."""
        if self.aud is not None:
            return self.aud
        if self.token_version == "2.0" or self.named is None or is_guid(self.named):
            return self.audience
        return self.named


GRAPH = Resource(audience=GRAPH_RESOURCE_ID, token_version="1.0", prefix=GRAPH_RESOURCE_URI)


def _split(scope: str) -> tuple[str, str]:
    """``api://x/read`` -> (``api://x``, ``read``); a bare name is Microsoft Graph's."""
    if "/" not in scope:
        return GRAPH_RESOURCE_URI, scope
    prefix, _, name = scope.rpartition("/")
    return prefix, name


def api_version(app: Application) -> str:
    """The version of the access tokens issued for ``app`` as an API: v2 only when its
    registration asks for 2; unset (``null``, a new registration's value for work and school
    accounts) or 1 gives v1, whichever endpoint the client called. Sources: the app manifest
    reference (null means 1); MicrosoftDocs/azure-docs #19304 and #30142,
    AzureAD/microsoft-authentication-library-for-js #3414, Azure-Samples/ms-identity-javascript-v2
    #39 (v1 is a single-tenant app's default), microsoft-authentication-library-for-python
    #426."""
    return "2.0" if app.requested_access_token_version == 2 else "1.0"


def find(tenant: Tenant, name: str) -> Resource:
    """The resource a request's ``resource`` (or a scope's prefix) names, or AADSTS500011."""
    key = name.rstrip("/").lower()
    if key == V1_DEFAULT:
        return replace(GRAPH, named=V1_DEFAULT, aud=V1_DEFAULT)
    if key == AZURE_AD_GRAPH:
        return replace(GRAPH, named=name, aud=name)
    if key in GRAPH_ALIASES:
        # Graph's own spellings as asked; any other (another case, Azure AD Graph's URL) as
        # Graph's URL, which is what the mock's Graph accepts.
        return replace(GRAPH, named=name if name in GRAPH_AUDIENCES else GRAPH_RESOURCE_URI)
    for app in tenant.apps.values():
        if key == app.client_id or key in (u.rstrip("/").lower() for u in app.identifier_uris):
            return Resource(audience=app.client_id, token_version=api_version(app),
                            prefix=name.rstrip("/"), app=app, named=name)
    raise EntraError(500011, {"resource": name, "tenant": tenant.domain})


def check_not_itself_by_uri(target: Resource, client: Application, resource: str | None) -> None:
    """AADSTS90009 when ``resource`` (a v1 ``resource``, or the resource a v2 refresh falls back
    to) names the requesting app itself by an identifier URI (``api://<its id>``): a token for
    itself is issued only for its GUID application id (TokenForItselfMissingIdenticalAppIdentifier
    in https://learn.microsoft.com/entra/identity-platform/reference-error-codes)."""
    if resource and target.app is not None and target.app.client_id == client.client_id \
            and not is_guid(resource.strip().rstrip("/")):
        raise EntraError(90009, {"app_id": client.client_id, "resource": resource})


def check_enabled(target: Resource) -> None:
    """AADSTS500014 for an API whose service principal is disabled ("Enabled for users to sign
    in?" off, Graph ``accountEnabled`` false): no token is issued for it. The message names the
    resource as the request did (an app id, or a URI such as ``https://vault.azure.net`` in
    MSAL.NET #4905's client credentials run)."""
    if target.app is not None and not target.app.enabled:
        raise EntraError(500014, {"resource": target.named or target.audience})


def resolve(tenant: Tenant, scopes: tuple[str, ...], resource: str | None = None) -> Resource:
    """The resource of a request: ``resource`` when given (v1), else its first resource scope."""
    if resource:
        return find(tenant, resource)
    for scope in resource_scopes(scopes):
        if "/" not in scope:
            return GRAPH  # a bare permission name: Graph's, named by no identifier
        return find(tenant, _split(scope)[0])
    return GRAPH


def check_resource_parameter(tenant: Tenant, scopes: tuple[str, ...], resource: str | None
                             ) -> None:
    """AADSTS9010010 (``invalid_target``) for v1's ``resource`` at the v2 token endpoint
    unless it names, exactly, the resource ``scopes`` ask for: one of its identifier URIs
    (Graph's URL, with or without its slash), never its app id or another spelling. Entra takes
    the resource from the scopes at v2 and checks the parameter against the identifier URIs of
    the app that owns them (opencode #12308, where the check is said to source its values from
    the identifier URIs; claude-ai-mcp #514: ``api://<app id>`` with or without a trailing
    ``/`` refused beside scopes of another resource). Scopes that name no resource (``openid``
    alone) are Microsoft Graph's, whose token they get: an API's ``resource`` beside them is
    refused (claude-code #52871). It never picks the token's audience: that is the scopes'."""
    if not resource:
        return
    target = resolve(tenant, scopes)
    names = (GRAPH_RESOURCE_URI, f"{GRAPH_RESOURCE_URI}/") if target.app is None \
        else target.app.identifier_uris
    if resource not in names:
        raise EntraError(9010010)


def one_resource(tenant: Tenant, scopes: tuple[str, ...]) -> None:
    """AADSTS28000 when a token request's ``scope`` names more than one resource: an
    authorization request may ask several (one consent), a token is for one."""
    if len({resolve(tenant, (s,)).audience for s in resource_scopes(scopes)}) > 1:
        raise EntraError(28000, {"scope": " ".join(scopes)[:1000]})


def default_alone(scopes: tuple[str, ...]) -> None:
    """AADSTS70011 when ``<resource>/.default`` stands beside another resource scope (a named
    permission, or another resource's ``.default``); the OpenID Connect scopes may go with it.
    Entra refuses it at the authorization endpoint (MSAL.js #1718 and #4071, oauth2-proxy
    #2158) and in the on-behalf-of request (MicrosoftDocs/entra-docs #1501)."""
    asked = resource_scopes(scopes)
    if len(asked) > 1 and any(s.endswith("/.default") for s in asked):
        raise EntraError(70011, {"scope": " ".join(scopes)[:1000], "reason": (
            ".default scope can't be combined with resource-specific scopes")})


def known(tenant: Tenant, scopes: tuple[str, ...], resource: str | None = None) -> None:
    """AADSTS500011 unless ``tenant`` knows every resource a request names: its ``resource``
    (v1), else each resource scope's. Checked before anyone signs in (the authorization and
    device authorization endpoints)."""
    if resource:
        find(tenant, resource)
        return
    for scope in resource_scopes(scopes):
        resolve(tenant, (scope,))


def _of(target: Resource, prefix: str) -> bool:
    """Whether a scope's ``prefix`` names ``target``."""
    aliases = GRAPH_ALIASES if target.is_graph else {target.prefix.lower(), target.audience}
    return prefix.rstrip("/").lower() in aliases


def permissions(target: Resource, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The permission names the scopes ask of ``target`` (``.default`` and other resources'
    scopes left out), in the order asked; Graph's as Entra spells them
    (:mod:`mock_idp.protocol.graph_permissions`)."""
    names = []
    for scope in resource_scopes(scopes):
        prefix, name = _split(scope)
        if _of(target, prefix) and name and name != ".default":
            names.append(graph_permissions.spelt(name) if target.is_graph else name)
    return tuple(dict.fromkeys(names))


def by_resource(tenant: Tenant, scopes: tuple[str, ...],
                configured: Mapping[str, tuple[str, ...]] | None = None
                ) -> dict[str, tuple[str, ...]]:
    """The permissions ``scopes`` ask for, by resource (app id), as a consent records them:
    OpenID Connect's scopes on Microsoft Graph's grant, unknown resources left out;
    ``<resource>/.default`` as the app's ``configured`` permissions on it (the static
    permissions of its registration, which a ``.default`` consent prompt asks for: "Scopes and
    permissions", the .default scope)."""
    out: dict[str, list[str]] = {}
    for scope in scopes:
        if scope.lower() in OIDC_SCOPES:
            out.setdefault(GRAPH_RESOURCE_ID, []).append(scope)
            continue
        try:
            target = resolve(tenant, (scope,))
        except EntraError:
            continue
        named = permissions(target, (scope,))
        if not named and _split(scope)[1] == ".default":
            named = tuple((configured or {}).get(target.audience, ()))
        out.setdefault(target.audience, []).extend(named)
    return {resource: tuple(dict.fromkeys(names)) for resource, names in out.items() if names}


def asks_everything(target: Resource, scopes: tuple[str, ...], resource: str | None) -> bool:
    """Whether the request stands for every permission granted on ``target`` rather than
    naming some: ``<target>/.default``, or v1's ``resource`` (the v2 ``.default`` "is
    functionally the same as" v1's ``resource``: Microsoft identity platform, "Scopes and
    permissions", the .default scope), or an API none of whose permissions is named."""
    if resource or not target.is_graph:
        return True
    return any(_split(s)[1] == ".default" and _split(s)[0].rstrip("/").lower() in GRAPH_ALIASES
               for s in resource_scopes(scopes))


def granted(target: Resource, scopes: tuple[str, ...], held: tuple[str, ...] = (), *,
            resource: str | None = None) -> tuple[str, ...]:
    """What a user token for ``target`` carries in ``scp``: the names asked; for ``.default``
    (or v1's ``resource``) ``held``, every delegated permission the user or an administrator
    granted the app on ``target`` (:func:`mock_idp.consent.consented`), as Entra issues it
    (Microsoft Q&A 1188617: a permission not granted is not in a ``.default`` token, whatever
    the app asks for); for a v2 request that names no Graph permission (``openid`` alone),
    Graph's ``User.Read``."""
    names = permissions(target, scopes)
    if names:
        return names
    return held if asks_everything(target, scopes, resource) else GRAPH_DEFAULT_SCOPES


OWN_API_SCOPE = "user_impersonation"
"""What a token an app asks for itself carries when nothing is granted on it: the scope Entra
creates for an app exposed as an API by App Service's authentication setup ("a default scope of
``api://<client-id>/user_impersonation`` was created", learn.microsoft.com/azure/app-service/
configure-authentication-mcp). An app needs no consent to call itself
(:mod:`mock_idp.protocol.multi_resource`)."""


def user_permissions(tenant: Tenant, app: Application, user_id: str, target: Resource,
                     scopes: tuple[str, ...], resource: str | None = None) -> tuple[str, ...]:
    """:func:`granted` for ``user_id`` signing in to ``app``: ``.default`` (or v1's
    ``resource``) is what the user or an administrator consented to on ``target``, and
    AADSTS65001 (``consent_required``) when that is nothing, as a token request for a
    resource without consent is answered (the refresh-token and on-behalf-of grants here)."""
    held = consented(tenant.grants, app.client_id, target.audience, user_id)
    if not held and target.app is not None and target.app.client_id == app.client_id:
        held = (OWN_API_SCOPE,)
    names = granted(target, scopes, held, resource=resource)
    if not names:
        raise EntraError(65001, {"app_id": app.client_id, "app_name": app.name})
    return names


def check_default_listed(tenant: Tenant, app: Application, user_id: str,
                         scopes: tuple[str, ...], resource: str | None = None) -> None:
    """AADSTS650057 (``invalid_client``), sent back from the sign-in, when a request stands for
    everything on an API (``<api>/.default``, or v1's ``resource``) that the app's registration
    lists no permission of (its ``requiredResourceAccess``: :attr:`Application.api_permissions`
    and ``app_permissions``) and on which nothing is granted for the user: Entra cannot ask
    consent for the registration's permissions on it, there being none, and refuses the
    sign-in instead of issuing a code the token endpoint would refuse (Azure/azure-cli #33887,
    ``az login --scope api://…/.default`` with an empty list of valid resources;
    ploomber/msal_streamlit_authentication #43, ``error=invalid_client`` in the fragment after
    sign-in; microsoft/Agents #358 and MicrosoftDocs/azure-docs #30816, a v1 ``resource``).
    Microsoft Graph always has ``User.Read`` (:data:`mock_idp.consent.DEFAULT_CONSENT`), and an
    app may ask for itself (:data:`OWN_API_SCOPE`); neither is refused."""
    named = [resource] if resource else [
        _split(s)[0] for s in resource_scopes(scopes) if _split(s)[1] == ".default"]
    listed = tuple(dict.fromkeys((*app.api_permissions, *app.app_permissions)))
    for name in named:
        try:
            target = find(tenant, name)
        except EntraError:
            continue  # unknown: AADSTS500011, at the authorize or token endpoint
        if target.app is None or target.app.client_id == app.client_id \
                or target.audience in listed \
                or consented(tenant.grants, app.client_id, target.audience, user_id):
            continue
        raise EntraError(650057, {"app_id": app.client_id, "app_name": app.name,
                                  "resource": name, "resource_id": target.audience,
                                  "listed": ", ".join(listed)})


def token_scopes(target: Resource, scopes: tuple[str, ...], names: tuple[str, ...]
                 ) -> tuple[str, ...]:
    """A user access token's ``scp`` for ``target``: the permissions ``names``
    (:func:`granted`), after the OpenID Connect scopes asked for in a Microsoft Graph token."""
    if not target.is_graph:
        return names
    return (*(s for s in scopes if s in ID_TOKEN_SCOPES), *names)


def echoed_scope(target: Resource, names: tuple[str, ...], requested: tuple[str, ...]) -> str:
    """The v2 token response's ``scope`` for a token carrying ``names`` (:func:`granted`) on
    ``target``: each permission in the form ``requested`` wrote it, a ``.default`` as what it
    stood for on its prefix then itself, Graph's OpenID Connect scopes (see the module doc)."""
    echoed: list[str] = []
    left = list(names)
    everything = False
    for scope in resource_scopes(requested):
        bare = "/" not in scope
        prefix, name = _split(scope)
        if not bare and not _of(target, prefix):
            continue
        if name == ".default":
            everything = True
            echoed += (f"{prefix}/{n}" for n in left)
            echoed.append(scope)
            left = []
            continue
        spelt = graph_permissions.spelt(name) if target.is_graph else name
        match = next((n for n in left if n.lower() == spelt.lower()), None)
        if match is None:
            continue
        left.remove(match)
        echoed.append(match if bare else f"{prefix}/{match}")
    # Names no scope asked in a form of its own (``openid`` alone gets Graph's User.Read): the
    # short form for Graph, the identifier the resource was named by for an API.
    echoed += (n if target.is_graph else f"{target.prefix}/{n}" for n in left)
    if not target.is_graph:
        return " ".join(dict.fromkeys(echoed))
    oidc = ID_TOKEN_SCOPES if everything or "openid" in requested else ()
    short_first = not echoed or "/" not in echoed[0]
    ordered = (*echoed, *oidc) if short_first else (*oidc, *echoed)
    return " ".join(dict.fromkeys(ordered))
