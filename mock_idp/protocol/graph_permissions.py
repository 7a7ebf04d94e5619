"""Microsoft Graph's delegated permissions as Entra spells them.

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
