"""A fake of the platform's Apps API: the two state changes a partner app makes (approving its
installation, acknowledging rotated credentials), served by :class:`fake_op.FakeOp` on its
host, which is the API root of the events the tests send.

A call needs a bearer token the fake provider's token endpoint issued by the client-credentials
grant; the fake records which client id and secret that token was issued for. Knobs: ``fault``
answers instead of the platform, ``gate`` holds every answer until it is set.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

GATE_SECONDS = 5.0
"""The longest a call waits for the gate; then it answers 503."""


@dataclass(frozen=True)
class AppsApiCall:
    kind: str
    """``approval`` or ``credentials``."""
    app_id: str
    installation_id: str
    client_id: str | None
    """The client id in the path (credentials only)."""
    body: Any
    token_client_id: str | None
    token_secret: str | None
    """The credentials the bearer token was obtained with (None: not a token issued here)."""


def platform_error(status: int, code: str, message: str, field: str = "state") -> Response:
    return JSONResponse({"code": code, "message": message,
                         "fields": [{"name": field, "description": message}]},
                        status_code=status)


class FakeAppsApi:
    def __init__(self, tokens: Mapping[str, tuple[str, str]]) -> None:
        self.tokens = tokens
        self.calls: list[AppsApiCall] = []
        self.answered = 0
        self.fault: Callable[[], Response] | None = None
        self.gate: threading.Event | None = None
        self.routes = [
            Route("/apps/{app_id}/installations/{installation_id}/state", self._approval,
                  methods=["POST"]),
            Route("/apps/{app_id}/installations/{installation_id}/credentials/{client_id}/state",
                  self._credentials, methods=["POST"]),
        ]

    def of(self, kind: str) -> list[AppsApiCall]:
        return [c for c in self.calls if c.kind == kind]

    async def _record(self, request: Request, kind: str) -> tuple[AppsApiCall, Response | None]:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        client_id, secret = self.tokens.get(token, (None, None))
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        params = request.path_params
        call = AppsApiCall(kind=kind, app_id=params["app_id"],
                           installation_id=params["installation_id"],
                           client_id=params.get("client_id"), body=body,
                           token_client_id=client_id, token_secret=secret)
        self.calls.append(call)
        gate = self.gate
        if gate is not None:
            for _ in range(int(GATE_SECONDS / 0.01)):
                if gate.is_set():
                    break
                await asyncio.sleep(0.01)
            else:
                return call, platform_error(503, "unavailable", "the gate never opened")
        self.answered += 1
        if self.fault is not None:
            return call, self.fault()
        if client_id is None:
            return call, platform_error(401, "unauthorized", "unknown bearer token",
                                        "Authorization")
        return call, None

    async def _approval(self, request: Request) -> Response:
        call, refusal = await self._record(request, "approval")
        if refusal is not None:
            return refusal
        if not isinstance(call.body, dict) or call.body.get("state") != "approve":
            return platform_error(400, "invalid_request", 'state must be "approve"')
        return JSONResponse({"state": "completed", "reason": None,
                             "updated_at": "2026-03-01T09:00:00Z",
                             "_links": {"self": {"href": str(request.url)}}})

    async def _credentials(self, request: Request) -> Response:
        call, refusal = await self._record(request, "credentials")
        if refusal is not None:
            return refusal
        if not isinstance(call.body, dict) or call.body.get("state") != "acknowledged":
            return platform_error(400, "invalid_request", 'state must be "acknowledged"')
        return JSONResponse({"state": "acknowledged",
                             "_links": {"self": {"href": str(request.url)}}}, status_code=202)
