"""Form bodies of the protocol endpoints (authorize, sign-in, token, logout, userinfo).

Starlette parses urlencoded and multipart bodies; this is the one place that refuses what its
parser lets through but no client can mean: file parts where a field belongs, and text that is
not valid Unicode (a multipart part may name any charset, ``unicode_escape`` included, and so
carry lone surrogates). Every refusal is Entra's AADSTS90056, rendered the endpoint's way.
"""

from __future__ import annotations

from starlette.requests import Request

from ..errors import EntraError
from .payload import has_surrogate


async def form_fields(request: Request) -> list[tuple[str, str]]:
    """Every field of the form body, in order; :class:`EntraError` 90056 when it is not a
    form, carries a file, or is not valid Unicode."""
    try:
        form = await request.form()
    except Exception as exc:
        raise EntraError(90056) from exc
    fields: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if not isinstance(value, str) or has_surrogate(key) or has_surrogate(value):
            raise EntraError(90056)
        fields.append((key, value))
    return fields


async def form_params(request: Request) -> dict[str, str]:
    """The form body as a dict (the last value of a repeated field wins, as in Starlette)."""
    return dict(await form_fields(request))
