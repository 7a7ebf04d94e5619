"""The links of a platform event (``_links``): provider URLs the relying party calls later,
held to the same rules as a connection's (:func:`relying_party.inputs.url_problem`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .inputs import InputError, url_problem
from .oidc.discovery import derive_discovery_url


def link(links: Mapping[str, Any], name: str, *, allow_http: bool) -> str:
    """A provider URL the RP will call later: held to the same rules as a connection's."""
    field = f"_links.{name}.href"
    entry = links.get(name)
    href = entry.get("href") if isinstance(entry, dict) else None
    if not isinstance(href, str):
        raise InputError.of(field, "is required (an absolute https URL)")
    problem = url_problem(href, allow_http=allow_http)
    if problem is not None:
        raise InputError.of(field, problem)
    return href


def api_root_link(links: Mapping[str, Any], *, allow_http: bool) -> str:
    """The platform's API root (``_links.root``), which the Apps API paths are added to."""
    root = link(links, "root", allow_http=allow_http)
    if "?" in root:
        raise InputError.of("_links.root.href", "must not have a query (paths are added to it)")
    return root


def discovery_link(links: Mapping[str, Any], authorization_url: str, *, allow_http: bool
                   ) -> str:
    """The installation's OpenID Connect discovery document: the ``openid_configuration`` link
    when the event has one (the platform's documented links do not include it), else the one
    belonging to the authorization endpoint's issuer (:func:`derive_discovery_url`), e.g.
    ``https://{account}.talkdeskid.com/oauth/authorize`` →
    ``https://{account}.talkdeskid.com/.well-known/openid-configuration``."""
    if links.get("openid_configuration") is not None:
        return link(links, "openid_configuration", allow_http=allow_http)
    derived = derive_discovery_url(authorization_url)
    problem = url_problem(derived, allow_http=allow_http)
    if problem is not None:
        raise InputError.of("_links.authorization.href",
                            f"gives no usable discovery URL ({derived}: {problem})")
    return derived
