"""What ``auto-login.v1-endpoints`` adds to a failed sign-in: the app was handed Entra's v1
endpoints because its profile names templates the scenario switches, and how to mark a
v2.0-only app instead (README, "A v2.0-only app")."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from scenarios.app import load_profile
from scenarios.catalogue.entra_v1 import REFUSAL, _v2_only_advice

TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
IDP = "https://localhost:4443"
APP = "http://127.0.0.1:3000"

PROFILE = """\
name = "An Auth.js app"

[app]
command = ["node", "server.js"]

[app.env]
AUTH_MICROSOFT_ENTRA_ID_ISSUER = "{issuer}"
NODE_EXTRA_CA_CERTS = "{ca_file}"

[provider]
redirect_uris = "{base_url}/auth/callback/microsoft-entra-id"

[sign_in]
urls = { login = "/login" }

[signed_in]
me_url = "/me"
"""


def _stack(tmp_path: Path) -> Any:
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE), encoding="utf-8")
    authority = f"{IDP}/{TENANT}"
    values = {"issuer": f"{authority}/", "discovery_url": f"{authority}/.well-known/"
              "openid-configuration", "authorize_url": f"{authority}/oauth2/authorize",
              "token_url": f"{authority}/oauth2/token"}
    return SimpleNamespace(provider_values=lambda: values, authority=authority, tenant_id=TENANT,
                           idp=SimpleNamespace(base_url=IDP),
                           app=SimpleNamespace(profile=load_profile(path)))


def _log(*urls: str) -> Any:
    return cast(Any, SimpleNamespace(documents=[(url, 200) for url in urls]))


def test_an_app_that_never_reached_the_provider_is_told_what_it_was_handed_and_what_to_write(
        tmp_path: Path) -> None:
    advice = _v2_only_advice(_stack(tmp_path), _log(f"{APP}/login", f"{APP}/auth-error"))
    assert advice.startswith("On Entra's v1 endpoints the app never sent the browser to the "
                             "provider: it failed before, on the v1 settings it was given. ")
    assert ("the profile gives it [app.env] AUTH_MICROSOFT_ENTRA_ID_ISSUER = {issuer} "
            f"({IDP}/{TENANT}/ here)") in advice
    assert f"names https://sts.windows.net/{TENANT}/ as its issuer" in advice
    assert ("write those settings from {authority} instead (in [app.env] "
            "AUTH_MICROSOFT_ENTRA_ID_ISSUER, {authority}/v2.0 for {issuer}): the profile then "
            "lacks v1-endpoints and the entra-v1 scenarios are skipped") in advice


def test_an_app_that_reached_the_provider_is_told_it_did_not_sign_in(tmp_path: Path) -> None:
    advice = _v2_only_advice(_stack(tmp_path), _log(
        f"{APP}/login", f"{IDP}/{TENANT}/oauth2/authorize?client_id=x", f"{APP}/auth-error"))
    assert advice.startswith("On Entra's v1 endpoints the app did not sign alice in with the "
                             "v1 settings it was given. "), advice
    assert "{authority}/v2.0 for {issuer}" in advice


def test_the_http_refusal_scenario_says_what_it_wanted_and_what_to_write(
        tmp_path: Path) -> None:
    """``failure.v1-unsigned-over-http`` gives the same advice when the app, handed the v1
    endpoints, did not end on its failure page for the unsigned ID token."""
    advice = _v2_only_advice(_stack(tmp_path), _log(
        f"{APP}/login", f"{IDP}/{TENANT}/oauth2/authorize?client_id=x", f"{APP}/auth-error"),
        wanted=REFUSAL)
    assert advice.startswith("On Entra's v1 endpoints the app did not refuse alice's unsigned "
                             "ID token on its failure page with the v1 settings it was "
                             "given. "), advice
    assert "in [app.env] AUTH_MICROSOFT_ENTRA_ID_ISSUER, {authority}/v2.0 for {issuer}" in advice


def test_an_app_whose_profile_writes_the_v1_endpoints_out_is_not_told_to_write_v2(
        tmp_path: Path) -> None:
    """Flask-AppBuilder's ``azure`` provider is on Entra's v1 endpoints alone (it sends a
    ``resource``): its profile writes them from {authority}, and a failure there must not
    advise v2.0 settings the app cannot take."""
    stack = _stack(tmp_path)
    path = tmp_path / "fab.toml"
    path.write_text(PROFILE.replace(
        'AUTH_MICROSOFT_ENTRA_ID_ISSUER = "{issuer}"',
        'AZURE_TOKEN_URL = "{authority}/oauth2/token"'), encoding="utf-8")
    stack.app.profile = load_profile(path)
    advice = _v2_only_advice(stack, _log(f"{APP}/login", f"{IDP}/{TENANT}/oauth2/authorize"))
    assert advice == ("On Entra's v1 endpoints the app did not sign alice in with the v1 "
                      "settings it was given. The profile writes Entra's v1 endpoints out "
                      "({authority}/oauth2/token), so the app is on them in every scenario: "
                      f"v1's discovery document names https://sts.windows.net/{TENANT}/ as its "
                      "issuer, and its token endpoint returns ID tokens unsigned and without "
                      "preferred_username"), advice
