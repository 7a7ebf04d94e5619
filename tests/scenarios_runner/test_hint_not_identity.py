"""partner.hint-is-not-identity's verdict on who the app signed in: bob, whom the launch's
hint named, is said by name; a ``me_url`` that cannot be read while the check that alice is
signed in has failed leaves that failure as it is."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from scenarios.catalogue import partner

BOB = SimpleNamespace(name="Bob Example", upn="bob@contoso.example")


def _stack(me: Any) -> Any:
    return SimpleNamespace(people={"bob": BOB}, app=SimpleNamespace(me=me))


def _unreadable(page: object) -> dict[str, str]:
    raise ValueError("Expecting value: line 1 column 1 (char 0)")  # me_url answered HTML


def test_an_unreadable_me_url_leaves_the_sign_in_checks_failure_as_it_is() -> None:
    failed = AssertionError("alice@contoso.example is not signed in: the page shows …")
    partner._not_the_hinted(object(), _stack(_unreadable), "b0b", failed)  # type: ignore[arg-type]


def test_an_unreadable_me_url_after_a_sign_in_that_passed_is_raised() -> None:
    with pytest.raises(ValueError):
        partner._not_the_hinted(object(), _stack(_unreadable), "b0b", None)  # type: ignore[arg-type]


def test_bob_signed_in_is_named_with_the_hint() -> None:
    stack = _stack(lambda page: {"user_id": "B0B", "email": None})
    with pytest.raises(AssertionError, match=r"the app signed in bob \(user_id 'B0B'\), the "
                                             "person the launch URL's user-id hint named"):
        partner._not_the_hinted(object(), stack, "b0b", None)  # type: ignore[arg-type]
