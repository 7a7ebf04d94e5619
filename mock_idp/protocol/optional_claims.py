"""Optional claims and directory extension claims, as an app registration configures them.

Pure functions. Sources (Microsoft Learn):
https://learn.microsoft.com/entra/identity-platform/optional-claims-reference and
https://learn.microsoft.com/entra/identity-platform/optional-claims

- An ID token takes the client app's ``optionalClaims.idToken``; an access token takes the
  *API's* ``optionalClaims.accessToken`` ("access tokens are always generated using the manifest
  of the resource"), so a Microsoft Graph token carries none of the app's.
- A claim is emitted only when it has a value (``email`` only when the user has a mail address,
  ``ctry`` only for a two-letter country code); names Entra does not know are accepted in the
  configuration and never emitted, as the portal warns.
- v1 tokens already carry ``upn``, ``family_name``, ``given_name`` and ``ipaddr``; v2 tokens only
  when configured (the "v2.0-specific optional claims set"), ``family_name``, ``given_name`` and
  ``upn`` then needing the ``profile`` scope in an ID token. ``preferred_username`` is optional
  in v1 tokens only.
- ``email``: present by default for guests; members get it through the optional claim, or in a
  v2 ID token through the ``email`` scope.
- ``upn`` of a guest: only with ``include_externally_authenticated_upn`` (its ``#EXT#`` UPN in
  this tenant), or ``include_externally_authenticated_upn_without_hash`` (``#`` becomes ``_``).
- ``idtyp``: configured on an API, ``app`` in its app-only access tokens, and ``user`` in its
  user tokens with ``include_user_token``; Microsoft Graph's tokens always carry it.
- ``xms_cc``: the client capabilities the request declared (``access_token.xms_cc.values`` in
  the ``claims`` parameter, ``CP1``), in a token whose registration configures the claim ("the
  resource server … controls the presence of this claim"); absent when none were declared.
- ``xms_edov`` ("email domain owner verified", a boolean): ``true`` when the user's mail
  address is in a verified domain of the tenant the account resides in, ``false`` otherwise;
  only in a token that carries ``email`` (optional claims reference, ``xms_edov``). Each mock
  tenant has one domain, its initial one, which Entra always counts as verified; a linked
  guest's account resides in its home tenant, whose domain its UPN names. Entra also counts
  addresses of Microsoft, Google and one-time-passcode accounts; the mock has none of those,
  so an unlinked guest's is ``false``.
- Claims an ID token's request asks for through ``claims`` are emitted as if configured
  (:mod:`mock_idp.protocol.claims_request`).
- Directory extensions: a claim with ``source: "user"`` named ``extension_<appid>_<name>``,
  registered on the same app, is emitted in a JWT as ``extn.<name>`` ("Directory extension
  formatting"); at most 10 per token ("Limitation"). An extension registered on another app is
  not emitted (that needs a claims-mapping policy, which the mock does not model).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import epoch
from ..directory import OptionalClaim
from ..guest_home import sign_in_name
from .claims_request import EMPTY, ClaimsRequest

if TYPE_CHECKING:
    from ..store import Application, Tenant, User

CLIENT_IP = "127.0.0.1"
"""``ipaddr``: the mock's users sign in from the machine it runs on."""
MAX_EXTENSION_CLAIMS = 10
V1_BASIC = frozenset({"upn", "family_name", "given_name", "ipaddr"})
"""Always in v1 tokens, optional in v2 ones."""
NEEDS_PROFILE_V2 = frozenset({"family_name", "given_name", "upn"})
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def login_hint(user: User, tenant: Tenant) -> str:
    """An opaque, stable ``login_hint`` value for the user (Entra's is opaque too)."""
    raw = f"O.{user.id}.{tenant.id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _country(value: str | None) -> str | None:
    return value.upper() if value and _COUNTRY.match(value) else None


def _upn(user: User, properties: tuple[str, ...]) -> str | None:
    if user.user_type != "Guest":
        return user.upn
    if "include_externally_authenticated_upn" in properties:
        return user.upn
    if "include_externally_authenticated_upn_without_hash" in properties:
        return user.upn.replace("#", "_")
    return None


def email_domain_verified(user: User, tenant: Tenant) -> bool | None:
    """``xms_edov``: whether the user's mail domain is a verified domain of the tenant its
    account resides in (``None`` without a mail address)."""
    if not user.email or "@" not in user.email:
        return None
    domain = user.email.rpartition("@")[2].casefold()
    if user.home is not None:
        return domain == user.home.user.upn.rpartition("@")[2].casefold()
    if user.user_type == "Guest":
        return False
    return domain == tenant.domain.casefold()


def _predefined(claim: OptionalClaim, *, tenant: Tenant, user: User, kind: str, version: str,
                scopes: tuple[str, ...], auth_time: datetime | None,
                session_id: str | None, capabilities: tuple[str, ...]) -> Any:
    """The value of a predefined optional claim, or ``None`` when it has none here."""
    name = claim.name
    if version == "1.0" and name in V1_BASIC and not (name == "upn" and user.home):
        return None  # (a guest from another tenant has no ``upn`` in v1 tokens by default)
    if kind == "id" and version == "2.0" and name in NEEDS_PROFILE_V2 and \
            "profile" not in scopes:
        return None
    values: dict[str, Any] = {
        "acct": 1 if user.user_type == "Guest" else 0,
        "ctry": _country(user.country),
        "email": user.email,
        "family_name": user.family_name,
        "given_name": user.given_name,
        "ipaddr": CLIENT_IP,
        "login_hint": login_hint(user, tenant) if kind == "id" else None,
        "tenant_ctry": _country(tenant.country),
        "tenant_region_scope": tenant.region,
        "upn": _upn(user, claim.additional_properties),
        "xms_pl": user.preferred_language,
        "xms_edov": email_domain_verified(user, tenant),
        "sid": session_id,
        # the client's capabilities (``CP1``), sent in the ``claims`` parameter
        "xms_cc": list(capabilities) or None,
    }
    if name == "auth_time":
        return epoch(auth_time) if auth_time is not None else None
    if name == "preferred_username":
        return sign_in_name(user) if version == "1.0" else None
    if name == "idtyp":
        return "user" if kind == "access" and \
            "include_user_token" in claim.additional_properties else None
    return values.get(name)


def _extension(claim: OptionalClaim, app: Application, user: User) -> tuple[str, Any] | None:
    prop = next((p for p in app.extension_properties if p.name.lower() == claim.name.lower()),
                None)
    if prop is None or "User" not in prop.target_objects or prop.name not in user.extensions:
        return None
    return f"extn.{prop.short_name}", user.extensions[prop.name]


def optional_claims(tenant: Tenant, app: Application | None, user: User, *, kind: str,
                    version: str, scopes: tuple[str, ...], auth_time: datetime | None = None,
                    session_id: str | None = None, requested: ClaimsRequest = EMPTY
                    ) -> dict[str, Any]:
    """The optional and extension claims ``app`` configures for a ``kind`` (``id`` or
    ``access``) token about ``user``, and for an ID token those ``requested`` through the
    ``claims`` parameter (:mod:`mock_idp.protocol.claims_request`); ``app`` is ``None`` for a
    resource the mock does not register (Microsoft Graph)."""
    if app is None:
        return {}
    configured = app.optional_claims.for_token(kind)
    if kind == "id":
        named = {c.name for c in configured}
        configured += tuple(OptionalClaim(name) for name in sorted(requested.id_token)
                            if name not in named)
    out: dict[str, Any] = {}
    extensions = 0
    for claim in configured:
        if claim.source == "user":
            found = _extension(claim, app, user)
            if found is not None and extensions < MAX_EXTENSION_CLAIMS:
                extensions += 1
                out[found[0]] = found[1]
            continue
        if claim.name == "groups":
            continue
        value = _predefined(claim, tenant=tenant, user=user, kind=kind, version=version,
                            scopes=scopes, auth_time=auth_time, session_id=session_id,
                            capabilities=requested.client_capabilities)
        if value is not None:
            out[claim.name] = value
    return out


def without_lone_edov(claims: dict[str, Any]) -> dict[str, Any]:
    """A token's claims without ``xms_edov`` when it carries no ``email`` ("the presence of the
    ``email`` claim is required": optional claims reference)."""
    if claims.get("email") is None:
        claims.pop("xms_edov", None)
    return claims


def default_email(user: User, *, kind: str, version: str, scopes: tuple[str, ...]) -> str | None:
    """``email`` without the optional claim: a guest's address, or a v2 ID token's when the
    ``email`` scope was asked for."""
    if user.email is None:
        return None
    if user.user_type == "Guest":
        return user.email
    if kind == "id" and version == "2.0" and "email" in scopes:
        return user.email
    return None
