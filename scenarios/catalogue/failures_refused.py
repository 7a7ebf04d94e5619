"""Failure pages for sign-ins the app refuses: an ID token or UserInfo answer that fails its
checks, a tampered or replayed state or one brought back by another browser, a launch for an
unknown installation, and a second identity with an e-mail already in use. (The failures the
provider causes or decides are in :mod:`scenarios.catalogue.failures`.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, Route, expect

from scenarios import scenario
from scenarios.app.interface import Unsupported
from scenarios.catalogue import replay
from scenarios.catalogue.failures import (
    FAILURE_PAGE,
    Ctx,
    expect_failure_if_reached,
    start_signed_in_at_company,
    up_to_stay_signed_in_first,
)
from scenarios.catalogue.held_answer import Answer, answer_in, deliver_to_failure_page
from scenarios.catalogue.id_token_source import (
    accepted_what,
    also_own_access_token,
    dropped_userinfo,
    from_token_endpoint_over_plain_http,
    from_token_endpoint_over_tls,
    naming_graph_reader,
    naming_spoiled_tokens,
    raise_if_signed_in_again,
    unreached_token_fault,
)
from scenarios.catalogue.plain_after import expect_plain_sign_in_after
from scenarios.context import NotExercised
from scenarios.flows import (
    NavigationLog,
    expect_failure,
    first_login_at_company,
    follow_signed_in_at_company,
)
from scenarios.goto import open_sign_in
from scenarios.live import LiveStack
from scenarios.protocol_view.names import is_authorize
from scenarios.protocol_view.tokens import mask_query


def _hold_callback(page: Page, stack: LiveStack) -> list[Answer]:
    """Let the provider answer its sign-in forms but hold its answer to the app's callback
    (a redirect, or with ``response_mode=form_post`` a page that posts a form there): record
    it and show an empty page, so the app never gets it.

    (Playwright does not route the requests of a redirect chain, so the provider's form posts
    are routed: the last one, "Stay signed in?", is answered with the redirect or the form.)"""
    caught: list[Answer] = []
    callback = stack.app.redirect_uri

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        answer = answer_in(response.status, response.headers.get("location", ""),
                           response.text())
        if answer is None or not answer.url.startswith(callback):
            route.fulfill(response=response)
            return
        caught.append(answer)
        route.fulfill(status=200, content_type="text/html", body="<title>held</title>")

    page.route(stack.idp_url("/**"), hold)
    return caught


# -- the ID token and UserInfo ------------------------------------------------------------------

_TOKEN_FAULTS = (
    ("bad-signature", "bad_signature", "an ID token whose signature does not verify"),
    ("wrong-issuer", "wrong_iss", "an ID token from another issuer"),
    ("wrong-audience", "wrong_aud", "an ID token issued to another client"),
    ("nonce-mismatch", "wrong_nonce", "an ID token whose nonce is not the one this sign-in sent"),
    ("expired-id-token", "expired", "an ID token that expired an hour ago"),
    ("missing-sub", "missing_sub", "an ID token without a sub claim"),
    ("userinfo-sub-mismatch", "userinfo_sub_mismatch",
     "a UserInfo response about another subject than the ID token"),
)
_ALLOWED = {
    "bad-signature": "; an app that takes its ID token straight from the token endpoint over "
    "TLS may rely on TLS instead of the signature (OpenID Connect Core 3.1.3.7 (6)): its "
    "accepting the token there is not exercised rather than failed; over plain http, or for an "
    "ID token through the browser, it fails",
    "userinfo-sub-mismatch": "; an app that drops that UserInfo response instead and signs in "
    "the ID token's user, showing none of its values, passes too (OpenID Connect Core 1.0 "
    "§5.3.2; the certification test rp-userinfo-bad-sub-claim rejects the response)",
}
"""What a scenario's ``proves`` adds: the specification's exception to its rule."""


def _token_fault(ctx: Ctx, name: str, fault: str) -> None:
    stack = ctx.env
    with ctx.step(f"the provider is set to send a {fault} response once"):
        armed = stack.arm_fault(fault)
    with ctx.step("follow the sign-in URL, signed in at the company: the failure page "
                  "appears and no session is created"), \
            naming_spoiled_tokens(stack, str(armed["id"])), naming_graph_reader(ctx, fault):
        start_signed_in_at_company(ctx)
        # Core §5.3.2 binds an app that asks UserInfo; the other faults spoil every ID token.
        try:
            expect_failure_if_reached(
                ctx, name, unreached=lambda: unreached_token_fault(stack, fault, str(armed["id"])))
        except AssertionError as exc:
            if fault == "userinfo_sub_mismatch" and dropped_userinfo(ctx):
                # An app that never asked UserInfo signed alice in without meeting the fault,
                # whatever its session check said of it (a page drawn late may read as signed
                # out): not exercised, never passed.
                if (unasked := unreached_token_fault(stack, fault, str(armed["id"]))):
                    raise NotExercised(unasked) from None
                return  # the answer refused, not the sign-in: Core §5.3.2 allows it
            raise_if_signed_in_again(ctx, exc)
            if (what := accepted_what(ctx, fault)) is not None:
                raise AssertionError(f"{what}; {exc}") from exc
            if fault == "bad_signature" and stack.app.seen_signed_in(ctx.page):
                if (over_tls := from_token_endpoint_over_tls(stack)) is not None:
                    # conformance's INFO: allowed, and no proof it refuses a forgery elsewhere
                    raise NotExercised(
                        "the app accepted an ID token whose signature does not verify, which "
                        f"is allowed: {over_tls}") from None
                if (over_http := from_token_endpoint_over_plain_http(stack)) is not None:
                    # As conformance's FAIL for the signature rows over plain http.
                    raise AssertionError(
                        "the app accepted an ID token whose signature does not verify, and "
                        f"{over_http}; {exc}") from exc
            raise
    expect_plain_sign_in_after(ctx)


for _name, _fault, _what in _TOKEN_FAULTS:
    def _register(name: str = _name, fault: str = _fault, what: str = _what) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The app refuses {what}",
            proves=f"Given {what}{also_own_access_token(fault)}, the app refuses the sign-in "
            f"and shows its failure page with the support contact; nobody is signed in"
            f"{_ALLOWED.get(name, '')}",
            tags={"id-token"},
            needs=FAILURE_PAGE,
        )
        def run(ctx: Ctx) -> None:
            _token_fault(ctx, name, fault)

    _register()


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """The provider's answer held from the app, and the authorization request it answers (as
    quoted, and its parameters: :func:`_authorize_request`)."""

    answer: Answer
    authorize_request: str
    authorize_params: Mapping[str, str]
    """The authorization request's parameters (its query, or the form it posted)."""

    def sent_no_state(self) -> str | None:
        """That the app sent no state, when the provider's answer carries none: the provider
        returns the request's state in its answer, redirect, error or ``form_post`` alike,
        exactly when the request had one (RFC 6749 §4.1.2 and §4.1.2.1; Microsoft Learn's
        v2-oauth2-auth-code-flow page: the request's state comes back in the answer to the
        redirect URI), whether the app sent the request by a redirect or posted it. Then
        nothing ties the provider's answer to the browser that started the sign-in, and the
        app has no state to check (RFC 6749 §10.12: the client MUST implement CSRF protection
        for its redirect URI, typically by a state bound to the user agent; RFC 9700 §4.7)."""
        if self.answer.params.get("state"):
            return None
        return (f"the app sent no state to the provider: its authorization request "
                f"{self.authorize_request} has no state parameter (the provider's answer "
                "carries none), so its callback has no CSRF protection of its own (RFC 6749 "
                "§10.12, RFC 9700 §4.7)")

    def relies_on_pkce(self) -> str | None:
        """Why the app needs no state of its own, when it sent none but sent a PKCE
        ``code_challenge`` with S256: a client that has made sure the provider supports PKCE
        (Entra does: Microsoft Learn's v2-oauth2-auth-code-flow page documents code_challenge
        with S256, though its metadata lists no code_challenge_methods_supported) MAY rely on it
        for CSRF protection (RFC 9700 §2.1 and §4.7.1), the verifier kept for the browser that
        started the sign-in; ``failure.state-other-browser`` and ``failure.state-replayed``
        show whether it is. ``None`` for an app that sent a state, or no S256 challenge."""
        if self.answer.params.get("state") or not self.authorize_params.get("code_challenge") \
                or self.authorize_params.get("code_challenge_method") != "S256":
            return None
        return ("the app sent no state to the provider but a PKCE code_challenge "
                "(code_challenge_method=S256), on which RFC 9700 §2.1 lets a client rely for "
                "CSRF protection, so there is no state to alter; failure.state-other-browser "
                "and failure.state-replayed show whether its verifier is bound to the browser")

    def relies_on_nonce(self) -> str | None:
        """Why the app needs no state of its own, when it sent none but a ``nonce``: in
        OpenID Connect the nonce, kept for the browser that started the sign-in and compared
        with the ID token's, gives similar CSRF protection (RFC 9700 §2.1 and §4.7.1; OpenID
        Connect Core §15.5.2); ``failure.nonce-mismatch`` shows whether the app compares it.
        ``None`` for an app that sent a state, or no nonce."""
        if self.answer.params.get("state") or not self.authorize_params.get("nonce"):
            return None
        return ("the app sent no state to the provider but a nonce, which in OpenID Connect "
                "gives similar CSRF protection (RFC 9700 §2.1), so there is no state to alter; "
                "failure.nonce-mismatch shows whether the app checks the nonce")


def _authorize_request(log: NavigationLog, stack: LiveStack) -> tuple[str, dict[str, str]]:
    """The last authorize request the app sent the browser to, as quoted: its URL, or, for one
    the app posted (Entra's authorize endpoint takes a POST too, and a posted request's URL
    has no query), the URL and the form it posted, masked; and its parameters."""
    provider = urlsplit(stack.idp.base_url).netloc
    sent = [i for i, (url, _) in enumerate(log.documents)
            if urlsplit(url).netloc == provider and is_authorize(url)]
    assert sent, f"the app sent the browser to no authorize request: {log.documents}"
    url = log.documents[sent[-1]][0]
    if log.methods[sent[-1]] != "POST":
        return url, dict(parse_qsl(urlsplit(url).query))
    form = log.posted[sent[-1]] or ""
    return (f"POST {url} with the form {mask_query(form) or '(empty)'}",
            dict(parse_qsl(form)))


def _held_callback(ctx: Ctx) -> _Held:
    """Alice follows the sign-in URL and signs in at the provider; its answer to the app (a
    redirect, or a form posted with ``response_mode=form_post``) is held before it reaches the
    app: the answer, its code unused, and the authorization request it answers."""
    page = ctx.page
    log = NavigationLog(page)
    caught = _hold_callback(page, ctx.env)
    up_to_stay_signed_in_first(ctx).answer(stay=False)
    try:
        expect(page).to_have_title("held")
    except AssertionError as exc:
        raise AssertionError(
            f"the provider's answer did not come for the callback {ctx.env.app.redirect_uri} "
            "(neither a redirect there nor a form posted there), so it could not be held; "
            f"{ctx.env.app.showing(page)}") from exc
    assert caught, "the provider did not answer the callback"
    page.unroute_all()
    return _Held(caught[0], *_authorize_request(log, ctx.env))


@scenario(
    id="failure.state-tampered",
    title="A callback whose state was altered is refused",
    proves="A genuine code delivered with an altered state is refused: the failure page, and "
    "no session is created",
    needs=FAILURE_PAGE,
)
def state_tampered(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("sign in, holding the provider's answer to the callback"):
        held = _held_callback(ctx)
    with ctx.step("deliver the callback with one character of state changed"):
        if (instead := held.relies_on_pkce() or held.relies_on_nonce()) is not None:
            raise NotExercised(instead)
        if (unsent := held.sent_no_state()) is not None:
            raise AssertionError(f"{unsent}; there is no state to alter")
        original = held.answer.params["state"]
        altered = original[:-1] + ("A" if original[-1] != "A" else "B")
        deliver_to_failure_page(page, stack, held.answer.with_param("state", altered),
                                "state-tampered")


@scenario(
    id="failure.state-other-browser",
    title="A callback opened in another browser than the one that signed in is refused",
    proves="The provider's answer to a sign-in alice's browser started (its state, a code "
    "nobody has redeemed), opened in another browser before alice's gets it, is refused: the "
    "failure page, and nobody is signed in in that browser (login CSRF: RFC 9700 §4.7, state "
    "bound to the user agent). The app's check that the state belongs to the browser refuses "
    "it; so does a PKCE verifier or nonce the app keeps in the browser's session, so an app "
    "without that state check passes if it has them (failure.state-tampered needs the state "
    "check itself)",
    needs=FAILURE_PAGE,
)
def state_other_browser(ctx: Ctx) -> None:
    stack = ctx.env
    with ctx.step("alice starts the sign-in and signs in at the provider; its answer to the "
                  "app is held before it gets there"):
        held = _held_callback(ctx)
    other = ctx.new_context().new_page()
    with ctx.step("another browser starts a sign-in of its own (it holds the app's cookies and "
                  "a state of its own) and stops at the provider", page=other):
        # A victim's browser usually knows the app: an app that only asks for some login
        # cookie, not the one issued with this state, must not pass.
        open_sign_in(other, stack, stack.app.sign_in_url())
        other.wait_for_url(stack.idp_url("/**"))
    with ctx.step("that browser takes alice's answer to the callback (opens its URL, or posts "
                  "its form): the failure page, and nobody is signed in there", page=other):
        try:
            deliver_to_failure_page(other, stack, held.answer, "state-other-browser")
        except AssertionError as exc:
            # Without a state, a PKCE verifier or nonce kept in the session may still refuse
            # it (RFC 9700 §4.7.1): the missing state is named only when nothing did, the
            # other browser signed in. One that is not (Auth.js sends no state but a PKCE
            # verifier of that browser's own, which the provider refuses) failed for the
            # page it was shown, which the message says without blaming the state.
            if (unsent := held.sent_no_state()) is not None and _got_through(stack, other):
                raise AssertionError(f"{unsent}; {exc}") from exc
            raise


def _got_through(stack: LiveStack, page: Page) -> bool:
    """Whether the app signed ``page``'s browser in; one it cannot tell (a profile without a
    session check, a ``me_url`` answering neither) counts as signed in."""
    try:
        return stack.app.is_signed_in(page)
    except (AssertionError, Unsupported):
        return True


@scenario(
    id="failure.state-replayed",
    title="Replaying a used callback URL is refused",
    proves="The state of a sign-in that already finished, delivered to another browser with a "
    "code the provider would still accept (the same authorize request answered again), is "
    "refused: the failure page, and that browser gets no session. The app's own state check "
    "refuses it, as does a nonce or PKCE verifier kept in the session of the browser that "
    "started the sign-in",
    needs=FAILURE_PAGE,
)
def state_replayed(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("alice, signed in at her company, signs in to the app; its authorize request "
                  "is recorded"):
        first_login_at_company(page, stack, stack.people["alice"])
        used = log.answers_at(stack.app.redirect_uri, stack.idp.base_url)
        assert len(used) == 1, f"expected one callback, saw {log.documents}"
        sent = replay.authorize_request(log, stack)
    other = ctx.new_context().new_page()
    for how, url in replay.variants(sent):
        with ctx.step(f"the provider answers that authorize request again in alice's browser: "
                      f"its state, and a new code with {how}, held from the app"):
            answer = replay.fresh_answer(page, stack, url)
        with ctx.step("another browser opens the callback with the used state and the new "
                      "code: the failure page", page=other):
            replay.deliver_to_fresh_browser(other, stack, answer)


# -- partner launch and user mapping --------------------------------------------------------------


@scenario(
    id="failure.unknown-installation",
    title="A launch for an unknown installation ends on the failure page",
    proves="The standalone URL with an installation id the app never received shows the "
    "failure page with the support contact, without contacting the provider",
    needs={"partner", "failure-page"},
)
def unknown_installation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("open the launch URL with an unknown installation id"):
        page.goto(stack.app.launch_url("0" * 32, stack.user_id("alice")))
    with ctx.step("the failure page shows the support contact"):
        expect_failure(page, stack, "unknown-installation")
        assert log.pages_shown_from(stack.idp.base_url) == [], "the provider was contacted"


@scenario(
    id="failure.duplicate-email",
    title="A second identity with an e-mail already in use is refused",
    proves="Alice signs in through one connection; signing in through a second app registration "
    "(another pairwise sub, same e-mail) is refused with the second connection's contact",
    needs=FAILURE_PAGE | {"multi-connection"},
)
def duplicate_email(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("register a second app and configure a second connection to it"):
        created = stack.graph("POST", "applications", {
            "displayName": "Second relying party",
            "web": {"redirectUris": [stack.app.redirect_uri]},
            # as the app's own registration: Entra vouches for the address (xms_edov)
            "optionalClaims": {"idToken": [{"name": "xms_edov"}]},
        })
        second_id = str(created["appId"])
        secret = stack.add_secret(client_id=second_id)
        contact = "second-desk@contoso.example"
        second = stack.app.add_connection(client_id=second_id, client_secret=secret,
                                          support_contact=contact)
        if second.redirect_uri != stack.app.redirect_uri:  # one per connection
            stack.update_app(client_id=second_id, web={"redirectUris": [second.redirect_uri]})
    with ctx.step("alice, signed in at her company, signs in through the first connection"):
        first_login_at_company(page, stack, alice)
    with ctx.step("in a new browser, signed in at her company too, alice signs in through the "
                  "second connection"):
        other = ctx.new_context().new_page()
        follow_signed_in_at_company(other, stack, alice, url=second.sign_in_url())
    with ctx.step("the app refuses the second identity", page=other):
        second.expect_failure(other, "duplicate-email", contact=contact)
