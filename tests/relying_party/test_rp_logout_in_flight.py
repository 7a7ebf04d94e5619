"""A provider's logout that comes while a sign-in's callback waits on the provider (the code
exchange, UserInfo) ends that sign-in too: it finds no session to end, and the callback must
not make one the provider has already signed out, which nothing would end later. The callback
ends on the failure page (``state_expired``), storing no session and no user. Logouts of
another session or user, and of a user before the sign-in began, leave it alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from fake_op import ISSUER
from rp_support import RpHarness, database

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def meanwhile(rp: RpHarness, endpoint: str, call: Call) -> list[httpx.Response]:
    """Make ``call`` to the RP once, while it waits for the provider's ``endpoint``; its
    answer is added to the list returned."""
    answers: list[httpx.Response] = []

    async def step() -> None:
        del rp.op.faults.meanwhile[endpoint]
        transport = httpx.ASGITransport(app=rp.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            answers.append(await call(other))

    rp.op.faults.meanwhile[endpoint] = step
    return answers


def backchannel(token: str) -> Call:
    return lambda client: client.post("/auth/backchannel-logout", data={"logout_token": token})


def frontchannel(path: str, **params: str) -> Call:
    return lambda client: client.get(path, params=params)


def approved(rp: RpHarness, path: str = "/widget") -> str:
    """The callback URL of a sign-in approved at the provider, not followed yet."""
    return rp.op.approve(rp.start(path))


def assert_refused(rp: RpHarness, response: httpx.Response) -> None:
    record = rp.assert_failure_page(response, status=400, code="state_expired")
    assert "signed out while signing in" in str(record["message"])
    assert "logout" in str(record["detail"])
    assert database(rp).users.all() == []
    assert database(rp).sessions.count() == 0


def test_a_backchannel_logout_by_sid_during_the_callback_makes_no_session(
        rp: RpHarness) -> None:
    rp.add_connection()
    callback = approved(rp)
    answers = meanwhile(rp, "userinfo", backchannel(rp.op.logout_token()))
    assert_refused(rp, rp.client.get(callback))
    assert [a.status_code for a in answers] == [200]  # it ended nothing: there was nothing yet


def test_a_backchannel_logout_by_sub_during_the_callback_makes_no_session(
        rp: RpHarness) -> None:
    rp.add_connection()
    callback = approved(rp)
    answers = meanwhile(rp, "token", backchannel(rp.op.logout_token(with_sid=False)))
    assert_refused(rp, rp.client.get(callback))
    assert [a.status_code for a in answers] == [200]


def test_a_frontchannel_logout_during_the_callback_makes_no_session(rp: RpHarness) -> None:
    rp.add_connection()
    callback = approved(rp)
    sid = rp.op.sessions["alice"]
    answers = meanwhile(rp, "userinfo",
                        frontchannel("/auth/frontchannel-logout", sid=sid, iss=ISSUER))
    assert_refused(rp, rp.client.get(callback))
    assert [a.status_code for a in answers] == [200]


def test_a_frontchannel_logout_on_the_connections_url_makes_no_session(rp: RpHarness) -> None:
    connection = rp.add_connection()
    callback = approved(rp)
    sid = rp.op.sessions["alice"]
    meanwhile(rp, "userinfo", frontchannel(f"/auth/frontchannel-logout/{connection}", sid=sid))
    assert_refused(rp, rp.client.get(callback))


def test_a_frontchannel_logout_on_another_connections_url_is_not_this_sign_in(
        rp: RpHarness) -> None:
    first = rp.add_connection()
    other = rp.add_connection(name="Fabrikam")
    callback = approved(rp, f"/sso/{first}/widget")
    sid = rp.op.sessions["alice"]
    meanwhile(rp, "userinfo", frontchannel(f"/auth/frontchannel-logout/{other}", sid=sid))
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_a_logout_of_another_issuer_is_not_this_sign_in(rp: RpHarness) -> None:
    rp.add_connection()
    callback = approved(rp)
    sid = rp.op.sessions["alice"]
    meanwhile(rp, "userinfo", frontchannel("/auth/frontchannel-logout", sid=sid,
                                           iss="https://login.other.test/v2.0"))
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_another_users_logout_during_the_callback_makes_the_session(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.sessions["bob"] = "bobs-provider-session"
    callback = approved(rp)
    meanwhile(rp, "userinfo", backchannel(rp.op.logout_token(user="bob")))
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_a_logout_of_the_user_before_the_sign_in_began_leaves_it(rp: RpHarness) -> None:
    """Issued more than the allowed clock skew before the sign-in began: a late delivery."""
    rp.add_connection()
    token = rp.op.logout_token(with_sid=False)
    rp.clock.advance(seconds=61)
    callback = approved(rp)
    meanwhile(rp, "userinfo", backchannel(token))
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_a_sign_in_begun_after_a_logout_of_the_user_arrived_makes_a_session(
        rp: RpHarness) -> None:
    rp.add_connection()
    assert rp.client.post("/auth/backchannel-logout", data={
        "logout_token": rp.op.logout_token(with_sid=False)}).status_code == 200
    rp.clock.advance(seconds=1)
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200


def test_a_logout_is_kept_for_twice_the_login_timeout(rp: RpHarness) -> None:
    rp.add_connection()
    token = rp.op.logout_token()
    assert rp.client.post("/auth/backchannel-logout",
                          data={"logout_token": token}).status_code == 200
    logouts = database(rp).provider_logouts
    sid = rp.op.sessions.get("alice", "no-session")
    source = ("connection", rp.client.get("/api/admin/connections").json()[0]["id"])

    def kept(after: timedelta) -> bool:
        return bool(logouts.naming(sid=sid, subject="x", source=source,
                                   at=rp.clock.now() + after))

    lifetime = 2 * rp.settings.login_timeout
    assert kept(lifetime)
    assert not kept(lifetime + timedelta(seconds=1))
