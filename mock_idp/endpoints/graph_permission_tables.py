"""Graph's permission tables: for each call the mock serves, which delegated (``scp``) or
application (``roles``) permissions let a token make it, as :mod:`.graph_access` checks them.

Each :class:`Rule` is one page's "Permissions" section of Graph's API reference. A table's
"least privileged" and "higher privileged" permissions are alternatives (any one suffices); a
cell that says "A and B" needs both. Where a page has a table "acting on self" apart from one
"acting on other users" (the authentication methods), or lists a permission that reaches only
the signed-in user (``User.Read``, ``User.ReadWrite``, ``UserAuthenticationMethod.Read``), the
rule's ``own`` holds what a delegated token needs for the signed-in user and ``delegated`` what
it needs for another. Left out, because the mock has nothing they reach:
``Application.ReadWrite.OwnedBy`` reads or changes only the apps the caller owns and the mock
keeps no owners (it can still create one, which its creator then owns); the
``AgentIdentityBlueprint.*`` and ``AgentIdUser.*`` permissions reach only agent identities; and
the permissions a table lists that change a single property (``User.EnableDisableAccount.All``,
``User-PasswordProfile.ReadWrite.All``, ``User.ManageIdentities.All``,
``Group-NestingSupport.ReadWrite.All``, ``Group-PreferredDataLocation.ReadWrite.All``,
``Group.ManageProtection.All``) are not enough for an update here. The Microsoft Entra roles
a delegated caller must also hold for a write are not checked.

The pages, each a table below:
Users:
https://learn.microsoft.com/graph/api/user-get,
https://learn.microsoft.com/graph/api/user-list,
https://learn.microsoft.com/graph/api/user-post-users,
https://learn.microsoft.com/graph/api/user-update,
https://learn.microsoft.com/graph/api/user-delete,
https://learn.microsoft.com/graph/api/user-revokesigninsessions.
Memberships:
https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects,
https://learn.microsoft.com/graph/api/user-list-memberof.
Groups:
https://learn.microsoft.com/graph/api/group-get,
https://learn.microsoft.com/graph/api/group-list,
https://learn.microsoft.com/graph/api/group-list-members,
https://learn.microsoft.com/graph/api/group-post-groups,
https://learn.microsoft.com/graph/api/group-update,
https://learn.microsoft.com/graph/api/group-delete,
https://learn.microsoft.com/graph/api/group-post-members,
https://learn.microsoft.com/graph/api/group-delete-members.
Applications and service principals:
https://learn.microsoft.com/graph/api/application-list,
https://learn.microsoft.com/graph/api/application-get,
https://learn.microsoft.com/graph/api/application-post-applications,
https://learn.microsoft.com/graph/api/application-update,
https://learn.microsoft.com/graph/api/application-delete,
https://learn.microsoft.com/graph/api/application-addpassword,
https://learn.microsoft.com/graph/api/application-removepassword,
https://learn.microsoft.com/graph/api/application-list-extensionproperty,
https://learn.microsoft.com/graph/api/application-post-extensionproperty,
https://learn.microsoft.com/graph/api/extensionproperty-delete,
https://learn.microsoft.com/graph/api/serviceprincipal-list,
https://learn.microsoft.com/graph/api/serviceprincipal-get,
https://learn.microsoft.com/graph/api/serviceprincipal-update.
Consent:
https://learn.microsoft.com/graph/api/oauth2permissiongrant-list,
https://learn.microsoft.com/graph/api/oauth2permissiongrant-get,
https://learn.microsoft.com/graph/api/oauth2permissiongrant-post,
https://learn.microsoft.com/graph/api/oauth2permissiongrant-update,
https://learn.microsoft.com/graph/api/oauth2permissiongrant-delete.
App role assignments:
https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments,
https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments,
https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignments,
https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto,
https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto,
https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto,
https://learn.microsoft.com/graph/api/user-list-approleassignments,
https://learn.microsoft.com/graph/api/user-post-approleassignments,
https://learn.microsoft.com/graph/api/user-delete-approleassignments,
https://learn.microsoft.com/graph/api/group-list-approleassignments,
https://learn.microsoft.com/graph/api/group-post-approleassignments,
https://learn.microsoft.com/graph/api/group-delete-approleassignments,
https://learn.microsoft.com/graph/api/approleassignment-get.
Directory roles (the tables "for the directory (Microsoft Entra ID) provider"):
https://learn.microsoft.com/graph/api/rbacapplication-list-roledefinitions,
https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments,
https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments,
https://learn.microsoft.com/graph/api/unifiedroleassignment-get,
https://learn.microsoft.com/graph/api/unifiedroleassignment-delete.
Authentication methods:
https://learn.microsoft.com/graph/api/authentication-list-methods,
https://learn.microsoft.com/graph/api/authentication-list-passwordmethods,
https://learn.microsoft.com/graph/api/passwordauthenticationmethod-get,
https://learn.microsoft.com/graph/api/authentication-list-softwareoathmethods,
https://learn.microsoft.com/graph/api/softwareoathauthenticationmethod-get,
https://learn.microsoft.com/graph/api/softwareoathauthenticationmethod-delete.
"""

from __future__ import annotations

from dataclasses import dataclass

Alternatives = tuple[frozenset[str], ...]


def _each(*names: str) -> Alternatives:
    """Any one of ``names`` suffices."""
    return tuple(frozenset({n.lower()}) for n in names)


def _all(*names: str) -> Alternatives:
    """``names`` together suffice (Graph's "User.ReadBasic.All and GroupMember.Read.All")."""
    return (frozenset(n.lower() for n in names),)


@dataclass(frozen=True)
class Rule:
    """One call's permission table: what another user's data (or anything not a user's) needs
    with a delegated token, what an app-only token needs, and, for a call about one user (the
    path's ``{user}``, or the signed-in user's for ``/me``), what reads or changes the
    signed-in user's own. Each alternative is a set of permissions that together suffice."""

    delegated: Alternatives
    application: Alternatives
    own: Alternatives | None = None


def _same(*alternatives: Alternatives) -> Rule:
    """A table whose delegated and application rows list the same permissions."""
    joined = tuple(a for group in alternatives for a in group)
    return Rule(delegated=joined, application=joined)


# --- users ----------------------------------------------------------------------------------

_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")
_USERS = ("User.Read.All", "User.ReadWrite.All", *_DIRECTORY)
_OTHERS = _each("User.ReadBasic.All", *_USERS, "Directory.AccessAsUser.All")
_OWN = (*_each("User.Read", "User.ReadWrite"), *_OTHERS)
_APP_USERS = _each("User.ReadBasic.All", *_USERS)
"""What reads users app-only. User.ReadBasic.All is an application permission too (the
permissions reference, https://learn.microsoft.com/graph/permissions-reference#userreadbasicall,
lists an application id for it), since Message center MC704030 (January 2024), and reads the
same basic profile app-only as delegated, with the same refusal of a query on another property
(https://office365itpros.com/2024/01/30/user-readbasic-all-permission/ tried it; see
:mod:`.graph_visibility`). The user-get and user-list tables still name only User.Read.All and
the wider ones for apps, and one report (https://learn.microsoft.com/answers/questions/6019739)
says such a token got 403 on ``GET users``; the mock follows the reference and the
announcement."""

USER_READ = Rule(own=_OWN, delegated=_OTHERS, application=_APP_USERS)
"""``GET users/{id}``, ``GET me``: User.Read reads the signed-in user only."""
USER_LIST = Rule(delegated=_OTHERS, application=_APP_USERS)
"""``GET users``: listing is never only oneself, so User.Read is not enough."""
USER_CREATE = _same(_each("User.ReadWrite.All", "Directory.ReadWrite.All"))
"""``POST users``."""
_USER_WRITE = ("User.ReadWrite.All", "Directory.ReadWrite.All")
USER_UPDATE = Rule(own=_each("User.ReadWrite", *_USER_WRITE, "Directory.AccessAsUser.All"),
                   delegated=_each(*_USER_WRITE, "Directory.AccessAsUser.All"),
                   application=_each(*_USER_WRITE))
"""``PATCH users/{id}``: User.ReadWrite updates the signed-in user only."""
USER_DELETE = _same(_each("User.ReadWrite.All"))
"""``DELETE users/{id}``."""
USER_REVOKE_SESSIONS = Rule(
    delegated=_each("User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"),
    application=_each("User.RevokeSessions.All", "User.ReadWrite.All"))
"""``POST users/{id}/revokeSignInSessions``: the page's application row lists
User.RevokeSessions.All alone (higher privileged: "Not available"). User.ReadWrite.All is
taken too, as app-only tokens with it were reported to work
(https://learn.microsoft.com/answers/questions/1691984, whose answer found it valid in its
tests, and https://www.michev.info/blog/post/4688); the Directory.ReadWrite.All of the page's
older application row is not."""
_BASIC_AND_MEMBERS = _all("User.ReadBasic.All", "GroupMember.Read.All")
MEMBERSHIPS = Rule(own=(*_each("User.Read", "User.ReadWrite"), *_OTHERS),
                   delegated=(*_each(*_USERS, "Directory.AccessAsUser.All"),
                              *_BASIC_AND_MEMBERS),
                   application=(*_each(*_USERS), *_BASIC_AND_MEMBERS))
"""getMemberObjects, getMemberGroups, checkMemberGroups, checkMemberObjects, memberOf,
transitiveMemberOf: the "Memberships for other users" tables allow the application permissions
User.Read.All, Directory.Read.All, User.ReadWrite.All, Directory.ReadWrite.All, or
User.ReadBasic.All with GroupMember.Read.All."""

# --- groups ---------------------------------------------------------------------------------

_GROUPS = ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *_DIRECTORY)
GROUP_READ = Rule(delegated=_each(*_GROUPS, "Directory.AccessAsUser.All"),
                  application=_each(*_GROUPS))
"""``GET groups``, ``groups/{id}``, ``groups/{id}/members``."""
GROUP_CREATE = Rule(delegated=_each("Group.ReadWrite.All", "Directory.ReadWrite.All"),
                    application=_each("Group.Create", "Group.ReadWrite.All",
                                      "Directory.ReadWrite.All"))
"""``POST groups``."""
GROUP_UPDATE = _same(_each("Group.ReadWrite.All", "Directory.ReadWrite.All"))
"""``PATCH groups/{id}``."""
GROUP_DELETE = _same(_each("Group.ReadWrite.All"))
"""``DELETE groups/{id}``."""
GROUP_MEMBERS_WRITE = _same(_each("GroupMember.ReadWrite.All", "Group.ReadWrite.All",
                                  "Directory.ReadWrite.All"))
"""``POST groups/{id}/members/$ref``, ``DELETE groups/{id}/members/{id}/$ref`` (members that
are users or groups: GroupMember.ReadWrite.All alone)."""

# --- applications and service principals ----------------------------------------------------

_APPLICATIONS = ("Application.Read.All", "Application.ReadWrite.All", *_DIRECTORY)
APPLICATION_READ = _same(_each(*_APPLICATIONS))
"""``GET applications``, ``applications/{id}`` (and its ``extensionProperties``),
``servicePrincipals``, ``servicePrincipals/{id}``, and a service principal's
``appRoleAssignments`` and ``appRoleAssignedTo``: the same permissions, delegated or
application."""
APPLICATION_CREATE = Rule(
    delegated=_each("AppRegistration.Create", "Application.ReadWrite.All"),
    application=_each("AppRegistration.Create", "Application.ReadWrite.OwnedBy",
                      "Application.ReadWrite.All"))
"""``POST applications``: an app with Application.ReadWrite.OwnedBy creates one, and owns it."""
APPLICATION_CHANGE = _same(_each("Application.ReadWrite.All"))
"""``PATCH`` and ``DELETE applications/{id}`` (their tables do not list
Directory.ReadWrite.All)."""
APPLICATION_WRITE = _same(_each("Application.ReadWrite.All", "Directory.ReadWrite.All"))
"""``addPassword``, ``removePassword``, ``POST`` and ``DELETE`` of ``extensionProperties``;
``PATCH servicePrincipals/{id}``."""

# --- consent and app role assignments -------------------------------------------------------

GRANT_READ = _same(_each("Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All",
                         "Directory.ReadWrite.All"))
"""``GET oauth2PermissionGrants``, ``oauth2PermissionGrants/{id}``."""
GRANT_WRITE = _same(_each("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"))
"""``POST oauth2PermissionGrants``, ``PATCH`` and ``DELETE oauth2PermissionGrants/{id}``."""
_ASSIGN = "AppRoleAssignment.ReadWrite.All"
APP_ROLE_GRANT = _same(_all(_ASSIGN, "Application.Read.All"), _all(_ASSIGN, "Directory.Read.All"))
"""``POST servicePrincipals/{id}/appRoleAssignments`` and ``…/appRoleAssignedTo``."""
APP_ROLE_REVOKE = _same(_each(_ASSIGN))
"""``DELETE`` of an app role assignment, through a service principal's ``appRoleAssignments``
or ``appRoleAssignedTo``, a user's or a group's ``appRoleAssignments``."""
USER_ASSIGNMENTS_READ = _same(_each(_ASSIGN, "Directory.Read.All"))
"""``GET users/{id}/appRoleAssignments``."""
USER_ASSIGNMENT_READ = Rule(own=_each("User.Read", _ASSIGN, "Directory.Read.All"),
                            delegated=_each(_ASSIGN, "Directory.Read.All"),
                            application=_each("Directory.Read.All", _ASSIGN))
"""``GET users/{id}/appRoleAssignments/{id}``: approleassignment-get lists User.Read for a
user's (the signed-in user's, as User.Read reads no one else), and the list's for others."""
USER_ASSIGN = _same(_each(_ASSIGN))
"""``POST users/{id}/appRoleAssignments``."""
_GROUP_ASSIGNMENTS = (_ASSIGN, "Directory.Read.All", "Directory.ReadWrite.All")
GROUP_ASSIGNMENTS_READ = _same(_each(*_GROUP_ASSIGNMENTS))
"""``GET groups/{id}/appRoleAssignments``."""
GROUP_ASSIGNMENT_READ = _same(_each("Group.Read.All", *_GROUP_ASSIGNMENTS))
"""``GET groups/{id}/appRoleAssignments/{id}``: approleassignment-get lists Group.Read.All,
and the list's."""
GROUP_ASSIGN = _same(_all(_ASSIGN, "Group.Read.All"))
"""``POST groups/{id}/appRoleAssignments``."""

# --- directory roles ------------------------------------------------------------------------

_ROLES = ("RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", *_DIRECTORY)
ROLE_DEFINITIONS_READ = _same(_each(*_ROLES))
"""``GET roleManagement/directory/roleDefinitions``."""
ROLE_ASSIGNMENTS_READ = _same(_each(*_ROLES, "RoleManagement.Read.All"))
"""``GET roleManagement/directory/roleAssignments`` and ``…/roleAssignments/{id}``."""
ROLE_ASSIGNMENTS_WRITE = _same(_each("RoleManagement.ReadWrite.Directory"))
"""``POST roleManagement/directory/roleAssignments``, ``DELETE …/roleAssignments/{id}``."""

# --- authentication methods -----------------------------------------------------------------

_METHODS_ALL = ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All")
_METHODS_OWN = ("UserAuthenticationMethod.Read", "UserAuthenticationMethod.ReadWrite")


def _methods(kind: str) -> Rule:
    """The reads of one kind of method (``Password``, ``SoftwareOATH``): its own permissions
    or the general ones; the ``.All`` forms for other users and apps."""
    others = (f"UserAuthMethod-{kind}.Read.All", f"UserAuthMethod-{kind}.ReadWrite.All",
              *_METHODS_ALL)
    return Rule(own=_each(f"UserAuthMethod-{kind}.Read", f"UserAuthMethod-{kind}.ReadWrite",
                          *_METHODS_OWN, *others),
                delegated=_each(*others), application=_each(*others))


AUTH_METHODS_READ = Rule(own=_each(*_METHODS_OWN, *_METHODS_ALL), delegated=_each(*_METHODS_ALL),
                         application=_each(*_METHODS_ALL))
"""``GET users/{id}/authentication/methods``."""
PASSWORD_METHODS_READ = _methods("Password")
"""``GET …/authentication/passwordMethods`` and ``…/passwordMethods/{id}``."""
OATH_METHODS_READ = _methods("SoftwareOATH")
"""``GET …/authentication/softwareOathMethods`` and ``…/softwareOathMethods/{id}``."""
_OATH_WRITE_ALL = ("UserAuthenticationMethod.ReadWrite.All",
                   "UserAuthMethod-SoftwareOATH.ReadWrite.All")
OATH_METHOD_DELETE = Rule(own=_each("UserAuthenticationMethod.ReadWrite",
                                    "UserAuthMethod-SoftwareOATH.ReadWrite", *_OATH_WRITE_ALL),
                          delegated=_each(*_OATH_WRITE_ALL), application=_each(*_OATH_WRITE_ALL))
"""``DELETE …/authentication/softwareOathMethods/{id}``."""
