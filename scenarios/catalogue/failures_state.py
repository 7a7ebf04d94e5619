"""Failure pages for a callback whose state the app must refuse: altered, replayed, or brought
back by another browser than the one that started the sign-in (login CSRF)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, Route, expect

from scenarios import scenario
from scenarios.app.interface import Unsupported
from scenarios.catalogue import replay
from scenarios.catalogue.failures import FAILURE_PAGE, Ctx, up_to_stay_signed_in_first
from scenarios.catalogue.held_answer import Answer, answer_in, deliver_to_failure_page
from scenarios.context import NotExercised
from scenarios.flows import NavigationLog, first_login_at_company
from scenarios.goto import open_sign_in
from scenarios.live import LiveStack
from scenarios.protocol_view.names import is_authorize
from scenarios.protocol_view.tokens import mask_query

__all__ = ["state_other_browser", "state_replayed", "state_tampered"]


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

