"""``POST /common/GetCredentialType``: the username page's lookup (the answer's shape is
:mod:`mock_idp.signin.credential_type`).

Refusals are the management API's ``{"error": {"code", "message", "field"}}``: a body that is
not a JSON object (400, ``body``) or larger than :data:`MAX_BYTES` (413), a missing, empty or
too long ``username`` or an ``originalRequest`` that is not a string (400, naming it).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..signin import credential_type
from .common import entra_headers, idp, plain_error
from .pages import MAX_FIELD, peek
from .payload import BadInput, get_str, member_named, parse_json, read_body, require_str

MAX_BYTES = 16 * 1024
"""Entra's page sends about a kilobyte."""


async def get_credential_type(request: Request) -> Response:
    """Whether the username typed on the username page names an account, in any tenant:
    Entra finds an account wherever it lives, and a user of another tenant than the
    sign-in's is told so only after the password (AADSTS50020). Member names are matched
    without regard to case and unknown ones are ignored (Entra's page sends a dozen flags);
    ``originalRequest`` (the page's ``ctx``) is checked, and changes the answer for a sign-in
    at ``/consumers`` only, where no username names an account (the mock has no personal
    accounts). Any content type is read as JSON, as Entra reads the bodies scripts post
    without one."""
    state = idp(request)
    try:
        body = parse_json(await read_body(request, limit=MAX_BYTES))
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object")
        username = require_str(body, member_named(body, "username"), max_len=MAX_FIELD).strip()
        ctx = get_str(body, member_named(body, "originalRequest"), max_len=MAX_FIELD)
    except BadInput as exc:
        return plain_error(exc.status, exc.message, field=exc.field)
    txn = peek(state, ctx)
    exists = (txn is None or not txn.consumers) and any(
        t.find_user(username) is not None for t in state.store.tenants.values())
    return JSONResponse(credential_type.answer(username, exists), headers={
        **entra_headers(request), "Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Route(credential_type.PATH, get_credential_type, methods=["POST"]),
]
