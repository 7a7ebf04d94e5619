"""An Entra ID-faithful mock OpenID Connect / OAuth 2.0 provider."""

from __future__ import annotations

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
