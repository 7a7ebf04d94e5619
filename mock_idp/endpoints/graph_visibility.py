"""How much of each directory object a caller's Graph permissions let it see: all of it, a
user's basic profile, or only its type and id.

Limited information. When a list of ``directoryObject``s (``memberOf``,
``transitiveMemberOf``, a group's ``members``) holds an object of a type the app has no
permission to read, Graph still lists it, with only ``@odata.type`` and ``id``; the other
properties are there with the value ``null``, as the permissions overview's example shows them
(https://learn.microsoft.com/graph/permissions-overview#limited-information-returned-for-
inaccessible-member-objects). So ``/me/memberOf`` with ``User.Read`` alone lists the user's
groups without their names (the Microsoft Q&A thread "Why does Microsoft Graph /me/memberOf
return null for all fields but id?"), and a group's user members need a permission that reads
users (microsoftgraph/microsoft-graph-docs-contrib#4414: ``User.ReadBasic.All`` for users).
Collection-valued properties come back empty rather than null (``businessPhones: []`` in
microsoftgraph/microsoft-graph-docs-contrib#9338 and microsoftgraph/microsoft-graph-docs#4993).

Basic profile. ``User.ReadBasic.All`` reads only ``displayName``, ``givenName``, ``id``,
``mail``, ``photo``, ``securityIdentifier``, ``surname`` and ``userPrincipalName`` of other
users ("User basic profile properties", https://learn.microsoft.com/graph/api/resources/users),
and the signed-in user's whole profile (the permissions reference); as an application
permission (an app-only token's ``roles``) it reads the same basic profile of every user.
Learn does not say what Graph answers for another property; people who asked for one with
``$select`` or among the defaults got ``null`` rather than an error
(microsoftgraph/microsoft-graph-docs#2155, #3975, #4993), so the mock answers ``null`` too.
A query on such a property is refused instead: ``$filter=accountEnabled eq true`` on ``users``
with a delegated ``User.ReadBasic.All`` gets 403 ``Authorization_RequestDenied``
(microsoftgraph/microsoft-graph-toolkit#2602, and #2624, where its maintainers name
``User.Read.All`` as what such a query needs), as did a filter on ``userType``
(Yvand/EntraCP#265), and the application permission is refused such a query too (Message
center MC704030, as https://office365itpros.com/2024/01/30/user-readbasic-all-permission/
reports it); so a ``$filter`` or ``$orderby`` on ``users`` may name only the basic profile's
properties when that is all the caller reads of others (:meth:`Sight.readable_of_users`), even
though the signed-in user's own profile is whole.

Which permissions read which type, from each type's Get API reference:
https://learn.microsoft.com/graph/api/user-get, https://learn.microsoft.com/graph/api/group-get,
https://learn.microsoft.com/graph/api/directoryrole-get. A caller without a token (the
management API, see :mod:`.graph_access`) sees everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .graph_paging import Entry

__all__ = ["BASIC_USER_PROPERTIES", "EVERYTHING", "Sight", "View"]

BASIC_USER_PROPERTIES = frozenset({"displayName", "givenName", "id", "mail",
                                   "securityIdentifier", "surname", "userPrincipalName"})
"""The basic profile (``photo`` is a relationship the mock does not serve)."""
_ALWAYS = frozenset({"@odata.type", "id"})

_DIRECTORY = frozenset({"directory.read.all", "directory.readwrite.all",
                        "directory.accessasuser.all"})
_USERS = _DIRECTORY | {"user.read.all", "user.readwrite.all"}
_BASIC = frozenset({"user.readbasic.all"})
_OWN = frozenset({"user.read", "user.readwrite"}) | _BASIC | _USERS
"""What reads the signed-in user's own profile whole (User.ReadBasic.All: "Also allows the app
to read the full profile of the signed-in user")."""
_GROUPS = _DIRECTORY | {"groupmember.read.all", "groupmember.readwrite.all", "group.read.all",
                        "group.readwrite.all"}
_ROLES = _DIRECTORY | {"rolemanagement.read.directory", "rolemanagement.readwrite.directory"}

USER = "#microsoft.graph.user"
GROUP = "#microsoft.graph.group"
ROLE = "#microsoft.graph.directoryRole"
_READERS = {GROUP: _GROUPS, ROLE: _ROLES}


class View(Enum):
    FULL = "full"
    BASIC = "basic"
    LIMITED = "limited"


@dataclass(frozen=True)
class Sight:
    """What one caller sees. ``granted``: its token's permissions, lower-cased (``None``: the
    management API); ``me``: the signed-in user's object id (a delegated token's ``oid``)."""

    granted: frozenset[str] | None = None
    me: str | None = None

    def view(self, odata_type: str, object_id: str) -> View:
        if self.granted is None:
            return View.FULL
        if odata_type == USER:
            if self.granted & (_OWN if object_id == self.me else _USERS):
                return View.FULL
            return View.BASIC if self.granted & _BASIC else View.LIMITED
        readers = _READERS.get(odata_type)
        return View.FULL if readers is not None and self.granted & readers else View.LIMITED

    def readable_of_users(self) -> frozenset[str] | None:
        """The properties this caller reads of every user (``None``: all of them), which are
        all a query over a list of users may name."""
        if self.granted is None or self.granted & _USERS:
            return None
        return BASIC_USER_PROPERTIES if self.granted & _BASIC else frozenset({"id"})

    def user(self, entry: Entry) -> Entry:
        """A user's entry (with or without its ``@odata.type``) as this caller sees it."""
        return self._shown(entry, USER)

    def member(self, entry: Entry) -> Entry:
        """An entry of a ``directoryObject`` list, by its ``@odata.type``."""
        return self._shown(entry, str(entry.properties.get("@odata.type", "")))

    def _shown(self, entry: Entry, odata_type: str) -> Entry:
        view = self.view(odata_type, entry.id)
        if view is View.FULL:
            return entry
        keep = _ALWAYS | BASIC_USER_PROPERTIES if view is View.BASIC else _ALWAYS
        default = None if entry.default is None else _masked(entry.default, keep)
        return Entry(_masked(entry.properties, keep), default)


EVERYTHING = Sight()
"""The management API's sight: every property of every object."""


def _masked(properties: Mapping[str, Any], keep: frozenset[str]) -> dict[str, Any]:
    return {name: value if name in keep else ([] if isinstance(value, list) else None)
            for name, value in properties.items()}
