"""What an ``app.updated`` may say (docs.talkdesk.com/reference/app-updated): which users of the
installation's tenant gained or lost the app's licence, and the subscription's new name or
licence count. The checks run before anything is stored or sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..text_policy import text_problem
from .errors import InvalidField, NotFound

MAX_UPDATE_USERS = 1000
"""The most users one ``app.updated`` may add, and the most it may remove."""
MAX_SUBSCRIPTION_NAME = 256
MAX_LICENSES = 10_000_000


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """The subscription as ``app.updated`` last described it; ``None`` for what it never named."""

    name: str | None = None
    licenses: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "licenses": self.licenses}


class UserDirectory(Protocol):
    def find_user(self, tenant_id: str, user: str) -> str | None:
        """The object id of the tenant's user named by object id or userPrincipalName."""
        ...


def check_subscription(name: object, licenses: object) -> None:
    """A subscription change's name (``None``, or 1 to :data:`MAX_SUBSCRIPTION_NAME`
    characters of text) and licence count (``None``, or an integer from 0 to
    :data:`MAX_LICENSES`)."""
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidField("subscription.name must be a non-empty string",
                               field="subscription.name")
        if len(name) > MAX_SUBSCRIPTION_NAME:
            raise InvalidField(f"subscription.name is longer than {MAX_SUBSCRIPTION_NAME} "
                               f"characters", field="subscription.name")
        problem = text_problem(name)
        if problem is not None:
            raise InvalidField(f"subscription.name {problem}", field="subscription.name")
    if licenses is not None and (isinstance(licenses, bool) or not isinstance(licenses, int)
                                 or not 0 <= licenses <= MAX_LICENSES):
        raise InvalidField(f"subscription.licenses must be an integer from 0 to {MAX_LICENSES}",
                           field="subscription.licenses")


def user_ids(directory: UserDirectory, tenant_id: str, users: Sequence[str], where: str
             ) -> list[str]:
    """The object ids of ``users`` (each named once, in their order), or the error naming
    the first that is malformed or not in the tenant."""
    if not isinstance(users, list | tuple):  # a str is a Sequence too
        raise InvalidField(f"{where} must be a list of users", field=where)
    if len(users) > MAX_UPDATE_USERS:
        raise InvalidField(f"{where} has more than {MAX_UPDATE_USERS} users", field=where)
    found: dict[str, None] = {}
    for i, user in enumerate(users):
        name = f"{where}[{i}]"
        if not isinstance(user, str) or not user.strip():
            raise InvalidField(f"{name} must be a user's object id or userPrincipalName",
                               field=name)
        oid = directory.find_user(tenant_id, user)
        if oid is None:
            raise NotFound(f"{name}: no user {user[:80]!r} in tenant {tenant_id}",
                           field=name)
        found[oid] = None
    return list(found)
