"""GetCredentialType: how Entra's username page learns, without leaving the page, whether a
username can sign in and with what.

On login.microsoftonline.com, **Next** on the username page does not post the form. The page
posts the username as JSON to ``/common/GetCredentialType`` and, when the answer says the user
exists, swaps the password view in place: the same document, the username input moved off
screen (``.moveOffScreen``), the password input shown. So a script that waits for a new document
after **Next** hangs on Entra, and on the mock too. The swap is an entry of the page's history
(a same-document navigation): MSAL.js's end-to-end helpers (``samples/e2eTestUtils``) wait for
a navigation around that click, and Back returns to the username view.

What the answer carries, and how clients read it (facts from public scripts that call the
endpoint: Mike Crowley's ``Get-EntraCredentialInfo``, o365enum, Oh365UserFinder, o365spray;
they post ``{"Username": ...}`` or ``{"username": ...}``, with or without a JSON content type,
and match the compact text, e.g. ``"IfExistsResult":0,``):

- ``IfExistsResult``: 0 the user exists, 1 it does not (5 and 6 name other identity providers,
  2 throttling, 4 an error: the mock has none of those);
- ``ThrottleStatus``: 0 (1 when throttled);
- ``Credentials.PrefCredential``: 1, a password; ``HasPassword``;
- ``EstsProperties.DomainType``: 3, a managed (cloud) domain.
"""

from __future__ import annotations

from typing import Any, Final

PATH: Final = "/common/GetCredentialType"
EXISTS: Final = 0
DOES_NOT_EXIST: Final = 1
PASSWORD: Final = 1
"""``PrefCredential`` for a password."""
MANAGED_DOMAIN: Final = 3


def answer(username: str, exists: bool) -> dict[str, Any]:
    """The answer for ``username`` (as typed), in Entra's member order."""
    return {
        "Username": username,
        "Display": username,
        "IfExistsResult": EXISTS if exists else DOES_NOT_EXIST,
        "IsUnmanaged": False,
        "ThrottleStatus": 0,
        "Credentials": {
            "PrefCredential": PASSWORD,
            "HasPassword": True,
            "RemoteNgcParams": None,
            "FidoParams": None,
            "SasParams": None,
            "CertAuthParams": None,
            "GoogleParams": None,
            "FacebookParams": None,
        },
        "EstsProperties": {"UserTenantBranding": None, "DomainType": MANAGED_DOMAIN},
        "IsSignupDisallowed": True,
    }
