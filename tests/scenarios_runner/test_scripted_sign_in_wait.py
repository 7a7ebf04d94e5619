"""Following a sign-in URL. ``await_scripted_sign_in``: the wait for a sign-in that the app's
page starts by script ends as soon as the browser's log holds a document of the provider's,
even one that came while the wait was looking, not only one that came before it started.

A provider that answers by redirects alone (a session it holds) commits no URL of its own, so
the URL wait never sees it; an app that then shows its failure page shows no one signed in. A
wait that read the log only once kept polling until the driver's whole timeout (10 s) in each
such scenario (a failure scenario of an app whose sign-in a script or a click starts).
``open_sign_in`` marks when the sign-in started, as ``goto_sign_in`` does."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scenarios.flows import await_scripted_sign_in

PROVIDER = "http://127.0.0.1:8701"


APP = "http://127.0.0.1:8599"
AUTHORIZE = f"{PROVIDER}/t/oauth2/v2.0/authorize?x=1"


class _Page:
    """A page on the app's sign-in page whose script's sign-in logs ``arriving`` during the
    first look; its URL commits at the provider at look ``commits_at`` (never: ``None``)."""

    def __init__(self, arriving: list[tuple[str, int]], commits_at: int | None) -> None:
        self.log = SimpleNamespace(documents=[(f"{APP}/login", 200)])
        self.arriving, self.commits_at = arriving, commits_at
        self.looks = 0

    def wait_for_url(self, *args: object, **kwargs: object) -> None:
        self.looks += 1
        if self.looks == 1:
            self.log.documents += self.arriving
        if self.looks == self.commits_at:
            return
        if self.looks > 3:
            raise AssertionError("still polling after the provider's documents were logged")
        raise PlaywrightTimeoutError("no commit at the provider")

    def waited(self) -> int:
        stack = SimpleNamespace(idp=SimpleNamespace(base_url=PROVIDER),
                                app=SimpleNamespace(shows_signed_in_now=lambda page: False))
        await_scripted_sign_in(cast(Any, self), cast(Any, stack), cast(Any, self.log))
        return self.looks


def test_the_wait_ends_once_the_log_holds_the_providers_redirect() -> None:
    page = _Page([(AUTHORIZE, 302), (f"{APP}/callback?code=c", 302), (f"{APP}/failed", 200)],
                 commits_at=None)
    assert page.waited() == 1


def test_a_page_of_the_providers_is_waited_for_until_it_commits() -> None:
    """A page of the provider's ("Pick an account") is answered next, by a driver that reads
    the page the browser shows: the wait must not end while the browser still shows the app's
    page, its document logged but not yet committed."""
    assert _Page([(AUTHORIZE, 200)], commits_at=2).waited() == 2


def test_a_provider_that_answered_by_redirects_before_the_wait_is_not_waited_for() -> None:
    """``failure.idp-down``'s shape: the sign-in URL went through the provider, whose redirect
    is the log's last document (the app dropped the connection at its callback)."""
    page = _Page([], commits_at=None)
    page.log.documents += [(AUTHORIZE, 302)]
    assert page.waited() == 0


def test_a_page_of_the_providers_that_never_commits_ends_the_wait_a_look_later() -> None:
    """A provider's form_post page whose post the app dropped: the browser never shows the
    provider's URL again, and the wait ends without the driver's whole timeout."""
    assert _Page([(AUTHORIZE, 200)], commits_at=None).waited() == 2


def test_open_sign_in_marks_when_the_sign_in_started() -> None:
    """A failure names the provider's refusals since the browser last followed a sign-in URL
    (``stack.sign_in_started``): by ``open_sign_in`` (a sign-in with a password, the v1 and
    sign-out scenarios') as by ``goto_sign_in``, or an earlier part's refusal (a secret that
    expired and was renewed since) is named as this sign-in's cause."""
    from scenarios.goto import open_sign_in

    opened: list[str] = []
    page = SimpleNamespace(goto=opened.append, on=lambda event, listener: None,
                           remove_listener=lambda event, listener: None)
    stack = SimpleNamespace(sign_in_started=1.0,
                            app=SimpleNamespace(start_sign_in=lambda page, url: False))
    before = time.time()
    open_sign_in(cast(Any, page), cast(Any, stack), "http://127.0.0.1:8599/login")
    assert opened == ["http://127.0.0.1:8599/login"]
    assert stack.sign_in_started >= before
