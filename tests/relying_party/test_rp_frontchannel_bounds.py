"""What anyone can send to the front-channel logout URLs is bounded before it is kept.

The URLs take a ``GET`` from anyone (the provider loads them in an iframe, unsigned), and a
logout is remembered for twice the login timeout, so that a sign-in whose callback is waiting
on the provider makes no session (:mod:`relying_party.in_flight`). What is remembered must not
be whatever an anonymous request brings: a logout for a connection there is not, or with a
``sid`` or ``iss`` no provider sends (kilobytes long, control characters), ends nothing and
leaves nothing in the database."""

from __future__ import annotations

import pytest
from fake_op import ISSUER
from rp_support import RpHarness, database

from relying_party.db import ProviderLogout


def kept(rp: RpHarness, sid: str, connection: str) -> list[ProviderLogout]:
    """The front-channel logouts of ``sid`` remembered for sign-ins through ``connection``."""
    return database(rp).provider_logouts.naming(
        sid=sid, subject="", source=("connection", connection), at=rp.clock.now())


def test_a_logout_on_the_url_of_a_connection_is_remembered(rp: RpHarness) -> None:
    connection = rp.add_connection()
    response = rp.client.get(f"/auth/frontchannel-logout/{connection}", params={"sid": "s-1"})
    assert response.status_code == 200
    assert len(kept(rp, "s-1", connection)) == 1


def test_a_logout_for_no_connection_is_not_remembered(rp: RpHarness) -> None:
    """No sign-in can be under way through a connection there is not (one deleted since ends
    as ``state_expired`` anyway), so nothing is kept for it."""
    rp.add_connection()
    response = rp.client.get("/auth/frontchannel-logout/no-such-connection",
                             params={"sid": "s-1"})
    assert response.status_code == 200
    assert kept(rp, "s-1", "no-such-connection") == []


@pytest.mark.parametrize("sid", ["s" * 257, "s-1\x00", " s-1", "s-\u202e1", "s-\u00e91"],
                         ids=["long", "control", "space", "bidi", "non-ASCII"])
def test_a_sid_no_provider_sends_ends_and_keeps_nothing(rp: RpHarness, sid: str) -> None:
    connection = rp.add_connection()
    response = rp.client.get(f"/auth/frontchannel-logout/{connection}", params={"sid": sid})
    assert response.status_code == 200
    assert kept(rp, sid, connection) == []
    response = rp.client.get("/auth/frontchannel-logout", params={"sid": sid, "iss": ISSUER})
    assert response.status_code == 200
    assert kept(rp, sid, connection) == []


@pytest.mark.parametrize("iss", [ISSUER + "x" * 2100, ISSUER + "\n", ISSUER + " x"],
                         ids=["long", "line break", "space"])
def test_an_iss_no_provider_sends_keeps_nothing(rp: RpHarness, iss: str) -> None:
    connection = rp.add_connection()
    for path in ("/auth/frontchannel-logout", f"/auth/frontchannel-logout/{connection}"):
        response = rp.client.get(path, params={"sid": "s-1", "iss": iss})
        assert response.status_code == 200
    assert kept(rp, "s-1", connection) == []


def test_the_longest_sid_taken_still_signs_out(rp: RpHarness) -> None:
    """The bound refuses only what no provider sends: a sid of the longest length taken
    still ends the sessions that carry it."""
    connection = rp.add_connection()
    sid = rp.op.sessions["alice"] = "s" * 255 + "~"
    rp.sign_in()
    assert rp.me().status_code == 200
    response = rp.client.get(f"/auth/frontchannel-logout/{connection}", params={"sid": sid})
    assert response.status_code == 200
    assert rp.me().status_code == 401
