"""The provider refusing the relying party's app registration itself, which every sign-in of a
``run --idp`` meets alike: no app by the client id in the authority's tenant (a typo, another
tenant's app, a deleted app: Entra's AADSTS700016) or a disabled one (AADSTS7000112), both on
Entra's error page instead of any sign-in page; or a client secret the token endpoint refuses,
wrong (AADSTS7000215) or expired (AADSTS7000222), after each sign-in. The first scenario fails
saying what to change and the rest are skipped with it
(:func:`scenarios.real_idp_signin.unless_refused`), as for an unregistered redirect URI.

Where Entra says each: AADSTS700016 and 7000112 on its page at the authorization endpoint,
as people signing in quote it (isaacrlevin/presencelight #935, cnbeining/onedrivecmd #79 for
7000112; the mock's :mod:`mock_idp.protocol.authorization` answers both there), and in the
token endpoint's ``invalid_client`` answer for the secret's codes (Microsoft Learn,
"Troubleshoot service principal authentication", learn.microsoft.com/azure/developer/java/sdk/
troubleshooting-authentication-service-principal: 7000215 an invalid secret, 7000222 an
expired one, 700016 an app not found in the tenant; Worklytics/psoxy #74 shows 7000112 there
too). The codes are matched, not the wording (Microsoft's AADSTS reference,
learn.microsoft.com/entra/identity-platform/reference-error-codes, warns that it changes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scenarios.conformance.judging import Refusal

__all__ = ["first_sentence", "refused_app", "refused_secret"]

_REGISTRATION = "Entra admin center: App registrations > the app > "
_SECRET_KEYS = "[provider] client_secret_env (or client_secret_file)"

_ON_PAGE: Mapping[int, str] = {
    700016: ("check [provider] client_id and the tenant in [provider] authority (" + _REGISTRATION
             + "Overview: its Application (client) ID and Directory (tenant) ID; a deleted app "
             "is refused so too)"),
    7000112: ("enable the app (Entra admin center: Enterprise apps > the app > Properties > "
              "Enabled for users to sign-in?)"),
}
"""What to change for each refusal of the app on the provider's error page."""

_AT_TOKEN_ENDPOINT: Mapping[int, str] = {
    7000215: (f"check {_SECRET_KEYS}: it must hold the Value of a secret of this app, not its "
              f"Secret ID ({_REGISTRATION}Certificates & secrets)"),
    7000222: (f"create a new client secret ({_REGISTRATION}Certificates & secrets) and give its "
              f"Value in {_SECRET_KEYS} (the secret has expired)"),
}
"""What to change for each refusal of the client secret at the token endpoint."""


def first_sentence(text: str) -> str:
    """The provider's words to their first sentence: the rest is its own advice."""
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def refused_app(client_id: str, refusal: Refusal) -> str | None:
    """What to change when the provider's error page refused the app ``client_id`` itself
    (:data:`_ON_PAGE`), with its words (:func:`first_sentence`); ``None`` for any other
    refusal."""
    if refusal.where != "page" or (advice := _ON_PAGE.get(refusal.aadsts or 0)) is None:
        return None
    return (f"{advice}: the provider refused the app {client_id} on its "
            f"error page (\"{first_sentence(refusal.text)}\")")


def refused_secret(logged_code: object) -> str | None:
    """What to change when the token endpoint refused the client secret, from the provider's
    code the relying party logged (``AADSTS7000215``); ``None`` for any other."""
    code = str(logged_code or "").removeprefix("AADSTS")
    if not code.isdigit() or int(code) not in _AT_TOKEN_ENDPOINT:
        return None
    return (f"{_AT_TOKEN_ENDPOINT[int(code)]}: the provider's token endpoint refused the client "
            f"secret (AADSTS{code})")
