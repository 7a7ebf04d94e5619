"""``GET /error?code=N``: the code lookup page every error answer's ``error_uri`` links to.

Entra answers ``error_uri`` with ``https://login.microsoftonline.com/error?code=N`` and serves a
lookup page there (the AADSTS error-code reference points people to it). The mock's page
describes its own catalogue: the code, its OAuth ``error`` and its text, placeholders as they
stand.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from ..errors import CATALOGUE
from .common import templates

MAX_CODE_DIGITS = 9


async def lookup(request: Request) -> HTMLResponse:
    raw = request.query_params.get("code", "").strip()
    if raw.upper().startswith("AADSTS"):
        raw = raw[len("AADSTS"):]
    valid = raw.isascii() and raw.isdigit() and len(raw) <= MAX_CODE_DIGITS
    entry = CATALOGUE.get(int(raw)) if valid else None
    html = templates.get_template("error_lookup.html").render(
        code=int(raw) if valid else None, entry=entry)
    return HTMLResponse(html, status_code=200 if valid else 400)


routes: list[BaseRoute] = [Route("/error", lookup, methods=["GET"])]
