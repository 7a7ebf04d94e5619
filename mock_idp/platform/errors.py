"""Errors of the platform API; each knows the HTTP status and the request field it is about."""

from __future__ import annotations


class PlatformError(Exception):
    status = 400

    def __init__(self, description: str, *, field: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.field = field


class InvalidField(PlatformError):
    """A request value is missing, of the wrong type or malformed."""


class NotFound(PlatformError):
    status = 404


class Conflict(PlatformError):
    status = 409


class UnknownInstallation(NotFound):
    pass


class AlreadyInstalled(Conflict):
    pass


class NotInstalled(Conflict):
    pass
