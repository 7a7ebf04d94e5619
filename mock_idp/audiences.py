"""An app's supported account types (Graph ``signInAudience``), and ``idp.toml``'s reading of
them with the redirect URI rules that depend on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import registration_rules
from .config_fields import ConfigError, req_str

__all__ = ["SIGN_IN_AUDIENCES", "SINGLE_TENANT", "read_audience"]

# Graph's signInAudience values (learn.microsoft.com/graph/api/resources/application; MSAL.NET's
# AadAuthorityAudience maps each to its authority). A new registration in the portal is single
# tenant unless another "Supported account types" is chosen.
SINGLE_TENANT = "AzureADMyOrg"
SIGN_IN_AUDIENCES = (SINGLE_TENANT, "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount",
                     "PersonalMicrosoftAccount")


def read_audience(d: Mapping[str, Any], where: str, web: Sequence[str], spa: Sequence[str]
                  ) -> str:
    """An app table's ``sign_in_audience``, and its redirect URIs checked against it and
    :mod:`mock_idp.registration_rules`' limits; a
    :class:`ConfigError` names the key at fault."""
    value = req_str(d, "sign_in_audience", where, SINGLE_TENANT)
    if value not in SIGN_IN_AUDIENCES:
        raise ConfigError(f"{where}.sign_in_audience must be one of {', '.join(SIGN_IN_AUDIENCES)}")
    problem = registration_rules.redirect_list_problem(web, spa, value)
    if problem is not None:
        kind, index, why = problem
        key = "redirect_uris" if kind == "web" else "spa_redirect_uris"
        raise ConfigError(f"{where}.{key}" + (f"[{index}]" if index is not None else "")
                          + f" {why}")
    return value
