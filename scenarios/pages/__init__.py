"""Page objects: locators by role and label plus intent methods, no assertions."""

from __future__ import annotations

from scenarios.pages.idp import (
    IdpAccountPickerPage,
    IdpConsentPage,
    IdpDeviceLoginPage,
    IdpErrorPage,
    IdpNeedAdminPage,
    IdpPasswordPage,
    IdpSignedOutPage,
    IdpStaySignedInPage,
    IdpUsernamePage,
)
from scenarios.pages.rp import AdminPage, FailurePage, RpAppPage, RpSignedOutPage

__all__ = [
    "AdminPage",
    "FailurePage",
    "IdpAccountPickerPage",
    "IdpConsentPage",
    "IdpDeviceLoginPage",
    "IdpErrorPage",
    "IdpNeedAdminPage",
    "IdpPasswordPage",
    "IdpSignedOutPage",
    "IdpStaySignedInPage",
    "IdpUsernamePage",
    "RpAppPage",
    "RpSignedOutPage",
]
