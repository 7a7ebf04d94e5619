"""Page objects: locators by role and label plus intent methods, no assertions."""

from __future__ import annotations

from scenarios.pages.idp import IdpErrorPage, IdpSignedOutPage, IdpSignInPage
from scenarios.pages.rp import AdminPage, FailurePage, RpAppPage, RpSignedOutPage

__all__ = [
    "AdminPage",
    "FailurePage",
    "IdpErrorPage",
    "IdpSignInPage",
    "IdpSignedOutPage",
    "RpAppPage",
    "RpSignedOutPage",
]
