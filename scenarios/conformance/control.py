"""The mock provider's test-control and management APIs, as the conformance command uses them:
arm and clear faults, read and patch the app registration, read back-channel deliveries."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from mock_idp.testing_checks import redirect_refusal
from scenarios.protocol_view import ProtocolSources

__all__ = ["MockControl", "SetupError"]


class SetupError(RuntimeError):
    """The provider or the RP is not usable for a conformance run; the message says why."""


def _reason(response: httpx.Response) -> str:
    """A refusal's own words: Graph's ``error.message``, else the start of the body."""
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return response.text[:300]


class MockControl:
    """The provider's test-control and management APIs, as this command uses them."""

    def __init__(self, base_url: str, *, tenant: str, client_id: str,
                 http: httpx.Client) -> None:
        """``http`` is the caller's, and closed by it."""
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.client_id = client_id
        self._http = http

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise SetupError(f"{method} {url}: {exc}") from exc
        if (moved := redirect_refusal(response)) is not None:  # a 3xx is no success here
            raise SetupError(moved)
        if response.is_error:
            raise SetupError(f"{method} {url} -> {response.status_code}: {_reason(response)}")
        return response.json() if response.content else None

    def arm(self, kind: str, **scope: Any) -> str:
        body = {"kind": kind, "app": self.client_id, "times": 1, **scope}
        return str(self._call("POST", "/_mock/faults", json=body)["id"])

    def armed(self) -> set[str]:
        """Faults with uses left (a spent one may stay listed, ``times`` 0, while its effect
        lasts)."""
        return {str(f["id"]) for f in self._call("GET", "/_mock/faults")["faults"]
                if f["times"] != 0}

    def clear(self) -> None:
        self._call("DELETE", "/_mock/faults")

    def _app_path(self) -> str:
        return f"/graph/{self.tenant}/v1.0/applications(appId='{quote(self.client_id)}')"

    def app(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", self._app_path())
        return found

    def patch_app(self, patch: dict[str, Any]) -> None:
        self._call("PATCH", self._app_path(), json=patch)

    @property
    def protocol_sources(self) -> ProtocolSources:
        """Where a row's exchange is read: this mock's logs."""
        return ProtocolSources(provider_url=self.base_url, http=self._http)

    def backchannel_notes(self) -> list[dict[str, Any]]:
        body = self._call("GET", "/_mock/notifications", params={"kind": "backchannel"})
        return [n for n in body["notifications"] if n.get("client_id") == self.client_id]

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant}"

    @property
    def logout_url(self) -> str:
        """The v1 end-session endpoint: it signs the browser's only account out directly,
        where the v2.0 one asks "Pick an account" without a ``logout_hint``
        (Azure-Samples/active-directory-aspnetcore-webapp-openidconnect-v2 issue #126;
        AzureAD/microsoft-authentication-library-for-js PR #7736)."""
        return f"{self.authority}/oauth2/logout"

    def now(self) -> float:
        """The provider's clock, seconds since the epoch (it may have been moved)."""
        return float(self._call("GET", "/_mock/clock")["epoch"])

    def end_session(self, cookies: dict[str, str]) -> None:
        """End the browser session these provider cookies carry, at the logout endpoint (an
        HTTP request, not a navigation: the signed-out page's front-channel iframes must not
        log the app out, so that only the logout token can; over https it is verified with
        the provider's CA)."""
        try:
            self._http.get(self.logout_url, follow_redirects=False, headers={
                "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())})
        except httpx.HTTPError as exc:
            raise SetupError(f"GET {self.logout_url}: {exc}") from exc
