"""Where the app took its ID token from, for the scenarios about its signature.

OpenID Connect Core 1.0 §3.1.3.7 (6): an ID token the client receives straight from the token
endpoint over TLS may be trusted on TLS server validation instead of its signature (MSAL's
way). Over plain http nothing else vouches for the token, and an ID token that comes through
the browser (implicit, hybrid, ``form_post`` of an ``id_token``) must have its signature
checked. ``conformance`` judges its signature and key rows so
(:mod:`scenarios.conformance.judging`); ``failure.bad-signature`` and ``lifecycle.key-rotation``
say "not exercised" for such an app with the reason this module gives, where they would
otherwise fail it, and over plain http they still fail it, saying that the provider on https
would let it rely on TLS. ``failure.nonce-mismatch`` says so of an app that sent no nonce
and accepted an ID token carrying one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from mock_idp.faults.id_tokens import OWN_ACCESS_TOKEN_KINDS
from mock_idp.faults.userinfo import ANOTHER_PERSON, names_another_person
from scenarios.app.failure_page import ACCEPTED
from scenarios.catalogue.accepted_token import missing_check
from scenarios.catalogue.failures import Ctx, response_types_asked
from scenarios.conformance.evidence import asks_for_id_token, evidence_of
from scenarios.conformance.judging import front_channel_id_token, unsent_nonce
from scenarios.live import LiveStack
from scenarios.protocol_view.names import is_authorize, provider_step_name
from scenarios.protocol_view.tokens import decode_jwt
from scenarios.refusals import unsigned_v1_id_token

__all__ = ["accepted_unsent_nonce", "accepted_what", "also_own_access_token", "asked_no_id_token",
           "dropped_userinfo", "from_token_endpoint_over_plain_http",
           "from_token_endpoint_over_tls", "naming_graph_reader", "naming_spoiled_tokens",
           "raise_if_signed_in_again", "read_person_on_graph", "spoiled_own_access_token",
           "unreached_token_fault", "unsigned_v1_accepted",
           "unsigned_v1_keyless"]

USERINFO_UNASKED = ("the app never asked UserInfo, so there was no answer to compare with the "
                    "ID token's sub")


def asked_no_id_token(stack: LiveStack) -> str | None:
    """Why no ID token took part in the app's sign-in, when every authorization request it sent
    to the v2.0 endpoint asked for none: no ``openid`` in its ``scope`` and no ``id_token`` in
    its ``response_type``. Entra's v2.0 endpoints then answer an access token alone (Microsoft
    Learn, "Microsoft identity platform and OAuth 2.0 authorization code flow": the token
    response's ``id_token`` comes only when the ``openid`` scope was asked), as an app that
    signs people in on Microsoft Graph's ``/me`` does (django-allauth's Microsoft provider asks
    ``User.Read`` alone). ``None`` when one asked for an ID token, went to the v1 endpoint
    (whose code flow always answers one), or none is in the provider's log."""
    scopes: list[str] = []
    for request in stack.provider_requests():
        path = str(request.get("path", ""))
        params = dict(parse_qsl(request.get("query") or ""))
        if not is_authorize(path) or params.get("client_id") != stack.client_id:
            continue
        scope = params.get("scope", "")
        if asks_for_id_token(path, scope, params.get("response_type", "")):
            return None
        scopes.append(scope)
    if not scopes:
        return None
    asked = " or ".join(f"scope={s}" for s in dict.fromkeys(scopes))
    return (f"the app asked for no ID token ({asked}, without openid), so the provider "
            "answered it none (Entra's v2.0 endpoints issue one only for openid); it signed the "
            "user in without one")


def read_person_on_graph(stack: LiveStack) -> str | None:
    """Where the app may have taken the person from instead of its ID token, when the
    provider's log shows it reading Microsoft Graph's ``/me`` with an access token of its own
    (``appid`` or ``azp`` its client id) and a 200 answer: an app that signs people in on
    Graph's ``/me`` (fastapi-sso's ``MicrosoftSSO`` does, though it asks for ``openid``) and
    never reads the ID token it gets is not told by a spoiled ID token. It must then check
    the ID token it asks for (OpenID Connect Core 1.0 §3.1.3.7) or ask for none, as
    :func:`asked_no_id_token` reads it; ``None`` when no such call is in the log."""
    for entry in stack.provider_requests():
        path = str(entry.get("path", ""))
        if entry.get("method") != "GET" or entry.get("status") != 200 \
                or provider_step_name(path, "GET") != "graph" \
                or not path.rstrip("/").endswith("/me"):
            continue
        scheme, _, token = str(entry.get("authorization", "")).partition(" ")
        decoded = decode_jwt(token) if scheme.lower() == "bearer" else None
        if decoded is None or stack.client_id not in (decoded[1].get("appid"),
                                                      decoded[1].get("azp")):
            continue
        return (f"the app read the person from Microsoft Graph (GET {path} with its own "
                "access token), so it may never have read the ID token; an app that asks for "
                "an ID token (openid in its scope) must check it (OpenID Connect Core 1.0 "
                "§3.1.3.7), and one that signs people in on Graph's /me alone can ask for none "
                "(leave openid out of its scope: fastapi-sso's "
                "MicrosoftSSO(scope=[\"User.Read\"])), when the ID-token scenarios are not "
                "exercised")
    return None


def unreached_token_fault(stack: LiveStack, fault: str, fault_id: str) -> str | None:
    """Why the app's sign-in never met the token fault ``fault`` (armed as ``fault_id``), so
    that its scenario proves nothing either way: a UserInfo fault the app never asked for, or
    an ID-token fault in a sign-in that asked for no ID token (:func:`asked_no_id_token`);
    ``None`` when it met it (or may have)."""
    if fault == "userinfo_sub_mismatch":
        return USERINFO_UNASKED if stack.armed_fault(fault_id) is not None else None
    if spoiled_own_access_token(stack, fault_id) is not None:
        return None  # no ID token, but the app's own access token carried the fault
    return asked_no_id_token(stack)


def dropped_userinfo(ctx: Ctx) -> bool:
    """Whether the app, given UserInfo about another subject than the ID token
    (:mod:`mock_idp.faults.userinfo`), dropped that answer and signed alice in on her ID token:
    OpenID Connect Core 1.0 §5.3.2 says only that the answer's values "MUST NOT be used", and
    the OpenID Foundation's RP certification test ``rp-userinfo-bad-sub-claim`` has the RP
    reject the UserInfo response, not the sign-in (mod_auth_openidc does so). Proven only by a
    profile that names who is signed in (``[signed_in]`` ``text`` or ``me_json`` with the name
    or e-mail): the app names alice as her ID token does, holds her e-mail address where it
    keeps one (an address it dropped for differing from the answer's is a value of the answer
    used), and neither its page nor ``me_url`` shows any of the other person's values."""
    app, page = ctx.env.app, ctx.page
    signed_in = app.profile.signed_in
    names_who = any(f"{{{key}}}" in (signed_in.text or "") for key in ("name", "email", "upn"))
    if not (names_who or {"name", "email"} & set(signed_in.me_json)):
        return False
    if names_another_person(_shown(ctx)):  # at once: else alice's name is waited for in vain
        return False
    noted = set(app.addressless)
    try:
        app.expect_signed_in(page, ctx.env.people["alice"])
    except AssertionError:
        return False
    finally:  # no note of an address missing: that is judged here, not passed on the name
        app.addressless.intersection_update(noted)
    if app.holds_no_address(page):
        return False
    return not names_another_person(_shown(ctx))


def _shown(ctx: Ctx) -> str:
    """What the app shows of who is signed in: its page's text, and ``me_url``'s answer."""
    app, page = ctx.env.app, ctx.page
    seen = page.inner_text("body")
    if app.profile.signed_in.me_url:
        seen += page.request.get(app.url(app.profile.signed_in.me_url), max_redirects=0).text()
    return seen


def accepted_unsent_nonce(ctx: Ctx) -> str | None:
    """That the app sent no nonce and signed in on an ID token carrying one, when its
    authorization request (as the browser took it to the provider) had none and it is signed
    in: no nonce of the ID token's was its to compare. ``None`` otherwise: an app that sent
    none and refused the token (oauth4webapi, under Auth.js, does) fails on its page alone."""
    if not ctx.env.app.seen_signed_in(ctx.page):
        return None
    provider = urlsplit(ctx.env.idp.base_url).netloc
    hits = ctx.browser_log.hits if ctx.browser_log is not None else []
    seen = evidence_of({"method": hit.method, "path": parts.path, "query": parts.query}
                       for hit in hits if (parts := urlsplit(hit.url)).netloc == provider)
    return f"the app {unsent_nonce(seen.sent_pkce)}" if seen.sent_nonce is False else None


def used_userinfo_of_another(ctx: Ctx) -> str | None:
    """That the app signed the user in as the other person of a UserInfo answer whose ``sub``
    is not the ID token's (:mod:`mock_idp.faults.userinfo`), when its page or ``me_url``
    shows that person: it took the answer's values, which OpenID Connect Core 1.0 §5.3.2
    forbids (an app on @fastify/oauth2's ``userinfo()`` never compares the two). ``None``
    otherwise."""
    if not ctx.env.app.seen_signed_in(ctx.page) or not names_another_person(
            shown := _shown(ctx)):
        return None
    other = ANOTHER_PERSON["name"]
    who = f"signed the user in as {other}, whom"
    if other.casefold() not in shown.casefold():  # a value of theirs beside the token's user
        # (a Go app on go-oidc: the name from the ID token, the address from UserInfo)
        value = re.search(rf"{ANOTHER_PERSON['given_name']}@[\w.-]+", shown, re.IGNORECASE)
        held = f" ({value.group(0)})" if value else ""
        who = (f"shows {ctx.env.people['alice'].name} with a value of {other}'s{held}, "
               "whom")
    return (f"the app {who} the UserInfo "
            "answer names under another sub than the ID token's: it used that answer's values "
            "without comparing its sub with the ID token's, which OpenID Connect Core 1.0 "
            "§5.3.2 forbids (drop such an answer, or refuse the sign-in); "
            f"{missing_check('userinfo_sub_mismatch')}")


def accepted_what(ctx: Ctx, fault: str) -> str | None:
    """What the app did wrong with a ``fault`` it accepted, when more can be said than that it
    showed no failure page: a nonce it never sent (:func:`accepted_unsent_nonce`), UserInfo of
    another subject it used (:func:`used_userinfo_of_another`)."""
    if fault == "wrong_nonce":
        return accepted_unsent_nonce(ctx)
    return used_userinfo_of_another(ctx) if fault == "userinfo_sub_mismatch" else None


def raise_if_signed_in_again(ctx: Ctx, exc: AssertionError) -> None:
    """Raise ``exc`` (a failure that says the app accepted the sign-in) told as it happened when
    the app refused the faulted answer and started a new sign-in, which the provider's
    session answered at once with correct tokens (the fault fires once): an app whose
    failure redirect is its sign-in URL (passport's ``failureRedirect: '/login'``, a common
    Express set-up over openid-client 5's Strategy) ends signed in without having accepted the
    fault. Conformance passes such a row (``_signed_in_again``); the scenario still fails, as
    no failure page appeared, but no longer says the app accepted what it refused. Nothing
    is raised when the app did not start again or is not signed in."""
    stack = ctx.env
    if not evidence_of(stack.provider_requests()).restarted \
            or not stack.app.seen_signed_in(ctx.page):
        return
    again = ("the app refused the faulted answer but started a new sign-in (it sent the browser "
             "to the provider's authorize endpoint again), which the provider's session "
             "answered at once with correct tokens (the fault fires once): someone is signed "
             "in by that new sign-in, and no failure page appeared")
    message = str(exc)
    told = message.replace(ACCEPTED, again, 1) if ACCEPTED in message else f"{again}; {message}"
    raise AssertionError(told) from exc


def also_own_access_token(fault: str) -> str:
    """What a token scenario's ``proves`` adds when its ``fault`` also spoils the app's own
    access token of the same answer (:data:`mock_idp.faults.id_tokens.OWN_ACCESS_TOKEN_KINDS`):
    an app on Entra's v1 endpoints, whose ID token comes unsigned there, checks that token
    instead (django-auth-adfs does); empty for the other faults."""
    if fault not in OWN_ACCESS_TOKEN_KINDS:
        return ""
    return (" (and the app's own access token of that answer, its audience the app itself, "
            "which apps on Entra's v1 endpoints check instead of the ID token, unsigned there)")


def spoiled_own_access_token(stack: LiveStack, fault_id: str) -> str | None:
    """What a token scenario's failure message adds when the provider's request log shows that
    the fault ``fault_id`` spoiled the app's own access token of its answer (a note of the
    fault with the target ``access_token``): as well as the ID token, when the app may have
    checked either, or alone, in an answer without an ID token (a v2.0 request for the app's
    own API without ``openid``); ``None`` when it spoiled the ID token alone."""
    for entry in stack.provider_requests():
        targets = {note.get("target") for note in entry.get("notes") or ()
                   if isinstance(note, dict) and isinstance(note.get("fault"), dict)
                   and note["fault"].get("id") == fault_id}
        if "access_token" in targets:
            if "id_token" in targets:
                return ("the provider spoiled the app's own access token of that answer as "
                        "well as its ID token")
            return ("the provider spoiled the app's own access token of that answer, which "
                    "carried no ID token")
    return None


@contextmanager
def naming_spoiled_tokens(stack: LiveStack, fault_id: str) -> Iterator[None]:
    """A failure (an ``AssertionError``) in the block says, after its own message, that the
    fault ``fault_id`` spoiled the app's own access token too, when the request log shows it
    did (:func:`spoiled_own_access_token`): an app on Entra's v1 endpoints checks that token
    instead of the ID token."""
    try:
        yield
    except AssertionError as exc:
        if (both := spoiled_own_access_token(stack, fault_id)) is None:
            raise
        raise AssertionError(f"{exc}\n({both})") from exc


@contextmanager
def naming_graph_reader(ctx: Ctx, fault: str) -> Iterator[None]:
    """A failure (an ``AssertionError``) in the block says, after its own message, that the
    app read the person from Microsoft Graph's ``/me`` (:func:`read_person_on_graph`), when
    it is signed in and the provider's log shows that call: a spoiled ID token the app signed
    in on may be one it never read. Not for ``userinfo_sub_mismatch``, which spoils UserInfo
    rather than the ID token."""
    try:
        yield
    except AssertionError as exc:
        stack = ctx.env
        if fault == "userinfo_sub_mismatch" or not stack.app.seen_signed_in(ctx.page) or (
                on_graph := read_person_on_graph(stack)) is None:
            raise
        raise AssertionError(f"{exc}\n({on_graph})") from exc


def from_token_endpoint_over_tls(stack: LiveStack) -> str | None:
    """Why the app may rely on TLS instead of its ID token's signature, when it took its ID
    token straight from the provider's token endpoint over https: every authorize request it
    sent asked for no ID token through the browser, and it called the token endpoint; ``None``
    otherwise (a provider on plain http, an ID token through the browser, or no authorize
    request or token request in the provider's log)."""
    if urlsplit(stack.idp.base_url).scheme != "https" or (flows := _token_endpoint_flows(
            stack)) is None:
        return None
    return (f"it took the ID token straight from the provider's token endpoint over TLS "
            f"({flows}), where the client MAY rely on TLS server validation instead of the "
            "signature (OpenID Connect Core 3.1.3.7 (6); over plain http, or for an ID token "
            "that comes through the browser, it must check it)")


def from_token_endpoint_over_plain_http(stack: LiveStack) -> str | None:
    """Why relying on TLS instead of the signature fails here, when the app took its ID token
    straight from the token endpoint as :func:`from_token_endpoint_over_tls` reads it, but the
    provider is on plain http (as ``conformance`` says it for its signature rows), with the
    profile setting that would let such an app (openid-client, MSAL) rely on TLS; ``None``
    otherwise."""
    if urlsplit(stack.idp.base_url).scheme == "https" or (flows := _token_endpoint_flows(
            stack)) is None:
        return None
    return (f"it took the ID token from the provider's token endpoint over plain http "
            f"({flows}): without TLS only the signature vouches for it (OpenID Connect Core "
            "3.1.3.7 (6) allows relying on TLS instead only over TLS); an app that relies on "
            "TLS there, as openid-client and MSAL do, passes with the provider on https: set "
            "[provider] https = true in its profile")


V1_OVER_HTTP = (
    "only TLS vouches for it (OpenID Connect Core 3.1.3.7 (6)): an app on the v1 endpoints "
    "checks no signature (one that requires RS256 refuses every sign-in there), so its token URL "
    "must be https (set [provider] https = true in its profile; failure.v1-unsigned-over-http "
    "fails it for the same reason), or it moves to the v2.0 endpoints and verifies the "
    "signature with the provider's keys")
"""What an app that took the unsigned ID token of Entra's v1 token endpoint over plain http is
told to do: advice to verify an RS256 signature or fetch the signing keys would make it refuse
every sign-in on v1."""


def _took_unsigned_v1(stack: LiveStack) -> bool:
    """Whether one of the app's token requests was answered with the unsigned ID token of
    Entra's v1 token endpoint, over plain http."""
    return urlsplit(stack.idp.base_url).scheme != "https" and any(
        unsigned_v1_id_token(entry) for entry in stack.provider_requests())


def unsigned_v1_accepted(stack: LiveStack, fault_id: str) -> str | None:
    """What ``failure.bad-signature`` says of an app that signed alice in over plain http with
    the ID token of Entra's v1 token endpoint, which Entra sends unsigned (``alg: none``, no
    signature: the one the fault spoiled is not in it, so the app saw its usual token) and the
    fault did not spoil its own access token (:func:`spoiled_own_access_token`): it checks no
    signature there, rightly, and relies on a TLS connection it does not have
    (:data:`V1_OVER_HTTP`). ``None`` for any other app."""
    if spoiled_own_access_token(stack, fault_id) is not None or not _took_unsigned_v1(stack):
        return None
    return ("the app accepted the ID token of Entra's v1 token endpoint over plain http: it "
            "comes unsigned there (alg none, as Entra sends it, so the signature this scenario "
            f"spoiled never reached the app), and {V1_OVER_HTTP}")


def unsigned_v1_keyless(stack: LiveStack) -> str | None:
    """What ``lifecycle.key-rotation`` says of an app that never fetched the signing keys
    because its ID token came unsigned from Entra's v1 token endpoint over plain http: it had
    no key to look up (:data:`V1_OVER_HTTP`); ``None`` for any other app."""
    if not _took_unsigned_v1(stack):
        return None
    return ("the app never fetched the provider's signing keys: its ID token came unsigned "
            "from Entra's v1 token endpoint over plain http (alg none, as Entra sends it), so "
            f"it had no signing key to look up, and {V1_OVER_HTTP}")


def _token_endpoint_flows(stack: LiveStack) -> str | None:
    """The response types the app asked for (``response_type=code``), when every authorize
    request it sent asked for no ID token through the browser and it called the token
    endpoint; ``None`` otherwise."""
    asked = response_types_asked(stack)
    if not asked or any(front_channel_id_token(kind) for kind in asked):
        return None
    requests = stack.provider_requests()
    if not any(entry.get("method") == "POST" and provider_step_name(
            str(entry.get("path", "")), "POST") == "token" for entry in requests):
        return None
    return " or ".join(f"response_type={kind}" for kind in sorted(asked))
