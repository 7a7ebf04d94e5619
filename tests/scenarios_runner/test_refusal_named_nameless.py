"""A signed-in check that misses the person's name still names the provider's refusal of one
of the app's requests, as every other check of the app's page does; the note on a scope
without ``profile`` comes in addition, not instead (:func:`scenarios.flows._naming_refusal`).
The note on Graph's own host is not given for a Graph scope the app printed."""

from __future__ import annotations

import pytest
from asgi_client import AppClient

from scenarios.refusals import graph_host_note
from tests.scenarios_runner.test_refusal_named import (  # noqa: F401 (provider: a fixture)
    nameless_message,
    provider,
    wrong_secret,
)

REFUSED = "; the provider had refused the app's token request: 'AADSTS7000215"


def test_a_name_missing_after_a_refused_request_names_the_refusal(provider: AppClient  # noqa: F811
                                                                  ) -> None:
    wrong_secret(provider)
    first, *_ = nameless_message(provider, "openid profile").splitlines()
    assert REFUSED in first, first


def test_the_refusal_and_a_scope_without_profile_are_both_named(provider: AppClient  # noqa: F811
                                                                ) -> None:
    wrong_secret(provider)
    first, *_ = nameless_message(provider, "openid email").splitlines()
    assert REFUSED in first, first
    assert "; the app asked the v2.0 authorize endpoint for scope 'openid email' without " \
           "profile" in first, first


@pytest.mark.parametrize("scope", [
    "scope: ['https://graph.microsoft.com/User.Read', 'offline_access']",
    "GET /authorize?scope=openid+https%3A%2F%2Fgraph.microsoft.com%2FMail.ReadWrite.Shared",
    "token for https://graph.microsoft.com/.default"])
def test_a_graph_scope_in_the_output_is_no_call_to_graphs_host(scope: str) -> None:
    # MSAL apps ask for Graph's scopes by its resource URI, of the mock as of Entra: printing
    # them names no call to graph.microsoft.com, which the note would blame.
    assert graph_host_note([], f"{scope}\nnonce mismatch") == ""
    assert graph_host_note([], f"{scope}\nConnectionError: host='graph.microsoft.com'") != ""
