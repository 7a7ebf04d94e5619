"""The reference relying party: customer SSO and partner-app SSO against any OpenID provider."""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
