"""The partner-app platform: installations, credentials and signed lifecycle / logout events."""

from __future__ import annotations

from .app_directory import AppDirectory, AppRef
from .delivery import DeliveryAttempt, EventDispatcher, EventResult
from .envelope import EVENT_TYPES, Envelope
from .errors import PlatformError
from .installation_key import InstallationKey
from .installations import ClientSecret, Installation, InstallationRegistry, TenantRef
from .licences import Subscription
from .signing import SIGNATURE_HEADER, SIGNATURE_ID_HEADER, EventKeyRing, EventSigningKey
from .state import PlatformConfig, PlatformState

__all__ = [
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "SIGNATURE_ID_HEADER",
    "AppDirectory",
    "AppRef",
    "ClientSecret",
    "DeliveryAttempt",
    "Envelope",
    "EventDispatcher",
    "EventKeyRing",
    "EventResult",
    "EventSigningKey",
    "Installation",
    "InstallationKey",
    "InstallationRegistry",
    "PlatformConfig",
    "PlatformError",
    "PlatformState",
    "Subscription",
    "TenantRef",
]
