"""A failure page that never came because the app failed on Microsoft Graph's own host first
names that host, as a sign-in that failed there does (:func:`scenarios.flows._naming_refusal`):
better-auth 1.7's ``microsoft`` provider fetches the person's photo from
``https://graph.microsoft.com`` before it reads the ID token, so every refused sign-in of the
catalogue ended on its bare 500 with only "the failure page does not show the support
contact"."""

from __future__ import annotations

from typing import Any, cast

import pytest
from asgi_client import AppClient

from scenarios import flows
from scenarios.app.failure_page import ACCEPTED
from tests.scenarios_runner.test_refusal_named import (  # noqa: F401 (provider: a fixture)
    GRAPH_DOWN,
    SHOWN,
    provider,
    stack,
    wrong_secret,
)

BETTER_AUTH = ("# SERVER_ERROR:  TypeError: fetch failed\n"
               "    at async Object.getUserInfo (file:///app/node_modules/@better-auth/core/dist/"
               "social-providers/microsoft-entra-id.mjs:108:59)\n"
               "  [cause]: Error: getaddrinfo ENOTFOUND graph.microsoft.com")


def failure_message(provider: AppClient, output: str, message: str = SHOWN  # noqa: F811
                    ) -> str:
    printed = stack(provider, message)
    cast(Any, printed).app_output = lambda lines: output
    with pytest.raises(AssertionError) as caught:
        flows.expect_failure(cast(Any, None), printed, "bad-signature")
    return str(caught.value)


def test_a_failure_page_kept_away_by_graph_s_own_host_names_graph_url(provider: AppClient  # noqa: F811
                                                                       ) -> None:
    first, *_ = failure_message(provider, GRAPH_DOWN).splitlines()
    assert first.startswith(SHOWN), first
    assert first.endswith(
        "; the app's output or page names graph.microsoft.com, Microsoft Graph's own host, "
        "which the mock does not answer (nor may this machine reach it): hand the app "
        "{graph_url} in [app.env] and have it call Microsoft Graph there"), first


def test_better_auth_is_told_its_setting_not_graph_url(provider: AppClient  # noqa: F811
                                                       ) -> None:
    # better-auth's microsoft provider takes no Graph host: disableProfilePhoto is the way out
    first, *_ = failure_message(provider, BETTER_AUTH).splitlines()
    assert first.endswith(
        "(nor may this machine reach it): set better-auth's disableProfilePhoto: true (its "
        "microsoft provider fetches the person's photo there and takes no other host for it; "
        "or a getUserInfo of your own)"), first


def test_a_refusal_is_named_instead_of_graph_s_host(
        provider: AppClient) -> None:  # noqa: F811
    wrong_secret(provider)
    first, *_ = failure_message(provider, BETTER_AUTH).splitlines()
    assert "; the provider had refused the app's token request" in first, first
    assert "graph.microsoft.com" not in first, first


def test_an_app_that_signed_the_person_in_gets_no_graph_note(provider: AppClient  # noqa: F811
                                                             ) -> None:
    # the app got past Graph's host: that host did not keep the failure page away
    accepted = f"the failure page did not appear: no 'Sign-in failed'; {ACCEPTED}, and …"
    with pytest.raises(AssertionError) as caught:
        flows.expect_failure(cast(Any, None), stack(provider, accepted), "bad-signature")
    assert str(caught.value) == accepted
    assert failure_message(provider, BETTER_AUTH, accepted) == accepted
    assert failure_message(provider, "nonce mismatch") == SHOWN
