"""Whether a conformance set-up can be judged at all: before any row, the provider is the mock
with the app, the check URL answers "not signed in" without a session and the app's clock agrees
with the provider's (:func:`preflight`); after the plain sign-in
:func:`~scenarios.conformance.runner.run_rows` makes first, why it did not sign the app in
(:func:`sign_in_problem`)."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import httpx

from scenarios.app.elsewhere import HANDED_OWN_URL, bare, local_address, on_this_machine
from scenarios.app.failure_probe import origin_of as where
from scenarios.app.failure_probe import same_server
from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.evidence import ProviderEvidence
from scenarios.conformance.judging import LoginObservation
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.refusals import refused_user

__all__ = [
    "PROVIDER_ERROR_PAGE", "other_client", "preflight", "same_server", "sign_in_problem",
    "strict_cookie_problem", "where",
]

PROVIDER_ERROR_PAGE = "the provider answered the app's authorization request with its error page"
"""How a sign-in that met the provider's error page (an ``AADSTS`` code refusing the app's
request) instead of its sign-in page begins its one line."""


def _clock_skew(response: httpx.Response, control: MockControl) -> float | None:
    """Seconds the app's clock (its ``Date`` header) is ahead of the provider's; ``None`` when
    the app sends no usable ``Date``. ``Date`` counts whole seconds, so the app's time was
    somewhere in the second it names: its middle is the estimate."""
    try:
        app_time = parsedate_to_datetime(response.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return app_time + 0.5 - control.now()


def preflight(options: ConformanceOptions, control: MockControl) -> None:
    """Check that the provider is the mock (with its control API and the app), that the check
    URL answers "not signed in" without a session and that the app's clock agrees with the
    provider's; clear any armed faults. :func:`run_rows` then signs in once before any row."""
    try:
        control.armed()
    except SetupError as exc:
        raise SetupError(f"{options.idp} is not a mock provider with a /_mock/ control API "
                         f"({exc})") from None
    try:
        control.app()
    except SetupError as exc:
        raise SetupError(f"the provider has no app {options.client_id} in tenant "
                         f"{options.tenant} ({exc})") from None
    control.clear()
    url = options.rp_url(options.check)
    try:
        response = httpx.get(url, timeout=10, verify=False)
    except httpx.HTTPError as exc:
        raise SetupError(f"the RP is not reachable at {url}: {exc}") from None
    status = response.status_code
    if options.shown_signed_in is not None:
        # A page that shows who is signed in: the browser reads it (run_rows, before the
        # plain sign-in, asks it to show nobody without a session); here it must answer.
        if not 200 <= status < 300:
            raise SetupError(f"the [signed_in] page {url} answered {status}; it must answer "
                             "2xx, showing who is signed in, or nobody")
    elif not (status in (401, 403) or 300 <= status < 400):
        raise SetupError(f"--check {url} answered {status} without a session; it must answer "
                         "401, 403 or a redirect when not signed in (and 2xx when signed in)")
    skew = _clock_skew(response, control)
    if skew is not None and abs(skew) > options.clock_tolerance:
        raise SetupError(
            f"the app's clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the "
            f"provider's (its Date header against {options.idp}/_mock/clock; tolerance "
            f"{options.clock_tolerance:g} s): every token would look expired or not yet valid "
            "to it. Move the provider's clock back (POST /_mock/clock) or fix the app's")


def sign_in_problem(options: ConformanceOptions, obs: LoginObservation,
                     evidence: ProviderEvidence | None) -> str:
    """Why the preflight's plain sign-in did not sign the app in, in one line."""
    start = options.rp_url(options.start)
    if obs.refusal is not None and (refused := refused_user(options.upn, obs.refusal)):
        return refused
    if obs.error is not None and obs.error.startswith(PROVIDER_ERROR_PAGE):
        return f"{start}: {obs.error}"
    if obs.error is not None or not obs.reached_sign_in:
        ended = obs.final_url
        if ended.startswith("http") and not same_server(ended, options.idp) and not \
                same_server(ended, options.rp_url("/")):
            if on_this_machine(ended):
                why = re.search(r"net::ERR_\w+", obs.error or "")
                return (f"the app sent the browser from {start} to {bare(ended)}"
                        f"{f' ({why.group()})' if why else ''}, " + local_address(
                            ended, app=options.rp, provider=options.idp, mock="this mock provider",
                            hint=HANDED_OWN_URL if options.started_app else None))
            return (f"the app sent the browser from {start} to {where(ended)}, not to this mock "
                    f"provider at {options.idp}: the app is pointed at another provider (check "
                    "its authority, issuer or discovery URL)")
        return (f"{start} did not lead to this mock provider's sign-in page (ended at "
                f"{ended or 'an unknown page'}: {obs.error or 'no sign-in page'})")
    said = "" if evidence is None or not evidence.token_answers else (
        f"; the provider's token endpoint answered {', '.join(evidence.token_answers)}")
    if evidence is not None and not evidence.token_answers:
        said = "; the app never called this provider's token endpoint"
    if obs.signed_in is None:
        return (f"after a plain sign-in the check URL {options.rp_url(options.check)} answered "
                f"{obs.check_status}, neither 2xx (signed in) nor 401, 403 or a redirect{said}")
    page = f" (page HTTP {obs.page_status}: \"{obs.page_text}\")" if obs.page_text else ""
    if obs.refusal is not None:
        page += f"; the provider said \"{obs.refusal.text}\""
    if obs.strict_cookies and obs.refusal is None:
        return (f"a plain sign-in at this mock provider did not sign the app in{page}{said}: "
                f"{strict_cookie_problem(obs.strict_cookies)}")
    if options.shown_signed_in is not None and obs.refusal is None:
        # What tells "signed in" is the profile's own selector and text: a mistyped one fails
        # here as an app that refused the sign-in would, and the page the sign-in ended on
        # (quoted) tells which it is.
        return (f"after a plain sign-in at this mock provider the [signed_in] page "
                f"{options.rp_url(options.check)} does not show anyone signed in{page}{said}: "
                "check the profile's [signed_in] selector and text against what that page shows "
                "once signed in; if they are right, the app refused a valid sign-in (check its "
                "client id, redirect URI, issuer and CA file)")
    return (f"a plain sign-in at this mock provider did not sign the app in{page}{said}: an app "
            "that refuses a valid sign-in would seem to pass every REJECT row. Check its client "
            "id and secret, redirect URI, issuer and CA file")


def strict_cookie_problem(names: tuple[str, ...]) -> str:
    """Why an app whose cookies ``names`` are ``SameSite=Strict`` cannot finish a sign-in: the
    browser held them as it left for the provider, and the provider's answer comes back to the
    callback by a cross-site navigation, which carries no Strict cookie (as from Entra)."""
    which = ", ".join(names)
    return (f"the browser held the app's cookie{'s' if len(names) > 1 else ''} {which} set "
            "SameSite=Strict, which the provider's cross-site redirect (or form post) to its "
            "callback does not carry, so the callback cannot find the sign-in it started (as "
            "in production, the provider being another site). Set the cookie its callback needs "
            "SameSite=Lax (None for a form_post callback)")


def other_client(options: ConformanceOptions, evidence: ProviderEvidence) -> str | None:
    """The client id the app's authorization request named, when not the one the faults are
    armed for (``None``: the same one, or no request seen)."""
    return next((c for c in evidence.client_ids if c.lower() != options.client_id.lower()),
                None)
