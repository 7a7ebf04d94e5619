"""Microsoft Graph's delegated permissions as Entra spells them, and the ids of its common
application permissions.

Entra matches permission names in any case and answers with its own spelling: asked
``user.read``, the token response's ``scope`` and the access token's ``scp`` say ``User.Read``
(AzureAD/microsoft-authentication-library-for-go #214, where MSAL Go took the corrected names
for declined ones; microsoftgraph/microsoft-graph-toolkit #648). A client that compares what it
asked with what came back, or caches tokens under the answer, meets that spelling on Entra, so
the mock answers with it too, for the common permissions below (the Graph permissions
reference); a name not listed comes back as asked.
"""

from __future__ import annotations

NAMES = (
    "User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All",
    "User.Export.All", "User.Invite.All", "User.ManageIdentities.All",
    "Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared",
    "Mail.ReadWrite.Shared", "Mail.Send.Shared", "MailboxSettings.Read",
    "MailboxSettings.ReadWrite",
    "Calendars.Read", "Calendars.ReadBasic", "Calendars.ReadWrite", "Calendars.Read.Shared",
    "Calendars.ReadWrite.Shared",
    "Contacts.Read", "Contacts.ReadWrite", "Contacts.Read.Shared", "Contacts.ReadWrite.Shared",
    "Files.Read", "Files.Read.All", "Files.ReadWrite", "Files.ReadWrite.All",
    "Files.ReadWrite.AppFolder", "Files.Read.Selected", "Files.ReadWrite.Selected",
    "Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All",
    "Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All",
    "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All",
    "People.Read", "People.Read.All", "Presence.Read", "Presence.Read.All",
    "Tasks.Read", "Tasks.ReadWrite", "Notes.Read", "Notes.ReadWrite", "Notes.Create",
    "Chat.Read", "Chat.ReadWrite", "ChatMessage.Send", "Channel.ReadBasic.All",
    "ChannelMessage.Send", "Team.ReadBasic.All", "OnlineMeetings.Read",
    "OnlineMeetings.ReadWrite", "Application.Read.All", "Application.ReadWrite.All",
    "AuditLog.Read.All", "Policy.Read.All", "RoleManagement.Read.Directory",
    "DeviceManagementManagedDevices.Read.All", "Reports.Read.All", "IMAP.AccessAsUser.All",
    "POP.AccessAsUser.All", "SMTP.Send", "EWS.AccessAsUser.All",
)
_BY_KEY = {name.lower(): name for name in NAMES}


def spelt(name: str) -> str:
    """``name`` as Entra spells it, when it is one of the listed permissions."""
    return _BY_KEY.get(name.lower(), name)


APPLICATION_PERMISSION_IDS = {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "User.ReadBasic.All": "97235f07-e226-4f63-ace3-39588e11d3a1",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
    "MailboxSettings.Read": "40f97065-369a-49f4-947c-6a255697ae91",
    "Sites.Read.All": "332a536c-c7ef-4017-ab91-336970924f0d",
    "Sites.ReadWrite.All": "9492366f-7969-46a4-8d15-ed1a20078fff",
}
"""The ids of common Microsoft Graph application permissions (its service principal's
``appRoles``), the same in every tenant: onboarding scripts grant them by id
(``requiredResourceAccess`` entries of type ``Role``, ``appRoleAssignments``). Each is the
"Application" identifier of https://learn.microsoft.com/graph/permissions-reference, not the
delegated one (User.ReadBasic.All's delegated id is ``b340eb25-…``)."""
_BY_ID = {role_id: name for name, role_id in APPLICATION_PERMISSION_IDS.items()}


def application_permission(id_or_name: str) -> str | None:
    """The Graph application permission an app role id names (or a name, as Entra spells it);
    ``None`` for an id the mock does not know."""
    key = id_or_name.strip().lower()
    return _BY_ID.get(key) or (None if _is_guid(key) else spelt(id_or_name.strip()))


def _is_guid(value: str) -> bool:
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12]
