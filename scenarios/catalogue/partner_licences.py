"""Licences of a partner app: authentication does not imply authorization. The platform's
``app.updated`` tells the app which of its users gained or lost the app's licence; a user
whose licence was taken signs in at the provider as before, and the app must refuse them with
its failure page (the partner-sso.md reference, b.5 step 4 and b.9's failure variants). The
licence checked is that of the user the provider authenticated: the launch URL's user id is a
hint anyone can change (b.5), so naming a licensed user there changes nothing.

An app may answer ``app.updated`` at once and apply it a moment later, from a queue: a launch
that does not yet show the change is tried again, with the app's session it made dropped and
the provider's kept, until ``[partner] acknowledgement_wait`` seconds after the app accepted
the event (:func:`in_time`). An app that applies it as it answers passes at the first launch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import ScenarioContext, scenario
from scenarios.catalogue.partner_events import (
    acknowledgement_wait,
    install_partner,
    update_licences,
)
from scenarios.flows import (
    drop_app_session,
    expect_failure,
    launch_and_sign_in,
    oid_of,
    sign_in_at_idp,
    sign_in_by_redirects,
    sign_in_if_asked,
)
from scenarios.live import LiveStack

if TYPE_CHECKING:
    from playwright.sync_api import Page

Ctx = ScenarioContext[LiveStack]


def in_time(page: Page, stack: LiveStack, launch: Callable[[], object], *, since: float,
            update: str, first: Callable[[], object] | None = None) -> None:
    """Runs ``first`` (by default ``launch``: a launch and its check) and, while it fails and
    :func:`acknowledgement_wait` seconds since ``since`` (the ``time.monotonic()`` at which the
    app accepted ``app.updated``) have not passed, drops the app's session in ``page`` (the
    provider's stays) and runs ``launch``: the app may apply the event a moment after
    accepting it, from a queue. The last failure is raised, saying so and what the
    ``app.updated`` did (``update``)."""
    wait = acknowledgement_wait(stack)
    attempt = first or launch
    while True:
        try:
            attempt()
            return
        except AssertionError as exc:
            if time.monotonic() - since >= wait:
                raise AssertionError(
                    f"{exc}\n(and so did every launch for {wait:g} s after the app accepted "
                    f"the app.updated that {update})") from exc
        drop_app_session(page, stack)
        attempt = launch


@scenario(
    id="failure.unlicensed-user",
    title="A launch by a user whose licence the platform took ends on the failure page",
    proves="The platform takes alice's licence for the installed app (app.updated): the app "
    "accepts the event, and when alice launches the app and signs in at the provider it shows "
    "its failure page with the support contact, not the app (within [partner] "
    "acknowledgement_wait: an app may apply the event a moment after answering it, so a launch "
    "it let in before is tried again), and so it does when her launch URL "
    "names bob, who holds a licence, as the user (the hint is not who signed in); bob, who "
    "kept his, signs in; once the platform gives alice's licence back, her next launch (within "
    "that wait too) signs her in with no click",
    tags={"partner"},
    needs={"partner", "failure-page"},
)
def unlicensed_user(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    with ctx.step("the platform installs the app"):
        installation_id = install_partner(stack)
    alice_id = oid_of(stack, alice)
    launch_url = stack.app.launch_url(installation_id, alice_id)
    with ctx.step("the platform takes alice's licence (app.updated): the app accepts it"):
        update_licences(stack, installation_id, removing=[alice_id])
        taken = time.monotonic()

    def refused() -> None:
        page.goto(launch_url)
        sign_in_if_asked(page, stack, alice)
        expect_failure(page, stack, "unlicensed-user")

    with ctx.step("alice launches the app and signs in at the provider: the failure page "
                  "appears"):
        page.goto(launch_url)
        sign_in_at_idp(page, alice)
        in_time(page, stack, refused, since=taken,
                update=f"took alice's licence (data.users.removing: [{alice_id!r}])",
                first=lambda: expect_failure(page, stack, "unlicensed-user"))
    bob_id = oid_of(stack, bob)
    with ctx.step("alice launches the app with bob's user id in the launch URL and signs in "
                  "at the provider as herself: the failure page appears again"):
        page.goto(stack.app.launch_url(installation_id, bob_id))
        sign_in_if_asked(page, stack, alice)
        try:
            expect_failure(page, stack, "unlicensed-user")
        except AssertionError as exc:
            raise AssertionError(
                "alice, whose licence the platform took, got past the licence check with bob's "
                "user id in the launch URL: the app must check the licence of the user the "
                "provider authenticated (the platform's users/me), never the launch URL's "
                f"user id, which is only a hint\n{exc}") from exc
    other = ctx.new_context().new_page()
    with ctx.step("bob, whose licence the platform left alone, launches the app in his own "
                  "browser and is signed in", page=other):
        launch_and_sign_in(other, stack, installation_id, bob)
    with ctx.step("the platform gives alice her licence back: her next launch signs her in "
                  "with no click and no page in between"):
        update_licences(stack, installation_id, adding=[alice_id])
        in_time(page, stack, lambda: sign_in_by_redirects(
            page, stack, alice, launch_url, path=stack.app.launch_lands_on()),
            since=time.monotonic(),
            update=f"gave alice's licence back (data.users.adding: [{alice_id!r}])")
