"""When an unsigned ID token may be trusted: Entra's v1.0 token endpoint over https only."""

from __future__ import annotations

import pytest
from rp_oidc_testkit import id_claims, rsa_key, sign, unsigned

from relying_party.oidc.unsigned import (
    UnsignedIdTokenOverHttp,
    is_entra_v1_token_endpoint,
    refuse_unsigned_over_http,
    unsigned_trusted,
)

TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"


@pytest.mark.parametrize("url, v1, trusted", [
    (f"https://login.microsoftonline.com/{TENANT}/oauth2/token", True, True),
    ("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token/", True, True),
    (f"http://localhost:8400/{TENANT}/oauth2/token", True, False),
    (f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token", False, False),
    ("https://idp.example/oauth2/token/extra", False, False),
    ("https://idp.example/token", False, False),
])
def test_only_entra_v1_token_endpoints_over_https_are_trusted(url: str, v1: bool,
                                                              trusted: bool) -> None:
    assert is_entra_v1_token_endpoint(url) is v1
    assert unsigned_trusted(url) is trusted


def test_an_unsigned_token_over_http_from_v1_names_the_fix() -> None:
    with pytest.raises(UnsignedIdTokenOverHttp) as caught:
        refuse_unsigned_over_http(f"http://localhost:8400/{TENANT}/oauth2/token",
                                  unsigned(id_claims()))
    assert caught.value.code == "id_token_unsigned_over_http"
    assert caught.value.admin_hint and "v2.0 endpoints" in caught.value.admin_hint


@pytest.mark.parametrize("url, token", [
    (f"https://localhost:8443/{TENANT}/oauth2/token", unsigned(id_claims())),
    (f"http://localhost:8400/{TENANT}/oauth2/v2.0/token", unsigned(id_claims())),
    (f"http://localhost:8400/{TENANT}/oauth2/token", sign(id_claims(), rsa_key("k"))),
    (f"http://localhost:8400/{TENANT}/oauth2/token", "not a token"),
], ids=["unsigned-over-https", "unsigned-from-v2", "signed-over-http", "not-a-token"])
# (ids of their own: a token made at collection carries the time, and pytest-xdist's workers
# must collect the same ids)
def test_other_cases_are_left_to_the_signature_checks(url: str, token: str) -> None:
    refuse_unsigned_over_http(url, token)
