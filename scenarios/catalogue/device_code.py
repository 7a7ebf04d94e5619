"""Device-code sign-in: a device without a browser polls while the user signs in elsewhere."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.ca_trust import public_trust
from scenarios.flows import sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.pages import IdpDeviceLoginPage

Ctx = ScenarioContext[LiveStack]
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class DevicePoller:
    """The device: it polls the token endpoint every ``interval`` seconds (RFC 8628 §3.4),
    waiting 5 seconds more after a ``slow_down``, until tokens or another error come back.

    It waits with ``wait`` (seconds): in the scenario, by moving the provider's clock on, so
    the provider sees polls ``interval`` apart without the run sleeping through them."""

    token_url: str
    client_id: str
    device_code: str
    interval: int
    deadline: float
    verify: ssl.SSLContext | bool = True
    """How the device trusts the provider (its local CA when the mock serves https)."""
    wait: Callable[[float], object] = time.sleep
    errors: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="device-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=10, verify=self.verify) as http:
            while time.monotonic() < self.deadline:
                answer = http.post(self.token_url, data={
                    "grant_type": GRANT, "client_id": self.client_id,
                    "device_code": self.device_code})
                body: dict[str, Any] = answer.json()
                if answer.status_code == 200 or body.get("error") not in (
                        "authorization_pending", "slow_down"):
                    self.result = body
                    return
                self.errors.append(str(body["error"]))
                self.interval += 5 if body["error"] == "slow_down" else 0
                self.wait(self.interval)

    def join(self) -> dict[str, Any]:
        assert self._thread is not None
        self._thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + 10)
        assert not self._thread.is_alive(), f"the device is still polling: {self.errors}"
        return self.result


@scenario(
    id="device-code.sign-in",
    title="A device signs in with a code the user types at /devicelogin",
    proves="A public client gets a device code and polls (authorization_pending, at the "
    "interval it was given, never slow_down); the user opens /devicelogin in the browser, types "
    "the code, signs in on Entra's pages, confirms the app and is told to close the window; "
    "the device's next poll gets tokens for that user",
    tags={"device-code", "no-connection", "provider-only"},
)
def device_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page

    def wait(seconds: float) -> None:
        stack.clock.advance(timedelta(seconds=seconds))  # the interval, on the provider's clock
        time.sleep(0.1)  # and a short real pause, so polls do not spin
    alice = stack.people["alice"]
    with ctx.step("register a public client app (Allow public client flows)"):
        app = stack.graph("POST", "applications", {"displayName": "Contoso CLI",
                                                   "isFallbackPublicClient": True})
        client_id = str(app["appId"])
    with ctx.step("the device asks for a code and starts polling"):
        start = stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/devicecode"),
                                data={"client_id": client_id,
                                      "scope": "openid profile offline_access User.Read"})
        assert start.status_code == 200, start.text
        flow = start.json()
        assert flow["interval"] == 5 and flow["expires_in"] == 900, flow
        poller = DevicePoller(
            token_url=stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"),
            client_id=client_id, device_code=flow["device_code"], interval=flow["interval"],
            deadline=time.monotonic() + 60,
            verify=ssl.create_default_context(cafile=str(stack.ca_file)) if stack.ca_file
            else public_trust(), wait=wait)
        poller.start()
    device_login = IdpDeviceLoginPage(page)
    with ctx.step("the user opens the verification URI and types the code"):
        page.goto(flow["verification_uri"])
        expect(device_login.heading).to_be_visible()
        device_login.enter(flow["user_code"])
    with ctx.step("the user signs in on Entra's pages and confirms the app"):
        sign_in_at_idp(page, alice)
        expect(device_login.confirm_heading).to_contain_text("Contoso CLI")
        device_login.continue_.click()
        expect(device_login.done).to_contain_text("You may now close this window")
    with ctx.step("the device's polls: pending until then, then tokens for alice"):
        tokens = poller.join()
        assert "access_token" in tokens, tokens
        assert poller.errors and set(poller.errors) == {"authorization_pending"}, poller.errors
        id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert id_claims["preferred_username"] == alice.upn and id_claims["aud"] == client_id
