"""The seam through which armed faults reach the endpoints.

Endpoints ask :func:`response_fault` before doing their work; when the fault subsystem is not
installed (``state.extensions["faults"]`` absent) nothing happens.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from .common import idp


class FaultSource(Protocol):
    async def response_fault(
        self, request: Request, endpoint: str, scope: dict[str, str | None]
    ) -> Response | None: ...

    def token_fault(self, endpoint: str, scope: dict[str, str | None]) -> Any | None: ...


def _source(request: Request) -> FaultSource | None:
    source: FaultSource | None = idp(request).extensions.get("faults")
    return source


async def response_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                         app: str | None = None, user: str | None = None) -> Response | None:
    source = _source(request)
    if source is None:
        return None
    return await source.response_fault(
        request, endpoint, {"tenant": tenant, "app": app, "user": user}
    )


def token_fault(request: Request, endpoint: str, *, tenant: str | None = None,
                app: str | None = None, user: str | None = None) -> Any | None:
    source = _source(request)
    if source is None:
        return None
    return source.token_fault(endpoint, {"tenant": tenant, "app": app, "user": user})
