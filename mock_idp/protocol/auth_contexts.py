"""Conditional Access authentication contexts (``acrs``): step-up authentication for the parts
of an app that need more than its sign-in gave.

Sources (Microsoft Learn, "Developer guide to Conditional Access authentication context" and
"Claims challenges, claims requests and client capabilities", unless named):

- a tenant defines authentication contexts ``c1`` … ``c99`` (Graph's ``authContext``:
  "Supported values are c1 through c99") and Conditional Access policies that target them,
  typically "require multifactor authentication": here a context's requirement is ``mfa`` (a
  policy requiring MFA) or ``none`` (defined, no policy);
- an app asks for one through the ``claims`` parameter,
  ``{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`` (the guide's claims
  challenge), or several with ``values`` (OpenID Connect Core §5.5.1);
- the guide's "Summary table for expected behavior when ACRS are explicitly requested": a
  requested context whose policy is satisfied, or that no policy protects, is added to the
  access token's ``acrs``; one whose policy is not satisfied is not. A context the tenant does
  not define has no policy, so it is granted as the guide's "No policies configured" row;
- a refresh token (a silent request) for a context whose policy asks MFA the sign-in did not
  give gets AADSTS50076 (v2.0: ``invalid_grant`` with ``suberror`` ``basic_action``, as
  AzureAD/microsoft-authentication-library-for-js #5491 shows for a Conditional Access MFA
  policy; v1.0 ``interaction_required``) with ``claims``, the claims request to make
  interactively: Entra echoes its own (``capolids`` there), the mock the unmet contexts;
- a user who has no MFA method to give gets AADSTS50079 (``interaction_required`` with
  ``claims``, the On-Behalf-Of flow reference's error example): Entra would then ask them to
  register one, which the mock does not model, so the sign-in ends with that error.

The mock's choices: a voluntary request (no ``essential``) gets the contexts it satisfies
but never asks for a step-up; a value that is not ``c1`` … ``c99`` is ignored; the guide's
opportunistic evaluation (the ``acrs`` optional claim) is not modelled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EntraError

REQUIREMENTS = ("mfa", "none")
"""What a context's policies ask: multifactor authentication, or nothing (no policy)."""
CONTEXT_ID = re.compile(r"c([1-9]|[1-9][0-9])")


@dataclass(frozen=True)
class AcrsRequest:
    """The authentication contexts a ``claims`` parameter asked for in the access token."""

    asked: tuple[str, ...] = ()
    essential: frozenset[str] = frozenset()
    """The contexts asked as essential claims: a sign-in must satisfy them."""

    def merged(self, other: AcrsRequest) -> AcrsRequest:
        return AcrsRequest(tuple(dict.fromkeys((*self.asked, *other.asked))),
                           self.essential | other.essential)


NONE_ASKED = AcrsRequest()


def is_context_id(value: object) -> bool:
    return isinstance(value, str) and CONTEXT_ID.fullmatch(value) is not None


def parse(access: Mapping[str, Any]) -> AcrsRequest:
    """``access_token.acrs`` of a claims request (its shape already checked: an object or
    ``null``)."""
    member = access.get("acrs")
    if not isinstance(member, dict):
        return NONE_ASKED
    values = member.get("values")
    raw = values if isinstance(values, list) else [member.get("value")]
    asked = tuple(dict.fromkeys(v for v in raw if isinstance(v, str) and is_context_id(v)))
    return AcrsRequest(asked, frozenset(asked) if member.get("essential") is True else frozenset())


def requirement(contexts: Mapping[str, str], context: str) -> str:
    """What satisfies ``context`` in a tenant whose contexts are ``contexts``."""
    return contexts.get(context, "none")


def granted(contexts: Mapping[str, str], asked: AcrsRequest, *, mfa: bool) -> list[str]:
    """The asked contexts an authentication satisfies (``mfa``: it took a second factor)."""
    return [c for c in asked.asked if mfa or requirement(contexts, c) != "mfa"]


def unmet(contexts: Mapping[str, str], asked: AcrsRequest, *, mfa: bool) -> tuple[str, ...]:
    """The essential contexts an authentication does not satisfy."""
    return tuple(c for c in asked.asked
                 if c in asked.essential and c not in granted(contexts, asked, mfa=mfa))


def claims_challenge(contexts: tuple[str, ...]) -> str:
    """The claims request that asks for ``contexts`` again, interactively."""
    acrs = {"essential": True, "value": contexts[0]} if len(contexts) == 1 else {
        "essential": True, "values": list(contexts)}
    return json.dumps({"access_token": {"acrs": acrs}}, separators=(",", ":"))


def refused(contexts: tuple[str, ...], *, app_id: str, version: str,
            can_give_mfa: bool) -> EntraError:
    """The answer to a request that cannot step up here: AADSTS50076 for a user with an
    authenticator app, 50079 for one with no method to give."""
    extra = {"claims": claims_challenge(contexts)}
    if not can_give_mfa:
        return EntraError(50079, {"app_id": app_id}, extra=extra)
    return EntraError(50076, {"app_id": app_id}, extra=extra,
                      error="interaction_required" if version == "1.0" else None)


def read_contexts(value: Any, where: str) -> dict[str, str]:
    """A tenant's ``auth_contexts`` (``idp.toml`` or the control API): context ids mapped to
    a requirement. Raises :class:`ValueError` naming the bad entry."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a table of context ids (c1 ... c99) and "
                         f"requirements ({', '.join(REQUIREMENTS)})")
    out: dict[str, str] = {}
    for key, need in value.items():
        if not is_context_id(key):
            raise ValueError(f"{where}: {str(key)[:20]!r} is not an authentication context id "
                             f"(c1 ... c99)")
        if need not in REQUIREMENTS:
            raise ValueError(f"{where}.{key} must be one of: {', '.join(REQUIREMENTS)}")
        out[key] = need
    return out


def require_satisfied(contexts: Mapping[str, str], asked: AcrsRequest, *, mfa: bool,
                      can_give_mfa: bool, app_id: str, version: str) -> None:
    """At the token endpoint, where no one can be asked: :func:`refused` when an essential
    context is not satisfied by the authentication behind the grant."""
    missing = unmet(contexts, asked, mfa=mfa)
    if missing:
        raise refused(missing, app_id=app_id, version=version, can_give_mfa=can_give_mfa)


def no_method(contexts: tuple[str, ...], app_id: str) -> EntraError:
    """The sign-in's answer when ``contexts`` need MFA of a user with no method to give."""
    return refused(contexts, app_id=app_id, version="2.0", can_give_mfa=False)
