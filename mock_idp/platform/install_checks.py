"""What an install names: the app's id (a path segment of the Apps API) and its events URL."""

from __future__ import annotations

import re

from ..protocol.urls import UrlError, split_url
from .envelope import DOT_SEGMENTS
from .errors import InvalidField


def check_events_url(url: object) -> str:
    if url is None:
        raise InvalidField(
            "events_url is required: the app has no registered events URL", field="events_url"
        )
    if not isinstance(url, str) or not url:
        raise InvalidField("events_url must be a non-empty string", field="events_url")
    try:
        split_url(url)
    except UrlError as exc:
        raise InvalidField(f"events_url {exc}", field="events_url") from None
    return url


APP_ID_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]+")
"""What an app id is made of: it is a path segment of the Apps API
(``/apps/{app_id}/installations/{id}``), so RFC 3986's unreserved characters only."""


def check_app_id(app_id: str) -> str:
    if not APP_ID_CHARACTERS.fullmatch(app_id) or app_id in DOT_SEGMENTS:
        raise InvalidField("app_id may hold only letters, digits and . _ ~ - and may not be "
                           "'.' or '..' (it is a path segment of the Apps API)", field="app_id")
    return app_id
