"""Running conformance rows: the preflight's plain sign-in first, then each row in a real
browser (:mod:`scenarios.conformance.browser_rows`), judged; a row the app went away in fails,
and the rows left run only once it is back (:mod:`scenarios.conformance.app_gone`). The invalid
logout tokens are judged against the app's answer to a valid one: its row's, run first, or the
command's own delivery of one when that row is not selected."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from scenarios.app_exit import AppExited
from scenarios.conformance.app_gone import AppLifeline
from scenarios.conformance.browser_rows import Known, RowDriver, RowStopped
from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.evidence import ProviderEvidence
from scenarios.conformance.options import CLOCK_TOLERANCE, ConformanceOptions
from scenarios.conformance.output import RowOutput
from scenarios.conformance.readiness import other_client, preflight, sign_in_problem
from scenarios.conformance.rows import (
    BACKCHANNEL_ROWS,
    LOGIN_ROWS,
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    Verdict,
    judge,
)
from scenarios.max_failures import skip_reason
from scenarios.protocol_view import exchange_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["CLOCK_TOLERANCE", "PLAIN_ROW", "ConformanceOptions", "Progress", "preflight",
           "run_rows"]

PLAIN_ROW = LOGIN_ROWS[0]
"""The plain code flow, which the preflight signs in with before any row."""
VALID_LOGOUT_ROW = BACKCHANNEL_ROWS[0]
"""The valid logout token, run before the invalid ones."""


@contextlib.contextmanager
def _backchannel_uri(options: ConformanceOptions, control: MockControl) -> Iterator[None]:
    assert options.backchannel is not None
    previous = control.app().get("backchannelLogoutUri")
    control.patch_app({"backchannelLogoutUri": options.rp_url(options.backchannel)})
    try:
        yield
    finally:
        with contextlib.suppress(SetupError):
            control.patch_app({"backchannelLogoutUri": previous})


Progress = Callable[[RowResult], None]


def run_rows(options: ConformanceOptions, rows: Sequence[Row], control: MockControl,
             browser: Browser, progress: Progress | None = None,
             output: RowOutput | None = None, known: Known = dict,
             app: object | None = None) -> list[RowResult]:
    """Sign in once without a fault (the preflight: a :class:`SetupError` when that fails),
    then run ``rows`` in order (back-channel rows only with ``options.backchannel``); call
    :func:`preflight` first. ``output``: the app's, kept for each row that failed; ``known``:
    the secrets masked wherever the results quote the app (its pages, its URLs); ``app``: the
    environment that started the app (whose exit ends a row, and which starts it again)."""
    from playwright.sync_api import Error

    driver = RowDriver(options, control, browser, known, app)
    lifeline = AppLifeline(options, app)
    results: list[RowResult] = []
    keys_before = 0
    valid_answer: int | None = None
    """How the back-channel logout URI answered a valid logout token (``None``: not yet)."""
    gone: str | None = None
    """Why the rows left are not run: the app went away and is not back."""

    def observe(row: Row) -> tuple[RowResult, LoginObservation | BackchannelObservation | None,
                                   ProviderEvidence | None]:
        nonlocal keys_before
        started = time.monotonic()
        driver.collected = None
        if output is not None:
            output.mark()
        obs: LoginObservation | BackchannelObservation | None = None
        stopped: str | None = None
        try:
            obs = driver.login_row(row) if row.kind == "login" else driver.backchannel_row(row)
        except AppExited as exc:
            stopped = str(exc)
        except (RowStopped, Error) as exc:
            stopped = driver.stopped(exc)
        finally:
            control.clear()
        evidence = driver.evidence()
        fetched = evidence.key_fetches if evidence is not None else None
        before, keys_before = keys_before, keys_before + (fetched or 0)
        verdict = _went_away(lifeline, obs, stopped)
        if verdict is None:
            assert obs is not None
            if isinstance(obs, LoginObservation):
                obs = replace(obs, over_tls=options.over_tls, key_fetches_before=before,
                              key_fetches=fetched,
                              response_type=evidence.response_type if evidence is not None
                              else None,
                              sent_nonce=evidence.sent_nonce if evidence is not None else None,
                              sent_pkce=evidence.sent_pkce if evidence is not None else None,
                              asked_id_token=evidence.asked_id_token if evidence is not None
                              else None,
                              restarted=evidence is not None and evidence.restarted)
            else:
                obs = replace(obs, valid_answer=valid_answer)
            verdict = judge(row, obs)
        result = RowResult(row=row, verdict=verdict, seconds=time.monotonic() - started,
                           protocol=exchange_of(driver.collected))
        return (output.keep(result) if output is not None else result), obs, evidence

    limit = options.max_failures

    def one(row: Row) -> None:
        nonlocal gone, valid_answer
        if gone is not None:
            result = RowResult(row=row, verdict=Verdict(result="SKIP", did="not run",
                                                        reason=gone), seconds=0.0)
        elif limit is not None and sum(r.verdict.result == "FAIL" for r in results) >= limit:
            result = RowResult(row=row, verdict=Verdict(result="SKIP", did="not run",
                                                        reason=skip_reason(limit, "row")),
                               seconds=0.0)
        else:
            result, obs, _ = observe(row)
            if row is VALID_LOGOUT_ROW and isinstance(obs, BackchannelObservation):
                valid_answer = obs.status
            if result.verdict.result == "FAIL":
                gone = lifeline.back(row.id)
        results.append(result)
        if progress is not None:
            progress(result)

    try:
        driver.signed_out_at_start()
    except (RowStopped, Error) as exc:
        raise SetupError(f"preflight: {driver.stopped(exc)}") from None
    plain, plain_obs, evidence = observe(PLAIN_ROW)
    if evidence is not None and (other := other_client(options, evidence)) is not None:
        raise SetupError(f"preflight: the app signs in as client {other}, but the faults "
                         f"target client {options.client_id}: give --client-id {other} (or "
                         f"point the app at client {options.client_id})")
    if plain.verdict.result != "PASS":
        if lifeline.exit_code() is not None:
            raise SetupError("preflight: " + plain.verdict.reason.replace(
                "during this row", "during the plain sign-in"))
        if not isinstance(plain_obs, LoginObservation):
            raise SetupError(f"preflight: the plain sign-in did not finish: "
                             f"{plain.verdict.reason}")
        raise SetupError("preflight: " + driver.masked(
            sign_in_problem(options, plain_obs, evidence)))
    driver.response_type = evidence.response_type if evidence is not None else None
    for row in rows:
        if row is PLAIN_ROW:
            results.append(plain)
            if progress is not None:
                progress(plain)
        elif row.kind == "login":
            one(row)
    logout_rows = sorted((row for row in rows if row.kind == "backchannel"),
                         key=lambda row: row is not VALID_LOGOUT_ROW)
    if logout_rows and options.backchannel:
        with _backchannel_uri(options, control):
            if VALID_LOGOUT_ROW not in logout_rows and any(
                    row.expect == "HTTP 400" for row in logout_rows):
                valid_answer = _valid_token_answer(driver, control)
            for row in logout_rows:
                one(row)
    return results


def _valid_token_answer(driver: RowDriver, control: MockControl) -> int | None:
    """How the back-channel logout URI answers a valid logout token, delivered by the command
    itself when its row is not run (another shard's, say): the invalid tokens' 400s count only
    when a valid one was taken. ``None``: it was not answered."""
    from playwright.sync_api import Error

    try:
        return driver.backchannel_row(VALID_LOGOUT_ROW).status
    except (AppExited, RowStopped, Error):
        return None
    finally:
        driver.collected = None
        control.clear()


def _went_away(lifeline: AppLifeline, obs: LoginObservation | BackchannelObservation | None,
               stopped: str | None) -> Verdict | None:
    """The verdict of a row the app went away in (its process exited), or that could not
    finish (``stopped`` says why); ``None``: judge the row as it ended."""
    code = lifeline.exit_code(settle=stopped is not None)
    if code is None:
        if stopped is None:
            return None
        return Verdict(result="FAIL", did="the row did not finish", reason=stopped)
    seen = None if stopped is not None and stopped.startswith("the app's process") else stopped
    if seen is None and obs is not None:
        seen = obs.error
    return Verdict(result="FAIL", did="the app's process exited",
                   reason=lifeline.exited_during(code)
                   + (f" (what the row saw then: {seen})" if seen else ""))
