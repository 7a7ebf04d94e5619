"""Pure ASGI middleware that sends due event retries before each HTTP request."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .state import PlatformState

RUN_PATH = "/_mock/events/run"


class RunDueEvents:
    """Pure ASGI middleware: send due event retries before handling each HTTP request.

    ``POST /_mock/events/run`` is skipped so that its answer lists the attempts it made.
    """

    def __init__(self, app: ASGIApp, *, platform: PlatformState,
                 skip_paths: tuple[str, ...] = (RUN_PATH,)) -> None:
        self.app = app
        self.platform = platform
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.skip_paths:
            await self.platform.run_due()
        await self.app(scope, receive, send)
