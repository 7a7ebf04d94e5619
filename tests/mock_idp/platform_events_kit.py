"""Platform events in unit tests: a tenant, an app and its installation at a fixed start time,
and a receiver's check of an event's signature against the published keys."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from mock_idp.platform import ClientSecret, Installation, InstallationKey, TenantRef
from mock_idp.platform.acknowledgements import Approval
from mock_idp.platform.signing import SIGNATURE_HEADER, SIGNATURE_ID_HEADER

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
BASE = "http://idp.test"
TENANT = TenantRef(id="6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318", domain="contoso.onmicrosoft.com")
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"


def verify(jwks: dict[str, Any], body: bytes, headers: httpx.Headers | dict[str, str]) -> None:
    """What a receiver does: pick the JWK named by the key-id header and check the signature."""
    jwk = next(k for k in jwks["keys"] if k["kid"] == headers[SIGNATURE_ID_HEADER])
    public_key = ECAlgorithm.from_jwk(jwk)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    der = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))


def make_installation() -> Installation:
    return Installation(
        installation_id="9514148a170c4d4aaa344a540cec08c5",
        app_id=APP_ID,
        app_version_id="970d6643b6604a9d8ec77d470a3903cf",
        app_version_name="1.0.0",
        tenant=TENANT,
        client_id=APP_ID,
        credential=ClientSecret.generate(
            now=START, lifetime=timedelta(days=180), display_name="test"
        ),
        key=InstallationKey.generate(),
        events_url="http://rp.test/events",
        installed_at=START, approval=Approval.start(START),
    )
