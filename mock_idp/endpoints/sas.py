"""``POST /common/SAS/BeginAuth`` and ``/common/SAS/EndAuth``: "Enter code" proven by script.

Entra's "Enter code" page checks the second factor through these two JSON calls before it posts
``/common/SAS/ProcessAuth``, and HTTP-only login scripts make the same calls from the page's
``$Config`` (``urlBeginAuth``, ``urlEndAuth``, ``sCtx``, ``sFT``; :mod:`mock_idp.signin.
server_data`). A request names the sign-in (``Ctx``, ``FlowToken``) and the method
(``AuthMethodId``, here always ``PhoneAppOTP``); EndAuth carries the code in
``AdditionalAuthData``. The answer is one shape for both, in Entra's member order: ``Success``,
``ResultValue``, ``Message``, ``AuthMethodId``, ``ErrCode``, ``Retry``, ``FlowToken``, ``Ctx``,
``SessionId``, ``CorrelationId``, ``Timestamp`` (RFC 3339) and ``Entropy``.

- A right code answers ``Success: true``, ``ResultValue: "Success"`` and a new ``Ctx`` and
  ``FlowToken``, which the script posts to ProcessAuth (as ``request`` and ``flowToken``);
  ProcessAuth then asks no code.
- A wrong code answers ``Success: false``, ``ResultValue: "OathCodeIncorrect"`` (the result
  Entra's MFA documentation lists for a wrong code), and the same ``Ctx``, so the script may try
  again, up to :data:`~mock_idp.signin.flow.MAX_WRONG_CODES` wrong codes (with "Enter code"'s
  own posts): the last one also carries ``ErrCode`` 500121 and ends the sign-in. A code is
  taken once (:func:`~mock_idp.signin.flow.code_step`).
- A ``Ctx`` that is unknown, used, stale or not at "Enter code", or a ``FlowToken`` that is not
  its page's, answers ``Success: false`` with ``ErrCode`` 9002313 (the mock's choice: the code of
  its sign-in pages for a context they did not show), and no ``FlowToken``.

Refusals of the body itself are the management API's ``{"error": {"code", "message",
"field"}}`` (400 naming the member, 413 for a body over :data:`MAX_BYTES`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..guest_home import account_of, may_sign_in
from ..signin import flow, server_data
from ..signin.flow import Transaction
from ..store import User, new_guid
from .common import entra_headers, error_context, idp, note_error, plain_error
from .pages import MAX_FIELD, keep, peek
from .payload import BadInput, get_str, member_named, parse_json, read_body, require_str

BEGIN_AUTH: Final = "/common/SAS/BeginAuth"
END_AUTH: Final = "/common/SAS/EndAuth"
MAX_BYTES = 16 * 1024
CODE_INCORRECT: Final = "OathCodeIncorrect"
UNKNOWN_CONTEXT: Final = 9002313


async def begin_auth(request: Request) -> Response:
    return await _answer(request, "BeginAuth")


async def end_auth(request: Request) -> Response:
    return await _answer(request, "EndAuth")


async def _answer(request: Request, method: str) -> Response:
    state = idp(request)
    try:
        body = parse_json(await read_body(request, limit=MAX_BYTES))
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object")
        ctx = require_str(body, member_named(body, "Ctx"), max_len=MAX_FIELD)
        token = require_str(body, member_named(body, "FlowToken"), max_len=MAX_FIELD)
        method_id = require_str(body, member_named(body, "AuthMethodId"), max_len=MAX_FIELD)
        named = get_str(body, member_named(body, "Method"), max_len=MAX_FIELD)
        session_id = get_str(body, member_named(body, "SessionId"), max_len=MAX_FIELD)
        code = get_str(body, member_named(body, "AdditionalAuthData"), max_len=MAX_FIELD)
        if named is not None and named != method:
            raise BadInput(f"'Method' must be {method!r} here", field="Method")
        if method_id != server_data.OTP_METHOD:
            raise BadInput(f"'AuthMethodId' must be {server_data.OTP_METHOD!r}, the user's "
                           "only method", field="AuthMethodId")
    except BadInput as exc:
        return plain_error(exc.status, exc.message, field=exc.field)
    reply = _Reply(request, method_id, session_id or new_guid())
    txn = peek(state, ctx)
    user = _pending_user(request, txn)
    if txn is None or user is None or not server_data.flow_token_matches(
            state.flow_key, ctx, token):
        err = EntraError(UNKNOWN_CONTEXT)
        note_error(request, err)
        return reply.send(False, "InvalidSession", ctx=ctx, err=err, token=False)
    if method == "BeginAuth":
        return reply.send(True, "Success", ctx=ctx)
    if user.totp_secret is not None and isinstance(
            flow.code_step(user, code or "", state.clock.now()), flow.AskCode):
        counted = replace(txn, wrong_codes=txn.wrong_codes + 1)
        if counted.wrong_codes >= flow.MAX_WRONG_CODES:  # the sign-in ends here
            state.store.pending.pop(ctx, None)
            err = EntraError(500121)
            note_error(request, err)
            return reply.send(False, CODE_INCORRECT, ctx=ctx, err=err, token=False)
        state.store.pending[ctx] = counted
        return reply.send(False, CODE_INCORRECT, ctx=ctx)
    state.store.pending.pop(ctx, None)
    return reply.send(True, "Success", ctx=keep(state, replace(txn, code_proven=True)))


def _pending_user(request: Request, txn: Transaction | None) -> User | None:
    """The enabled account that owes "Enter code"'s code in ``txn``, if it is at that page."""
    if txn is None or txn.awaiting != "code" or txn.pending_user is None:
        return None
    tenant = idp(request).store.tenants.get(txn.tenant_id)
    user = tenant.users.get(txn.pending_user) if tenant is not None else None
    if user is None or not may_sign_in(idp(request).store.tenants, user):
        return None
    return account_of(user)  # a guest's code is its home account's


class _Reply:
    """The one answer shape of both calls."""

    def __init__(self, request: Request, method_id: str, session_id: str) -> None:
        self.request = request
        self.method_id = method_id
        self.session_id = session_id

    def send(self, success: bool, result: str, *, ctx: str, err: EntraError | None = None,
             token: bool = True) -> Response:
        """``token``: the answer carries the flow token of ``ctx`` (not for a context the
        sign-in no longer has, which would hand anyone the token of any string)."""
        state = idp(self.request)
        where = error_context(self.request)
        body: dict[str, Any] = {
            "Success": success,
            "ResultValue": result,
            "Message": f"AADSTS{err.code}: {err.message}" if err is not None else None,
            "AuthMethodId": self.method_id,
            "ErrCode": err.code if err is not None else 0,
            "Retry": False,
            "FlowToken": server_data.FlowTokens.of(state.flow_key, ctx).flow_token
            if token else None,
            "Ctx": ctx,
            "SessionId": self.session_id,
            "CorrelationId": where.correlation,
            "Timestamp": where.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Entropy": 0,
        }
        return JSONResponse(body, headers={**entra_headers(self.request),
                                           "Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Route(BEGIN_AUTH, begin_auth, methods=["POST"]),
    Route(END_AUTH, end_auth, methods=["POST"]),
]
