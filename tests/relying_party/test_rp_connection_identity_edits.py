"""Editing which client or provider a connection names ends its sessions: they were signed in
by another client or issuer. Other edits (name, contact, expiry date) keep them."""

from __future__ import annotations

from fake_op import AUTHORIZE, TID, TOKEN
from rp_support import ANY_VERSION, RpHarness


def _signed_in(rp: RpHarness) -> str:
    cid = rp.add_connection()
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200
    return cid


def _patch(rp: RpHarness, cid: str, **changes: str) -> None:
    response = rp.client.patch(f"/api/admin/connections/{cid}", json=changes, headers=ANY_VERSION)
    assert response.status_code == 200, response.text


def test_a_new_client_id_ends_the_connections_sessions(rp: RpHarness) -> None:
    cid = _signed_in(rp)
    _patch(rp, cid, client_id="another-client-id", client_secret="another-secret",
           secret_expires_on="2027-01-01")
    assert rp.me().status_code == 401


def test_another_tenant_ends_the_connections_sessions(rp: RpHarness) -> None:
    cid = _signed_in(rp)
    other = "0f0e0d0c-0b0a-0908-0706-050403020100"
    _patch(rp, cid, authorization_uri=AUTHORIZE.replace(TID, other),
           token_url=TOKEN.replace(TID, other))
    assert rp.me().status_code == 401


def test_other_edits_keep_the_sessions(rp: RpHarness) -> None:
    cid = _signed_in(rp)
    _patch(rp, cid, name="Contoso Ltd", support_contact="it@contoso.test",
           secret_expires_on="2026-12-31")
    assert rp.me().status_code == 200
