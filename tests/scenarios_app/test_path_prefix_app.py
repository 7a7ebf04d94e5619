"""An app under a path prefix (``base_url = "http://app.test/app"``): where a sign-in lands is
a path under that base, whether written from it (``/account``, a profile's ``lands_on``) or
read from a protected URL (``/app/account``), never ``/app/app/account``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import httpx
import pytest
from playwright.sync_api import Browser

from scenarios.app import load_profile
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.interface import Someone
from scenarios.app.servers import AppServer

pytestmark = pytest.mark.browser

PROFILE = """\
[app]
base_url = "http://app.test/app"

[provider]
redirect_uris = "{base_url}/callback"

[sign_in]
protected_urls = ["/account"]

[signed_in]
text = "Signed in as {name}"
"""
ALICE = cast(Someone, SimpleNamespace(name="Alice Adams", upn="alice@contoso.example"))


class _Server:
    base_url = "http://app.test/app"


def _adapter(tmp_path: Path) -> ProfileAdapter:
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(PROFILE), encoding="utf-8")
    return ProfileAdapter(load_profile(path), cast(AppServer, _Server()), {}, httpx.Client())


def test_the_landing_of_an_app_under_a_prefix(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    assert adapter.lands_on() == "/app/account"
    assert adapter.landing("/app/account") == "http://app.test/app/account"
    assert adapter.landing("/account") == "http://app.test/app/account"
    assert adapter.landing("/application") == "http://app.test/app/application"


def test_a_sign_in_that_lands_on_the_protected_url_is_signed_in(browser: Browser,
                                                                 tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    context = browser.new_context()
    context.route("http://app.test/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<h1>Account</h1><p>Signed in as Alice Adams"))
    page = context.new_page()
    page.goto("http://app.test/app/account")
    adapter.expect_signed_in(page, ALICE, lands_on=adapter.lands_on())
    context.close()
