"""``install(app, state)``: attach the platform to a provider built by ``create_app``.

Puts a :class:`PlatformState` on ``app.state.platform`` (and ``state.extensions["platform"]``),
backed by the provider's own store, clock and config, and adds :class:`RunDueEvents` so due
retries go out on every request. The routes themselves come from
``mock_idp.endpoints.platform.routes``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.applications import Starlette

from ..outgoing import new_client
from ..state import IdpState
from .directory import StoreDirectory
from .middleware import RunDueEvents
from .state import PlatformConfig, PlatformState


def install(
    app: Starlette,
    state: IdpState,
    *,
    http_client: httpx.AsyncClient | None = None,
    run_due_on_requests: bool = True,
) -> PlatformState:
    """Call before the app starts. Without ``http_client`` a real one is made (and closed)."""
    cfg = state.config
    client = http_client or new_client()
    platform = PlatformState(
        clock=state.clock,
        http_client=client,
        directory=StoreDirectory(lambda: state.store),
        config=PlatformConfig(
            base_url=cfg.public_url,
            delivery_timeout=cfg.event_timeout.total_seconds(),
            key_retention=cfg.key_retention,
        ),
    )
    app.state.platform = platform
    state.extensions["platform"] = platform
    if run_due_on_requests:
        app.add_middleware(RunDueEvents)
    if http_client is None:
        _chain_close(state, client.aclose)
    return platform


def _chain_close(state: IdpState, closer: Callable[[], Awaitable[None]]) -> None:
    previous = state.extensions.get("aclose")

    async def aclose() -> None:
        try:
            if previous is not None:
                await previous()
        finally:
            await closer()

    state.extensions["aclose"] = aclose
