"""run_in_thread and MockIdp: real servers on ephemeral ports, for tests in other projects."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from idp_testkit import ctx_of, login_action
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.config import (
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
    UserConfig,
    default_tenant,
)
from mock_idp.testing import MockIdp, MockIdpError, path_segment, run_in_thread, url_host


def hello_app() -> Starlette:
    return Starlette(routes=[Route("/hello", lambda request: PlainTextResponse("hi"))])


def test_run_in_thread_serves_and_stops() -> None:
    with run_in_thread(hello_app()) as server:
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url("hello")).text == "hi"
        assert httpx.get(server.url("/hello")).text == "hi"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url("/hello"), timeout=1.0)


def test_two_servers_side_by_side() -> None:
    with run_in_thread(hello_app()) as one, run_in_thread(hello_app()) as two:
        assert one.port != two.port
        assert httpx.get(two.url("/hello")).status_code == 200


def test_a_failing_startup_is_reported() -> None:
    @asynccontextmanager
    async def broken(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError, match="startup"):
        with run_in_thread(Starlette(lifespan=broken), startup_timeout=3.0):
            pass


def test_a_taken_port_is_an_error() -> None:
    with run_in_thread(hello_app()) as server:
        with pytest.raises(OSError):
            with run_in_thread(hello_app(), port=server.port):
                pass


def test_url_host() -> None:
    assert url_host("0.0.0.0") == "127.0.0.1"
    assert url_host("::") == "[::1]"
    assert url_host("::1") == "[::1]"
    assert url_host("localhost") == "localhost"


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_run_in_thread_on_ipv6_loopback() -> None:
    try:
        ctx = run_in_thread(hello_app(), host="::1")
        server = ctx.__enter__()
    except OSError:
        pytest.skip("IPv6 loopback unavailable")
    try:
        assert server.base_url.startswith("http://[::1]:")
        assert httpx.get(server.url("/hello")).text == "hi"
    finally:
        ctx.__exit__(None, None, None)


def test_mock_idp_serves_the_provider() -> None:
    with MockIdp() as idp:
        assert idp.authority == f"{idp.url}/{idp.tenant_id}"
        doc = idp.http.get(f"/{idp.tenant_id}/v2.0/.well-known/openid-configuration").json()
        assert doc["issuer"] == f"{idp.authority}/v2.0"
        assert idp.http.get("/_mock/health").json()["status"] == "ok"
        assert idp.ca_file is None
        assert "server" not in idp.http.get(f"/{idp.tenant_id}/v2.0/.well-known/"
                                            "openid-configuration").headers


def test_mock_idp_helpers_and_the_clock() -> None:
    clock = MockClock()
    with MockIdp(IdpConfig.default(clock=clock)) as idp:
        assert idp.clock is clock
        user = idp.add_user("erin", assign_to=[REFERENCE_RP_CLIENT_ID])
        assert user.upn == f"erin@{idp.tenant_domain}" and user.password == "P@ssw0rd-erin"
        assert idp.graph("GET", f"users/{user.upn}").json()["mail"] == user.upn
        no_mail = idp.add_user("fay", mail="")
        assert idp.graph("GET", f"users/{no_mail.upn}").json()["mail"] is None
        assignments = idp.graph("GET", f"users/{user.upn}/appRoleAssignments").json()["value"]
        assert [a["resourceDisplayName"] for a in assignments] == ["Reference relying party"]
        app = idp.add_app("Widget", redirect_uris=["http://localhost/cb"])
        assert app.client_id and app.display_name == "Widget"
        secret = idp.add_secret(app.client_id, end=timedelta(days=1))
        token_url = f"/{idp.tenant_id}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": app.client_id,
                "client_secret": secret, "scope": f"{app.client_id}/.default"}
        assert idp.http.post(token_url, data=form).status_code == 200
        before = clock.now()
        after = idp.advance(days=2)
        assert after - before >= timedelta(days=2)
        expired = idp.http.post(token_url, data=form)
        assert expired.status_code == 401
        assert expired.json()["error_codes"] == [7000222]
        with pytest.raises(MockIdpError, match="userPrincipalName"):
            idp.add_user("mallory@fabrikam.example")



@pytest.mark.parametrize("frozen", [False, True])
def test_a_clock_move_that_overflows_changes_nothing(frozen: bool) -> None:
    clock = MockClock()
    if frozen:
        clock.freeze()
    before = clock.now()
    with pytest.raises(OverflowError):
        clock.advance(timedelta(days=3_000_000))
    assert abs(clock.now() - before) < timedelta(minutes=1)


@pytest.mark.parametrize(("moves", "named"), [
    ({"days": 3_000_000}, "days"), ({"days": 3_000_000_000}, "days"),
    ({"hours": 70_000_000}, "hours"), ({"days": -30_000}, "days"),
    ({"seconds": 1e300}, "seconds")])
def test_mock_idp_refuses_to_move_the_clock_out_of_range(moves: dict[str, float],
                                                           named: str) -> None:
    with MockIdp() as idp:
        before = idp.clock.now()
        with pytest.raises(MockIdpError, match=f"{named}.*1971..9000"):
            idp.advance(**moves)
        assert abs(idp.clock.now() - before) < timedelta(minutes=1)
        assert idp.http.get("/_mock/health").status_code == 200
        assert idp.http.get("/_mock/clock").status_code == 200


def test_an_unknown_directory_role_is_refused_naming_the_known_ones() -> None:
    with MockIdp() as idp:
        with pytest.raises(MockIdpError, match="'Global Admin'.*Global Administrator"):
            idp.assign_directory_role("alice@contoso.onmicrosoft.com", "Global Admin")

def test_a_group_named_with_accents_gets_a_nickname_graph_takes() -> None:
    with MockIdp() as idp:
        group = idp.add_group("Équipe Zürich 2")
        shown = idp.graph("GET", f"groups/{group.id}").json()
        assert (shown["displayName"], shown["mailNickname"]) == ("Équipe Zürich 2", "quipeZrich2")


def test_mock_idp_claim_helpers() -> None:
    with MockIdp() as idp:
        erin = idp.add_user("erin")
        inner = idp.add_group("Inner", members=[erin.upn])
        outer = idp.add_group("Outer", members=[inner.id], unified=True)
        assert outer.display_name == "Outer"
        members = idp.graph("GET", f"groups/{outer.id}/members").json()["value"]
        assert [m["id"] for m in members] == [inner.id]
        many = idp.add_groups(25, member=erin.id)
        assert len({g.id for g in many}) == 25
        idp.add_members(inner.id, [g.id for g in many[:21]])  # more than one bind request
        assert len(idp.graph("GET", f"groups/{inner.id}/members").json()["value"]) == 22
        name = idp.add_extension(REFERENCE_RP_CLIENT_ID, "badge", data_type="Integer")
        idp.update_user(erin.upn, **{name: 7})
        selected = idp.graph("GET", f"users/{erin.upn}?$select={name}").json()
        assert selected[name] == 7
        idp.configure_claims(REFERENCE_RP_CLIENT_ID, group_membership_claims="All",
                             id_token=["email", {"name": name, "source": "user"}])
        app = idp.graph("GET", f"applications(appId='{REFERENCE_RP_CLIENT_ID}')").json()
        assert app["groupMembershipClaims"] == "All"
        assert [c["name"] for c in app["optionalClaims"]["idToken"]] == ["email", name]
        idp.set_custom_claims(erin.upn, id_token={"department": "QA"})
        shown = idp.http.get(f"/_mock/tenants/{idp.tenant_id}/users/{erin.upn}/claims").json()
        assert shown["id_token"] == {"department": "QA"}
        with pytest.raises(MockIdpError, match="protocol claim"):
            idp.set_custom_claims(erin.upn, id_token={"sub": "someone"})


def test_groups_are_made_in_one_request_each_with_their_members() -> None:
    """``add_groups`` looks its member up once and puts it in each group's creation (Graph's
    ``members@odata.bind``, up to 20 a request): 200 groups for the overage were 600 requests
    (a look-up, a creation and a PATCH each), a third of an MSAL overage test's CPU."""
    with MockIdp() as idp:
        erin = idp.add_user("erin")
        sent: list[str] = []
        idp.http.event_hooks["request"].append(lambda r: sent.append(f"{r.method} {r.url.path}"))
        teams = idp.add_groups(5, member=erin.upn, prefix="Team")
        assert len(sent) == 6 and sum(s.startswith("POST ") for s in sent) == 5, sent
        for team in teams:
            members = idp.graph("GET", f"groups/{team.id}/members").json()["value"]
            assert [m["id"] for m in members] == [erin.id]
        del sent[:]
        people = [idp.add_user(f"user{i}").id for i in range(23)]
        del sent[:]
        crowd = idp.add_group("Crowd", members=people)  # 20 at its creation, 3 in a PATCH
        assert [s.split()[0] for s in sent] == ["POST", "PATCH"], sent
        members = idp.graph("GET", f"groups/{crowd.id}/members?$top=999").json()["value"]
        assert sorted(m["id"] for m in members) == sorted(people)


def test_mock_idp_helpers_take_a_guest_upn() -> None:
    """A guest's UPN holds ``#EXT#``: sent unencoded, the ``#`` would end the URL's path."""
    guest = "zed_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com"
    tenant = default_tenant()
    tenant = replace(tenant, users=(*tenant.users, UserConfig(
        upn=guest, name="Zed (guest)", password="P@ssw0rd-zed", user_type="Guest")))
    with MockIdp(IdpConfig(tenants=(tenant,))) as idp:
        guests = idp.graph("GET", "users?$filter=userType eq 'Guest'").json()["value"]
        assert [g["userPrincipalName"] for g in guests] == [guest]
        guest_id = guests[0]["id"]
        idp.assign(guest, REFERENCE_RP_CLIENT_ID)
        idp.update_user(guest, jobTitle="Consultant")
        group = idp.add_group("Partners", members=[guest])
        idp.set_custom_claims(guest, id_token={"department": "Partners"})
        idp.add_authenticator(guest, secret="JBSWY3DPEHPK3PXP")
        user = idp.graph("GET", f"users/{guest_id}?$select=jobTitle").json()
        assert user["jobTitle"] == "Consultant"
        assignments = idp.graph("GET", f"users/{guest_id}/appRoleAssignments").json()["value"]
        assert [a["resourceDisplayName"] for a in assignments] == ["Reference relying party"]
        members = idp.graph("GET", f"groups/{group.id}/members").json()["value"]
        assert [m["id"] for m in members] == [guest_id]
        claims = idp.http.get(f"/_mock/tenants/{idp.tenant_id}/users/{guest_id}/claims").json()
        assert claims["id_token"] == {"department": "Partners"}
        shown = idp.http.get(f"/_mock/tenants/{idp.tenant_id}/users/{guest_id}/authenticator")
        assert shown.json()["totp_secret"] == "JBSWY3DPEHPK3PXP"
        found = idp.graph("GET", f"users/{path_segment(guest)}").json()
        assert found["id"] == guest_id
    assert path_segment(guest) == "zed_fabrikam.onmicrosoft.com%23EXT%23@contoso.onmicrosoft.com"


def test_graph_takes_a_path_as_graphs_documentation_writes_it() -> None:
    """``GET /v1.0/users`` copied from Graph's documentation reaches the same route as
    ``users``, not ``…/v1.0/v1.0/users``."""
    with MockIdp() as idp:
        relative = idp.graph("GET", "users?$select=userPrincipalName").json()["value"]
        for path in ("/v1.0/users", "v1.0/users", "/V1.0/users"):
            copied = idp.graph("GET", f"{path}?$select=userPrincipalName").json()["value"]
            assert copied == relative, path


def test_mock_idp_sign_in_protection_helpers() -> None:
    with MockIdp() as idp:
        secret = idp.add_authenticator("alice@contoso.onmicrosoft.com")
        with httpx.Client(base_url=idp.url, follow_redirects=False) as browser:
            page = browser.get(f"/{idp.tenant_id}/oauth2/v2.0/authorize", params={
                "client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code", "scope": "openid",
                "redirect_uri": "http://localhost/auth/callback", "nonce": "n"})
            for form in ({"loginfmt": "alice@contoso.onmicrosoft.com",
                          "passwd": "P@ssw0rd-alice"}, {"otc": idp.totp_code(secret)}):
                page = browser.post(login_action(page.text), data={"ctx": ctx_of(page.text),
                                                                   **form})
            assert "KmsiDescription" in page.text, page.text[:300]
        bob = "bob@contoso.onmicrosoft.com"
        assert idp.add_authenticator(bob, secret="JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
        with pytest.raises(MockIdpError, match="totp_secret"):
            idp.add_authenticator(bob, secret="nope")

        idp.set_lockout(threshold=1, duration=timedelta(seconds=30))

        def password_grant(password: str) -> list[int]:
            response = idp.http.post(f"/{idp.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "password", "client_id": REFERENCE_RP_CLIENT_ID,
                "client_secret": REFERENCE_RP_SECRET, "scope": "openid",
                "username": "carol@contoso.onmicrosoft.com", "password": password})
            return list(response.json().get("error_codes", []))

        assert password_grant("wrong") == [50053]
        assert password_grant("P@ssw0rd-carol") == [50053]
        idp.advance(seconds=30)
        assert password_grant("P@ssw0rd-carol") == [50057]  # unlocked; Carol is disabled
        with pytest.raises(MockIdpError, match="lockout_threshold"):
            idp.set_lockout(threshold=0)


def test_mock_idp_over_https() -> None:
    with MockIdp(https=True) as idp:
        assert idp.url.startswith("https://127.0.0.1:")
        assert idp.ca_file is not None and idp.ca_file.exists()
        assert idp.http.get("/_mock/health").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{idp.url}/_mock/health")
    assert not idp.ca_file.parent.exists()  # a temporary CA goes with the provider


def test_mock_idp_keeps_a_given_tls_dir(tmp_path: Path) -> None:
    with MockIdp(https=True, tls_dir=tmp_path) as idp:
        assert idp.ca_file == tmp_path / "ca.pem"
    assert (tmp_path / "ca.pem").exists()


def test_mock_idp_outside_its_block() -> None:
    idp = MockIdp()
    with pytest.raises(RuntimeError, match="context manager"):
        _ = idp.url


def test_a_redirect_answering_a_helper_is_a_failure_naming_status_and_location() -> None:
    """The control and Graph APIs redirect nothing: a 3xx came from another server at the
    helper's URL, and the change asked for was not made, so the helper raises rather than
    taking the redirect for success."""
    moved = httpx.MockTransport(
        lambda request: httpx.Response(307, headers={"location": f"{request.url}/"}))
    with MockIdp() as idp, httpx.Client(transport=moved, base_url=idp.url) as elsewhere:
        idp._http = elsewhere
        with pytest.raises(MockIdpError, match=(
                rf"^PATCH {idp.url}/_mock/tenants/[^ ]+: 307 redirect to "
                rf"'{idp.url}/_mock/tenants/[^ ]+/', not the mock's answer$")):
            idp.set_lockout(threshold=3)
        with pytest.raises(MockIdpError, match="307 redirect"):
            idp.graph("GET", "users")


def test_an_error_answering_a_helper_names_the_url_as_a_redirect_does() -> None:
    """The error's message names the request's full URL, as the redirect's does, not the path
    the helper was given."""
    refused = httpx.MockTransport(lambda request: httpx.Response(409, text="taken"))
    with MockIdp() as idp, httpx.Client(transport=refused, base_url=idp.url) as elsewhere:
        idp._http = elsewhere
        with pytest.raises(MockIdpError, match=(
                rf"^PATCH {idp.url}/_mock/tenants/[^ ]+: 409 taken$")):
            idp.set_lockout(threshold=3)
