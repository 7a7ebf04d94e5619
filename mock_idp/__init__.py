"""An Entra ID-faithful mock OpenID Connect / OAuth 2.0 provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy_exports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
    from .app import create_app
    from .clock import Clock, MockClock, SystemClock
    from .config import AppConfig, IdpConfig, SecretConfig, TenantConfig, UserConfig
    from .testing import MockIdp, RunningServer, run_in_thread

__all__ = [
    "AppConfig",
    "Clock",
    "IdpConfig",
    "MockClock",
    "MockIdp",
    "RunningServer",
    "SecretConfig",
    "SystemClock",
    "TenantConfig",
    "UserConfig",
    "create_app",
    "run_in_thread",
]

_EXPORTS = {
    "create_app": ".app",
    **dict.fromkeys(("Clock", "MockClock", "SystemClock"), ".clock"),
    **dict.fromkeys(("AppConfig", "IdpConfig", "SecretConfig", "TenantConfig", "UserConfig"),
                    ".config"),
    **dict.fromkeys(("MockIdp", "RunningServer", "run_in_thread"), ".testing"),
}

if not TYPE_CHECKING:  # mypy takes the names from the imports above
    __getattr__ = lazy_getattr(__name__, _EXPORTS)
    __dir__ = lazy_dir(__name__, _EXPORTS)
