"""Single sign-out: platform user.logout, back-channel, front-channel and RP-initiated logout."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Response, expect

from scenarios import ScenarioContext, scenario
from scenarios.catalogue.partner_events import (
    accepted,
    given_time_to_sign_out,
    install_partner,
    not_accepted,
)
from scenarios.flows import (
    NavigationLog,
    confirm_sign_out_at_idp,
    expect_signed_in,
    expect_signed_out,
    first_login_at_company,
    idp_logout_url,
    launch_signed_in_at_company,
    oid_of,
    sign_in_at_idp,
    sign_out_at_idp,
)
from scenarios.live import LiveStack, Person
from scenarios.pages import IdpSignedOutPage
from scenarios.protocol_view.names import is_authorize
from scenarios.sign_in_asked import expect_sign_in_asked
from scenarios.sign_out_wait import (
    at_provider,
    end_session_requests,
    provider_or_signed_out_page,
    signed_out_locally,
)

Ctx = ScenarioContext[LiveStack]
END_SESSION_PATHS = ("/oauth2/v2.0/logout", "/oauth2/logout")


def _only(notes: list[dict[str, Any]], what: str) -> dict[str, Any]:
    assert len(notes) == 1, f"expected one {what} notification, saw {notes}"
    return notes[0]


def platform_address(person: Person) -> str:
    """An address for ``person``'s account at the platform that is not the one she signs in
    to the app with (the IdP's UPN or mail). ``user.logout`` carries the platform user's
    ``user_email`` beside ``user_id`` (docs.talkdesk.com/reference/userlogout), and sessions are
    found by ``installation_id`` and ``user_id`` (the partner-sso.md reference, b.7): an app
    must not need the address to match one it holds."""
    return f"{person.name.lower().replace(' ', '.')}@platform-accounts.example"


@scenario(
    id="signout.user-logout-event",
    title="The platform's user.logout ends the partner session",
    proves="user.logout for the signed-in user (installation + platform user id) ends every "
    "session of that user (in each of her two browsers), not another user's, though its "
    "user_email is not the address she signed in with (sessions are found by installation and "
    "user id), and the next launch runs SSO afresh; signing out at the IdP sends user.logout "
    "too, after which the launch shows the IdP sign-in page (an app may apply each user.logout "
    "a moment after answering it, within [partner] acknowledgement_wait)",
    tags={"partner", "signout"},
    needs={"partner", "session-check"},
)
def user_logout_event(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    with ctx.step("install the app (no front-channel URL registered); alice, signed in at her "
                  "company, launches it"):
        stack.update_app(web={"logoutUrl": None})
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
    alices = ctx.new_context().new_page()
    with ctx.step("in a second browser, alice launches it again: she has two sessions",
                  page=alices):
        launch_signed_in_at_company(alices, stack, installation_id, alice)
    with ctx.step("in another browser, bob launches it too"):
        bobs = ctx.new_context().new_page()
        launch_signed_in_at_company(bobs, stack, installation_id, bob)
    address = platform_address(alice)
    with ctx.step(f"the platform sends user.logout for alice, its user_email {address} (her "
                  "platform account's, not the address she signed in with), and the app "
                  "accepts it"):
        result = stack.http.post(
            stack.idp_url(f"/_mock/installations/{installation_id}/logout"),
            json={"user_id": oid_of(stack, alice), "user_email": address})
        assert result.status_code == 200, result.text
        delivery = result.json()["delivery"]
        assert accepted(delivery), not_accepted("user.logout", delivery)
    with ctx.step("alice's sessions have ended, in both her browsers"):
        given_time_to_sign_out(stack, page, alices)
        still: list[AssertionError] = []
        for browser, which in ((page, "first"), (alices, "second")):
            try:
                expect_signed_out(browser, stack, why=(
                    f" (alice's {which} browser) after a user.logout for her: the app must end "
                    "every session of the user the event names, in whichever browser"))
            except AssertionError as exc:
                still.append(exc)
        if len(still) == 2:
            raise AssertionError(
                f"{still[0]}\nalice is still signed in in both her browsers after a user.logout "
                f"naming her by user_id, with the user_email {address}, not the address she "
                "signed in with: the app must find the sessions to end by the event's "
                "installation_id and user_id (the user is identified by user_id; user_email "
                "need not be any address the app knows)")
        if still:
            raise still[0]
    with ctx.step("bob's session has not: user.logout named alice", page=bobs):
        bobs.reload()
        try:
            expect_signed_in(bobs, stack, bob, path=stack.app.launch_lands_on())
        except AssertionError as exc:
            raise AssertionError(
                "bob is no longer signed in after a user.logout for alice: the app must end "
                f"only the sessions of the user (and installation) the event names\n{exc}"
            ) from exc
    log = NavigationLog(page)
    with ctx.step("the next launch runs SSO afresh and signs alice in again"):
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        # Entra's v1 (/oauth2/authorize) or v2 (/oauth2/v2.0/authorize) endpoint: a partner
        # app may use either.
        provider = urlsplit(stack.idp.base_url).netloc
        assert any(urlsplit(u).netloc == provider and is_authorize(u)
                   for u, _ in log.documents), (
            "the launch after the user.logout signed alice in without going through the "
            f"provider's authorize endpoint (v1 or v2): {log.documents}")
        assert any(log.visited(uri) for uri in stack.app.redirect_uris), log.documents
    with ctx.step("alice signs out at the IdP (picking her account): the platform sends "
                  "user.logout, the app accepts"):
        sign_out_at_idp(page, stack, alice)
        expect(IdpSignedOutPage(page).heading).to_be_visible()
        note = _only(stack.notifications("platform"), "platform")
        assert note["payload"]["type"] == "user.logout", note
        assert note["payload"]["data"]["installation_id"] == installation_id, note
        assert accepted(note), not_accepted("user.logout", note)
    with ctx.step("the app's session has ended and the next launch asks alice to sign in"):
        given_time_to_sign_out(stack, page)
        expect_signed_out(page, stack)
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())


@scenario(
    id="signout.backchannel",
    title="Signing out at the IdP ends the app's session through back-channel logout",
    proves="With the app's back-channel logout URI registered, the IdP's sign-out POSTs a "
    "logout token the app answers 200 (or 204), and the app's session ends with no browser "
    "involvement",
    tags={"signout"},
    needs={"customer-sso", "backchannel", "session-check"},
)
def backchannel(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    endpoint = stack.app.backchannel_uri
    with ctx.step("register the back-channel logout URI (and no front-channel URL)"):
        stack.update_app(backchannelLogoutUri=endpoint, web={"logoutUrl": None})
    with ctx.step("alice, signed in at her company, signs in to the app"):
        first_login_at_company(page, stack, alice)
    with ctx.step("alice signs out at the IdP, picking her account"):
        sign_out_at_idp(page, stack, alice)
        expect(IdpSignedOutPage(page).heading).to_be_visible()
    with ctx.step("the IdP POSTed a logout token and the app accepted it"):
        note = _only(stack.notifications("backchannel"), "back-channel")
        assert note["url"] == endpoint, note
        # OpenID Connect Back-Channel Logout 1.0 §2.8: 200 OK (204 is also accepted).
        status = note["status"]
        assert status in (200, 204), (
            f"the app answered HTTP {status} to the logout token POSTed to {endpoint}"
            + (": it has no back-channel logout endpoint there" if status in (404, 405)
               else ": it refused the logout token" if isinstance(status, int)
               else f": {note.get('error') or 'no answer'}"))
        assert stack.notifications("frontchannel") == [], "a front-channel frame was used"
    with ctx.step("the app's session has ended: the app asks the IdP to sign in again"):
        expect_signed_out(page, stack, why=" after the back-channel logout")
        expect_sign_in_asked(page, stack)


@scenario(
    id="signout.frontchannel",
    title="The IdP's signed-out page loads the app's logout URL, ending its session",
    proves="Signing out at the IdP renders the signed-out page with the app's front-channel "
    "logout URL (sid, iss) in an iframe; it loads, and the app's session ends",
    tags={"signout"},
    needs={"customer-sso", "frontchannel", "session-check"},
)
def frontchannel(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice, signed in at her company, signs in to the app"):
        first_login_at_company(page, stack, alice)
    prefix = stack.app.frontchannel_uri or ""
    answered: list[int] = []
    """The statuses the app's front-channel logout URL answered the frame with."""

    def note_answer(response: Response) -> None:
        if prefix and response.url.startswith(prefix) \
                and response.request.resource_type == "document":
            answered.append(response.status)

    page.on("response", note_answer)
    with ctx.step("alice signs out at the IdP, picking her account: the signed-out page loads "
                  "the app's logout URL"):
        page.goto(idp_logout_url(stack))
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/loaded")
        ) as loaded:
            confirm_sign_out_at_idp(page, alice)
        signed_out = IdpSignedOutPage(page)
        expect(signed_out.heading).to_be_visible()
        assert loaded.value.status == 204, f"frame load report answered {loaded.value.status}"
        expect(signed_out.logout_frames).to_have_count(1)
        src = signed_out.logout_frames.get_attribute("src") or ""
        assert src.startswith(stack.app.frontchannel_uri or ""), src
        assert "sid" in parse_qs(urlsplit(src).query), src
    with ctx.step("the notification is recorded as loaded"):
        note = _only(stack.notifications("frontchannel"), "front-channel")
        assert note["loaded_at"], f"the frame never reported loading: {note}"
    with ctx.step("the app's session has ended: the app asks the IdP to sign in again"):
        expect_signed_out(page, stack, why=_frontchannel_why(answered))
        expect_sign_in_asked(page, stack)


def _frontchannel_why(answered: list[int]) -> str:
    """Why the app's session is still there after the signed-out page loaded its front-channel
    logout URL, from the statuses the URL answered the frame with (a 404 is no endpoint
    there, as for the back-channel one)."""
    loaded = " after the provider's signed-out page loaded the app's front-channel logout URL"
    if not answered:
        return f"{loaded}: loading it did not end the app's session"
    status = answered[-1]
    if status in (404, 405):
        return f"{loaded}, which answered HTTP {status}: the app has no front-channel logout " \
               "endpoint there"
    if status >= 400:
        return f"{loaded}, which answered HTTP {status}: the app refused the logout request"
    return f"{loaded} (HTTP {status}): loading it did not end the app's session"


@scenario(
    id="signout.rp-initiated",
    title="Sign out in the app ends both the app's and the IdP session",
    proves="The app's sign-out ends its session, sends the browser to the IdP's end-session "
    "endpoint (with the parameters the profile expects, e.g. id_token_hint, "
    "post_logout_redirect_uri and state) and back to the app; the next visit needs the IdP "
    "sign-in page again",
    tags={"signout"},
    needs={"customer-sso", "rp-logout", "session-check"},
)
def rp_initiated(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    expected = stack.app.profile.sign_out.end_session_params
    sign_in = NavigationLog(page)
    with ctx.step("alice, signed in at her company, signs in to the app"):
        first_login_at_company(page, stack, alice)
    log = NavigationLog(page)
    with ctx.step("she signs out in the app (picking her account if the IdP asks): back on "
                  "the app's signed-out page"):
        stack.app.sign_out(page)
        if _provider_or_signed_out_page(page, stack, log) == "provider":
            confirm_sign_out_at_idp(page, alice)
        stack.app.expect_sign_out_page(page)
    with ctx.step("the IdP's end-session endpoint was visited with what the app must send"):
        # Entra's v1 end-session endpoint (/oauth2/logout, in the v1 discovery document that
        # MSAL-based apps read) ends the session just as the v2.0 one does. The app's own
        # sign-out URL is not it, whatever its path (django-auth-adfs's is /oauth2/logout).
        ends = end_session_requests(log, urlsplit(stack.idp.base_url).netloc,
                                    END_SESSION_PATHS, app_host=_app_host(stack))
        if not ends and not _at_provider(stack, log):
            raise AssertionError(_signed_out_locally(page, stack, log, sign_in))
        assert len(ends) == 1, f"expected one end-session request, saw {log.documents}"
        params = parse_qs(urlsplit(ends[0]).query)
        for name in expected:
            assert params.get(name), f"the end-session request has no {name}: {ends[0]}"
        if "post_logout_redirect_uri" in expected and stack.app.post_logout_redirect_uri:
            assert params["post_logout_redirect_uri"] == [stack.app.post_logout_redirect_uri], (
                params)
        if "state" in expected:
            back = parse_qs(urlsplit(page.url).query)
            assert back.get("state") == params["state"], f"state not returned: {page.url}"
    with ctx.step("the app's session has ended"):
        expect_signed_out(page, stack)
    with ctx.step("the next visit shows the IdP sign-in page: the IdP session ended too"):
        expect_sign_in_asked(page, stack)
        sign_in_at_idp(page, alice)
        expect_signed_in(page, stack, alice)


def _at_provider(stack: LiveStack, log: NavigationLog) -> bool:
    """Whether a document of the provider's (its host, or an end-session path) was loaded."""
    return at_provider(log, urlsplit(stack.idp.base_url).netloc, END_SESSION_PATHS,
                       app_host=_app_host(stack))


def _app_host(stack: LiveStack) -> str:
    """The app's host and port: its documents are never the provider's."""
    return urlsplit(stack.app.base_url).netloc


def _provider_or_signed_out_page(page: Page, stack: LiveStack, log: NavigationLog) -> str:
    """:func:`~scenarios.sign_out_wait.provider_or_signed_out_page` for the mock and the app's
    profile; a profile that does not say what the signed-out page looks like leaves the
    driver's wait (:meth:`~scenarios.drivers.EntraDriver.confirm_sign_out`) to decide."""
    return provider_or_signed_out_page(
        page, log, provider_host=urlsplit(stack.idp.base_url).netloc,
        end_session_paths=END_SESSION_PATHS, shows_signed_out=stack.app.shows_sign_out_page,
        app_host=_app_host(stack))


def _signed_out_locally(page: Page, stack: LiveStack, log: NavigationLog,
                        sign_in: NavigationLog) -> str:
    """The app's sign-out never sent the browser to the provider: what that leaves, and where
    the browser went instead. The end-session endpoint named is the one beside the authorize
    endpoint the app signed in at: an app that builds Entra's v1 endpoints from the tenant
    (oauthenticator's AzureAdOAuthenticator: ``{tenant}/oauth2/authorize``) reads no discovery
    document, and its endpoint is v1's ``/oauth2/logout``."""
    provider = urlsplit(stack.idp.base_url).netloc
    authorize = [urlsplit(u) for u, _ in sign_in.documents
                 if urlsplit(u).netloc == provider and is_authorize(u)]
    if authorize and not authorize[0].path.endswith("/v2.0/authorize"):
        start = authorize[0]
        end_session = f"{start.scheme}://{start.netloc}{start.path[:-len('/authorize')]}/logout"
        return signed_out_locally(
            page, log, end_session=end_session, person="alice",
            whence="Entra's v1 end-session endpoint, beside the v1 authorize endpoint the app "
                   "signed in at")
    return signed_out_locally(page, log, end_session=stack.provider_values()["end_session_url"],
                              person="alice")
