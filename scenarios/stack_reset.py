"""A scenario run on a stack a test holds (``sso_run_scenario(id, stack=sso_stack)``) leaves
nothing behind at its provider.

The catalogue's scenarios assume a fresh stack each: ``failure.expired-secret`` moves the clock
past the app's secret, ``lifecycle.key-rotation`` rotates the signing keys, others arm faults,
add users and tenants or block consent. A worker's provider is reset between them through its
control API (:func:`~scenarios.shared_servers.reset_provider`); a stack the test holds is reset
the same way once the scenario ends, and then wired to its app again as
:func:`~scenarios.live.live_stack` wired it:

- the provider: ``POST /_mock/reset`` with ``clock``: its configured directory, no sessions,
  codes, tokens, faults, notifications, installations, events or logged requests, the clock at
  real time; the signing keys too when the scenario changed them (then it publishes one new key);
  the provider's cookies in the stack's HTTP client (``stack.http``) are forgotten with them;
- the app's registration: its client secret (the value the app was started with, for the
  profile's secret lifetime from now: :attr:`LiveStack.secret_key_id` names it), redirect and
  logout URIs as the stack registered them;
- the app's adapter: the people found with no e-mail address, which the scenario's result
  names (a test warned of them once, not again by every later test on the stack);
- the app: its client secret, when the scenario stored another one in it, is renewed back to
  the stack's through the profile. Nothing else of the app's is touched (its database, its
  sessions, its connections, a key set it cached).

What the test itself arranged at the provider before the run (users, faults, the clock) is part
of what the reset removes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC
from typing import TYPE_CHECKING

from scenarios.app.adapter import ProfileAdapter
from scenarios.shared_servers import published_keys, reset_provider

if TYPE_CHECKING:
    from scenarios.live import LiveStack

__all__ = ["reset_after", "reset_stack", "wire_again"]


@contextlib.contextmanager
def reset_after(stack: LiveStack) -> Iterator[LiveStack]:
    """``stack`` for one scenario, reset (:func:`reset_stack`) once it ends. A reset that fails
    after a scenario that did not pass is left unsaid: the scenario's own failure is the one
    its result tells."""
    keys = published_keys(stack.http, stack.idp.base_url)
    if isinstance(stack.app, ProfileAdapter):  # the people this scenario finds, not the last's
        stack.app.addressless.clear()
    try:
        yield stack
    except BaseException:
        with contextlib.suppress(Exception):
            reset_stack(stack, keys)
        raise
    reset_stack(stack, keys)


def reset_stack(stack: LiveStack, keys: bytes) -> None:
    """The provider of ``stack`` reset, the stack's app registered again and given back its
    client secret (see the module's text); ``keys``: the signing keys it published before."""
    reset_provider(stack.http, stack.idp.base_url, keys)
    wire_again(stack)


def wire_again(stack: LiveStack) -> None:
    """After a reset of its provider, the stack's app registered there again and given back
    its client secret, as :func:`~scenarios.live.live_stack` registered it (the module's
    text); ``make demo`` calls it after a reset of its provider too."""
    end = stack.clock.now() + stack.profile.provider.secret_lifetime
    created = stack.graph("POST", f"applications(appId='{stack.client_id}')/addPassword", {
        "passwordCredential": {"displayName": "scenario", "secretText": stack.client_secret,
                               "endDateTime": end.astimezone(UTC).isoformat()}})
    stack.secret_key_id = str(created["keyId"])
    stack.register_app()
    if stack.app.values.get("client_secret", stack.client_secret) != stack.client_secret:
        stack.app.renew_secret(stack.client_secret, end.date())
