"""What an app profile holds: frozen dataclasses, one per section of the TOML, and the
vocabularies their keys use (failure kinds, ``me_json`` fields, end-session parameters). They
are read and checked in :mod:`scenarios.app.profile`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from mock_idp.config import SINGLE_TENANT
from scenarios.app.capabilities import capabilities_of

__all__ = [
    "END_SESSION_PARAMS",
    "FAILURE_KINDS",
    "ME_FIELDS",
    "PARTNER_FAILURE_KINDS",
    "AppProfile",
    "AppSection",
    "FailureExpectation",
    "FailureSection",
    "HttpCall",
    "JsonValue",
    "PartnerSection",
    "ProviderSection",
    "SecretStatus",
    "SignInSection",
    "SignInUrl",
    "SignOutSection",
    "SignedInSection",
    "AdminSection",
]

JsonValue = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"]

FAILURE_KINDS: Mapping[str, str] = {
    "expired-secret": "the client secret has expired (AADSTS7000222 at the token endpoint)",
    "invalid-secret": "the app holds a wrong client secret (AADSTS7000215)",
    "user-not-assigned": "the user is not assigned to the app (AADSTS50105 sent to the app)",
    "user-cancels": "the user cancelled on the provider's sign-in page (access_denied)",
    "idp-down": "the token endpoint drops the connection",
    "idp-down-keys": "the provider's key set (JWKS) is down",
    "idp-slow": "the token endpoint answers after the app's timeout",
    "bad-signature": "an ID token whose signature does not verify",
    "wrong-issuer": "an ID token from another issuer",
    "wrong-audience": "an ID token issued to another client",
    "nonce-mismatch": "an ID token whose nonce is not the one the sign-in sent",
    "expired-id-token": "an ID token that expired an hour ago",
    "missing-sub": "an ID token without a sub claim",
    "userinfo-sub-mismatch": "a UserInfo response about another subject than the ID token",
    "state-tampered": "a callback whose state was altered",
    "state-replayed": "a callback URL opened a second time",
    "state-other-browser": "a callback opened in another browser than the one that started "
                           "the sign-in",
    "unknown-installation": "a launch for an installation the app never received",
    "partner-idp-down": "the token endpoint drops the connection as the platform's user "
                        "launches the installed app",
    "unlicensed-user": "a launch by a platform user whose licence for the app the platform "
                       "took (app.updated)",
    "duplicate-email": "a second identity with an e-mail address already in use",
    "connection-disabled": "a sign-in while the administrator has switched SSO off",
    "v1-unsigned-over-http": "an unsigned ID token from Entra's v1 token endpoint, reached "
                             "over plain http",
}

PARTNER_FAILURE_KINDS = frozenset({"unknown-installation", "partner-idp-down",
                                   "unlicensed-user"})
"""Failures of a launch from the platform: their page shows ``[partner] contact`` when the
profile names one."""

ME_FIELDS: Mapping[str, str] = {
    "email": "the signed-in user's e-mail address (the mock's users: their UPN), or null when "
             "the app holds none (no address the provider vouched for): then name tells who",
    "name": "the user's display name",
    "user_id": "the platform user id (the user's object id at the provider), partner sign-ins",
    "installation_id": "the installation the partner sign-in came through",
    "groups": "the group ids the app holds for the signed-in user (a JSON array of strings)",
}

END_SESSION_PARAMS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id",
                      "logout_hint")


@dataclass(frozen=True, kw_only=True)
class HttpCall:
    """An HTTP request the harness makes to the app (configure, renew, read a log...)."""

    method: str
    url: str
    """A template: a path (joined to the app's base URL) or an absolute URL."""
    headers: Mapping[str, str] = field(default_factory=dict)
    json: JsonValue | None = None
    """A JSON body; every string in it is a template."""
    form: Mapping[str, str] | None = None
    """A form-encoded body (templates)."""
    expect_status: tuple[int, ...] = ()
    """Statuses that count as success; empty: any 2xx."""
    capture: Mapping[str, str] = field(default_factory=dict)
    """New template names, each taken from the JSON response at a dotted path (``id``,
    ``data.id``, ``items.0.id``)."""


@dataclass(frozen=True, kw_only=True)
class AppSection:
    """How to reach the app: a running ``base_url``, a ``command`` or an in-process ``asgi``
    factory."""

    base_url: str
    """A template; ``{port}`` makes the harness pick a free port."""
    command: str | tuple[str, ...] | None = None
    """A shell command line (string) or an argument list, started in its own process group."""
    asgi: str | None = None
    """``module:function`` called with a :class:`~scenarios.app.servers.AppLaunch`, returning
    an ASGI app that the harness serves in-process."""
    ready_url: str = "{base_url}"
    timeout: float = 30.0
    """Seconds to wait for ``ready_url`` to answer."""
    reuse_existing: bool = False
    """Use the app already answering ``ready_url`` instead of starting one (and leave it
    running)."""
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    shared_clock: bool = False
    """``asgi`` only: the app reads the mock provider's clock (``clock = "shared"``)."""

    @property
    def mode(self) -> str:
        return "asgi" if self.asgi else "command" if self.command is not None else "running"

    @property
    def picks_port(self) -> bool:
        return "{port}" in self.base_url


@dataclass(frozen=True, kw_only=True)
class ProviderSection:
    """How the harness registers the app at the mock provider."""

    redirect_uris: tuple[str, ...]
    platform: str = "web"
    """Where the redirect URIs are registered: ``web`` (the server redeems the codes with
    its secret) or ``spa`` (the browser redeems them, cross-origin, with PKCE)."""
    post_logout_redirect_uri: str | None = None
    secret_lifetime: timedelta = timedelta(days=180)
    https: bool = False
    """Serve the mock provider over https (a local CA, ``{ca_file}``) in every scenario, for
    apps whose library takes only https authorities (MSAL)."""
    sign_in_audience: str = SINGLE_TENANT
    """The registration's supported account types (Graph ``signInAudience``): single tenant by
    default, so an app whose authority says ``/common`` or ``/organizations`` gets AADSTS50194,
    as on Entra, unless it is registered multi-tenant."""
    id_token_issuance: bool = False
    """The registration lets the authorization endpoint issue ID tokens (Graph
    ``web.implicitGrantSettings.enableIdTokenIssuance``, the portal's "ID tokens (used for
    implicit and hybrid flows)"): off by default, as on Entra, so an app asking for
    ``response_type=id_token`` gets AADSTS700054 unless its profile turns it on (as Auth0's
    support article "Azure AD OIDC Error AADSTS700054 for Dashboard SSO" reports for its own
    id_token sign-in, fixed by enabling the implicit grant for the ID token)."""


@dataclass(frozen=True, kw_only=True)
class SignInUrl:
    name: str
    url: str
    lands_on: str | None = None
    """The path the browser ends on once signed in (checked when given)."""


@dataclass(frozen=True, kw_only=True)
class SignInSection:
    urls: tuple[SignInUrl, ...] = ()
    protected_urls: tuple[str, ...] = ()
    """Pages that start SSO by themselves when nobody is signed in, and show themselves once
    someone is."""
    control: str | None = None
    """The accessible name of the button or link to click on the page a ``urls`` entry opens
    (a "Sign in with Microsoft" button) when it does not start the sign-in by itself; never
    clicked on a partner launch, which must start it with no click."""

    def url(self, name: str) -> SignInUrl | None:
        return next((u for u in self.urls if u.name == name), None)


@dataclass(frozen=True, kw_only=True)
class SignedInSection:
    me_url: str | None = None
    """2xx while signed in; 401, 403 or a redirect when not."""
    page: str | None = None
    """A page that shows ``text``/``selector`` when signed in and never starts SSO itself."""
    text: str | None = None
    """Visible on a signed-in page; may name ``{name}``, ``{upn}``, ``{email}``."""
    selector: str | None = None
    """A CSS selector visible on a signed-in page (holding ``text`` when both are given)."""
    me_json: Mapping[str, str] = field(default_factory=dict)
    """Which dotted path of the ``me_url`` JSON holds each of :data:`ME_FIELDS`."""
    page_ready: str | None = None
    """A CSS selector ``page`` holds once its script has drawn it (signed in or not)."""


@dataclass(frozen=True, kw_only=True)
class FailureExpectation:
    """What else the failure page (and the app's error log) shows for one failure kind."""

    texts: tuple[str, ...] = ()
    contact: str | None = None
    logged: Mapping[str, str] = field(default_factory=dict)
    """Error-log JSON path -> the value it must have."""
    logged_contains: Mapping[str, str] = field(default_factory=dict)
    """Error-log JSON path -> text its value must contain."""


@dataclass(frozen=True, kw_only=True)
class FailureSection:
    contact: str
    text: str | None = None
    reference: re.Pattern[str] | None = None
    error_status: bool = False
    shows_idp_code: bool = False
    provider_timeout: float | None = None
    error_log: HttpCall | None = None
    expect: Mapping[str, FailureExpectation] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PartnerSection:
    events_url: str
    launch_url: str
    lands_on: str | None = None
    passes_login_hint: bool = False
    installations: HttpCall | None = None
    contact: str | None = None
    """The support contact the failure page of a launch shows (:data:`PARTNER_FAILURE_KINDS`),
    when it is not ``[failure] contact``."""
    acknowledgement_wait: float | None = None
    """Seconds the app may take to call the platform's Apps API after the event that asks it to
    (approving its installation, acknowledging rotated credentials); ``None``: the catalogue's
    default."""


@dataclass(frozen=True, kw_only=True)
class SignOutSection:
    url: str | None = None
    control: str | None = None
    lands_on: str | None = None
    text: str | None = None
    end_session_params: tuple[str, ...] = ()
    backchannel_uri: str | None = None
    frontchannel_uri: str | None = None


@dataclass(frozen=True, kw_only=True)
class SecretStatus:
    """A JSON view of the app's client-secret health (needs a shared clock to be truthful)."""

    call: HttpCall
    expired: str
    """Dotted path of a boolean: the app considers its secret expired."""


@dataclass(frozen=True, kw_only=True)
class AdminSection:
    renew_secret: tuple[HttpCall, ...] = ()
    disable_sso: tuple[HttpCall, ...] = ()
    enable_sso: tuple[HttpCall, ...] = ()
    secret_status: SecretStatus | None = None


@dataclass(frozen=True, kw_only=True)
class AppProfile:
    """One app under test. Build it with :func:`load_profile`."""

    name: str
    path: Path | None
    app: AppSection
    provider: ProviderSection
    configure: tuple[HttpCall, ...] = ()
    sign_in: SignInSection = field(default_factory=SignInSection)
    signed_in: SignedInSection = field(default_factory=SignedInSection)
    failure: FailureSection | None = None
    partner: PartnerSection | None = None
    sign_out: SignOutSection = field(default_factory=SignOutSection)
    admin: AdminSection = field(default_factory=AdminSection)

    @property
    def captures(self) -> tuple[str, ...]:
        return tuple(name for call in self.configure for name in call.capture)

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self)

    def expectation(self, kind: str) -> FailureExpectation:
        if self.failure is None:
            return FailureExpectation()
        return self.failure.expect.get(kind, FailureExpectation())

    def contact_for(self, kind: str) -> str | None:
        """The support contact a failure of ``kind`` shows when the profile names one other
        than ``[failure] contact``: the kind's own expectation's, else, for a launch from the
        platform (:data:`PARTNER_FAILURE_KINDS`), ``[partner] contact``."""
        if (own := self.expectation(kind).contact) is not None:
            return own
        if kind in PARTNER_FAILURE_KINDS and self.partner is not None:
            return self.partner.contact
        return None
