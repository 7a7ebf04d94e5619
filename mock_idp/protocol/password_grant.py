"""The resource owner password credentials grant (ROPC): ``grant_type=password``.

What Entra does, from its ROPC reference (entra-docs, "Microsoft identity platform and OAuth
2.0 Resource Owner Password Credentials") and what clients report:

- one request to the token endpoint with ``username`` and ``password``; a public client sends
  no secret (the app must allow public client flows), a confidential one authenticates as
  usual (AADSTS7000218 without a secret: joelmeiller/cypress-msal-login #11);
- the v2.0 endpoint refuses ``common`` and ``consumers`` (``invalid_request``, AADSTS9001023)
  and takes a tenant or ``organizations``; the v1.0 endpoint also takes ``common``
  (password-spray tools such as MSOLSpray post there). Through either, a multi-tenant app's
  user of another organization signs in at home, as on the sign-in page;
- an unknown user is AADSTS50034, a wrong password AADSTS50126, a disabled account AADSTS50057,
  a locked one AADSTS50053 (smart lockout counts these attempts with the sign-in page's:
  :mod:`mock_idp.lockout`), as such tools and MSAL's own test runs (MSAL Python #211) see them;
- nobody can be asked anything: scopes the user (or an administrator) has not consented to
  are ``invalid_grant`` with ``suberror`` ``consent_required`` (AADSTS65001), a user not
  assigned to an app that requires assignment is AADSTS50105, a user who must give a second
  factor (here, one with an authenticator app) is blocked, as the reference says (AADSTS50076),
  and so is one whose password must change (AADSTS50055, ``user_password_expired`` with a
  ``password_change_url``, as the body Microsoft's HDInsight troubleshooting quotes from an
  ROPC client; reported too by pam-aad users whose new account had a temporary password:
  ubuntu/aad-auth #238);
- the answer is the code redemption's: an ID token for ``openid``, a refresh token for
  ``offline_access``, the access token for the one resource asked.

A password with leading or trailing whitespace, which the reference says this grant does not
support, is refused as a wrong one (AADSTS50126) and not counted toward a lockout.

The reference calls ``scope`` recommended; the mock requires it on v2.0 (AADSTS900144), as it
does for client credentials, and ``resource`` on v1.0, so a request that names neither is told
which field it lacks.
"""

from __future__ import annotations

from datetime import datetime

from ..directory import is_assigned, needs_assignment
from ..errors import EntraError
from ..signin import flow
from ..store import Application, Tenant, User
from . import claims as claimset
from .incremental_consent import covered

GRANT_TYPE = "password"
PASSWORD_CHANGE_URL = "https://portal.microsoftonline.com/ChangePassword.aspx"
"""Where AADSTS50055's body sends the user (also the v1 ``pwd_url`` claim's value)."""
TENANTLESS_V2_REFUSED = ("common", "consumers")


def check_endpoint(segment: str, version: str) -> None:
    if version == "2.0" and segment.lower() in TENANTLESS_V2_REFUSED:
        raise EntraError(9001023)


def requested(form: dict[str, str], version: str) -> tuple[tuple[str, ...], str | None]:
    """The scopes and (v1.0) resource a password grant asks for."""
    scopes = claimset.split_scopes(form.get("scope"))
    if version == "2.0":
        if not scopes:
            raise EntraError(900144, {"name": "scope"})
        return scopes, None
    resource = form.get("resource") or None
    if resource is None:
        raise EntraError(900144, {"name": "resource"})
    return scopes or ("openid",), resource


def credentials(form: dict[str, str]) -> tuple[str, str]:
    username = form.get("username", "").strip()
    if not username:
        raise EntraError(900144, {"name": "username"})
    password = form.get("password", "")
    if not password:
        raise EntraError(900144, {"name": "password"})
    return username, password


def sign_in(tenant: Tenant, app: Application, username: str, password: str, *, now: datetime,
            home: Tenant | None) -> User:
    """The user ``username`` names, once their password checks out; ``home``: the tenant they
    belong to when ``tenant`` does not know them (AADSTS50020 for the right password)."""
    if tenant.find_user(username) is None and home is None:
        raise EntraError(50034, {"identifier": username, "tenant": tenant.domain})
    if password != password.strip():
        # The reference: passwords with leading or trailing whitespace are not supported by
        # this grant (the sign-in page takes them). Refused as a wrong one, uncounted.
        raise EntraError(50126)
    outcome = flow.password_step(tenant, username, password, now=now, home=home,
                                 app_id=app.client_id, app_name=app.name)
    if not isinstance(outcome, flow.SignedIn):
        assert outcome.error is not None
        raise outcome.error
    account = outcome.user.home.user if outcome.user.home is not None else outcome.user
    if account.force_change_password:  # a guest's home account's password, at home
        raise EntraError(50055, extra={"password_change_url": PASSWORD_CHANGE_URL})
    return outcome.user


def check_access(tenant: Tenant, app: Application, user: User, scopes: tuple[str, ...], *,
                 resource_id: str, version: str) -> None:
    """What the interactive flow would have asked the user, refused instead: a user with an
    authenticator app must give its code, which this grant cannot carry (AADSTS50076; v2.0
    answers ``invalid_grant`` with ``suberror`` ``basic_action``, v1.0
    ``interaction_required``, as ``entra-id.md``'s error table has it)."""
    if needs_assignment(tenant, app) and not is_assigned(tenant, app, user):
        raise EntraError(50105, {"app_id": app.client_id, "app_name": app.name})
    if user.totp_secret and tenant.mfa_at_sign_in:
        raise EntraError(50076, {"app_id": resource_id},
                         error="interaction_required" if version == "1.0" else None)
    if not covered(tenant, app.client_id, user.id, scopes, app.api_permissions):
        raise EntraError(65001, {"app_id": app.client_id, "app_name": app.name})
