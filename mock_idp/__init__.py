"""An Entra ID-faithful mock OpenID Connect / OAuth 2.0 provider."""

from __future__ import annotations

from .app import create_app
from .clock import Clock, MockClock, SystemClock
from .config import AppConfig, IdpConfig, SecretConfig, TenantConfig, UserConfig

__all__ = [
    "AppConfig",
    "Clock",
    "IdpConfig",
    "MockClock",
    "SecretConfig",
    "SystemClock",
    "TenantConfig",
    "UserConfig",
    "create_app",
]
