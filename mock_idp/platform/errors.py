"""Errors of the platform API; each knows the HTTP status and the request field it is about."""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    status = 400
    error = "invalid_request"

    def __init__(self, description: str, *, field: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.field = field

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "error_description": self.description}
        if self.field is not None:
            body["field"] = self.field
        return body


class InvalidField(PlatformError):
    """A request value is missing, of the wrong type or malformed."""


class NotFound(PlatformError):
    status = 404
    error = "not_found"


class Conflict(PlatformError):
    status = 409
    error = "conflict"


class UnknownInstallation(NotFound):
    pass


class AlreadyInstalled(Conflict):
    pass


class NotInstalled(Conflict):
    pass
