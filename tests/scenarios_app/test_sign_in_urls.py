"""Which sign-in URL a stack and its app's adapter give when the test names none, and what a
name the profile does not have is told."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from scenarios.app import parse_profile
from scenarios.app.adapter import ProfileAdapter, Unsupported
from scenarios.app.servers import AppServer
from scenarios.live import LiveStack

PROFILE = """\
name = "notes"
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{{base_url}}/cb"
[sign_in]
{urls}
protected_urls = ["/notes"]
[signed_in]
me_url = "/me"
"""


def _adapter(urls: str) -> ProfileAdapter:
    """The adapter of a profile with these ``[sign_in]`` urls (a sign-in URL reads the
    profile and the app's address alone)."""
    profile = parse_profile(PROFILE.format(urls=urls), path=Path("notes.toml"))
    server = cast(AppServer, SimpleNamespace(base_url="http://127.0.0.1:9"))
    return ProfileAdapter(profile, server, {}, cast(httpx.Client, None))


def _stack(adapter: ProfileAdapter) -> LiveStack:
    """A stack whose app is ``adapter`` (the stack reaches its app only through it)."""
    return cast(LiveStack, SimpleNamespace(app=adapter))


def test_the_stack_and_the_app_default_to_the_profile_s_first_sign_in_url() -> None:
    adapter = _adapter('urls = { login = "/login", signup = "/signup" }')
    assert adapter.sign_in_url() == "http://127.0.0.1:9/login"
    assert LiveStack.sign_in_url(_stack(adapter)) == adapter.sign_in_url()
    assert LiveStack.sign_in_url(_stack(adapter), "signup") == "http://127.0.0.1:9/signup"


@pytest.mark.parametrize(("urls", "said"), [
    ('urls = { login = "/login", signup = "/signup" }', "(its [sign_in] urls: login, signup)"),
    ("", "(its [sign_in] urls name none)"),
], ids=["two-names", "none"])
def test_a_sign_in_url_name_the_profile_lacks_is_told_with_the_names_it_has(
        urls: str, said: str) -> None:
    with pytest.raises(Unsupported) as raised:
        LiveStack.sign_in_url(_stack(_adapter(urls)), "widget")
    assert str(raised.value) == f"notes: the profile has no sign-in URL named 'widget' {said}"
