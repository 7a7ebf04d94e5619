"""Which sign-in page comes next: Entra's sign-in experience as a pure state machine.

A sign-in starts at the authorize endpoint (or at ``/devicelogin``), then moves through these
pages, each answered by a form post:

    start ─┬─ Silent (one signed-in account, nothing to ask) ────────────────────────┐
           ├─ "Pick an account" ── tile ── Silent ───────────────────────────────────┤
           │                     └─ "Use another account" ─┐                          │
           └─ username ── Next ── password ── Sign in ─────┴─ "Stay signed in?" ──────┤
                          (a user with an authenticator app: "Enter code" before it; then,
                           for a password that must change, "Update your password")
                                                                                      ▼
                                         consent ("Permissions requested"), when needed ── app

The username and password are one document, as on Entra: Next asks GetCredentialType
(:mod:`.credential_type`) and the page shows the password in place; a username posted alone (no
script, or a failed lookup) still gets the password as a page of its own.

The functions here take plain data (the accounts signed in in this browser, the directory's
users, the tenant's and app's settings, ``now``) and return what to show; the handlers in
:mod:`mock_idp.endpoints.signin` and :mod:`mock_idp.endpoints.consent_pages` render it.
Sources for Entra's behaviour:

- ``prompt`` values, ``login_hint`` pre-filling the username: the Microsoft identity platform's
  authorization-code documentation; a hint naming a known user opens on the password (Entra
  skips the username for a known managed user: MSAL.js issue 4970); silent SSO may name the
  account by ``sid`` or by the ``login_hint`` claim's value instead ("Single sign-on with
  MSAL.js");
- AADSTS16000 (several accounts could answer a ``prompt=none`` request) and AADSTS50058 (none
  can): the AADSTS error-code reference;
- "Stay signed in?" after a password sign-in, unless the tenant's company branding turns off
  "Show option to remain signed in"; a device-code sign-in goes from the password to "Are you
  trying to sign in to …?" and the end (msal4j's and MSAL.js's end-to-end helpers);
- consent for an app the user has not consented to (an ``oauth2PermissionGrant`` for the user or
  for all principals), AADSTS65004 when declined, AADSTS65001 for ``prompt=none``; "Need admin
  approval" (AADSTS90094) instead where the tenant lets only administrators consent, and
  "Consent on behalf of your organization" for an administrator (:func:`before_issue`);
- smart lockout after wrong passwords (AADSTS50053): :mod:`mock_idp.lockout`;
- an authenticator app's code after the password ("Enter code", with the element ids login
  scripts type into): :mod:`mock_idp.totp`; and before a session that took no code answers for
  a user who has an app now (:func:`step_up`).

Long because: the pages are one state machine whose steps return one another's types (a
second factor answers ``Silent``, ``SignedIn`` or ``Refuse``); split, each part would import
the rest.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from .. import totp
from ..errors import HINT_MATCHES_NO_ONE, EntraError
from ..guest_home import account_of, guest_for, sign_in_name
from ..protocol import auth_contexts
from ..store import Application, Session, Tenant, User
from .transaction import Kind as Kind
from .transaction import Transaction as Transaction


@dataclass(frozen=True)
class Account:
    """An account signed in in this browser: its IdP session and its user."""

    session: Session
    user: User


@dataclass(frozen=True)
class Entry:
    """What the first page depends on."""

    prompt: str | None
    login_hint: str | None
    hinted: User | None
    """The user ``sid``'s session or ``login_hint`` names (by UPN, object id or the value of
    the ``login_hint`` claim), if any."""
    max_age: int | None
    accounts: tuple[Account, ...]
    """Valid sessions in this browser for the request's tenant, newest first."""
    now: datetime
    sid: str | None = None
    """The session the request names (``sid``): only it may answer."""


# -- what to show -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Silent:
    """Continue as this account without a page."""

    account: Account


@dataclass(frozen=True)
class ShowPicker:
    accounts: tuple[Account, ...]


@dataclass(frozen=True)
class ShowUsername:
    prefill: str = ""
    error: EntraError | None = None
    no_personal_account: bool = False
    """At ``/consumers``: the username names no personal Microsoft account
    (:func:`personal_account_step`)."""


@dataclass(frozen=True)
class ShowPassword:
    username: str
    error: EntraError | None = None


@dataclass(frozen=True)
class SignedIn:
    """The password was right: a new session starts for this user."""

    user: User


@dataclass(frozen=True)
class Refuse:
    """End the sign-in with this error (sent back to the app, or on the error page)."""

    error: EntraError


Start = Silent | ShowPicker | ShowUsername | ShowPassword | Refuse


def start(entry: Entry) -> Start:
    """The first page of a sign-in (or none at all)."""
    # ``prompt=create`` asks Entra for its self-service sign-up experience (External
    # Identities user flows), which the mock does not model: it is a fresh interactive
    # sign-in, without SSO from a session, as ``prompt=login``.
    if entry.prompt in ("login", "create"):
        return _who(entry)
    if entry.prompt == "select_account":
        return ShowPicker(entry.accounts) if entry.accounts else _who(entry)
    candidates = entry.accounts
    if entry.sid:
        candidates = tuple(a for a in candidates if a.session.id == entry.sid)
    elif entry.login_hint:
        hinted = entry.hinted
        candidates = tuple(a for a in candidates if hinted is not None and a.user.id == hinted.id)
    fresh = tuple(a for a in candidates if not _too_old(a, entry))
    if entry.prompt == "none":
        if len(candidates) > 1:
            return Refuse(EntraError(16000))
        if not fresh:
            hint_missed = (entry.sid or entry.login_hint) and entry.accounts and not candidates
            return Refuse(EntraError(50058, {"who": HINT_MATCHES_NO_ONE} if hint_missed else {}))
        return Silent(fresh[0])
    if len(candidates) > 1:
        return ShowPicker(candidates)
    if len(fresh) == 1:
        return Silent(fresh[0])
    if candidates:  # too old for max_age: its password (MicrosoftDocs/azure-docs#51307)
        return ShowPassword(sign_in_name(candidates[0].user))
    return _who(entry)


def _who(entry: Entry) -> ShowUsername | ShowPassword:
    """The page that asks who signs in: the password of the user a hint names by sign-in name
    (or ``login_hint`` claim, or ``sid``), else the username, pre-filled with the hint (the UPN
    of a user it names by object id: the mock's own reading, which Entra's username lookup
    would not make)."""
    hinted = entry.hinted
    if hinted is not None and (entry.login_hint or "").strip().lower() != hinted.id:
        return ShowPassword(sign_in_name(hinted))
    return ShowUsername(sign_in_name(hinted) if hinted is not None else (entry.login_hint or ""))


def _too_old(account: Account, entry: Entry) -> bool:
    if entry.max_age is None:
        return False
    return (entry.now - account.session.auth_time).total_seconds() > entry.max_age


def pick(accounts: tuple[Account, ...], chosen: str, entry: Entry
         ) -> Silent | ShowUsername | ShowPassword:
    """A tile of "Pick an account": ``chosen`` is a user's object id, or ``other``."""
    found = next((a for a in accounts if a.user.id == chosen), None)
    if found is None:  # "Use another account": the hinted user, if any, is typed for them
        return ShowUsername(sign_in_name(entry.hinted) if entry.hinted is not None
                            else (entry.login_hint or ""))
    if _too_old(found, entry):  # as in start(): its password, the username remembered
        return ShowPassword(sign_in_name(found.user))
    return Silent(found)


def username_step(tenant: Tenant, username: str, home: Tenant | None = None
                  ) -> ShowPassword | ShowUsername:
    """"Next" on the username page. A user of another tenant (``home``) is asked for a
    password too: Entra looks the account up wherever it lives."""
    username = username.strip()
    if not username:
        return ShowUsername(error=EntraError(900144, {"name": "loginfmt"}))
    if tenant.find_user(username) is None and home is None:
        return ShowUsername(username, EntraError(
            50034, {"identifier": username, "tenant": tenant.domain}))
    return ShowPassword(username)


def personal_account_step(username: str) -> ShowUsername:
    """"Next" (or "Sign in") at ``/consumers``, the personal Microsoft accounts' sign-in. The
    mock has none, so every username is "That Microsoft account doesn't exist", a work or
    school account's too, as Microsoft account answers one (WayneGongCN/microsoft-todo-browser-
    ext #73); no password is checked."""
    username = username.strip()
    if not username:
        return ShowUsername(error=EntraError(900144, {"name": "loginfmt"}))
    return ShowUsername(username, no_personal_account=True)


def signs_in_at_home(txn: Transaction, app: Application | None) -> bool:
    """Whether a user of another tenant signs in at their own: a sign-in through ``/common`` or
    ``/organizations`` to a multi-tenant app, where Entra finds the account wherever it lives
    and issues the tokens in the user's tenant; a device code's too when it was asked there."""
    if app is None or not app.multi_tenant:
        return False
    if txn.kind == "device":
        return txn.alias
    return (txn.kind in ("authorize", "adminconsent") and txn.request is not None
            and txn.request.tenant is None)


def password_step(tenant: Tenant, username: str, password: str, *, now: datetime,
                  home: Tenant | None = None, app_id: str = "", app_name: str = ""
                  ) -> SignedIn | ShowPassword | ShowUsername | Refuse:
    """"Sign in" on the password page. An unknown user and a wrong password look alike
    (AADSTS50126), as they do to an HTTP client that posts both fields at once; wrong passwords
    lock the account (AADSTS50053, :mod:`mock_idp.lockout`). A user of another tenant
    (``home``) who gives the right password signs in as their guest object in ``tenant``
    (:mod:`mock_idp.guest_home`), or, without one, is told the app's tenant does not know them
    (AADSTS50020, on Entra's error page)."""
    username = username.strip()
    if not username:
        return ShowUsername(error=EntraError(900144, {"name": "loginfmt"}))
    if not password:
        return ShowPassword(username, EntraError(900144, {"name": "passwd"}))
    user = tenant.find_user(username)
    foreign = home.find_user(username) if user is None and home is not None else None
    if user is None and foreign is None:
        return ShowPassword(username, EntraError(50126))
    owner, checked = (tenant, user) if user is not None else (home, foreign)
    assert owner is not None and checked is not None
    wrong = check_password(owner, checked, password, now)
    if wrong is not None:
        return ShowPassword(username, wrong)
    if not checked.enabled:
        return Refuse(EntraError(50057))
    if foreign is not None and home is not None:
        guest = guest_for(tenant, foreign)
        if guest is None:
            return Refuse(EntraError(50020, {
                "upn": foreign.upn, "idp": f"https://sts.windows.net/{home.id}/",
                "tenant": tenant.name, "app_id": app_id, "app_name": app_name}))
        if not guest.enabled:
            return Refuse(EntraError(50057))
        return SignedIn(guest)
    assert user is not None
    return SignedIn(user)


def check_password(owner: Tenant, user: User, password: str, now: datetime
                   ) -> EntraError | None:
    """``None`` for the right password of an unlocked account; else AADSTS50126, or 50053
    while the account is locked (the right password too) and from the failure that locks it."""
    if owner.lockout.locked(user.id, now):
        return EntraError(50053)
    if not hmac.compare_digest(user.password.encode(), password.encode()):
        return EntraError(50053 if owner.lockout.fail(user.id, password, now) else 50126)
    owner.lockout.forget(user.id)
    return None


@dataclass(frozen=True)
class AskCode:
    """Show "Enter code": the user has an authenticator app (:mod:`mock_idp.totp`) and owes its
    code after the right password; ``wrong`` after a code that was not it."""

    user: User
    wrong: bool = False


def second_factor(user: User, *, always: bool = True, contexts: tuple[str, ...] = (),
                  app_id: str = "") -> AskCode | Refuse | None:
    """After the right password: the code of the user's authenticator app, if they have one
    and the tenant asks it at every sign-in (``always``) or an authentication context the
    request asks for needs MFA (``contexts``, :mod:`mock_idp.protocol.auth_contexts`);
    without an app, such a context refuses the sign-in (AADSTS50079)."""
    if user.totp_secret and (always or contexts):
        return AskCode(user)
    return Refuse(auth_contexts.no_method(contexts, app_id)) if contexts else None


def step_up(account: Account, prompt: str | None, app_id: str, *, always: bool = True,
            contexts: tuple[str, ...] = ()) -> Silent | AskCode | Refuse:
    """Before a session without MFA answers silently: the code as :func:`second_factor` asks
    it (of a user who got an app after the sign-in, too), as Entra asks when the user must
    use MFA; where nothing may be asked (``prompt=none``): ``interaction_required``, 50076.
    A user with no method to give is refused 50079 with or without ``prompt=none``: Entra
    answers 50079 (``interaction_required``, "you must enroll in multi-factor
    authentication") to a user who must register one first (FormidableLabs/
    react-native-app-auth #309, AzureAD/azure-activedirectory-library-for-nodejs #151)."""
    signing_in = account_of(account.user)  # a guest's app is its home account's
    if account.session.mfa or not (contexts or (always and signing_in.totp_secret)):
        return Silent(account)
    ask = second_factor(signing_in, always=always, contexts=contexts, app_id=app_id)
    if isinstance(ask, AskCode) and prompt == "none":
        return Refuse(EntraError(50076, {"app_id": app_id}, error="interaction_required"))
    return ask if ask is not None else Silent(account)


MAX_WRONG_CODES = 10
"""Wrong authenticator codes a sign-in takes before it ends with AADSTS500121 (the mock's bound:
Entra limits them, by a number it does not publish). Three codes are good at any moment, so
without a bound a code could be guessed in about 330,000 tries."""


def code_step(user: User, code: str, now: datetime) -> SignedIn | AskCode:
    """"Verify" on "Enter code": the code of the current 30 seconds (or the ones either side)
    signs the user in, once: a code of a step no later than the last one accepted is refused,
    as RFC 6238 §5.2 asks (it is recorded on ``user``). Any other is asked again."""
    secret = user.totp_secret
    step = totp.matching_step(secret, code, now) if secret else None
    if secret is None or step is None or (
            user.totp_used is not None and user.totp_used[0] == secret
            and step <= user.totp_used[1]):
        return AskCode(user, wrong=True)
    user.totp_used = (secret, step)
    return SignedIn(user)


# -- after the user is known -------------------------------------------------------------------


@dataclass(frozen=True)
class AskKmsi:
    """Show "Stay signed in?"."""


@dataclass(frozen=True)
class Remember:
    """Skip the question: the session cookie is persistent (``True``) or not."""

    persistent: bool


def after_password(*, show_kmsi: bool, remembered: bool | None, device_code: bool = False
                   ) -> AskKmsi | Remember:
    """After a password sign-in: ask "Stay signed in?" unless the tenant hides it or the
    sign-in is a device code's (then the session lasts as long as the browser), or the user
    ticked "Don't show this again" earlier (then their answer stands)."""
    if not show_kmsi:
        return Remember(False)
    if remembered is not None:
        return Remember(remembered)
    return Remember(False) if device_code else AskKmsi()


@dataclass(frozen=True)
class AskConsent:
    """Show "Permissions requested"; for an administrator with "Consent on behalf of your
    organization"."""

    for_organization: bool = False


@dataclass(frozen=True)
class NeedAdmin:
    """Show "Need admin approval" (AADSTS90094): consent is needed and the user may not give it.
    The page offers to sign in with an administrator's account, or to return to the app without
    consent (:func:`cancelled`, as Cancel on the consent page)."""


def cancelled() -> EntraError:
    """What the app is told when the user cancels a page that ends its request: AADSTS65004
    with ``error_subcode=cancel``, as Entra redirects (MSAL.NET's ``AuthorizationResult``
    reads that subcode as the user's cancel)."""
    return EntraError(65004, extra={"error_subcode": "cancel"})


@dataclass(frozen=True)
class Issue:
    """Nothing more to ask: answer the app."""


def consent_lines(scopes: tuple[str, ...]) -> list[str]:
    """What "Permissions requested" lists for ``scopes``."""
    lines = {"openid": "Sign you in", "profile": "View your basic profile",
             "email": "View your email address",
             "offline_access": "Maintain access to data you have given it access to"}
    out = [lines[s] for s in scopes if s in lines]
    out += [f"Access {s}" for s in scopes if s not in lines]
    return out or ["Sign you in and read your profile"]


def before_issue(*, consented: bool, prompt: str | None, consent_shown: bool, app_id: str,
                 app_name: str, may_consent: bool = True, admin: bool = False
                 ) -> AskConsent | NeedAdmin | Issue | Refuse:
    """Consent when the user (or an administrator for everyone) has not consented to the app,
    or when the app asked with ``prompt=consent``; never a page for ``prompt=none``.

    ``admin``: the user may consent for the organization (:mod:`mock_idp.directory_roles`).
    ``may_consent``: the tenant lets users consent for themselves; where it does not, a user who
    is not an administrator gets "Need admin approval" instead of the consent page, with
    ``prompt=consent`` too (MicrosoftDocs/entra-docs #652; ms-identity-python-webapp #19)."""
    wanted = not consented or (prompt == "consent" and not consent_shown)
    if not wanted:
        return Issue()
    if prompt == "none":
        return Refuse(EntraError(65001, {"app_id": app_id, "app_name": app_name},
                                 error="consent_required"))
    if admin:
        return AskConsent(for_organization=True)
    if not may_consent:
        return NeedAdmin()
    return AskConsent()

