"""``failure.userinfo-sub-mismatch`` says what an app that used UserInfo about another subject
shows of that person: the whole person, or one of their values beside the ID token's user."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from scenarios.catalogue.id_token_source import used_userinfo_of_another
from scenarios.people import PEOPLE


def _ctx(page_text: str, me: str = "") -> Any:
    page = SimpleNamespace(
        inner_text=lambda selector: page_text,
        request=SimpleNamespace(get=lambda url, max_redirects: SimpleNamespace(text=lambda: me)))
    app = SimpleNamespace(seen_signed_in=lambda page: True, url=lambda path: path,
                          profile=SimpleNamespace(signed_in=SimpleNamespace(me_url="/me")))
    return cast(Any, SimpleNamespace(page=page, env=SimpleNamespace(app=app, people=PEOPLE)))


def test_an_app_showing_the_other_person_signed_them_in() -> None:
    message = used_userinfo_of_another(_ctx("Mallory Moss", '{"name": "Mallory Moss"}')) or ""
    assert message.startswith("the app signed the user in as Mallory Moss, whom the UserInfo "
                              "answer names under another sub"), message


def test_an_app_holding_only_the_other_person_s_address_is_not_said_to_sign_them_in() -> None:
    """A Go app on go-oidc names the person from the ID token and takes the address from
    UserInfo: it shows Alice Adams with Mallory's address, not Mallory signed in."""
    message = used_userinfo_of_another(_ctx(
        "Alice Adams", '{"name": "Alice Adams", "email": "mallory@contoso.onmicrosoft.com"}'))
    assert message is not None
    assert message.startswith(
        "the app shows Alice Adams with a value of Mallory Moss's "
        "(mallory@contoso.onmicrosoft.com), whom the UserInfo answer names under another sub "
        "than the ID token's: it used that answer's values"), message
    assert "signed the user in as" not in message, message
