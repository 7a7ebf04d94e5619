"""The mock provider of a live stack, with :class:`mock_idp.testing.MockIdp`'s helpers: the
``mock_idp`` fixture of the ``sso_harness`` pytest plugin."""

from __future__ import annotations

import ssl
import uuid
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from mock_idp.request_log import CALLER_HEADER
from mock_idp.testing import MockIdp, RunningServer
from mock_idp.testing_records import refusal_frame_hidden
from scenarios.ca_trust import public_trust

if TYPE_CHECKING:
    from mock_idp.config import IdpConfig
    from scenarios.live import LiveStack

__all__ = ["StackIdp"]

__tracebackhide__ = refusal_frame_hidden  # a refused call fails at the test's own line


class StackIdp(MockIdp):
    """The provider of a :class:`LiveStack`, with :class:`MockIdp`'s helpers.

    It attaches to the running server rather than starting one; ``close()`` releases its HTTP
    client (the stack stops the server). A provider on https (``idp_https``, ``[provider]
    https``) is reached trusting the stack's local CA, :attr:`ca_file`.
    """

    def __init__(self, stack: LiveStack) -> None:
        config: IdpConfig = stack.idp_app.state.idp.config
        super().__init__(config, https=stack.ca_file is not None, port=stack.idp.port)
        self.stack = stack
        verify = (ssl.create_default_context(cafile=str(stack.ca_file))
                  if stack.ca_file is not None else public_trust())
        self._client = httpx.Client(base_url=stack.idp.base_url, timeout=10.0, verify=verify,
                                    headers={CALLER_HEADER: "harness"})

    def __enter__(self) -> StackIdp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @property
    def server(self) -> RunningServer:
        return self.stack.idp

    @property
    def http(self) -> httpx.Client:
        return self._client

    @property
    def ca_file(self) -> Path | None:
        """The stack's local CA when its provider is on https (as ``sso_stack.ca_file``)."""
        return self.stack.ca_file

    @property
    def control_url(self) -> str:
        return self.stack.idp_url("/_mock/")

    def add_tenant(self, domain: str, *, name: str | None = None, tenant_id: str | None = None,
                   **fields: Any) -> dict[str, Any]:
        """Create a tenant (``POST /_mock/tenants``; ``fields`` as in ``idp.toml``: apps,
        users, region) and return its JSON. The id defaults to a GUID derived from ``domain``."""
        body: dict[str, Any] = {
            "id": tenant_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, domain.lower())),
            "domain": domain, "name": name or domain.split(".")[0].title(), **fields,
        }
        created: dict[str, Any] = self._control("POST", "tenants", body).json()
        return created

    def arm_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Arm a fault (``POST /_mock/faults``): ``kind`` plus endpoint, times, code...; a
        refused one raises :class:`MockIdpError` naming the field."""
        armed: dict[str, Any] = self._control("POST", "faults", {"kind": kind, **fields}).json()
        return armed

    def clear_faults(self) -> None:
        self._call("DELETE", "/_mock/faults", None)

    def rotate_keys(self) -> None:
        self._control("POST", "keys/rotate", {})

    def expire_secret_in(self, days: float) -> str:
        """A new secret for the reference app ending ``days`` from the mock's now."""
        end = self.clock.now().astimezone(UTC) + timedelta(days=days)
        return self.add_secret(self.stack.client_id, end=end)
