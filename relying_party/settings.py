"""Configuration of the reference relying party: one frozen, keyword-only record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from .clock import Clock, SystemClock
from .inputs import is_loopback

DEFAULT_PORTS = {"http": 80, "https": 443}


def ascii_host(host: str) -> str:
    """A host name as browsers send it in ``Host`` and ``Origin``: lower case, no trailing dot,
    an internationalised name IDNA-encoded (``bücher.test`` → ``xn--bcher-kva.test``)."""
    host = host.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{host!r} is not a valid internationalised host name") from exc


def origin_of(url: str) -> str:
    """The origin of ``url`` as a browser writes it: ``scheme://host[:port]``, lower case, the
    host IDNA-encoded, the scheme's default port left out. ValueError if it has none."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in DEFAULT_PORTS:
        raise ValueError(f"{url!r} is not an http or https URL with a host")
    host = ascii_host(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def endpoint_origin(url: str) -> str:
    """The origin of an endpoint's URL (:func:`origin_of`). A URL stored before URLs were
    checked may not parse: then the whole of it stands for its origin."""
    try:
        return origin_of(url)
    except ValueError:
        return url


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the relying party needs; built once and passed to :func:`create_app`."""

    db_path: str
    """SQLite file holding connections, installations, users, sessions, events and errors."""

    public_url: str = "http://127.0.0.1:8500"
    """Base URL browsers use to reach the RP (no trailing slash). The redirect URIs are
    ``public_url + "/auth/callback/{connection id}"`` and, for the partner app's installations,
    ``public_url + "/auth/callback/installation"`` (:mod:`relying_party.redirect_uris`); under
    https every cookie is ``Secure`` with the ``__Host-`` prefix. Requests whose ``Host`` is
    not this URL's host are refused (400), and only this origin may send browser forms and
    admin calls."""

    clock: Clock = field(default_factory=SystemClock)

    admin_token: str | None = field(default=None, repr=False)
    """The admin credential: the bearer token of the admin API and what the admin page's
    sign-in form asks for (at least 16 characters). None: the one kept (as a digest) in the
    database, created on the first start and shown once."""

    admin_session_lifetime: timedelta = timedelta(hours=8)
    """How long a sign-in to the admin page lasts."""

    event_keys_url: str | None = None
    """Platform key set (JWKS of EC P-256 keys) trusted for ``POST /events``. Unset: every event
    is refused."""

    partner_app_id: str | None = None
    """This partner app's id on the platform. The platform signs every partner app's events with
    the same keys, so an event is applied only when its ``app_id`` is this one (compared
    ignoring case); another app's event is refused (403). Unset: every event is refused."""

    platform_api_scope: str = "https://graph.microsoft.com/.default"
    """The ``scope`` of the client-credentials token the app calls the platform's Apps API
    with, to approve an installation and acknowledge rotated credentials
    (:mod:`relying_party.apps_api`). Talkdesk names ``apps:write``; an Entra-shaped token
    endpoint (the mock's) takes a resource's ``.default``."""

    graph_url: str = "https://graph.microsoft.com"
    """Microsoft Graph's base URL: a user in too many groups for a token is looked up at
    ``{graph_url}/v1.0/users/{oid}/getMemberObjects`` (Entra's overage names Azure AD Graph,
    which is retired). A national cloud's Graph, or a test provider's Graph-shaped API (the
    mock's ``<mock>/graph/<tenant id>``). No query or fragment; http only on loopback hosts
    unless :attr:`allow_http_idp`."""

    connect_timeout: float = 3.0
    """Seconds to open a connection to the IdP or the platform."""

    read_timeout: float = 5.0
    """Seconds to wait for an IdP or platform response."""

    backchannel_logout_timeout: float = 5.0
    """Seconds a back-channel logout may spend finding the provider that signed the token
    (every connection of its client id is tried at once; a slow or broken one does not hold up
    the others)."""

    leeway: timedelta = timedelta(seconds=60)
    """Clock skew tolerated on ``exp``/``nbf``/``iat`` of ID and logout tokens."""

    max_token_age: timedelta = timedelta(minutes=10)
    """ID tokens issued longer ago than this (``iat``) are refused."""

    login_timeout: timedelta = timedelta(minutes=10)
    """How long a started sign-in (state, nonce, PKCE verifier) stays redeemable."""

    session_lifetime: timedelta = timedelta(hours=8)

    metadata_cache_ttl: timedelta = timedelta(hours=1)
    """How long discovery documents and key sets are reused before being fetched again."""

    event_max_age: timedelta = timedelta(minutes=30)
    """Events created longer ago than this are stale and refused."""

    event_max_future: timedelta = timedelta(minutes=5)
    """Events dated further than this in the future are refused."""

    secret_expiry_warning_days: int = 30

    allow_http_idp: bool = False
    """Accept plain-http provider URLs on any host; http on loopback hosts is always accepted."""

    ca_file: str | None = None
    """A CA certificate (PEM) trusted for https connections to providers and the platform, in
    addition to the system's (a test provider's local CA, a private CA)."""

    scopes: tuple[str, ...] = ("openid", "profile", "email")

    partner_support_contact: str = "support@partner-app.example"
    """Contact shown on failure pages for platform-installed (partner) sign-ins."""

    default_support_contact: str = "your administrator"
    """Contact shown when a failure cannot be tied to a connection or installation."""

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def public_origin(self) -> str:
        """This app's origin, as browsers send it in ``Origin`` (default port left out)."""
        return origin_of(self.public_url)

    @property
    def public_host(self) -> str:
        """The host browsers send in ``Host``: IDNA-encoded, lower case."""
        host = urlsplit(self.public_url).hostname
        if not host:
            raise ValueError(f"public_url {self.public_url!r} has no host")
        return ascii_host(host)

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.base_url + "/signed-out"

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def strict_transport(self) -> bool:
        """Send HSTS: an https public URL, but not on ``localhost`` or a loopback address,
        where it would turn every plain-http development server of that host to https for a
        year (HSTS is per host, whatever the port)."""
        return self.secure_cookies and not is_loopback(urlsplit(self.public_url).hostname or "")
