"""The query parameters of the admin API's lists: each one a list takes, given once.

``GET /api/admin/errors`` takes ``source_kind`` and ``source_id``; the other lists
(connections, installations, users) take none. A parameter a list does not take is refused,
400 naming it, rather than ignored (a misspelt ``source_kind`` would otherwise list every
error as if filtered), and so is one given more than once (which of its values would count?),
as the admin API refuses a JSON member it does not take or one named twice."""

from __future__ import annotations

from collections.abc import Collection

from starlette.requests import Request

from .inputs import InputError, escape_invisible


def query_params(request: Request, taken: Collection[str] = ()) -> dict[str, str]:
    """The request's query parameters, each of ``taken`` and given once; else one
    :class:`InputError` naming each other or repeated one."""
    items = request.query_params.multi_items()
    refused: dict[str, str] = {}
    params: dict[str, str] = {}
    takes = (f"this list takes {', '.join(taken)}" if taken
             else "this list takes no query parameter")
    for name, value in items:
        shown = escape_invisible(name)[:100]
        if name not in taken:
            refused[shown] = f"is not a query parameter here: {takes}"
        elif name in params:
            count = sum(1 for key, _ in items if key == name)
            refused[shown] = f"is given {count} times: give it once"
        params[name] = value
    if refused:
        raise InputError(refused)
    return params
