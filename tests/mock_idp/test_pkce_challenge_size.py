"""A PKCE ``code_challenge`` of a size no verifier can answer is refused at the authorization
endpoint with AADSTS501491, before a sign-in page keeps it: 43 characters for ``S256`` (a
padded 44 too), 43 to 128 for ``plain``."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, auth_params, page_kind, paths, redirect_params

from mock_idp.protocol.pkce import s256

AUTHORIZE = paths(TENANT, "2.0")["authorize"]
CHALLENGE = s256("v" * 43)  # fixed: parameters are the same in every test worker


@pytest.mark.parametrize("challenge, method", [
    (CHALLENGE + "=", "S256"), (CHALLENGE[:42], "S256"), ("c" * 4000, "S256"),
    ("p" * 42, "plain"), ("p" * 129, "plain"), ("p" * 4000, None),
])
def test_a_challenge_of_the_wrong_size_is_501491(client: AppClient,
                                                 challenge: str, method: str | None) -> None:
    response = client.get(AUTHORIZE, params=auth_params(
        code_challenge=challenge, code_challenge_method=method))
    params = redirect_params(response)
    assert params["error"] == "invalid_request"
    assert params["error_description"].startswith(
        "AADSTS501491: Invalid size of Code_Challenge parameter.")
    assert params["state"] == "st-1"
    assert len(client.app.state.idp.store.pending) == 0


@pytest.mark.parametrize("challenge, method", [
    (CHALLENGE, "S256"), ("p" * 43, "plain"), ("p" * 128, "plain"), ("p" * 128, None),
])
def test_a_challenge_of_a_size_its_method_answers_goes_on(client: AppClient, challenge: str,
                                                          method: str | None) -> None:
    page = client.get(AUTHORIZE, params=auth_params(
        code_challenge=challenge, code_challenge_method=method))
    assert page.status_code == 200 and page_kind(page) == "username"
