"""What :class:`mock_idp.testing.MockIdp`'s helpers answer: the users, apps and groups they
made, and the error they raise when the provider refuses a call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


class MockIdpError(RuntimeError):
    """A management-API call made by a :class:`MockIdp` helper was refused."""


def refusal_frame_hidden(excinfo: Any) -> bool:
    """pytest's ``__tracebackhide__`` for the helpers' modules: a :class:`MockIdpError` (the
    provider refused what the test asked, its message names the field) is shown at the test's
    own line, with no frame of the helpers; any other error keeps them, where it arose.
    ``excinfo`` is pytest's ``ExceptionInfo`` (pytest is no dependency of the mock)."""
    return bool(excinfo.errisinstance(MockIdpError))


@dataclass(frozen=True)
class TestUser:
    __test__: ClassVar[bool] = False

    id: str
    upn: str
    password: str
    display_name: str


@dataclass(frozen=True)
class RegisteredApp:
    object_id: str
    client_id: str
    display_name: str


@dataclass(frozen=True)
class TestGroup:
    __test__: ClassVar[bool] = False

    id: str
    display_name: str
