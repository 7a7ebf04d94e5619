"""What :class:`mock_idp.testing.MockIdp`'s helpers answer: the users, apps and groups they
made, and the error they raise when the provider refuses a call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class MockIdpError(RuntimeError):
    """A management-API call made by a :class:`MockIdp` helper was refused."""


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
