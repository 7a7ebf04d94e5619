"""Failure pages when the provider is down or slow: its token or key endpoint fails (as a
customer signs in, or as the platform's user launches the installed app), or its token endpoint
hangs past the app's own timeout (the profile's ``[failure] provider_timeout``),
which the app must keep to. (The other failures the provider causes are in
:mod:`scenarios.catalogue.failures`.)
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mock_idp.faults.holds import HoldRecord
from mock_idp.faults.responses import DROPPED_LENGTH
from scenarios import scenario
from scenarios.catalogue.failures import (
    FAILURE_PAGE,
    Ctx,
    expect_failure_if_reached,
    start_signed_in_at_company,
    up_to_stay_signed_in_first,
)
from scenarios.catalogue.partner_events import install_partner
from scenarios.catalogue.plain_after import expect_plain_sign_in_after
from scenarios.flows import expect_failure, oid_of, sign_in_at_idp, sign_in_by_redirects
from scenarios.held import last_hold, settled_hold
from scenarios.refusals import held_note

# -- the provider is down or slow ---------------------------------------------------------------


_DOWN = (
    ("idp-down", "the token endpoint drops the connection", "drop", "token"),
    ("idp-down-keys", "the signing-key endpoint (JWKS) is down", "outage", "jwks"),
)


_UNREACHED = {
    "jwks": "the app asked for no signing keys while the key endpoint was down (it used keys "
    "it already had, or checks no signature: failure.bad-signature tells which)",
    "token": "the app made no token request while the token endpoint was down (it redeemed no "
    "code: an app that asks for an ID token alone, response_type=id_token, has none)",
    "token-hang": "the app made no token request while the token endpoint hung, so its "
    "timeout never came into play (it redeemed no code: an app that asks for an ID token "
    "alone, response_type=id_token, has none)",
}


def _idp_down(ctx: Ctx, name: str, kind: str, endpoint: str) -> None:
    stack = ctx.env
    with ctx.step(f"the provider's {endpoint} endpoint fails ({kind})"):
        armed = stack.arm_fault(kind, endpoint=endpoint, times="until_cleared")
    try:
        with ctx.step("follow the sign-in URL, signed in at the company: the failure page "
                      "appears"):
            try:
                start_signed_in_at_company(ctx)
            except PlaywrightTimeoutError as exc:
                hit = bool((stack.armed_fault(str(armed["id"])) or {}).get("hits"))
                raise AssertionError(
                    f"the app never answered its callback {stack.app.redirect_uri} after the "
                    f"provider's {endpoint} endpoint failed: the browser waited "
                    f"{ctx.default_timeout_ms / 1000:g} s for any page "
                    f"{_why_no_answer(kind, endpoint, hit)}") from exc
            # A sign-in that never made the failing request proves nothing here: keys fetched
            # before the outage are the app's to keep (a key set is cached until a token names
            # a key it lacks; failure.bad-signature shows whether the app checks them), and an
            # app that asks for an ID token alone (response_type=id_token) redeems no code.
            expect_failure_if_reached(
                ctx, name, unreached=lambda: None if (
                    stack.armed_fault(str(armed["id"])) or {}).get("hits")
                else _UNREACHED[endpoint])
            reached = bool((stack.armed_fault(str(armed["id"])) or {}).get("hits"))
    finally:
        stack.clear_faults()
    if not reached:
        # Its failure page came without the failing request: it refused for a reason of its
        # own, which counts only from an app that signs people in (next-auth v4 on /common
        # refuses every ID token on its issuer before it asks for the keys).
        expect_plain_sign_in_after(ctx)


def _why_no_answer(kind: str, endpoint: str, hit: bool) -> str:
    """What kept an app from answering its callback while ``endpoint`` failed: a dropped
    answer its HTTP client waits on (node-oauth, under passport-azure-ad, hears only an
    answer's end), or, for another fault, a call with no timeout."""
    if kind == "drop" and hit:
        return (f"(the provider's {endpoint} endpoint took its {endpoint} request and broke "
                f"its answer off after the first bytes (of {DROPPED_LENGTH} its Content-Length "
                "promised), and the app's HTTP client did not notice: it waits for the rest "
                "of a body that will not come, and no timeout of its own ended the wait)")
    return "(no timeout on the app's call to the provider?)"


for _name, _what, _kind, _endpoint in _DOWN:
    def _register_down(name: str = _name, what: str = _what, kind: str = _kind,
                       endpoint: str = _endpoint) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The failure page when {what}",
            proves=f"When {what}, the app shows its failure page with the support contact "
            "(not an error of its framework)",
            needs=FAILURE_PAGE,
        )
        def run(ctx: Ctx) -> None:
            _idp_down(ctx, name, kind, endpoint)

    _register_down()


@scenario(
    id="failure.partner-idp-down",
    title="A launch from the platform whose token request fails ends on the failure page",
    proves="When the provider's token endpoint drops the connection as the platform's user "
    "launches the installed app, the app shows its failure page with the support contact (not "
    "an error of its framework); once the provider is back, the next launch signs the user in",
    tags={"partner"},
    needs={"partner", "failure-page"},
)
def partner_idp_down(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the platform installs the app"):
        installation_id = install_partner(stack)
    launch_url = stack.app.launch_url(installation_id, oid_of(stack, alice))
    with ctx.step("the provider's token endpoint drops the connection"):
        stack.arm_fault("drop", endpoint="token", times="until_cleared")
    try:
        with ctx.step("alice launches the app and signs in at the provider: the failure page "
                      "appears"):
            page.goto(launch_url)
            sign_in_at_idp(page, alice)
            expect_failure(page, stack, "partner-idp-down")
    finally:
        stack.clear_faults()
    with ctx.step("the provider is back: the next launch signs alice in with no click and no "
                  "page in between"):
        sign_in_by_redirects(page, stack, alice, launch_url, path=stack.app.launch_lands_on())


GIVE_UP_SLACK = 0.5
"""How much longer than its ``provider_timeout`` ``failure.idp-slow`` lets an app keep its
token request open, as the provider times it (from the request's arrival to the app closing
it): the app's timer starts a little before the request arrives, but it may fire late on a
loaded machine, and the provider looks for a closed connection every 20 ms."""
ANSWER_LOOK = 0.5
"""How often (seconds) ``failure.idp-slow`` looks at the provider's hold while no answer came."""
ANSWER_FACTOR = 2.0
ANSWER_SLACK = 5.0
"""``failure.idp-slow`` waits ``provider_timeout`` × :data:`ANSWER_FACTOR` plus this many seconds
for the app to answer its callback at all: the redirects around it and its failure page may be
slow on a loaded machine, and are not the app's timeout (which the provider's clock judges)."""


def allowed_hold(provider_timeout: float) -> float:
    """How long ``failure.idp-slow`` lets an app with this ``provider_timeout`` keep its token
    request open, as the provider times it."""
    return provider_timeout + GIVE_UP_SLACK


def allowed_wait(provider_timeout: float) -> float:
    """How long ``failure.idp-slow`` waits for an app with this ``provider_timeout`` to answer
    its callback at all."""
    return provider_timeout * ANSWER_FACTOR + ANSWER_SLACK


@scenario(
    id="failure.idp-slow",
    title="A provider slower than the app's timeout ends on the failure page",
    proves="When the token endpoint hangs past the app's own timeout, the app gives up at that "
    "timeout (the profile's provider_timeout, not when the provider answers) and shows its "
    "failure page",
    needs=FAILURE_PAGE | {"provider-timeout"},
)
def idp_slow(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    failure = stack.app.profile.failure
    assert failure is not None and failure.provider_timeout is not None
    timeout = failure.provider_timeout
    # The provider answers well after the app's answer is waited for (clearing the fault ends
    # the hang early): an app still waiting then has failed, and waiting on to see whether it
    # gives up later would only make the run (and its traced rerun) longer.
    hang = allowed_wait(timeout) + 10
    with ctx.step(f"the token endpoint hangs for {hang:g} s"):
        armed = str(stack.arm_fault("hang", endpoint="token", seconds=hang)["id"])
    try:
        with ctx.step(f"sign in: the app gives up on the provider at its timeout ([failure] "
                      f"provider_timeout = {timeout:g} s) and answers its callback"):
            kmsi = up_to_stay_signed_in_first(ctx)
            started = time.monotonic()
            # "No" sends the browser to the app's callback, which hangs as long as the app
            # waits for the provider: the wait below, not the click, gives it its time.
            kmsi.answer(stay=False, wait=False)
            _wait_for_answer(ctx, armed, timeout, hang, started)
            answered = time.monotonic() - started
            # How long the app waited on the provider is judged on the provider's clock: the
            # browser's also counts the redirects, the pages and a loaded machine's turns.
            hold = settled_hold(stack, armed)
            assert hold is None or hold.seconds <= allowed_hold(timeout), (
                f"{_too_slow(answered, hold, timeout)}; {stack.app.showing(page)}")
        with ctx.step("the failure page says the provider took too long"):
            # An app that redeems no code (response_type=id_token) never meets the hang: a
            # fault that held no request held no token request.
            try:
                expect_failure_if_reached(ctx, "idp-slow", unreached=lambda: None if (
                    hold is not None) else _UNREACHED["token-hang"])
            except AssertionError as exc:
                # The held request the app gave up on is no refusal of the provider's, so the
                # message does not name it as idp-down's names the dropped one: say it here.
                if hold is None:
                    raise
                first, newline, rest = str(exc).partition("\n")
                raise AssertionError(f"{first}{held_note('token request', hold.seconds)}"
                                     f"{newline}{rest}") from exc
    finally:
        stack.clear_faults()
    if hold is None:
        # Its failure page came with the hang still armed, without a token request: a refusal
        # of its own, which counts only from an app that signs people in (as failure.idp-down).
        expect_plain_sign_in_after(ctx)


def _wait_for_answer(ctx: Ctx, armed: str, timeout: float, hang: float,
                     started: float) -> None:
    """Wait for the browser to leave the provider (the app answered its callback, or dropped
    it: judged later). An app whose token request the provider holds past
    :func:`allowed_hold` has failed then; one that gave up (or has made no token request
    yet) is given up to :func:`allowed_wait` for its answer, however slow its pages."""
    stack, page = ctx.env, ctx.page
    provider = urlsplit(stack.idp.base_url).netloc
    deadline = started + allowed_wait(timeout)
    until = started + allowed_hold(timeout)
    while True:
        try:
            page.wait_for_url(lambda url: urlsplit(url).netloc != provider,
                              wait_until="commit",
                              timeout=max(min(until, deadline) - time.monotonic(), 0.001) * 1000)
            return
        except PlaywrightTimeoutError as exc:
            hold = last_hold(stack, armed)
            now = time.monotonic()
            if now >= deadline or (hold is not None and hold.ended is None
                                   and hold.seconds > allowed_hold(timeout)):
                raise AssertionError(_no_answer(stack.app.redirect_uri, timeout, hang,
                                                now - started, hold)) from exc
            if hold is None:  # no token request yet: look again soon
                until = now + ANSWER_LOOK
            elif hold.ended is None:  # look again once it has been held too long
                until = now + allowed_hold(timeout) - hold.seconds
            else:  # it gave up: only its answer is waited for
                until = deadline
        except PlaywrightError:
            return  # no page at all (a dropped connection) is an answer too, judged later


def _too_slow(answered: float, hold: HoldRecord, timeout: float) -> str:
    still = " (still open as it answered)" if hold.ended is None else ""
    return (f"the app answered {answered:.1f} s after the sign-in, having kept its token "
            f"request open {hold.seconds:.1f} s{still} as the provider timed it, but the "
            f"profile's [failure] provider_timeout says it gives up on the provider after "
            f"{timeout:g} s (allowed: {allowed_hold(timeout):g} s)")


def _no_answer(callback: str, timeout: float, hang: float, waited: float,
               hold: HoldRecord | None) -> str:
    said = f"the app had not answered its callback {callback} {waited:.1f} s after the sign-in"
    says = ("the profile's [failure] provider_timeout says it gives up on the provider after "
            f"{timeout:g} s")
    if hold is None:
        return (f"{said}, but {says} (allowed: {allowed_wait(timeout):g} s for its answer); it "
                "had made no token request yet")
    if hold.ended is None:
        return (f"{said}, but {says} (allowed: {allowed_hold(timeout):g} s); its token request "
                f"was still waiting on the provider after {hold.seconds:.1f} s (the provider "
                f"holds it {hang:g} s): no timeout on the app's call to the provider, or a "
                "longer one?")
    if hold.seconds > allowed_hold(timeout):
        return (f"{said}, but {says} (allowed: {allowed_hold(timeout):g} s); it gave up on its "
                f"token request only after {hold.seconds:.1f} s")
    return (f"{said} (allowed: {allowed_wait(timeout):g} s for its answer), though it gave up "
            f"on its token request after {hold.seconds:.1f} s, as {says}")
