"""Form bodies of the protocol endpoints (authorize, sign-in, token, logout, userinfo).

Starlette parses multipart bodies; urlencoded ones, what every OAuth client sends, are parsed
here with the standard library's ``parse_qsl``, decoded as Starlette decodes them (the bytes
as Latin-1, percent escapes as UTF-8, ``+`` as a space) and within its limits (1,000 fields,
1 MiB a field). Starlette hands urlencoded bodies to python-multipart's byte-by-byte parser,
which cost about a tenth of the token endpoint's own work in a login flow.

This is also the one place that refuses what a parser lets through but no client can mean:
file parts where a field belongs, and text that is not valid Unicode (a multipart part may name
any charset, ``unicode_escape`` included, and so carry lone surrogates). Every refusal is
Entra's AADSTS90056, rendered the endpoint's way.

The OAuth endpoints read their parameters here too (:func:`protocol_params` for authorize,
admin consent and logout, :func:`read_post_form` for the token and device code endpoints), and
refuse a parameter given twice, even with the same value, as Entra does: AADSTS9000411, "The
parameter '…' is duplicated" (Azure/azure-sdk-for-java #31733, ``scope`` at the token
endpoint; AzureAD/microsoft-authentication-library-for-android #688, ``login_hint``;
anthropics/claude-code #43280, ``prompt`` at authorize, on Entra's error page). Taking the first
or the last value instead would let a request through that Entra refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..errors import EntraError
from .payload import has_surrogate

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000
MAX_FIELD_BYTES = 1024 * 1024
NAMED_LENGTH = 64  # of a parameter's name quoted in an error


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _urlencoded(body: bytes) -> list[tuple[str, str]]:
    try:
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                           max_num_fields=MAX_FIELDS)
    except ValueError as exc:  # more fields than that
        raise EntraError(90056) from exc
    if any(len(key) + len(value) > MAX_FIELD_BYTES for key, value in fields):
        raise EntraError(90056)
    return fields


async def form_fields(request: Request) -> list[tuple[str, str]]:
    """Every field of the form body, in order; :class:`EntraError` 90056 when it is not a
    form, carries a file, or is not valid Unicode."""
    items: Iterable[tuple[str, object]]
    if _content_type(request) == URLENCODED:
        items = _urlencoded(await request.body())
    else:
        try:
            form = await request.form()
        except Exception as exc:
            raise EntraError(90056) from exc
        items = form.multi_items()
        await form.close()  # a file part's spooled file; refused below
    fields: list[tuple[str, str]] = []
    for key, value in items:
        if not isinstance(value, str) or has_surrogate(key) or has_surrogate(value):
            raise EntraError(90056)
        fields.append((key, value))
    return fields


def single_valued(fields: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``fields`` as a dict; :class:`EntraError` 9000411 naming the first one given twice."""
    out: dict[str, str] = {}
    for key, value in fields:
        if key in out:
            raise EntraError(9000411, {"name": key[:NAMED_LENGTH]})
        out[key] = value
    return out


async def protocol_params(request: Request) -> dict[str, str]:
    """A front-channel OAuth endpoint's parameters: the form of a POST, else the query; each
    once (AADSTS9000411), and a POST's body a form (AADSTS90056)."""
    if request.method == "POST":
        return single_valued(await form_fields(request))
    return single_valued(request.query_params.multi_items())


async def form_params(request: Request) -> dict[str, str]:
    """The form body as a dict (the last value of a repeated field wins, as in Starlette)."""
    return dict(await form_fields(request))


async def read_post_form(request: Request, *, max_value: int) -> dict[str, str]:
    """A back-channel endpoint's form. A body of another type reads as no fields, so the first
    missing one is named; a malformed body, a file or text that is not Unicode is AADSTS90056,
    a value longer than ``max_value`` AADSTS9002313, a field given twice AADSTS9000411."""
    if _content_type(request) not in (URLENCODED, "multipart/form-data"):
        return {}
    fields = await form_fields(request)
    if any(len(value) > max_value for _, value in fields):
        raise EntraError(9002313)
    return single_valued(fields)
