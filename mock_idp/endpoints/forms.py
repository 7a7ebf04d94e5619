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


async def read_post_form(request: Request, *, max_value: int) -> dict[str, str]:
    """A back-channel endpoint's form (the first value of each field). A body of another type
    reads as no fields, so the first missing one is named; a malformed body, a file or text
    that is not Unicode is AADSTS90056, a value longer than ``max_value`` AADSTS9002313."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    out: dict[str, str] = {}
    for key, value in await form_fields(request):
        if len(value) > max_value:
            raise EntraError(9002313)
        out.setdefault(key, value)
    return out
