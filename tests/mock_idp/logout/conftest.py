"""Fixtures of the sign-out tests: the provider of :func:`logout_kit.config`, whose
back-channel logout requests reach a :class:`logout_kit.Receiver`, and a browser of it (the
AppClient's cookies are its session)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from asgi_client import AppClient
from logout_kit import Receiver, config
from starlette.applications import Starlette

from mock_idp import create_app


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def idp(receiver: Receiver) -> Starlette:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    return create_app(config(), http_client=http)


@pytest.fixture
def browser(idp: Starlette) -> Iterator[AppClient]:
    with AppClient(idp, follow_redirects=False) as client:
        yield client
