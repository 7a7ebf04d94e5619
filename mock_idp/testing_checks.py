"""What :class:`mock_idp.testing.MockIdp`'s helpers check before they change anything (a
refusal raises :class:`~mock_idp.testing_records.MockIdpError` naming the argument), and how
they put a caller's value into a URL path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import quote

import httpx

from .clock import Clock
from .clock_range import ClockRangeError, clock_target
from .directory_roles import BUILT_IN
from .testing_records import MockIdpError


def clock_move(clock: Clock, **moves: float) -> timedelta:
    """The move ``moves`` (``seconds``, ``minutes``, ``hours``, ``days``) make, when it keeps
    the clock in the range the control API allows (``POST /_mock/clock``)."""
    named = ", ".join(name for name, amount in moves.items() if amount) or "days"
    try:
        delta = timedelta(**moves)
        clock_target(clock.now() + delta, named)
    except OverflowError:
        raise MockIdpError(f"{named!r} would move the clock outside 1971..9000") from None
    except ClockRangeError as err:
        raise MockIdpError(err.message) from None
    return delta


def directory_role_id(role: str) -> str:
    """The template id of the built-in directory role named ``role``."""
    if role not in BUILT_IN:
        raise MockIdpError(f"no built-in directory role {role!r}; known: "
                           f"{', '.join(sorted(BUILT_IN))}")
    return BUILT_IN[role]


def path_segment(value: str) -> str:
    """``value`` (a UPN, an object, client or tenant id) percent-encoded as one segment of a URL
    path: a guest's UPN (``…#EXT#@…``) would otherwise end the path at its ``#``, and the rest
    would be taken for a fragment (RFC 3986 §3.3, §3.5)."""
    return quote(value, safe="@")


def graph_path(path: str) -> str:
    """``path`` for the management API's ``…/v1.0/``: relative to it, or copied from Graph's
    documentation with its version in front (``/v1.0/users``, ``v1.0/me``), which would
    otherwise be sent as ``…/v1.0/v1.0/users`` and answered 400."""
    relative = path.lstrip("/")
    version, slash, rest = relative.partition("/")
    return rest if slash and version.casefold() == "v1.0" else relative


def redirect_refusal(response: httpx.Response) -> str | None:
    """What is wrong with ``response`` to a control or Graph call when it is a redirect (else
    ``None``): those APIs redirect nothing, so a 3xx came from another server at the caller's
    URL (or from a path the mock does not serve), not the change asked for. httpx follows no
    redirect by default, so without this the 3xx would be taken for success."""
    if not 300 <= response.status_code < 400:
        return None
    request = response.request
    return (f"{request.method} {request.url}: {response.status_code} redirect to "
            f"{response.headers.get('location')!r}, not the mock's answer")


def app_path(client_id: str) -> str:
    return f"applications(appId='{path_segment(client_id)}')"


def principal_path(client_id: str) -> str:
    return f"servicePrincipals(appId='{path_segment(client_id)}')"


MEMBERS_PER_REQUEST = 20
"""Members one ``members@odata.bind`` may add, when a group is created or updated (Graph's
limit per request: learn.microsoft.com/graph/api/group-post-members)."""


def member_binds(object_ids: Sequence[str]) -> list[str]:
    """``members@odata.bind``'s value: a directory object URL for each id."""
    return [f"https://graph.microsoft.com/v1.0/directoryObjects/{i}" for i in object_ids]
