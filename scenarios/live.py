"""A live stack: the mock provider and the reference relying party, wired together.

Both run in this process on ephemeral ports and share one :class:`~mock_idp.MockClock`, so a
scenario that moves the clock past a secret's end date moves it for both. The stack arranges
state only through the servers' own HTTP APIs (Graph-shaped management, ``/_mock/``, the RP's
admin API), the way a test in any language would.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import httpx

from mock_idp import IdpConfig, MockClock
from mock_idp import create_app as create_idp
from mock_idp.config import (
    DEFAULT_DOMAIN,
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
)
from mock_idp.testing import RunningServer, bind_socket, run_in_thread
from relying_party import Settings
from relying_party import create_app as create_rp

CUSTOMER_APPS = ("widget", "portal", "kb")


@dataclass(frozen=True)
class Person:
    upn: str
    password: str
    name: str


PEOPLE = {
    first: Person(f"{first}@{DEFAULT_DOMAIN}", f"P@ssw0rd-{first}", f"{first.title()} {last}")
    for first, last in (("alice", "Adams"), ("bob", "Brown"), ("carol", "Clark"),
                        ("dave", "Davis"))
}


class StackError(RuntimeError):
    """A set-up call to the provider or the relying party was refused."""


@dataclass(frozen=True, kw_only=True)
class StackOptions:
    rp_read_timeout: float = 2.0
    rp_connect_timeout: float = 2.0
    support_contact: str = "helpdesk@contoso.example"
    connection: bool = True
    """Create the default customer-SSO connection to the mock's reference app."""


@dataclass
class LiveStack:
    clock: MockClock
    idp: RunningServer
    rp: RunningServer
    idp_app: Any
    rp_app: Any
    options: StackOptions
    http: httpx.Client
    tenant_id: str = DEFAULT_TENANT_ID
    client_id: str = REFERENCE_RP_CLIENT_ID
    client_secret: str = REFERENCE_RP_SECRET
    connection_id: str | None = None
    people: dict[str, Person] = field(default_factory=lambda: dict(PEOPLE))

    # -- the provider ---------------------------------------------------------------------------
    @property
    def authority(self) -> str:
        return f"{self.idp.base_url}/{self.tenant_id}"

    def idp_url(self, path: str) -> str:
        return self.idp.url(path)

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.http.request(method, url, **kwargs)
        if response.status_code >= 400:
            raise StackError(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def graph(self, method: str, path: str, json: Any = None) -> Any:
        return self._call(method, self.idp_url(f"/graph/{self.tenant_id}/v1.0/{path.lstrip('/')}"),
                          json=json)

    def update_app(self, client_id: str | None = None, **patch: Any) -> None:
        self.graph("PATCH", f"applications(appId='{client_id or self.client_id}')", patch)

    def add_secret(self, *, days: float = 180, client_id: str | None = None) -> str:
        end = self.clock.now() + timedelta(days=days)
        created = self.graph(
            "POST", f"applications(appId='{client_id or self.client_id}')/addPassword",
            {"passwordCredential": {"displayName": "scenario",
                                    "endDateTime": end.astimezone(UTC).isoformat()}})
        return str(created["secretText"])

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0,
                seconds: float = 0) -> None:
        self.clock.advance(timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))

    def arm_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", self.idp_url("/_mock/faults"),
                                            json={"kind": kind, **fields})
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", self.idp_url("/_mock/faults"))

    def rotate_keys(self) -> None:
        self._call("POST", self.idp_url("/_mock/keys/rotate"), json={})

    def notifications(self, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"kind": kind} if kind else None
        body = self._call("GET", self.idp_url("/_mock/notifications"), params=params)
        return list(body["notifications"])

    def user_id(self, first_name: str) -> str:
        body = self.graph("GET", f"users/{self.people[first_name].upn}")
        return str(body["id"])

    def install_partner_app(self) -> dict[str, Any]:
        """The platform installs the reference app for the tenant: ``app.installed`` to the RP."""
        result: dict[str, Any] = self._call("POST", self.idp_url("/_mock/installations"), json={
            "app_id": self.client_id, "tenant": self.tenant_id,
            "events_url": self.rp_url("/events")})
        return result

    # -- the relying party ----------------------------------------------------------------------
    def rp_url(self, path: str) -> str:
        return self.rp.url(path)

    def _rp(self, method: str, path: str, json: Any = None) -> Any:
        return self._call(method, self.rp_url(path), json=json,
                          headers={"Origin": self.rp.base_url})

    def create_connection(self, **fields: Any) -> dict[str, Any]:
        body = {
            "name": "Contoso (Entra ID)",
            "authorization_uri": f"{self.authority}/oauth2/v2.0/authorize",
            "token_url": f"{self.authority}/oauth2/v2.0/token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "secret_expires_on": (self.clock.now() + timedelta(days=180)).date().isoformat(),
            "support_contact": self.options.support_contact,
            **fields,
        }
        created: dict[str, Any] = self._rp("POST", "/api/admin/connections", body)
        return created

    def connections(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._rp("GET", "/api/admin/connections")
        return found

    def update_connection(self, connection_id: str, **fields: Any) -> dict[str, Any]:
        updated: dict[str, Any] = self._rp("PATCH", f"/api/admin/connections/{connection_id}",
                                           fields)
        return updated

    def set_connection_enabled(self, connection_id: str, enabled: bool) -> None:
        self._rp("POST", f"/api/admin/connections/{connection_id}/"
                 f"{'enable' if enabled else 'disable'}")

    def sign_in_url(self, app: str = "widget", connection_id: str | None = None) -> str:
        return self.rp_url(f"/sso/{connection_id or self.connection_id}/{app}")

    def rp_error(self, reference: str) -> dict[str, Any]:
        found: dict[str, Any] = self._rp("GET", f"/api/admin/errors/{reference}")
        return found

    def launch_url(self, installation_id: str, user_id: str) -> str:
        return self.rp_url(f"/launch?talkdesk_installation_id={installation_id}"
                           f"&talkdesk_user_id={user_id}")


@contextlib.contextmanager
def live_stack(options: StackOptions | None = None, *, workdir: Path | None = None,
               idp_port: int = 0, rp_port: int = 0) -> Iterator[LiveStack]:
    """Start the provider and the relying party; stop both afterwards.

    Ports default to ephemeral ones (``0``); ``make demo`` asks for fixed ones.
    """
    opts = options or StackOptions()
    clock = MockClock()
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sso-")))
        idp_app = create_idp(IdpConfig.default(clock=clock))
        served = stack.enter_context(run_in_thread(idp_app, port=idp_port))
        # The provider is reached as "localhost" and the RP as "127.0.0.1": two sites, as in
        # production, so the browser keeps their cookies apart (a front-channel logout iframe
        # carries no RP cookie and must be matched by sid).
        idp = RunningServer(base_url=f"http://localhost:{served.port}", port=served.port,
                            stop=served.stop)
        sock = bind_socket("127.0.0.1", rp_port)
        rp_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(
            db_path=str(workdir / "rp.db"), public_url=rp_base, clock=clock,
            event_keys_url=idp.url("/.well-known/platform-event-keys.json"),
            read_timeout=opts.rp_read_timeout, connect_timeout=opts.rp_connect_timeout,
        )
        rp_app = create_rp(settings)
        rp = stack.enter_context(run_in_thread(rp_app, sock=sock))
        # Unwound first: both servers are told to stop before either is waited for.
        def stop_both() -> None:
            rp.stop()
            idp.stop()

        stack.callback(stop_both)
        http = stack.enter_context(httpx.Client(timeout=10))
        live = LiveStack(clock=clock, idp=idp, rp=rp, idp_app=idp_app, rp_app=rp_app,
                         options=opts, http=http)
        live.update_app(web={"logoutUrl": live.rp_url("/auth/frontchannel-logout")})
        if opts.connection:
            live.connection_id = str(live.create_connection()["id"])
        yield live


def with_options(options: StackOptions, **changes: Any) -> StackOptions:
    return replace(options, **changes)
