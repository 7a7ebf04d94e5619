"""A user's group memberships from an Entra ID token: the ``groups`` claim, or the groups
overage followed to Microsoft Graph.

When a user is in more groups than fit in a token (200 in a JWT), Entra leaves ``groups`` out and
emits ``"_claim_names": {"groups": "src1"}`` and ``"_claim_sources": {"src1": {"endpoint":
…}}`` (OpenID Connect Core 1.0 §5.6.2 distributed claims). An app that reads only ``groups``
then sees a user with no groups at all. This module follows the overage:

- the endpoint is called with ``POST`` and ``{"securityEnabledOnly": false}`` and the user's
  Microsoft Graph access token from the same token response (``User.Read`` is enough for a
  user's own memberships: https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects);
- Entra's endpoint is an Azure AD Graph URL (``graph.windows.net``), which Microsoft tells apps
  not to rely on ("Groups overage claim" in the access token claims reference): Azure AD Graph
  is retired and takes no Microsoft Graph token. It is replaced by Microsoft Graph's
  ``/v1.0/users/{oid}/getMemberObjects`` on the configured Graph (``Settings.graph_url``: a
  national cloud's, or a test provider's Graph-shaped API);
- the token is only ever sent to that Graph or to the provider's own origin, that of the
  token endpoint this app already sends its client secret to (a provider that names its own
  Graph-shaped API in the claim), never to another host a token names. Not the issuer's:
  Entra's v1 issuer is on ``sts.windows.net``, which serves nothing;
- ``hasgroups`` (the implicit flow's overage, which this app's code flow never gets) is followed
  the same way, at the configured Graph.

A failed lookup fails the sign-in (:class:`GroupsUnavailable`): a user silently left with no
groups is the bug this exists to avoid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ._http import DEFAULT_TIMEOUT, json_object, send
from .errors import LoginError

__all__ = ["GroupMemberships", "GroupsUnavailable", "overage_endpoint", "resolve_groups"]

MICROSOFT_GRAPH = "https://graph.microsoft.com"
AZURE_AD_GRAPH_HOSTS = frozenset({"graph.windows.net"})
MAX_GROUPS = 11_000
"""getMemberObjects answers at most this many ids."""
_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


class GroupsUnavailable(LoginError):
    """The token says the user is in too many groups to list, and Graph did not list them."""

    code = "groups_unavailable"
    default_message = ("We could not read your group memberships from your organization's "
                       "directory. Please try again or contact support.")
    default_admin_hint = (
        "The user is in more groups than fit in a token (groups overage) and the app could not "
        "get them from Microsoft Graph. Check that sign-in grants the User.Read permission, or "
        "emit only the groups assigned to the application (groupMembershipClaims "
        "ApplicationGroup).")


@dataclass(frozen=True)
class GroupMemberships:
    ids: tuple[str, ...]
    source: str
    """``token`` (the groups claim), ``graph`` (the overage, followed) or ``none`` (the app
    registration emits no groups)."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def overage_endpoint(claims: Mapping[str, Any]) -> str | None:
    """The claim source ``_claim_names.groups`` names, or ``None`` without an overage.
    Raises :class:`GroupsUnavailable` for an overage whose source is missing or malformed."""
    names = claims.get("_claim_names")
    if not isinstance(names, Mapping) or "groups" not in names:
        return None
    name = names["groups"]
    if not isinstance(name, str):
        raise GroupsUnavailable("_claim_names.groups is not the name of a claim source")
    sources = claims.get("_claim_sources")
    source = sources.get(name) if isinstance(sources, Mapping) else None
    endpoint = source.get("endpoint") if isinstance(source, Mapping) else None
    if not isinstance(endpoint, str) or not endpoint:
        raise GroupsUnavailable(f"_claim_names.groups names source {name[:100]!r}, "
                                f"which _claim_sources does not describe")
    return endpoint


def graph_url(endpoint: str | None, *, provider: str, oid: str | None,
              graph: str = MICROSOFT_GRAPH) -> str:
    """Where to ask for the memberships: ``graph`` (Microsoft Graph's base URL) in place of
    Azure AD Graph, the endpoint itself on the origin of ``provider`` (its token endpoint) or of
    ``graph``, nothing else."""
    if endpoint is None or (urlsplit(endpoint).hostname or "") in AZURE_AD_GRAPH_HOSTS:
        if not oid or not _ID.match(oid):
            raise GroupsUnavailable("groups overage, but the ID token has no oid to ask "
                                    "Microsoft Graph about")
        return f"{graph.rstrip('/')}/v1.0/users/{oid}/getMemberObjects"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or _origin(endpoint) not in (
            _origin(provider), _origin(graph)) or parts.fragment:
        raise GroupsUnavailable(f"groups overage endpoint {endpoint[:200]!r} is neither on "
                                f"Microsoft Graph nor on the provider's origin; not sending the "
                                f"user's token there")
    return endpoint


def _ids(body: Mapping[str, Any] | None) -> tuple[str, ...]:
    values = body.get("value") if body is not None else None
    if not isinstance(values, list) or len(values) > MAX_GROUPS or not all(
            isinstance(v, str) and _ID.match(v) for v in values):
        raise GroupsUnavailable("getMemberObjects did not answer {\"value\": [ids]}")
    return tuple(dict.fromkeys(values))


async def resolve_groups(client: httpx.AsyncClient, claims: Mapping[str, Any], *,
                         provider: str, access_token: str | None,
                         graph: str = MICROSOFT_GRAPH,
                         timeout: httpx.Timeout | float = DEFAULT_TIMEOUT) -> GroupMemberships:
    """The user's groups: from ``groups``, or by following the overage with ``access_token``
    to ``graph`` (Microsoft Graph's base URL)."""
    groups = claims.get("groups")
    if isinstance(groups, list):
        if not all(isinstance(g, str) for g in groups):
            raise GroupsUnavailable("the groups claim is not a list of strings")
        return GroupMemberships(tuple(groups), "token")
    endpoint = overage_endpoint(claims)
    if endpoint is None and claims.get("hasgroups") is not True:
        return GroupMemberships((), "none")
    oid = claims.get("oid")
    url = graph_url(endpoint, provider=provider, oid=oid if isinstance(oid, str) else None,
                    graph=graph)
    if not access_token:
        raise GroupsUnavailable("groups overage, but the token response had no access token")
    response = await send(
        client, "POST", url, endpoint="graph", timeout=timeout,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json",
                 "Content-Type": "application/json"},
        content=json.dumps({"securityEnabledOnly": False}).encode())
    if response.status_code != 200:
        # The start of the body as UTF-8, not in the charset the server names: UTF-7 or
        # unicode_escape would spell a lone surrogate, which the error log cannot store.
        start = response.content[:300].decode("utf-8", "replace")
        raise GroupsUnavailable(f"getMemberObjects at {url} answered HTTP "
                                f"{response.status_code}: {start}")
    return GroupMemberships(_ids(json_object(response)), "graph")
