"""Running the mock provider from tests: a real server on an ephemeral port, in a thread.

``run_in_thread(app)`` serves any ASGI app (from :mod:`mock_idp.serving`, re-exported here);
:class:`MockIdp` starts the provider, with helpers arranging it through its Graph-shaped API::

    with MockIdp() as idp:
        secret = idp.add_secret(REFERENCE_RP_CLIENT_ID, end=timedelta(days=1))
        ...  # point the app under test at idp.authority
        idp.advance(days=2)  # the secret has now expired

Long because: it is the helpers' one class, a method per arrangement tests make.
"""

from __future__ import annotations

import base64
import sys
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import totp
from .clock import MockClock
from .config import SINGLE_TENANT, IdpConfig
from .control_hosts import listening_names
from .lazy_exports import forget_unloaded
from .outgoing import default_trust
from .serving import (
    RunningServer,
    ThreadedServer,
    bind_socket,
    run_in_thread,
    server_config,
    url_host,
)
from .testing_checks import (
    MEMBERS_PER_REQUEST,
    app_path,
    clock_move,
    directory_role_id,
    graph_path,
    member_binds,
    path_segment,
    principal_path,
    redirect_refusal,
)
from .testing_records import (
    MockIdpError,
    RegisteredApp,
    TestGroup,
    TestUser,
    refusal_frame_hidden,
)
from .text_policy import group_mail_nickname
from .tls import TlsFiles, tls_files_with

__all__ = [
    "MockIdp", "MockIdpError", "RegisteredApp", "RunningServer", "TestGroup", "TestUser",
    "ThreadedServer", "bind_socket", "path_segment", "run_in_thread", "server_config", "url_host",
]

__tracebackhide__ = refusal_frame_hidden  # a refused call fails at the test's own line

if TYPE_CHECKING:
    import socket

    from starlette.applications import Starlette


class MockIdp:
    """The provider on an ephemeral port, with helpers for arranging tests.

    ``config`` defaults to :meth:`IdpConfig.default`; its clock must be a :class:`MockClock`
    for :meth:`advance`. With ``https=True`` a local CA is made (or reused from ``tls_dir``) and
    :attr:`ca_file` names it; made in a temporary directory, it is removed on exit.
    """

    def __init__(self, config: IdpConfig | None = None, *, https: bool = False,
                 tls_dir: str | Path | None = None, host: str = "127.0.0.1",
                 port: int = 0, sock: socket.socket | None = None) -> None:
        self.config = config or IdpConfig.default()
        self.https = https
        self.tls_dir = tls_dir
        self.host = host
        self._port = port
        self._sock = sock
        """Listening on ``host`` already (:func:`bind_socket`): served instead of ``port``."""
        self.tls: TlsFiles | None = None
        self._stack = ExitStack()
        self._server: RunningServer | None = None
        self._http: httpx.Client | None = None
        self._app: Starlette | None = None

    def __enter__(self) -> MockIdp:
        if f"{__package__}.app" not in sys.modules:  # imported again after a pytester run
            forget_unloaded(__package__ or "mock_idp")
        from .app import create_app

        try:
            named = listening_names(self.host)  # the control API answers the name it listens on
            self._app = create_app(replace(self.config, control_hosts=(
                *self.config.control_hosts, *named)) if named else self.config)
            if self.https:
                self.tls = tls_files_with(self._stack, self.tls_dir, [self.host])
            self._server = self._stack.enter_context(
                run_in_thread(self._app, host=self.host, port=self.port, ssl=self.tls,
                              sock=self._sock))
            verify = self.tls.client_context() if self.tls else default_trust()
            self._http = self._stack.enter_context(
                httpx.Client(base_url=self._server.base_url, verify=verify, timeout=10.0))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()
        self._server = self._http = None

    # --- where things are

    @property
    def server(self) -> RunningServer:
        if self._server is None:
            raise RuntimeError("MockIdp is not running; use it as a context manager")
        return self._server

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return self._port if self._server is None else self._server.port

    @property
    def tenant_id(self) -> str:
        return self.config.tenants[0].id

    @property
    def tenant_domain(self) -> str:
        return self.config.tenants[0].domain

    @property
    def authority(self) -> str:
        return f"{self.url}/{self.tenant_id}"

    @property
    def ca_file(self) -> Path | None:
        return self.tls.ca_cert if self.tls else None

    @property
    def clock(self) -> MockClock:
        clock = self.config.clock
        if not isinstance(clock, MockClock):
            raise TypeError("this provider's clock is not a MockClock")
        return clock

    @property
    def http(self) -> httpx.Client:
        """A client for the running provider (base URL set, trusting its CA)."""
        if self._http is None:
            raise RuntimeError("MockIdp is not running; use it as a context manager")
        return self._http

    # --- arranging

    def advance(self, *, seconds: float = 0, minutes: float = 0, hours: float = 0,
                days: float = 0) -> datetime:
        """Move the provider's clock forward (every expiry follows); returns the new now."""
        return self.clock.advance(clock_move(self.clock, seconds=seconds, minutes=minutes,
                                             hours=hours, days=days))

    def graph(self, method: str, path: str, *, json: dict[str, Any] | None = None,
              tenant: str | None = None, expect: tuple[int, ...] = ()) -> httpx.Response:
        """Call the management API (``path`` relative to ``/graph/{tenant}/v1.0``, or with
        ``/v1.0/`` in front, as Graph's documentation writes it); an error status raises
        :class:`MockIdpError` unless it is in ``expect``."""
        tenant_path = path_segment(tenant or self.tenant_id)
        return self._call(method, f"/graph/{tenant_path}/v1.0/{graph_path(path)}", json, expect)

    def add_user(self, upn: str, *, password: str | None = None,
                 display_name: str | None = None, enabled: bool = True,
                 assign_to: Sequence[str] = (), tenant: str | None = None,
                 mail: str | None = None) -> TestUser:
        """Create a user; a bare name gets the tenant's domain. ``assign_to``: client ids.
        ``mail``: its address (the ``email`` claim), by default its UPN, as the default
        directory's users have (a mailbox at the UPN); ``""`` for a user without one."""
        if "@" not in upn:
            upn = f"{upn}@{self._domain(tenant)}"
        local = upn.split("@")[0]
        password = password or f"P@ssw0rd-{local}"
        name = display_name or local.capitalize()
        body = {"userPrincipalName": upn, "displayName": name, "accountEnabled": enabled,
                "mailNickname": local, "passwordProfile": {"password": password},
                "mail": upn if mail is None else (mail or None)}
        created = self.graph("POST", "users", json=body, tenant=tenant).json()
        user = TestUser(id=created["id"], upn=created["userPrincipalName"], password=password,
                        display_name=name)
        for client_id in assign_to:
            self.assign(user.id, client_id, tenant=tenant)
        return user

    def add_app(self, display_name: str, *, redirect_uris: Sequence[str] = (),
                spa_redirect_uris: Sequence[str] = (), client_id: str | None = None,
                logout_url: str | None = None, assignment_required: bool = False,
                sign_in_audience: str = SINGLE_TENANT,
                tenant: str | None = None) -> RegisteredApp:
        """Register an app: ``redirect_uris`` are web ones, ``spa_redirect_uris`` those of a
        single-page app (its browser redeems the codes, cross-origin, with PKCE);
        ``sign_in_audience`` ``AzureADMultipleOrgs`` lets it sign in through ``/common``."""
        body: dict[str, Any] = {
            "displayName": display_name, "appRoleAssignmentRequired": assignment_required,
            "web": {"redirectUris": list(redirect_uris), "logoutUrl": logout_url},
            "spa": {"redirectUris": list(spa_redirect_uris)},
            "signInAudience": sign_in_audience,
        }
        if client_id is not None:
            body["appId"] = client_id
        created = self.graph("POST", "applications", json=body, tenant=tenant).json()
        return RegisteredApp(object_id=created["id"], client_id=created["appId"],
                             display_name=created["displayName"])

    def add_secret(self, client_id: str, *, end: datetime | timedelta | None = None,
                   start: datetime | None = None, display_name: str = "test secret",
                   tenant: str | None = None) -> str:
        """Add a client secret and return its value; ``end`` may be relative to the mock now."""
        if isinstance(end, timedelta):
            end = (start or self.clock.now()) + end
        credential: dict[str, Any] = {"displayName": display_name}
        if start is not None:
            credential["startDateTime"] = start.isoformat()
        if end is not None:
            credential["endDateTime"] = end.isoformat()
        response = self.graph("POST", f"{app_path(client_id)}/addPassword",
                              json={"passwordCredential": credential}, tenant=tenant)
        secret: str = response.json()["secretText"]
        return secret

    def add_certificate(self, client_id: str, certificate: x509.Certificate, *,
                        end: datetime | timedelta | None = None, tenant: str | None = None
                        ) -> str:
        """Register a certificate on the app as Graph does (``keyCredentials``, keeping those
        registered) and return its ``keyId``; ``end`` may be relative to the mock's now."""
        if isinstance(end, timedelta):
            end = self.clock.now() + end
        path = app_path(client_id)
        registered = [c["keyId"] for c in
                      self.graph("GET", path, tenant=tenant).json()["keyCredentials"]]
        der = certificate.public_bytes(serialization.Encoding.DER)
        key_id = str(uuid.uuid4())
        new: dict[str, Any] = {"keyId": key_id, "type": "AsymmetricX509Cert", "usage": "Verify",
                               "key": base64.b64encode(der).decode("ascii")}
        if end is not None:
            new["endDateTime"] = end.isoformat()
        self.graph("PATCH", path, tenant=tenant, json={
            "keyCredentials": [{"keyId": k} for k in registered] + [new]})
        return key_id

    def set_app_enabled(self, client_id: str, enabled: bool, *,
                        tenant: str | None = None) -> None:
        """Turn an app's sign-in on or off (its service principal's ``accountEnabled``, the
        enterprise application's "Enabled for users to sign-in?"); a disabled app gets
        AADSTS7000112 at sign-in and at the token endpoint."""
        self.graph("PATCH", principal_path(client_id), tenant=tenant,
                   json={"accountEnabled": enabled})

    def grant_consent(self, client_id: str, resource: str, scopes: Sequence[str], *,
                      user: str | None = None, tenant: str | None = None) -> str:
        """Consent for ``client_id`` to call ``resource`` (an app id, or Microsoft Graph's)
        with ``scopes`` on behalf of every user, or of ``user`` (an id); returns the grant id."""
        body: dict[str, Any] = {
            "clientId": client_id, "resourceId": resource, "scope": " ".join(scopes),
            "consentType": "Principal" if user else "AllPrincipals", "principalId": user}
        created = self.graph("POST", "oauth2PermissionGrants", json=body, tenant=tenant,
                             expect=(201, 409))
        if created.status_code == 201:
            grant_id: str = created.json()["id"]
            return grant_id
        # One grant per client, resource and principal (every app starts with an
        # administrator's consent on Graph): widen the one there.
        sp = {key: self.graph("GET", principal_path(body[key]),
                              tenant=tenant).json()["id"] for key in ("clientId", "resourceId")}
        existing = next(g for g in self.graph("GET", "oauth2PermissionGrants",
                                              tenant=tenant).json()["value"]
                        if g["clientId"] == sp["clientId"] and g["resourceId"] == sp["resourceId"]
                        and g["principalId"] == user)
        scope = " ".join(dict.fromkeys([*existing["scope"].split(), *scopes]))
        self.graph("PATCH", f"oauth2PermissionGrants/{path_segment(existing['id'])}",
                   tenant=tenant, json={"scope": scope})
        return str(existing["id"])

    def assign(self, user: str, client_id: str, *, role: str | None = None,
               tenant: str | None = None) -> None:
        """Assign a user (id or UPN) to an app, with default access or the named app role."""
        sp = self.graph("GET", principal_path(client_id), tenant=tenant).json()
        self.graph("POST", f"users/{path_segment(user)}/appRoleAssignments", tenant=tenant, json={
            "resourceId": sp["id"], "appRoleId": role or "00000000-0000-0000-0000-000000000000"})

    # --- claims: groups, optional claims, directory extensions, custom claims

    def assign_directory_role(self, user: str, role: str, *, tenant: str | None = None) -> None:
        """Give ``user`` (UPN or id) a built-in directory role by name, e.g. "Global
        Administrator" (Graph ``roleManagement/directory/roleAssignments``)."""
        self.graph("POST", "roleManagement/directory/roleAssignments", tenant=tenant, json={
            "principalId": user, "roleDefinitionId": directory_role_id(role),
            "directoryScopeId": "/"})

    def add_group(self, display_name: str, *, members: Sequence[str] = (),
                  security_enabled: bool = True, unified: bool = False,
                  tenant: str | None = None) -> TestGroup:
        """Create a group (``unified``: a Microsoft 365 group) with members (user or group ids;
        UPNs are looked up)."""
        return self._create_group(display_name, [self._object_id(m, tenant) for m in members],
                                  security_enabled=security_enabled, unified=unified,
                                  tenant=tenant)

    def add_groups(self, count: int, *, member: str, prefix: str = "Group",
                   tenant: str | None = None) -> list[TestGroup]:
        """``count`` security groups with ``member`` (user id or UPN) in each, e.g. to push a
        user past the groups overage (200 in a JWT): one request a group, the member looked
        up once."""
        member_id = self._object_id(member, tenant)
        return [self._create_group(f"{prefix} {i + 1:03d}", [member_id], tenant=tenant)
                for i in range(count)]

    def _create_group(self, display_name: str, member_ids: Sequence[str], *,
                      security_enabled: bool = True, unified: bool = False,
                      tenant: str | None = None) -> TestGroup:
        # Graph's "Create group" takes the first members in ``members@odata.bind``, up to 20
        # (learn.microsoft.com/graph/api/group-post-groups); the rest go in PATCHes of 20.
        body: dict[str, Any] = {"displayName": display_name,
                                "mailNickname": group_mail_nickname(display_name),
                                "securityEnabled": security_enabled, "mailEnabled": unified,
                                "groupTypes": ["Unified"] if unified else []}
        if member_ids:
            body["members@odata.bind"] = member_binds(member_ids[:MEMBERS_PER_REQUEST])
        created = self.graph("POST", "groups", json=body, tenant=tenant).json()
        group = TestGroup(id=created["id"], display_name=created["displayName"])
        self.add_members(group.id, member_ids[MEMBERS_PER_REQUEST:], tenant=tenant)
        return group

    def add_members(self, group_id: str, members: Sequence[str], *,
                    tenant: str | None = None) -> None:
        ids = [self._object_id(m, tenant) for m in members]
        for start in range(0, len(ids), MEMBERS_PER_REQUEST):
            self.graph("PATCH", f"groups/{path_segment(group_id)}", tenant=tenant,
                       json={"members@odata.bind": member_binds(
                           ids[start:start + MEMBERS_PER_REQUEST])})

    def configure_claims(self, client_id: str, *, group_membership_claims: str | None = None,
                         id_token: Sequence[str | dict[str, Any]] | None = None,
                         access_token: Sequence[str | dict[str, Any]] | None = None,
                         tenant: str | None = None) -> None:
        """Set an app's ``groupMembershipClaims`` and/or ``optionalClaims`` (claim names, or
        ``optionalClaim`` objects) as its manifest would."""
        body: dict[str, Any] = {}
        if group_membership_claims is not None:
            body["groupMembershipClaims"] = group_membership_claims
        if id_token is not None or access_token is not None:
            def claims(items: Sequence[str | dict[str, Any]] | None) -> list[dict[str, Any]]:
                return [{"name": c} if isinstance(c, str) else c for c in items or ()]
            body["optionalClaims"] = {"idToken": claims(id_token),
                                      "accessToken": claims(access_token)}
        self.graph("PATCH", app_path(client_id), json=body, tenant=tenant)

    def add_extension(self, client_id: str, name: str, *, data_type: str = "String",
                      multi_valued: bool = False, tenant: str | None = None) -> str:
        """Register a directory extension for users on an app; returns its full name
        (``extension_<appid>_<name>``), the name users and optional claims use."""
        body = {"name": name, "dataType": data_type, "targetObjects": ["User"],
                "isMultiValued": multi_valued}
        created = self.graph("POST", f"{app_path(client_id)}/extensionProperties",
                             json=body, tenant=tenant).json()
        full: str = created["name"]
        return full

    def update_user(self, user: str, tenant: str | None = None, **properties: Any) -> None:
        """``PATCH users/{user}`` with Graph properties (extension values by full name)."""
        self.graph("PATCH", f"users/{path_segment(user)}", json=properties, tenant=tenant)

    def set_custom_claims(self, user: str, *, id_token: dict[str, Any] | None = None,
                          access_token: dict[str, Any] | None = None,
                          tenant: str | None = None) -> None:
        """Test-only, not Entra: merge these claims into the user's ID and/or access tokens
        (``PUT /_mock/tenants/{tenant}/users/{user}/claims``); Entra's restricted claim set
        (protocol claims, ``roles``, ``groups``, ``email``...) is refused."""
        body = {k: v for k, v in (("id_token", id_token), ("access_token", access_token))
                if v is not None}
        user_url = f"tenants/{path_segment(tenant or self.tenant_id)}/users/{path_segment(user)}"
        self._control("PUT", f"{user_url}/claims", body)

    # --- sign-in protection: authenticator apps, smart lockout

    def add_authenticator(self, user: str, *, secret: str | None = None,
                          tenant: str | None = None) -> str:
        """Give ``user`` (UPN or id) an authenticator app, so their sign-ins ask for its code
        after the password and the password grant refuses them (AADSTS50076); returns its
        base32 secret (``secret``, or a new random one). :meth:`totp_code` gives the code."""
        url = f"tenants/{path_segment(tenant or self.tenant_id)}/users/{path_segment(user)}"
        found: str = self._control("PUT", f"{url}/authenticator",
                                   {"totp_secret": secret} if secret else {}).json()["totp_secret"]
        return found

    def totp_code(self, secret: str) -> str:
        """The code an authenticator app with ``secret`` shows now, by the provider's clock."""
        return totp.code_at(secret, self.clock.now())

    def set_lockout(self, *, threshold: int | None = None, duration: timedelta | None = None,
                    tenant: str | None = None) -> None:
        """Smart lockout's settings: failed sign-ins before an account locks (10), and how long
        its first lockout lasts (60 s)."""
        body: dict[str, Any] = {"lockout_threshold": threshold}
        if duration is not None:
            body["lockout_duration_seconds"] = int(duration.total_seconds())
        self._control("PATCH", f"tenants/{path_segment(tenant or self.tenant_id)}",
                      {k: v for k, v in body.items() if v is not None})

    def set_auth_contexts(self, contexts: dict[str, str | None], *,
                          mfa_at_sign_in: bool | None = None, tenant: str | None = None) -> None:
        """Conditional Access authentication contexts: ``{"c1": "mfa"}`` puts ``c1`` behind a
        policy requiring MFA (``"none"``: no policy, ``None`` removes it). ``mfa_at_sign_in``
        ``False``: an authenticator app's code is asked only where a context needs it."""
        body: dict[str, Any] = {"auth_contexts": contexts}
        if mfa_at_sign_in is not None:
            body["mfa_at_sign_in"] = mfa_at_sign_in
        self._control("PATCH", f"tenants/{path_segment(tenant or self.tenant_id)}", body)

    def _control(self, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return self._call(method, f"/_mock/{path}", body)

    def _call(self, method: str, url: str, body: dict[str, Any] | None,
              expect: tuple[int, ...] = ()) -> httpx.Response:
        """An error status raises :class:`MockIdpError` unless it is in ``expect``, and so does
        a redirect: the control and Graph APIs answer none, so a 3xx came from another server
        at this URL (or a path the mock does not serve), not the change asked for. Both
        messages name the request's full URL (``url`` is the path on the mock)."""
        response = self.http.request(method, url, json=body)
        if response.status_code in expect:
            return response
        if (moved := redirect_refusal(response)) is not None:
            raise MockIdpError(moved)
        if response.is_error:
            raise MockIdpError(f"{method} {response.request.url}: {response.status_code} "
                               f"{response.text}")
        return response

    def _object_id(self, ref: str, tenant: str | None) -> str:
        return ref if "@" not in ref else str(
            self.graph("GET", f"users/{path_segment(ref)}", tenant=tenant).json()["id"])

    def _domain(self, tenant: str | None) -> str:
        if tenant is None:
            return self.tenant_domain
        for t in self.http.get("/_mock/tenants").json()["tenants"]:
            if tenant.lower() in (t["id"], t["domain"]):
                domain: str = t["domain"]
                return domain
        raise MockIdpError(f"no tenant {tenant!r}")
