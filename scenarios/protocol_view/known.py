"""The secret values a run knows, so that text leaving a worker is masked by value too.

Masking by name (:func:`~scenarios.protocol_view.tokens.mask_text`) misses a secret an app
prints under a name of its own, or none (``admin token: Jq3v…``, a refresh token on its error
page). The harness knows the values themselves: the client secrets it created or was given and
the admin token it made (in the app's template values), a real provider's client secret,
password and authenticator secret (``--idp``), and, from the mock provider running in the
worker's process, every value its request log masks (client secrets sent or created, passwords
typed, codes issued and redeemed, refresh tokens) and the secrets, codes and refresh tokens its
store holds. :func:`known_values` gathers them from a scenario's environment and the worker's,
as a mapping from each value to what it is shown as: ``[redacted]``, or a code's fingerprint,
the same as the protocol view shows; :func:`mask_exchange` masks them in a drawn exchange (a
value the app put under a name of its own in a URL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar, cast

from mock_idp.redaction import REDACTED, fingerprint, kind_of
from mock_idp.state import IdpState
from scenarios.protocol_view.model import Exchange

__all__ = ["known_values", "mask_exchange", "template_secrets"]

PARTS = ("config", "app", "shared", "provider", "idp_app")
"""The attributes followed from an environment to what holds secrets: a live stack's app
adapter and provider app, a worker's shared servers, a real provider's configuration."""
T = TypeVar("T")


def known_values(*sources: object) -> dict[str, str]:
    """Each secret value ``sources`` (a scenario's environment, a worker's) know of, with what
    it is shown as. Never raises: what cannot be read is left out."""
    found: dict[str, str] = {}
    seen: set[int] = set()
    pending = [source for source in sources if source is not None]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        try:
            found.update(_own_values(item))
            pending += [part for name in PARTS if (part := getattr(item, name, None)) is not None]
        except Exception:  # never in the way of a scenario's outcome
            continue
    return found


def _own_values(item: object) -> dict[str, str]:
    found: dict[str, str] = {}
    held = getattr(item, "secrets", None)
    if isinstance(held, tuple):
        found.update({value: REDACTED for value in held if isinstance(value, str) and value})
    client_secret = getattr(item, "client_secret", None)
    if isinstance(client_secret, str) and client_secret:
        found[client_secret] = REDACTED
    values = getattr(item, "values", None)
    if isinstance(values, Mapping):
        found.update(template_secrets(values))
    state = getattr(getattr(item, "state", None), "idp", None)
    if isinstance(state, IdpState):
        found.update(_provider_values(state))
    return found


def template_secrets(values: Mapping[str, object]) -> dict[str, str]:
    """The secrets among an app's template values (``client_secret``, ``admin_token``...),
    each shown as ``[redacted]``."""
    return {value: REDACTED for name, value in values.items()
            if isinstance(value, str) and value and _secret_name(str(name))}


def _secret_name(name: str) -> bool:
    """A template value that is a secret: ``client_secret``, ``admin_token``..."""
    return kind_of(name) in ("secret", "jwt", "token")


def _provider_values(state: IdpState) -> dict[str, str]:
    """What the mock provider's request log masks, and the secrets, codes and refresh tokens
    its store holds."""
    store = state.store
    found: dict[str, str] = {}
    for entry in _copy(store.request_log):
        found.update(entry.hidden())
    for tenant in _copy(store.tenants.values()):
        for app in _copy(tenant.apps.values()):
            found.update({s.value: REDACTED for s in _copy(app.secrets) if s.value})
    for code in (*_copy(store.codes), *_copy(store.redeemed_codes), *_copy(store.device_codes)):
        found[code] = fingerprint(code)
    found.update({token: REDACTED for token in _copy(store.refresh_tokens)})
    return found


def _copy(items: Iterable[T], tries: int = 3) -> Iterator[T]:
    """The items of a collection the provider's thread may be changing as it is read."""
    for _ in range(tries - 1):
        try:
            return iter(list(items))
        except RuntimeError:  # changed size during iteration: read it again
            continue
    return iter(list(items))


def mask_exchange(exchange: Exchange | None, mask: Callable[[str], str]) -> Exchange | None:
    """``exchange`` with ``mask`` (a :func:`~scenarios.protocol_view.tokens.value_mask`)
    applied to every text it holds."""
    return None if exchange is None else cast(Exchange, _masked(exchange, mask))


def _masked(value: object, mask: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, tuple):
        return tuple(_masked(item, mask) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{
            f.name: _masked(getattr(value, f.name), mask)
            for f in dataclasses.fields(value) if f.init})
    return value
