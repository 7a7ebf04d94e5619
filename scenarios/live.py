"""A live stack: the mock provider and an app under test, wired together.

The provider runs in this process on an ephemeral port with its own :class:`~mock_idp.MockClock`
(or is a worker's, reset for the stack: :mod:`scenarios.shared_servers`).
The app under test is described by a profile (:mod:`scenarios.app`; by default the reference
relying party, served in-process on the same clock) and reached only through its adapter,
``stack.app``. The stack registers the app at the provider (redirect and logout URIs, a fresh
client secret), starts the app with the provider's settings and runs the profile's configure
calls; state is arranged only through HTTP APIs (Graph-shaped management, ``/_mock/``, the
app's own calls), the way a test in any language would.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from mock_idp import MockClock
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from mock_idp.request_log import CALLER_HEADER
from mock_idp.testing import RunningServer, path_segment
from mock_idp.testing_checks import graph_path, redirect_refusal
from mock_idp.tls import ensure_tls_files
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.profile import AppProfile, load_profile
from scenarios.app.servers import AppServer
from scenarios.ca_trust import public_trust
from scenarios.people import OTHER_ORGANIZATION, PEOPLE, ZED, Person
from scenarios.profiles import REFERENCE_RP, resolve
from scenarios.protocol_view import ProtocolSources
from scenarios.shared_servers import SharedServers, start_provider
from scenarios.stack_app import StackError, new_admin_token, register_app, start_app
from scenarios.stack_app import refused_call_hidden as __tracebackhide__  # noqa: F401 (pytest)

__all__ = ["CUSTOMER_APPS", "PEOPLE", "LiveStack", "Person", "StackError", "StackOptions",
           "live_stack", "profile_for", "with_options"]

CUSTOMER_APPS = ("widget", "portal", "kb")


@lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, size: int) -> AppProfile:
    return load_profile(path)


def profile_for(app: AppProfile | str | Path | None) -> AppProfile:
    """A profile, a shipped profile's name (``reference-rp``) or a path; ``None``: the
    reference relying party. A file is read again once it has changed."""
    if isinstance(app, AppProfile):
        return app
    path = resolve(app).resolve() if app is not None else REFERENCE_RP
    try:
        stat = path.stat()
    except OSError:
        return load_profile(path)  # says which file is missing, as a ProfileError
    return _load(path, stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True, kw_only=True)
class StackOptions:
    app: AppProfile | str | Path | None = None
    """The app under test: a profile, or a profile's path or shipped name (default: the
    reference relying party)."""
    support_contact: str | None = None
    """The support contact the app is configured with (default: the profile's
    ``[failure] contact``)."""
    connection: bool = True
    """Run the profile's ``[[configure]]`` calls (for the reference relying party: create the
    customer-SSO connection)."""
    idp_https: bool = False
    """Serve the provider over https with a local CA (in the stack's work directory), handed to
    the app as ``{ca_file}``; a browser context must accept the provider's certificate
    (:meth:`LiveStack.browser_context_options`)."""
    entra_v1: bool = False
    """Give the app Entra's v1 endpoints (the customer-SSO guide's set-up: the "OAuth 2.0
    authorization endpoint (v1)" and "token endpoint (v1)"), whose ID tokens are unsigned."""


@dataclass
class LiveStack:
    clock: MockClock
    idp: RunningServer
    idp_app: Any
    options: StackOptions
    http: httpx.Client
    profile: AppProfile
    app: ProfileAdapter = field(init=False)
    """The app under test, through its profile."""
    server: AppServer = field(init=False)
    tenant_id: str = DEFAULT_TENANT_ID
    client_id: str = REFERENCE_RP_CLIENT_ID
    client_secret: str = ""
    """The secret made for the app at start (renewals change what the app holds)."""
    secret_key_id: str = ""
    people: dict[str, Person] = field(default_factory=lambda: dict(PEOPLE))
    ca_file: Path | None = None
    """The provider's local CA certificate when it serves https."""
    sign_in_started: float = 0.0
    """Real time the browser last followed a sign-in URL (:func:`scenarios.goto.goto_sign_in`):
    a failure names the provider's refusals since then only, not an earlier part's."""
    sign_in_clicked: bool = False  # [sign_in] control clicked on the page last opened (goto.py)

    # -- the provider ---------------------------------------------------------------------------
    @property
    def authority(self) -> str:
        return f"{self.idp.base_url}/{self.tenant_id}"

    def idp_url(self, path: str) -> str:
        return self.idp.url(path)

    def browser_context_options(self) -> dict[str, Any]:
        """Options for a browser context that reaches this stack (the provider's local CA is
        not in the browser's trust store)."""
        return {"ignore_https_errors": True} if self.ca_file is not None else {}

    @property
    def protocol_sources(self) -> ProtocolSources:
        """Where the runner reads this stack's exchange: the mock's logs, the app's origin, the
        profile's failure-reference pattern."""
        failure = self.profile.failure
        return ProtocolSources(provider_url=self.idp.base_url, app_url=self.app.base_url,
                               http=self.http,
                               reference=failure.reference if failure is not None else None)

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.http.request(method, url, **kwargs)
        if (moved := redirect_refusal(response)) is not None:  # a 3xx is no success here
            raise StackError(moved)
        if response.status_code >= 400:
            raise StackError(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def graph(self, method: str, path: str, json: Any = None,
              params: dict[str, str] | None = None) -> Any:
        return self._call(method, self.idp_url(f"/graph/{self.tenant_id}/v1.0/{graph_path(path)}"),
                          json=json, params=params)

    def update_app(self, client_id: str | None = None, **patch: Any) -> None:
        self.graph("PATCH", f"applications(appId='{client_id or self.client_id}')", patch)

    def set_app_enabled(self, enabled: bool, *, client_id: str | None = None) -> None:
        """Turn the app's sign-in on or off in the tenant (its service principal's
        ``accountEnabled``, the enterprise application's "Enabled for users to sign-in?")."""
        self.graph("PATCH", f"servicePrincipals(appId='{client_id or self.client_id}')",
                   {"accountEnabled": enabled})

    def _add_password(self, days: float, client_id: str | None) -> dict[str, Any]:
        end = self.clock.now() + timedelta(days=days)
        created: dict[str, Any] = self.graph(
            "POST", f"applications(appId='{client_id or self.client_id}')/addPassword",
            {"passwordCredential": {"displayName": "scenario",
                                    "endDateTime": end.astimezone(UTC).isoformat()}})
        return created

    def add_secret(self, *, days: float = 180, client_id: str | None = None) -> str:
        return str(self._add_password(days, client_id)["secretText"])

    def remove_secret(self, key_id: str, *, client_id: str | None = None) -> None:
        self.graph("POST", f"applications(appId='{client_id or self.client_id}')/removePassword",
                   {"keyId": key_id})

    def set_assignment_required(self, required: bool) -> None:
        """The app's "Assignment required?" (its service principal's
        ``appRoleAssignmentRequired``); users may consent only to an app without it."""
        self.graph("PATCH", f"servicePrincipals(appId='{self.client_id}')",
                   {"appRoleAssignmentRequired": required})

    def block_user_consent(self) -> None:
        """The tenant's user consent setting "Do not allow user consent": only an administrator
        consents to apps; the stack's reset allows it again."""
        self._call("PATCH", self.idp_url(f"/_mock/tenants/{self.tenant_id}"),
                   json={"allow_user_consent": False})

    def revoke_consent(self, client_id: str | None = None) -> int:
        """Remove every consent grant of the app (Graph ``oauth2PermissionGrants``), so its
        users see "Permissions requested" at their next sign-in; the number removed."""
        app_id = client_id or self.client_id
        principal = self.graph("GET", f"servicePrincipals(appId='{app_id}')")
        grants = self.graph("GET", "oauth2PermissionGrants",
                            params={"$filter": f"clientId eq '{principal['id']}'"})["value"]
        for grant in grants:
            self.graph("DELETE", f"oauth2PermissionGrants/{grant['id']}")
        return len(grants)

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0,
                seconds: float = 0) -> None:
        self.clock.advance(timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))

    def arm_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        return dict(self._call("POST", self.idp_url("/_mock/faults"),
                               json={"kind": kind, **fields}))

    def clear_faults(self) -> None:
        self._call("DELETE", self.idp_url("/_mock/faults"))

    def armed_fault(self, fault_id: str, *, spent: bool = False) -> dict[str, Any] | None:
        """The fault ``fault_id`` while it is armed (its ``hits`` so far), ``None`` once it is
        spent: a fault armed for one request is spent when it fired (it may stay listed, with
        ``times`` 0, while its effect lasts, a hang's hold say: ``spent`` returns it then)."""
        body = self._call("GET", self.idp_url("/_mock/faults"))
        return next((f for f in body["faults"]
                     if str(f["id"]) == fault_id and (spent or f["times"] != 0)), None)

    def rotate_keys(self) -> None:
        self._call("POST", self.idp_url("/_mock/keys/rotate"), json={})

    def notifications(self, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"kind": kind} if kind else None
        body = self._call("GET", self.idp_url("/_mock/notifications"), params=params)
        return list(body["notifications"])

    def provider_requests(self, path: str | None = None, *, limit: int = 2000
                          ) -> list[dict[str, Any]]:
        """The provider's request log since the stack's reset, oldest first (``path``: those
        under it only), up to ``limit`` entries: all a scenario makes."""
        params: dict[str, str | int] = {"limit": limit}
        if path is not None:
            params["path"] = path
        body = self._call("GET", self.idp_url("/_mock/requests"), params=params)
        return list(body["requests"])

    def add_other_organization(self) -> Person:
        """Fabrikam, another company with a tenant of its own, and its user zed, whom the
        customer's tenant does not know; the stack's reset removes both."""
        self._call("POST", self.idp_url("/_mock/tenants"), json={
            **OTHER_ORGANIZATION,
            "users": [{"upn": ZED.upn, "name": ZED.name, "password": ZED.password}]})
        return ZED

    def user_id(self, first_name: str) -> str:
        body = self.graph("GET", f"users/{path_segment(self.people[first_name].upn)}")
        return str(body["id"])

    def install_partner_app(self, *, trial_days: int | None = None) -> dict[str, Any]:
        """The platform installs the app for the tenant: ``app.installed`` to its events URL;
        with ``trial_days``, the customer chose a trial, which starts once the app approves."""
        trial = {} if trial_days is None else {"trial_days": trial_days}
        return dict(self._call("POST", self.idp_url("/_mock/installations"), json={
            "app_id": self.client_id, "tenant": self.tenant_id,
            "events_url": self.app.events_url, **trial}))

    def provider_values(self) -> dict[str, str]:
        """The provider settings an app profile's templates name (see scenarios.app)."""
        authority = self.authority
        v2 = "" if self.options.entra_v1 else "/v2.0"
        return {
            "idp_url": self.idp.base_url,
            "authority": authority,
            "issuer": f"{authority}{v2}" if v2 else f"{authority}/",
            "discovery_url": f"{authority}{v2}/.well-known/openid-configuration",
            "authorize_url": f"{authority}/oauth2{v2}/authorize",
            "token_url": f"{authority}/oauth2{v2}/token",
            "jwks_url": f"{authority}/discovery{v2}/keys",
            "end_session_url": f"{authority}/oauth2{v2}/logout",
            # Graph's own root, as graph.microsoft.com names no tenant: the mock answers each
            # call for its token's tenant (mock_idp.endpoints.graph_root).
            "graph_url": self.idp_url("/graph"),
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_auth_method": "post",
            "event_keys_url": self.idp_url("/.well-known/platform-event-keys.json"),
            "ca_file": str(self.ca_file or ""),
        }

    def app_output(self, lines: int) -> str:
        """The last ``lines`` lines the app printed, when the profile starts it as a command
        (:mod:`scenarios.app_logs` keeps them for a scenario that did not pass)."""
        return self.server.output(lines)

    def app_exit_code(self) -> int | None:
        """The exit code of the app's command once it has exited (``None``: it still runs, or
        the harness did not start it)."""
        return self.server.exit_code()

    def restart_app(self) -> None:
        """Start the app again with the values it was given, on its address (after its
        command exited during a conformance row); :class:`AppStartError` when it does not
        start, or was running already, not started by the harness."""
        self.server.restart(self.app.values)

    def watch_app_exit(self, exited: Callable[[int], None]) -> Callable[[], None]:
        """Have ``exited(code)`` called, from a thread of its own, when the app's command
        exits of itself (a scenario then ends at once: :mod:`scenarios.app_exit`); returns what
        ends the watch. Nothing is watched for an app the harness did not start as a command."""
        return self.server.watch_exit(exited)

    # -- the app under test: the lifecycle steps that need both sides ---------------------------
    @property
    def support_contact(self) -> str:
        return self.app.contact

    def secret_end(self, days: float | None = None) -> date:
        lifetime = self.profile.provider.secret_lifetime
        return (self.clock.now() + (timedelta(days=days) if days is not None else lifetime)
                ).date()

    def expire_client_secret(self) -> None:
        """Move the provider's clock a day past the end of the secret the app was given."""
        self.advance(days=self.profile.provider.secret_lifetime.days + 1)

    def renew_client_secret(self, *, days: float | None = None) -> str:
        """A new secret at the provider, handed to the app through its profile."""
        lifetime = days if days is not None else self.profile.provider.secret_lifetime.days
        created = self._add_password(lifetime, None)
        secret = str(created["secretText"])
        self.app.renew_secret(secret, self.secret_end(lifetime))
        return secret

    # -- compatibility: the reference RP's address as ``rp`` -------------------------------------
    @property
    def rp(self) -> RunningServer:
        return RunningServer(base_url=self.app.base_url, port=self.server.address.port)

    @property
    def rp_app(self) -> Any:
        """The in-process app (``asgi`` profiles), else ``None``."""
        return self.server.asgi_app

    def rp_url(self, path: str) -> str:
        return self.app.url(path)

    @property
    def connection_id(self) -> str | None:
        return self.app.values.get("connection_id")

    def sign_in_url(self, app: str | None = None) -> str:
        """The app's sign-in URL named ``app`` (``None``: its profile's first, as
        ``stack.app.sign_in_url()``; the reference relying party's is ``widget``)."""
        return self.app.sign_in_url(app)

    def register_app(self) -> None:
        """Update the app's registration with what configuring it captured (its front-channel
        logout URI may name a connection)."""
        register_app(self, self.profile, self.app.values)


@contextlib.contextmanager
def live_stack(options: StackOptions | None = None, *, workdir: Path | None = None,
               idp_port: int = 0, rp_port: int = 0,
               shared: SharedServers | None = None) -> Iterator[LiveStack]:
    """Start the provider and the app under test; stop both afterwards.

    Ports default to ephemeral ones (``0``); ``make demo`` asks for fixed ones (``rp_port``
    applies to apps the harness starts on ``{port}``). With ``shared`` (a worker's
    :func:`~scenarios.shared_servers.shared_servers`) the provider is that one, reset first,
    and an in-process app is mounted on its host; they outlive the stack.
    """
    opts = options or StackOptions()
    profile = profile_for(opts.app)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sso-")))
        # A provider on https (the scenario's tag, or the profile's [provider] https) is
        # started for its scenario alone; the shared one is on http.
        https = opts.idp_https or profile.provider.https
        own_provider = shared is None or https
        if own_provider:
            tls = ensure_tls_files(workdir / "idp-tls") if https else None
            provider = stack.enter_context(start_provider(port=idp_port, tls=tls))
        else:
            assert shared is not None
            shared.reset()
            provider = shared.provider
        clock, idp, idp_app, tls = provider.clock, provider.server, provider.app, provider.tls
        host = shared.app_host if shared is not None else None
        if own_provider:
            http = stack.enter_context(httpx.Client(
                timeout=10, verify=tls.client_context() if tls else public_trust(),
                headers={CALLER_HEADER: "harness"}))
        else:
            assert shared is not None
            http = shared.http
        live = LiveStack(clock=clock, idp=idp, idp_app=idp_app, options=opts, http=http,
                         profile=profile, ca_file=tls.ca_cert if tls else None)
        created = live._add_password(profile.provider.secret_lifetime.days, None)
        live.client_secret = str(created["secretText"])
        live.secret_key_id = str(created["keyId"])
        admin_token = new_admin_token()
        start_app(stack, live, host=host, rp_port=rp_port, workdir=workdir,
                  admin_token=admin_token)
        if own_provider:
            # Unwound first: the provider is told to stop, the app stops, then the provider is
            # waited for.
            stack.callback(idp.stop)
        if opts.connection:
            live.app.configure()
            live.register_app()
        yield live


def with_options(options: StackOptions, **changes: Any) -> StackOptions:
    return replace(options, **changes)
