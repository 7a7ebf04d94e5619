"""Fixtures of the MSAL Python tests: the provider over HTTPS with the registrations of
:func:`msal_python_kit.msal_config`, and one with a public client (a CLI) for the device flow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from idp_testkit import https_idp
from msal_python_kit import DEVICE_CLIENT_ID, close_msal_apps, msal_config

from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.testing import MockIdp


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(msal_config(), tls_dir, monkeypatch) as running:
        assert running.url.startswith("https://")
        try:
            yield running
        finally:
            close_msal_apps()


@pytest.fixture
def device_idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    """A provider with a public client (a CLI) and a one-second polling interval, so MSAL's
    real sleeps between polls keep the test short."""
    tenant = default_tenant()
    cli = AppConfig(client_id=DEVICE_CLIENT_ID, name="Contoso CLI", public_client=True)
    config = IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, cli)),),
                       device_code_interval=1)
    with https_idp(config, tls_dir, monkeypatch) as running:
        yield running
