"""Pure ASGI middleware that starts due event retries, without making any request wait."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .state import PlatformState

RUN_PATH = "/_mock/events/run"


class RunDueEvents:
    """Pure ASGI middleware: before each HTTP request, start the due event retries in the
    background (the request goes on at once); at the lifespan's shut-down, stop the deliveries
    still in flight before the app's own shut-down closes their HTTP client.

    ``POST /_mock/events/run`` is skipped: it starts what is due itself and waits for it.
    """

    def __init__(self, app: ASGIApp, *, platform: PlatformState,
                 skip_paths: tuple[str, ...] = (RUN_PATH,)) -> None:
        self.app = app
        self.platform = platform
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._stopping_deliveries(receive), send)
            return
        if scope["type"] == "http" and scope["path"] not in self.skip_paths:
            self.platform.start_due()
        await self.app(scope, receive, send)

    def _stopping_deliveries(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.platform.aclose()
            return message

        return wrapped
