"""Running conformance rows: the preflight's plain sign-in first, then each row in a real
browser (:mod:`scenarios.conformance.browser_rows`), judged; a row the app went away in fails,
and the rows left run only once it is back (:mod:`scenarios.conformance.app_gone`)."""

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
                              sent_pkce=evidence.sent_pkce if evidence is not None else None)
            verdict = judge(row, obs)
        result = RowResult(row=row, verdict=verdict, seconds=time.monotonic() - started,
                           protocol=exchange_of(driver.collected))
        return (output.keep(result) if output is not None else result), obs, evidence

    limit = options.max_failures

    def one(row: Row) -> None:
        nonlocal gone
        if gone is not None:
            result = RowResult(row=row, verdict=Verdict(result="SKIP", did="not run",
                                                        reason=gone), seconds=0.0)
        elif limit is not None and sum(r.verdict.result == "FAIL" for r in results) >= limit:
            result = RowResult(row=row, verdict=Verdict(result="SKIP", did="not run",
                                                        reason=skip_reason(limit, "row")),
                               seconds=0.0)
        else:
            result, _, _ = observe(row)
            if result.verdict.result == "FAIL":
                gone = lifeline.back(row.id)
        results.append(result)
        if progress is not None:
            progress(result)

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
    for row in rows:
        if row is PLAIN_ROW:
            results.append(plain)
            if progress is not None:
                progress(plain)
        elif row.kind == "login":
            one(row)
    logout_rows = [row for row in rows if row.kind == "backchannel"]
    if logout_rows and options.backchannel:
        with _backchannel_uri(options, control):
            for row in logout_rows:
                one(row)
    return results


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
