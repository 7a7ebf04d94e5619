"""What every sign-in page shares: the transaction a page's ``ctx`` names (kept for one post,
dropped after an hour), the posted fields, rendering, the app a transaction is for, and how a
sign-in that cannot go on ends (:mod:`.signin`, :mod:`.consent_pages`, :mod:`.device` and
:mod:`.logout` use them)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..errors import EntraError
from ..guest_home import sign_in_name
from ..protocol import tenants
from ..signin import credential_type, flow, ids, server_data
from ..signin.flow import Transaction
from ..state import IdpState
from ..store import Application, Tenant
from .common import (
    NOT_FRAMED,
    base_url,
    entra_headers,
    error_context,
    error_page,
    idp,
    note_error,
    templates,
)
from .forms import form_params
from .issue import error_response

PENDING_LIFETIME = timedelta(hours=1)
MAX_PENDING = 5000
MAX_FIELD = 256
FORM_FIELDS = frozenset({"ctx", "loginfmt", "passwd", "account", "answer", "DontShowAgain",
                         "otc", ids.ORGANIZATION_CONSENT_NAME, ids.CURRENT_PASSWORD_NAME,
                         ids.NEW_PASSWORD_NAME, ids.CONFIRM_PASSWORD_NAME,
                         server_data.FLOW_TOKEN_NAME, server_data.CTX_ALIAS,
                         server_data.KMSI_OPTIONS_NAME, "login", ids.REMOTE_CONNECT_SUBMIT_NAME})
MEASURED = frozenset({ids.NEW_PASSWORD_NAME, ids.CONFIRM_PASSWORD_NAME})
"""Fields cut one character longer, so that a new password too long for the policy is refused
rather than stored cut."""


# -- transactions --------------------------------------------------------------------------------


def keep(state: IdpState, txn: Transaction) -> str:
    """Store ``txn`` under a new single-use ``ctx`` for the page about to be rendered."""
    pending = state.store.pending
    if len(pending) >= MAX_PENDING:
        cutoff = state.clock.now() - PENDING_LIFETIME
        for key in [k for k, t in pending.items() if t.created < cutoff]:
            pending.pop(key, None)
        # Full of live sign-ins: the oldest go, first those where no one is known yet (anyone
        # can open a sign-in page), so a flood of them cannot end a user's sign-in that is past
        # the password.
        excess = len(pending) - MAX_PENDING + 1
        known = {k: None for k, t in pending.items()
                 if t.pending_user is not None or t.session_id is not None}
        anonymous = [k for k in pending if k not in known]
        for key in [*anonymous, *known][: max(0, excess)]:
            pending.pop(key, None)
    ctx = secrets.token_urlsafe(24)
    state.store.pending[ctx] = txn
    return ctx


def take(state: IdpState, form: FormData | dict[str, str]) -> Transaction | None:
    """The transaction a posted ``ctx`` names (used once; "Enter code"'s post may name it
    ``request``, as Entra's does), unless it is unknown or too old, or the post carries a flow
    token that is not its page's."""
    ctx = form.get("ctx") or form.get(server_data.CTX_ALIAS)
    txn = state.store.pending.pop(ctx, None) if isinstance(ctx, str) else None
    if txn is None or not _current(state, txn):
        return None
    token = form.get(server_data.FLOW_TOKEN_NAME)
    if isinstance(token, str) and isinstance(ctx, str) and not server_data.flow_token_matches(
            state.flow_key, ctx, token):
        return None
    return txn


def peek(state: IdpState, ctx: str | None) -> Transaction | None:
    """The transaction ``ctx`` names, left in place for the page's own post."""
    txn = state.store.pending.get(ctx) if ctx is not None else None
    return txn if txn is not None and _current(state, txn) else None


def _current(state: IdpState, txn: Transaction) -> bool:
    return state.clock.now() - txn.created <= PENDING_LIFETIME


@dataclass(frozen=True)
class Posted:
    """A sign-in page's post: its fields, the transaction its ``ctx`` names (used up), and that
    transaction's tenant (``None`` when the ``ctx`` is unknown or stale)."""

    form: dict[str, str]
    txn: Transaction | None
    tenant: Tenant | None


async def posted(request: Request) -> Posted | Response:
    """:class:`Posted` for a page's form, or the error page for a body that is not a form."""
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    state = idp(request)
    txn = take(state, form)
    return Posted(form, txn,
                  state.store.tenants.get(txn.tenant_id) if txn is not None else None)


async def read_form(request: Request) -> dict[str, str] | Response:
    """The posted fields a sign-in page sends (each cut to ``MAX_FIELD`` characters), or the
    error page for a body that is not a form."""
    try:
        form = await form_params(request)
    except EntraError as err:  # not a form, a file, or text that is not Unicode
        return error_page(request, err)
    return {k: v[:MAX_FIELD + (k in MEASURED)] for k, v in form.items() if k in FORM_FIELDS}


# -- rendering -------------------------------------------------------------------------------


def render(request: Request, template: str, *, status: int = 200, **context: Any
           ) -> HTMLResponse:
    html = templates.get_template(f"signin/{template}.html").render(**context)
    return HTMLResponse(html, status_code=status, headers={
        **entra_headers(request), **NOT_FRAMED, "Cache-Control": "no-store"})


def render_step(request: Request, template: str, *, page_id: str, ctx: str, action: str,
                username: str = "", refusal: EntraError | None = None, error_text: str = "",
                extra: Mapping[str, Any] | None = None, status: int = 200, **context: Any
                ) -> HTMLResponse:
    """Render a page of the sign-in with its ``$Config`` and its form's flow token and canary
    (:mod:`mock_idp.signin.server_data`); ``refusal``: the AADSTS error the page shows, for
    ``sErrorCode``."""
    tokens = server_data.FlowTokens.of(idp(request).flow_key, ctx)
    where = error_context(request)
    data = server_data.PageData(
        page_id=page_id, ctx=ctx, url_post=action, correlation_id=where.correlation,
        session_id=where.trace_id, username=username,
        error_code=refusal.code if refusal is not None else None, error_text=error_text)
    return render(request, template, status=status, ctx=ctx, action=action, username=username,
                  flow_token=tokens.flow_token, canary=tokens.canary,
                  server_data=server_data.page_config(data, tokens, extra=extra), **context)


def segment_of(txn: Transaction) -> str:
    return txn.request.segment if txn.request is not None else txn.tenant_id


def client_id_of(state: IdpState, txn: Transaction) -> str:
    if txn.request is not None:
        return txn.request.client_id
    record = state.store.device_codes.get(txn.device_code or "")
    return record.client_id if record is not None else ""


def app_of(state: IdpState, txn: Transaction) -> Application | None:
    tenant = state.store.tenants.get(txn.tenant_id)
    if tenant is None:
        return None
    return tenants.app_in(state.store, tenant, client_id_of(state, txn))


def account_tiles(accounts: Iterable[flow.Account]) -> list[dict[str, str]]:
    """The tiles of "Pick an account" (signing in or out): each account's object id, the name
    it signs in with (a linked guest's home UPN, as Entra's tile shows it) and its name."""
    return [{"id": a.user.id, "upn": sign_in_name(a.user), "name": a.user.name}
            for a in accounts]


def show(request: Request, txn: Transaction,
         page: flow.ShowPicker | flow.ShowUsername | flow.ShowPassword) -> Response:
    """Render the username page, the password page or "Pick an account" for ``txn``."""
    state = idp(request)
    app = app_of(state, txn)
    if app is None:
        return error_page(request, EntraError(700016, {"app_id": client_id_of(state, txn),
                                                       "tenant": txn.tenant_id}))
    common: dict[str, Any] = {
        "page_id": ids.PAGE_SIGN_IN, "ctx": keep(state, txn), "app_name": app.name,
        "action": f"/{segment_of(txn)}/login",
        "extra": server_data.sign_in_extra(base_url(request), credential_type.PATH)}
    if isinstance(page, flow.ShowPicker):
        return render_step(request, "pick_account", purpose="signin",
                           accounts=account_tiles(page.accounts), **common)
    error = page.error
    if error is not None:
        note_error(request, error)
    # A page shown again with a refusal answers 200, as Entra's do: scripts read the refusal
    # from its $Config (sErrorCode) only on a 200 (Get-AccessToken-derived PowerShell scripts),
    # and sign-up checkers quote Entra's error pages at 200.
    view, username = (("username", page.prefill) if isinstance(page, flow.ShowUsername)
                      else ("password", page.username))
    # At /consumers a username that is no personal account is Microsoft account's message,
    # which carries no AADSTS code.
    missing = ids.PERSONAL_ACCOUNT_NOT_FOUND if isinstance(page, flow.ShowUsername) and \
        page.no_personal_account else ""
    return render_step(request, "credentials", view=view, username=username,
                       error=error, refusal=error, missing=missing,
                       error_text=f"AADSTS{error.code}: {error.message}" if error else missing,
                       forgot=f"/{segment_of(txn)}/passwordreset", lookup=credential_type.PATH,
                       not_found_result=credential_type.DOES_NOT_EXIST,
                       not_found_text=ids.PERSONAL_ACCOUNT_NOT_FOUND if txn.consumers
                       else ids.USERNAME_NOT_FOUND, **common)


def refuse(request: Request, txn: Transaction, err: EntraError) -> Response:
    """End the sign-in: back to the app with ``err`` when the app can be told (authorize), on
    the error page otherwise (a device-code sign-in, a disabled account)."""
    if txn.request is not None and err.code not in (50057, 50020):
        return error_response(request, txn.request, err)
    return error_page(request, err)
