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


PROVIDER_TIMEOUT_FACTOR = 1.5
PROVIDER_TIMEOUT_SLACK = 1.0
"""``failure.idp-slow`` allows the app ``provider_timeout`` × :data:`PROVIDER_TIMEOUT_FACTOR`
plus this many seconds to show its failure page: the redirects around its callback, the page
itself, and a timeout counted per read rather than for the whole call, on a loaded machine."""


def allowed_wait(provider_timeout: float) -> float:
    """How long ``failure.idp-slow`` lets an app with this ``provider_timeout`` take."""
    return provider_timeout * PROVIDER_TIMEOUT_FACTOR + PROVIDER_TIMEOUT_SLACK


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
    allowed = allowed_wait(timeout)
    # The provider answers well after the allowed time (clearing the fault ends the hang
    # early): an app still waiting at the allowed time has failed, and waiting on to see
    # whether it gives up later would only make the run (and its traced rerun) longer.
    hang = allowed + 10
    provider = urlsplit(stack.idp.base_url).netloc
    with ctx.step(f"the token endpoint hangs for {hang:g} s"):
        armed = stack.arm_fault("hang", endpoint="token", seconds=hang)
    try:
        with ctx.step("sign in: the app answers its callback once it gives up on the provider"):
            kmsi = up_to_stay_signed_in_first(ctx)
            started = time.monotonic()
            # "No" sends the browser to the app's callback, which hangs as long as the app
            # waits for the provider: the wait below, not the click, gives it its time.
            kmsi.answer(stay=False, wait=False)
            try:
                page.wait_for_url(lambda url: urlsplit(url).netloc != provider,
                                  wait_until="commit", timeout=allowed * 1000)
            except PlaywrightTimeoutError as exc:
                # A fault armed for one request is spent once it holds one: still armed, the
                # app has made no token request yet.
                held = stack.armed_fault(str(armed["id"])) is None
                raise AssertionError(
                    _no_answer(stack.app.redirect_uri, timeout, hang, held=held)) from exc
            except PlaywrightError:
                pass  # no page at all (a dropped connection) is an answer too, judged below
            answered = time.monotonic() - started
            assert answered <= allowed, (
                f"{_too_slow(answered, timeout)}; {stack.app.showing(page)}")
        with ctx.step("the failure page says the provider took too long"):
            # An app that redeems no code (response_type=id_token) never meets the hang: a
            # fault still armed held no token request.
            try:
                expect_failure_if_reached(ctx, "idp-slow", unreached=lambda: None if (
                    stack.armed_fault(str(armed["id"])) is None) else _UNREACHED["token-hang"])
            except AssertionError as exc:
                # The held request is not in the provider's log until the hang ends, so the
                # message cannot name it as idp-down's names the dropped one: say it here.
                if stack.armed_fault(str(armed["id"])) is not None:
                    raise
                first, newline, rest = str(exc).partition("\n")
                hold = held_note("token request", answered)
                raise AssertionError(f"{first}{hold}{newline}{rest}") from exc
            waited = time.monotonic() - started
            reached = stack.armed_fault(str(armed["id"])) is None
        with ctx.step(f"the app gave up at its timeout ([failure] provider_timeout = "
                      f"{timeout:g} s), before the provider answered"):
            assert waited <= allowed, _too_slow(waited, timeout)
    finally:
        stack.clear_faults()
    if not reached:
        # Its failure page came with the hang still armed, without a token request: a refusal
        # of its own, which counts only from an app that signs people in (as failure.idp-down).
        expect_plain_sign_in_after(ctx)


def _too_slow(waited: float, timeout: float) -> str:
    return (f"the app answered {waited:.1f} s after the sign-in, but the profile's [failure] "
            f"provider_timeout says it gives up on the provider after {timeout:g} s (allowed: "
            f"{allowed_wait(timeout):g} s)")


def _no_answer(callback: str, timeout: float, hang: float, *, held: bool) -> str:
    allowed = allowed_wait(timeout)
    said = (f"the app had not answered its callback {callback} {allowed:g} s after the "
            "sign-in, but the profile's [failure] provider_timeout says it gives up on the "
            f"provider after {timeout:g} s (allowed: {allowed:g} s)")
    if held:
        return (f"{said}; its token request was still waiting on the provider, which holds it "
                f"{hang:g} s: no timeout on the app's call to the provider, or a longer one?")
    return f"{said}; it had made no token request yet"
