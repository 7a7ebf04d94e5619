"""Partner-app SSO: the platform installs the app, then its standalone URL signs users in; the
app refuses events the platform did not sign, takes a redelivered event in its stride and
stops serving an installation once it is uninstalled."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from scenarios import ScenarioContext, scenario
from scenarios.catalogue.partner_events import (
    MUST_CHECK_APP,
    accepted,
    answer_of,
    applied_in_turn,
    authorize_requests,
    expect_refused,
    given_time_to_sign_out,
    install_partner,
    installed_partner,
    not_accepted,
    send_foreign,
    send_logout,
)
from scenarios.flows import (
    NavigationLog,
    drop_app_session,
    expect_failure,
    expect_signed_in,
    expect_signed_out,
    launch_and_sign_in,
    launch_signed_in_at_company,
    oid_of,
    sign_in_at_idp,
    sign_in_by_redirects,
)
from scenarios.live import LiveStack
from scenarios.pages import IdpUsernamePage

if TYPE_CHECKING:
    from playwright.sync_api import Page

Ctx = ScenarioContext[LiveStack]


@scenario(
    id="partner.launch",
    title="app.installed, then the standalone URL logs the user in with no click",
    proves="The app accepts the signed app.installed event; the standalone URL starts the code "
    "flow at once, shows the IdP sign-in page only the first time, and with an IdP session "
    "lands in the app signed in by redirects alone",
    tags={"partner"},
    needs={"partner"},
)
def partner_launch(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the platform installs the app: the app accepts the signed app.installed"):
        installation_id = install_partner(stack)
    stored = stack.app.installations_text()
    if stored is not None:
        # What app.installed's data gives every partner app; the endpoints its links give are
        # the app's to show or not (the reference RP shows them, a listing need not).
        with ctx.step("the app's installations name the installation and its client id"):
            for what, fact in (("installation_id", installation_id),
                               ("client_id", stack.client_id)):
                assert fact in stored, (
                    f"the app's installations ([partner] installations) do not name the "
                    f"{what} {fact} of the app.installed it accepted: {stored[:500]}")
    log = NavigationLog(page)
    with ctx.step("first launch: the IdP sign-in once, then signed in"):
        launch_and_sign_in(page, stack, installation_id, alice)
        opened = log.pages_opened_from(stack.idp.base_url)
        assert len(opened) == 1, f"expected one provider sign-in, saw {opened}"
        app_pages = log.pages_shown_from(stack.app.base_url)
        assert len(app_pages) == 1, f"expected no app page before the IdP, saw {app_pages}"
    me = stack.app.me(page)
    if {"user_id", "installation_id"} & set(me):
        with ctx.step("the app names the platform user the IdP authenticated"):
            if "installation_id" in me:
                assert me["installation_id"] == installation_id, me
            if "user_id" in me:
                assert me["user_id"] == oid_of(stack, alice), me
    with ctx.step("a later launch with an IdP session signs in with no click and no page in "
                  "between"):
        drop_app_session(page, stack)
        log = sign_in_by_redirects(page, stack, alice,
                                   stack.app.launch_url(installation_id, oid_of(stack, alice)),
                                   path=stack.app.launch_lands_on())
        assert authorize_requests(log, stack.idp.base_url), (
            f"the launch did not go through the provider: {log.documents}")


@scenario(
    id="partner.hint-is-not-identity",
    title="A user-id hint naming someone else never signs in as that person",
    proves="Launching with bob's user id while alice has the IdP session never signs bob in: "
    "the hint reaches the provider as a hint at most, and whoever ends up signed in is alice",
    tags={"partner"},
    needs={"partner", "session-check"},
)
def hint_is_not_identity(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    passes_hint = stack.app.profile.partner is not None and (
        stack.app.profile.partner.passes_login_hint)
    with ctx.step("install the app; alice, signed in at her company, launches it"):
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
        drop_app_session(page, stack)
    log = NavigationLog(page)
    bob_oid = oid_of(stack, bob)
    with ctx.step("launch with bob's user id"):
        page.goto(stack.app.launch_url(installation_id, bob_oid))
        if passes_hint:
            IdpUsernamePage(page).heading.wait_for()
        else:
            page.wait_for_load_state()
        authorize = authorize_requests(log, stack.idp.base_url)
        assert authorize, f"the launch did not go to the provider: {log.documents}"
        if passes_hint:
            hint = parse_qs(urlsplit(authorize[0]).query).get("login_hint")
            assert hint == [bob_oid], f"the hint was not passed on as a hint only: {hint}"
            stack.app.expect_signed_out(page, why=" before the IdP authenticated anyone")
    if IdpUsernamePage(page).heading.is_visible():
        with ctx.step("the IdP asks who is signing in: alice, at the keyboard, signs in"):
            sign_in_at_idp(page, alice)
    with ctx.step("the signed-in user is alice, not bob"):
        try:
            expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        except AssertionError as exc:
            _not_the_hinted(page, stack, bob_oid, exc)
            raise
        _not_the_hinted(page, stack, bob_oid, None)


def _not_the_hinted(page: Page, stack: LiveStack, bob_oid: str, failed: AssertionError | None
                    ) -> None:
    """Fails naming the hint when the app signed bob in, the person the launch's user-id hint
    named, though alice authenticated at the provider: by its ``me_url`` (his platform user
    id, address or name) or, when the check that alice is signed in ``failed``, by the page
    showing his name. A ``me_url`` that cannot be read then leaves that failure as it is."""
    bob = stack.people["bob"]
    try:
        me = stack.app.me(page)
    except Exception:
        if failed is None:
            raise
        me = {}  # (a non-JSON answer, a closed page): the check's own failure says more
    names_bob = {"user_id": bob_oid, "email": bob.upn, "name": bob.name}
    shown = [f"{key} {me[key]!r}" for key, value in names_bob.items()
             if (me.get(key) or "").lower() == value.lower()]
    if not shown and failed is not None and bob.name in str(failed):
        shown = [f"the page shows {bob.name!r}"]
    if shown:
        raise AssertionError(
            f"the app signed in bob ({', '.join(shown)}), the person the launch URL's user-id "
            "hint named, though alice authenticated at the provider: the hint "
            "(talkdesk_user_id) must never decide who is signed in; take the user from the "
            "installation's userinfo link (users/me) with the user's own token"
            + ("" if failed is None else f"\n{failed}")) from failed


@scenario(
    id="partner.forged-event",
    title="Events the platform did not sign, or signed for another app, change nothing",
    proves="With alice signed in, a well-formed user.logout for her signed with a key the "
    "platform does not publish, the same event with no signature at all, and an "
    "app.uninstalled whose body changed after signing, are each refused with a 4xx (the "
    "mock's delivery log) and not applied; a user.logout for her and an app.installed for the "
    "installation (with other credentials) that the platform signed but that name another "
    "partner app's app_id are not applied either: alice stays signed in and a launch still "
    "signs her in through the installation's own client, also once a genuine user.logout for "
    "bob sent after them all has ended his session (an app that applies events a moment "
    "later, in order, has had its turn at every one by then)",
    tags={"partner"},
    needs={"partner", "session-check"},
)
def forged_event(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    with ctx.step("install the app; alice, signed in at her company, launches it"):
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
    bobs = ctx.new_context().new_page()
    with ctx.step("in another browser, bob launches it too: his user.logout, sent after the "
                  "events below, tells when the app has had its turn at them", page=bobs):
        launch_signed_in_at_company(bobs, stack, installation_id, bob)
    with ctx.step("a user.logout for alice signed with a key the platform does not publish: "
                  "the app refuses it"):
        expect_refused(stack, installation_id, "user.logout", "unknown_key",
                       user_id=oid_of(stack, alice), user_email=alice.upn)
    with ctx.step("alice is still signed in"):
        page.reload()
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
    with ctx.step("a user.logout for alice with no signature headers: the app refuses it"):
        expect_refused(stack, installation_id, "user.logout", "unsigned",
                       user_id=oid_of(stack, alice), user_email=alice.upn)
    with ctx.step("alice is still signed in"):
        page.reload()
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
    with ctx.step("a user.logout for alice, signed by the platform but naming another partner "
                  "app's app_id: the app does not apply it"):
        foreign = send_foreign(stack, installation_id, "user.logout",
                               user_id=oid_of(stack, alice), user_email=alice.upn)
        page.reload()
        try:
            expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        except AssertionError as exc:
            raise AssertionError(
                f"alice is no longer signed in after a user.logout for her naming another "
                f"partner app's app_id ({foreign['event']['app_id']}), which the app answered "
                f"{answer_of(foreign['delivery'])}: {MUST_CHECK_APP}\n{exc}") from exc
    with ctx.step("an app.uninstalled changed after signing: the app refuses it"):
        expect_refused(stack, installation_id, "app.uninstalled", "tampered")
    with ctx.step("an app.installed for the installation, signed by the platform but naming "
                  "another partner app's app_id and carrying that app's credentials"):
        foreign = send_foreign(stack, installation_id, "app.installed")
        other_client = foreign["event"]["data"]["client_id"]
        stored = stack.app.installations_text()
        assert stored is None or other_client not in stored, (
            f"the app's installations hold the client id {other_client} of an app.installed "
            f"naming another partner app's app_id ({foreign['event']['app_id']}), which it "
            f"answered {answer_of(foreign['delivery'])}: {MUST_CHECK_APP}")
    with ctx.step("the platform sends user.logout for bob, and the app applies it: it has had "
                  "its turn at every event before it", page=bobs):
        send_logout(stack, installation_id, oid_of(stack, bob), bob.upn)
        applied_in_turn(bobs, stack, "a user.logout for bob")
    with ctx.step("alice is still signed in, and a launch still signs her in through the "
                  "installation's own client"):
        late = ("once the app had applied a user.logout for bob sent after the events above: "
                "it applied one of them after answering it, such as the user.logout for her "
                f"naming another partner app's app_id: {MUST_CHECK_APP}")
        stored = stack.app.installations_text()
        assert stored is None or other_client not in stored, (
            f"the app's installations hold the client id {other_client} of an app.installed "
            f"naming another partner app's app_id {late}")
        page.reload()
        try:
            expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        except AssertionError as exc:
            raise AssertionError(f"alice is no longer signed in {late}\n{exc}") from exc
        drop_app_session(page, stack)
        log = NavigationLog(page)
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        clients = [parse_qs(urlsplit(u).query).get("client_id", [""])[0]
                   for u in authorize_requests(log, stack.idp.base_url)]
        assert other_client not in clients, (
            f"the launch sent alice to the provider as the client {other_client}, which an "
            f"app.installed naming another partner app's app_id carried: the app replaced the "
            f"installation's credentials with another app's: {MUST_CHECK_APP}")
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())


@scenario(
    id="partner.event-redelivered",
    title="app.installed delivered twice is answered 2xx both times and applied once",
    proves="The platform delivers at least once: the same app.installed sent again is answered "
    "2xx, the app's installations show the installation no more often than before, and a "
    "launch signs alice in; the installations are counted again (when the app tells whether "
    "alice is signed in) once a genuine user.logout for her, sent after the redelivery, has "
    "ended her session: an app that applies events a moment later, in order, has had its turn "
    "at the redelivery by then",
    tags={"partner"},
    needs={"partner"},
)
def event_redelivered(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the platform installs the app: the app accepts the signed app.installed"):
        installed = installed_partner(stack)
        installation_id = str(installed["installation"]["installation_id"])
        before = stack.app.installations_text()
    with ctx.step("the platform delivers the same app.installed again: the app answers 2xx"):
        event_id = installed["event"]["id"]
        answer = stack.http.post(stack.idp_url(f"/_mock/events/{event_id}/redeliver"))
        assert answer.status_code == 200, f"the mock did not redeliver: {answer.text}"
        again = answer.json()["delivery"]
        assert accepted(again), (
            "the app answered the redelivered app.installed (the same event id) with "
            f"{answer_of(again)}: the platform delivers at least once, so an event may come "
            "twice; answer it 2xx and apply it once")
    if before is None:
        with ctx.step("not checked: whether the redelivery was applied once (the profile has no "
                      "[partner] installations URL to read the app's installations)"):
            pass
    else:
        with ctx.step("the app's installations show the installation as often as before"):
            _applied_once(stack, installation_id, before, "")
    with ctx.step("a launch signs alice in"):
        launch_and_sign_in(page, stack, installation_id, alice)
    if before is not None and "session-check" in stack.app.capabilities:
        with ctx.step("the platform sends user.logout for alice, and the app applies it: it has "
                      "had its turn at the redelivery before it"):
            send_logout(stack, installation_id, oid_of(stack, alice), alice.upn)
            applied_in_turn(page, stack, "a user.logout for alice")
        with ctx.step("the app's installations still show the installation as often as before"):
            _applied_once(stack, installation_id, before,
                          " once the app had applied a user.logout for alice sent after it")
    elif before is not None:
        with ctx.step("not checked: whether the redelivery was applied once in an app that "
                      "applies events a moment later (the profile does not say how to tell "
                      "whether alice is signed in, which a user.logout sent after it would "
                      "show)"):
            pass


def _applied_once(stack: LiveStack, installation_id: str, before: str, when: str) -> None:
    """The app's installations show the installation as often as ``before`` the redelivery
    (``when``: when that is judged, for the message)."""
    after = stack.app.installations_text() or ""
    assert after.count(installation_id) == before.count(installation_id), (
        f"the installation appears {after.count(installation_id)} times in the app's "
        f"installations after the redelivery, {before.count(installation_id)} before{when}: "
        f"the redelivered app.installed was applied again: {after[:500]}")


@scenario(
    id="partner.uninstalled",
    title="After app.uninstalled, sessions end and a launch ends on the failure page",
    proves="The platform uninstalls the app: the app accepts app.uninstalled, alice's session "
    "through that installation ends (within [partner] acknowledgement_wait: an app may apply "
    "the event a moment after answering it), and launching it shows the failure page with the "
    "support contact without sending the browser to the provider's authorize endpoint",
    tags={"partner"},
    needs={"partner", "failure-page", "session-check"},
)
def uninstalled(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("install the app; alice, signed in at her company, launches it"):
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
    with ctx.step("the platform uninstalls the app: the app accepts app.uninstalled"):
        answer = stack.http.delete(stack.idp_url(f"/_mock/installations/{installation_id}"))
        assert answer.status_code == 200, f"the mock did not uninstall: {answer.text}"
        delivery = answer.json()["delivery"]
        assert accepted(delivery), not_accepted("app.uninstalled", delivery)
    with ctx.step("alice's session has ended"):
        given_time_to_sign_out(stack, page)
        expect_signed_out(page, stack, why=" after app.uninstalled for her installation")
    log = NavigationLog(page)
    with ctx.step("a launch ends on the failure page with the support contact, and no "
                  "sign-in starts at the provider"):
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        # The contact the app shows for a launch it cannot serve (an unknown installation).
        contact = stack.app.profile.contact_for("unknown-installation")
        try:
            expect_failure(page, stack, contact=contact)
        finally:  # a sign-in the provider refused may end on a failure page too
            started = authorize_requests(log, stack.idp.base_url)
            assert not started, (
                f"the launch of the uninstalled installation started a sign-in at the provider "
                f"({started[0]}): after app.uninstalled the app must refuse the launch itself, "
                "not rely on the provider refusing the installation's client")
