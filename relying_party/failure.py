"""The one failure page: every sign-in failure is logged under a reference id and rendered here."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from .db import Database, ErrorRecord, SourceKind
from .inputs import SHOWN_ID_CHARS, shown_id
from .installation_hints import installation_hint
from .login_errors import RequestRefused
from .oidc.errors import IdpError, IdpTimeout, LoginError
from .settings import Settings
from .web import state_of, templates

logger = logging.getLogger("relying_party.failures")

STATUS_BY_CODE: Mapping[str, int] = {
    "state_missing": 400,
    "state_unknown": 400,
    "state_expired": 400,
    "state_browser_mismatch": 400,
    "redirect_uri_mismatch": 400,
    "code_missing": 400,
    "launch_ambiguous": 400,
    "callback_ambiguous": 400,
    "response_issuer_mismatch": 400,
    "unknown_connection": 404,
    "unknown_app": 404,
    "unknown_installation": 404,
    "connection_disabled": 403,
    "installation_inactive": 403,
    "no_connection": 503,
    "connection_misconfigured": 503,
    "duplicate_email": 409,
    "unmapped_user": 403,
    "unlicensed_user": 403,
    "internal_error": 500,
}


@dataclass(frozen=True, kw_only=True)
class FailureSource:
    """Where a failing sign-in was headed: decides the support contact shown and the log key."""

    kind: SourceKind | None
    id: str | None
    support_contact: str
    secret_saved_at: datetime | None = None
    """When the connection's client secret the sign-in sent (or was to send) was saved
    (:attr:`~relying_party.db.Connection.secret_since`); None for any other source."""


class SignInFailed(Exception):
    """A :class:`LoginError` together with where the sign-in was headed."""

    def __init__(self, error: LoginError, source: FailureSource | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.source = source


def status_for(error: LoginError) -> int:
    if isinstance(error, RequestRefused):
        return error.status
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    if isinstance(error, IdpTimeout):
        return 504
    if isinstance(error, IdpError) and error.status_code is None:
        return 403 if error.error == "access_denied" else 502
    return 502


def new_ref() -> str:
    return "RP-" + secrets.token_hex(5).upper()


def _exists(db: Database, source: FailureSource) -> bool:
    """Whether the failure belongs to a connection or installation there is: only those
    count against the error log's main pool (anyone can make up the rest)."""
    if source.kind is None or source.id is None:
        return False
    if source.kind == "connection":
        return db.connections.get(source.id) is not None
    return db.installations.get(source.id) is not None


def record_failure(
    db: Database, settings: Settings, error: LoginError, source: FailureSource, *,
    logged_as: str = "sign-in failure",
) -> ErrorRecord:
    """Keep ``error`` in the error log under a new reference, and log it as ``logged_as``. An
    installation's failure gets the hint that fits an installation
    (:mod:`relying_party.installation_hints`)."""
    aadsts = getattr(error, "aadsts", None)
    record = ErrorRecord(
        ref=new_ref(),
        created_at=settings.clock.now(),
        status=status_for(error),
        code=error.code,
        message=error.message,
        detail=error.detail or str(error),
        admin_hint=installation_hint(error) if source.kind == "installation"
        else error.admin_hint,
        idp_error_code=f"AADSTS{aadsts}" if isinstance(aadsts, int) else None,
        source_kind=source.kind,
        source_id=source.id,
        support_contact=source.support_contact,
        secret_saved_at=source.secret_saved_at,
    ).bounded()  # anyone can make a sign-in fail: what is kept of it is bounded
    db.errors.insert(record, attributed=_exists(db, source))
    logger.warning("%s %s %s (%s): %s", logged_as, record.ref, record.code,
                   _source_words(record.source_kind, source.id), record.detail)
    return record


def _source_words(kind: str | None, source_id: str | None) -> str:
    """What the log says of where a failing sign-in was headed: ``connection 3``, or what is
    not known (a callback whose state names no sign-in this RP started). An id is cut to its
    start and escaped (:func:`relying_party.inputs.shown_id`): a URL may name any."""
    if kind is None:
        return "connection or installation unknown"
    if source_id is None:
        return f"{kind} unknown"
    plain = len(source_id) <= SHOWN_ID_CHARS and source_id.isprintable()
    return f"{kind} {source_id if plain else shown_id(source_id)}"


def failure_response(
    request: Request, error: LoginError, source: FailureSource | None = None
) -> Response:
    """Log ``error`` and render the failure page with a non-2xx status."""
    rp = state_of(request)
    if source is None:
        source = FailureSource(
            kind=None, id=None, support_contact=rp.settings.default_support_contact
        )
    record = record_failure(rp.db, rp.settings, error, source)
    return render_record(request, record)


def render_record(request: Request, record: ErrorRecord) -> Response:
    response = templates.TemplateResponse(
        request,
        "failure.html",
        {"record": record},
        status_code=record.status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
