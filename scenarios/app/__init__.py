"""The app under test, described by a profile: reading profiles, starting apps, the adapter.

:func:`load_profile` reads a profile (TOML) into an :class:`AppProfile`;
:func:`scenarios.app.capabilities.skip_reason` says why a scenario cannot run against it.
These names are imported on first use (:mod:`mock_idp.lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_idp.lazy_exports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
    from scenarios.app.capabilities import CAPABILITIES, capabilities_of, skip_reason
    from scenarios.app.profile import FAILURE_KINDS, AppProfile, load_profile, parse_profile
    from scenarios.app.validation import Problem, ProfileError

__all__ = [
    "CAPABILITIES",
    "FAILURE_KINDS",
    "AppProfile",
    "Problem",
    "ProfileError",
    "capabilities_of",
    "load_profile",
    "parse_profile",
    "skip_reason",
]

_EXPORTS = {
    **dict.fromkeys(("CAPABILITIES", "capabilities_of", "skip_reason"),
                    "scenarios.app.capabilities"),
    **dict.fromkeys(("FAILURE_KINDS", "AppProfile", "load_profile", "parse_profile"),
                    "scenarios.app.profile"),
    **dict.fromkeys(("Problem", "ProfileError"), "scenarios.app.validation"),
}

if not TYPE_CHECKING:  # mypy takes the names from the imports above
    __getattr__ = lazy_getattr(__name__, _EXPORTS)
    __dir__ = lazy_dir(__name__, _EXPORTS)
