"""The ID-token hash rows (``at_hash``, ``c_hash``): which flow requires the hash, which ID
token the row breaks, and what the row says where the flow leaves the hash optional.

OpenID Connect Core 1.0, by the app's ``response_type`` (the sections cited in the rows):

* ``code``: one ID token, from the token endpoint. Its ``at_hash`` is optional (3.1.3.6) and
  the client MAY check it against the access token beside it (3.1.3.8); 3.1.3.6 has no
  ``c_hash`` (the token endpoint returns no code).
* ``id_token``: one ID token, from the authorization endpoint, with neither an access token
  nor a code: ``at_hash`` is not used (3.2.2.10), nor ``c_hash``; the rows do not apply.
* ``id_token token``: the authorization endpoint's ID token MUST carry ``at_hash`` (3.2.2.10),
  which the client checks against the access token (3.2.2.9).
* ``code id_token``: the authorization endpoint returns the code and an ID token, which MUST
  carry ``c_hash`` (3.3.2.11), checked against the code (3.3.2.10); it returns no access token,
  so that ID token need not carry ``at_hash`` (3.3.2.11: required only with an access token
  from the authorization endpoint). The access token comes from the token endpoint with a
  second ID token, whose ``at_hash`` may be omitted (3.3.3.6) and which the client MAY check as
  in the code flow (3.3.3.9, 3.1.3.8). The ``at_hash`` row breaks that second ID token, the one
  whose ``at_hash`` binds an access token (:func:`hash_endpoint`).
* ``code token``: the only ID token is the token endpoint's, both hashes optional (3.3.3.6).
* ``code id_token token``: the authorization endpoint's ID token MUST carry both (3.3.2.11),
  and the client checks them (3.3.2.9, 3.3.2.10).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "flow_name",
    "hash_endpoint",
    "hash_reason",
    "hash_required",
    "hash_unexercised",
    "response_types",
]

Claim = Literal["at_hash", "c_hash"]


def response_types(response_type: str | None) -> set[str]:
    return set(response_type.split()) if response_type else set()


def flow_name(response_type: str | None) -> str:
    if response_type is None:
        return "an unknown flow (no authorization request in the provider's log)"
    return f"response_type={response_type.replace(' ', '+')}"


def hash_required(claim: str, response_type: str | None) -> bool:
    """Whether the ID token of this flow must carry ``claim`` and the client must check it:
    ``at_hash`` with an access token from the authorization endpoint (``id_token token``,
    ``code id_token token``: Core 3.2.2.10, 3.3.2.11), ``c_hash`` with a code from it
    (``code id_token``, ``code id_token token``: 3.3.2.11). Elsewhere both are optional."""
    kinds = response_types(response_type)
    if "id_token" not in kinds:
        return False
    return ("token" if claim == "at_hash" else "code") in kinds


def hash_endpoint(claim: str, response_type: str | None) -> str | None:
    """The endpoint whose ID token the ``claim`` row's fault breaks (``None``: the first ID
    token issued, as any other row's fault). ``at_hash`` in a flow whose only access token
    comes from the token endpoint (``code``, ``code id_token``): the token endpoint's, as in
    ``code id_token`` the authorization endpoint's ID token comes with no access token for
    ``at_hash`` to bind (Core 3.3.2.11, 3.3.3.6)."""
    kinds = response_types(response_type)
    if claim == "at_hash" and "code" in kinds and "token" not in kinds:
        return "token"
    return None


def hash_unexercised(claim: str, response_type: str | None) -> str | None:
    """Why a ``claim`` row whose fault never fired, although the app signed in, tested
    nothing rather than failed (``None``: the fault should have fired): with ``code
    id_token`` an app may sign in on the authorization endpoint's ID token and never redeem
    its code, so it never gets the access token (nor the ID token) the row breaks."""
    kinds = response_types(response_type)
    if hash_endpoint(claim, response_type) != "token" or "id_token" not in kinds:
        return None
    return (f"not exercised: the RP signed in without redeeming its code at the token endpoint, "
            f"so it got no access token for {claim} to bind (with {flow_name(response_type)} "
            "only the token endpoint returns one)")


def hash_reason(claim: Claim, response_type: str | None, outcome: str) -> str:
    """Why the ``claim`` row is informational in a flow that does not require the hash
    (:func:`hash_required` is false), ending with what the app did (``outcome``)."""
    kinds = response_types(response_type)
    flow = flow_name(response_type)
    at = claim == "at_hash"
    hashed, required = (("access token", "id_token token or code id_token token: OpenID "
                         "Connect Core 3.2.2.10, 3.3.2.11") if at
                        else ("authorization code", "code id_token or code id_token token: "
                              "OpenID Connect Core 3.3.2.11"))
    if response_type is None:
        return (f"informational: with {flow} it cannot be told whether {claim} was required "
                f"(only in an ID token the authorization endpoint issues with an {hashed}, as "
                f"with response_type {required}); the app {outcome}")
    if not kinds & ({"code", "token"} if at else {"code"}):
        return (f"informational: the row does not apply to {flow}, which returns no {hashed}, "
                f"so there is nothing for {claim} to bind; the app {outcome}")
    if at and "id_token" in kinds:  # code id_token: the token endpoint's ID token was broken
        return (f"informational: with {flow} the authorization endpoint returns the code and an "
                "ID token but no access token, so that ID token need not carry at_hash (OpenID "
                "Connect Core 3.3.2.11); the access token comes from the token endpoint with a "
                "second ID token, whose at_hash is optional (3.3.3.6) and which the client MAY "
                "check (3.3.3.9, 3.1.3.8): the row broke that one; the app "
                f"{outcome}")
    optional = ("3.1.3.6, which lists no c_hash: the token endpoint returns no code" if not at
                else "3.1.3.6; the client MAY check it, 3.1.3.8")
    if "token" in kinds:  # code token: the hybrid flow's token endpoint
        optional = "3.3.3.6" + ("" if at else ": the token endpoint returns no code")
    return (f"informational: with {flow} the ID token comes from the token endpoint, where "
            f"{claim} is optional (OpenID Connect Core {optional}); it is required only in an "
            f"ID token the authorization endpoint issues with an {hashed} (response_type "
            f"{required}); the app {outcome}")
