"""The test-control API and the console answer only the mock's own host names: a request whose
``Host`` is another name (what a DNS-rebinding page sends: evil.example made to resolve to
127.0.0.1) is refused with 403 naming ``host``, a short page for the console, and changes
nothing; the protocol endpoints answer any ``Host``."""

from __future__ import annotations

import argparse
import re
import socket

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, SECRET, TENANT, auth_params, paths
from starlette.applications import Starlette
from starlette.routing import Route
from test_console import CONSOLE, csrf
from test_control import error_of

from mock_idp import create_app
from mock_idp.__main__ import load_config, main, parse_args
from mock_idp.config import ConfigError, IdpConfig
from mock_idp.control_hosts import allowed_entries, host_name, listening_names, machine_names
from mock_idp.testing import MockIdp, run_in_thread

OWN_HOSTS = ["localhost", "LOCALHOST:8400", "localhost.", "localhost.:8400", "app.localhost",
             "Deep.App.Localhost:1", "127.0.0.1", "127.0.0.1:8400", "127.45.6.7:8400",
             "[::1]", "[::1]:8400", "[0:0:0:0:0:0:0:1]:80", "192.168.1.20:8400",
             "[fe80::1]:8400", "testserver", "TESTSERVER.:80"]
"""Loopback names and addresses, any address (the machine's own, reached on a network), and
the in-process client's host (the server's own), with any port, case and a trailing dot."""
FOREIGN_HOSTS = ["evil.example", "evil.example:8400", "EVIL.EXAMPLE.", "localhost..",
                 "localhost.evil.example", "evillocalhost", "localhost:abc", "::1", "[::1",
                 "[::1]x", "127.0.0.1:99999", "localhost:", "", "a b", "evil.example/x",
                 "user@localhost", "[fe80::1%25eth0]", "2130706433", "testserver.evil.example"]
"""Another name, and what is not a host: a rebinding page's, or no browser's."""


def rotate_keys(client: AppClient, host: str) -> httpx.Response:
    return client.post("/_mock/keys/rotate", headers={"Host": host})


def active_key(client: AppClient) -> str:
    key: str = client.get("/_mock/keys").json()["active"]
    return key


def checked_paths(app: Starlette) -> list[str]:
    """Every route under /_mock/ (the console and the catch-all included) but the signed-out
    page's report, its parameters filled in."""
    return [re.sub(r"\{[^}]+\}", "x", r.path) for r in app.router.routes
            if isinstance(r, Route) and r.path.startswith("/_mock/")
            and not r.path.endswith("/loaded")]


@pytest.mark.parametrize("host", OWN_HOSTS)
def test_the_mocks_own_hosts_reach_the_control_api(client: AppClient, host: str) -> None:
    before = active_key(client)
    assert rotate_keys(client, host).status_code == 200
    assert active_key(client) != before


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_another_host_changes_nothing_and_is_refused_naming_host(client: AppClient,
                                                                  host: str) -> None:
    before = active_key(client)
    message = error_of(rotate_keys(client, host), 403, "host")
    assert "DNS rebinding" in message and "--control-host" in message
    assert active_key(client) == before


def test_no_path_under_mock_answers_another_host_with_any_method(
        client: AppClient, idp_app: Starlette) -> None:
    paths_ = checked_paths(idp_app)
    assert {"/_mock/reset", "/_mock/requests", "/_mock/console", "/_mock/console/x",
            "/_mock/x"} <= set(paths_)
    for path in [*paths_, "/_mock"]:
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            response = client.request(method, path, headers={"Host": "evil.example:8400"})
            assert response.status_code == 403, (method, path, response.text)


def test_two_host_headers_are_refused(client: AppClient) -> None:
    response = client.get("/_mock/keys", headers=[("Host", "localhost"),
                                                   ("Host", "evil.example")])
    error_of(response, 403, "host")


def test_the_console_refuses_another_host_with_a_short_page(client: AppClient) -> None:
    page = client.get(CONSOLE, headers={"Host": "evil.example:8400"})
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "evil.example:8400" in page.text and "--control-host" in page.text
    assert "csrf" not in page.text and "alice" not in page.text.lower()  # none of the state
    escaped = client.get(CONSOLE, headers={"Host": "<b>"})
    assert escaped.status_code == 403 and "<b>" not in escaped.text
    before = active_key(client)
    pressed = client.post(f"{CONSOLE}/rotate-keys", data={"csrf": csrf(client)},
                          headers={"Host": "evil.example"})
    assert pressed.status_code == 403 and pressed.headers["content-type"].startswith("text/html")
    assert active_key(client) == before


def test_protocol_endpoints_answer_any_host(client: AppClient) -> None:
    v2 = paths(TENANT, "2.0")
    host = {"Host": "mock-idp:8400"}  # a container's service name, say
    discovery = client.get(v2["discovery"], headers=host)
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == f"http://mock-idp:8400/{TENANT}/v2.0"
    assert client.get(v2["keys"], headers=host).json()["keys"]
    assert client.get(v2["authorize"], params=auth_params(), headers=host).status_code == 200
    token = client.post(v2["token"], headers=host, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": "https://graph.microsoft.com/.default"})
    assert token.status_code == 200 and token.json()["access_token"]
    users = client.get(f"/graph/{TENANT}/v1.0/users", headers=host)
    assert users.status_code == 200
    assert users.json()["@odata.context"].startswith("http://mock-idp:8400/graph/")
    # the signed-out page's report that a logout frame loaded, made on the page's own host
    error_of(client.post("/_mock/notifications/nope/loaded", headers=host), 404, "note_id")


@pytest.mark.idp_config(public_url="https://idp.example.test/")
def test_the_public_urls_host_reaches_the_control_api(client: AppClient) -> None:
    assert rotate_keys(client, "IDP.example.test:443").status_code == 200
    assert rotate_keys(client, "idp.example.test.").status_code == 200
    error_of(rotate_keys(client, "other.example.test"), 403, "host")
    assert client.get(CONSOLE, headers={"Host": "idp.example.test"}).status_code == 200


@pytest.mark.idp_config(control_hosts=("Mock-IdP.", ".corp.example.test"))
def test_configured_control_hosts_reach_the_control_api(client: AppClient) -> None:
    for host in ("mock-idp:8400", "MOCK-IDP", "corp.example.test", "a.b.corp.example.test:1"):
        assert rotate_keys(client, host).status_code == 200, host
    for host in ("mock-idp.evil.example", "xcorp.example.test", "corp.example.test.evil"):
        error_of(rotate_keys(client, host), 403, "host")


def test_host_names_are_read_as_a_browser_sends_them() -> None:
    assert host_name("LocalHost.:8400") == "localhost"
    assert host_name("[::1]:8400") == "::1"
    assert host_name("[::FFFF:127.0.0.1]") == "::ffff:127.0.0.1"
    for bad in ("[127.0.0.1]", "::1", "host:1:2", "é.example", "-a.example", "a..b"):
        assert host_name(bad) is None, bad


@pytest.mark.parametrize(("entries", "needle"), [
    (["mock:8400"], "control_hosts[0] 'mock:8400'"),
    (["ok", "http://mock"], "control_hosts[1]"),
    (["*.example.test"], "give .example.test"),
    ([".test"], "two labels or more"),
    ([""], "control_hosts[0] ''"),
    ([5], "control_hosts[0] must be a string"),
    ("mock", "must be a list of host names"),
])
def test_bad_control_hosts_are_refused_naming_the_entry(entries: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        allowed_entries(entries, "control_hosts")
    with pytest.raises(ConfigError, match=re.escape(needle)):
        IdpConfig.from_mapping({"tenants": [{"id": TENANT, "domain": "contoso.example",
                                             "name": "C"}], "control_hosts": entries})


def test_control_hosts_are_kept_as_they_are_compared() -> None:
    assert allowed_entries(["Mock.", "[::1]", ".Corp.Example", "mock"], "x") == (
        "mock", "::1", ".corp.example")
    config = IdpConfig.from_mapping({"tenants": [{"id": TENANT, "domain": "contoso.example",
                                                  "name": "C"}], "control_hosts": ["Mock-IdP"]})
    assert config.control_hosts == ("mock-idp",)


def cli_config(*args: str) -> IdpConfig:
    parsed: argparse.Namespace = parse_args(["--port", "0", *args])
    return load_config(parsed)


def test_the_cli_adds_control_hosts_and_the_name_it_listens_on() -> None:
    config = cli_config("--control-host", "Mock-IdP", "--control-host", ".corp.example",
                        "--host", "builder.corp.example")
    assert config.control_hosts == ("mock-idp", ".corp.example", "builder.corp.example")
    for address in ("127.0.0.1", "[::1]", "192.0.2.7", "localhost"):
        assert cli_config("--host", address).control_hosts == ()
    machine = listening_names("0.0.0.0")
    assert cli_config("--host", "0.0.0.0").control_hosts == machine
    assert cli_config("--host", "::").control_hosts == machine


def test_listening_on_every_interface_adds_the_machines_own_names() -> None:
    def names() -> tuple[str, str]:
        return "Builder", "builder.corp.example."

    for wildcard in ("0.0.0.0", "::", "[::]"):
        assert listening_names(wildcard, machine=names) == ("builder", "builder.corp.example")
    assert listening_names("0.0.0.0", machine=lambda: ("localhost", "localhost")) == ()
    assert listening_names("0.0.0.0", machine=lambda: ("vm", "10.0.0.4", "")) == ("vm",)
    assert listening_names("127.0.0.1", machine=names) == ()
    host, fqdn = machine_names()
    assert host == socket.gethostname() and fqdn == socket.getfqdn()


def test_a_bad_control_host_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--control-host", "mock:8400"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--control-host 'mock:8400' is not a host name" in err and "Traceback" not in err


def test_a_mock_served_on_every_interface_answers_the_machines_own_name() -> None:
    host = socket.gethostname()
    with MockIdp(host="0.0.0.0") as idp, httpx.Client(base_url=idp.url) as http:
        for name in {host, host.upper() + "."}:
            answer = http.get("/_mock/keys", headers={"Host": f"{name}:{idp.port}"})
            assert answer.status_code == 200, answer.text
        error_of(http.get("/_mock/keys", headers={"Host": f"evil.example:{idp.port}"}),
                 403, "host")


def test_a_served_mock_refuses_another_host_and_answers_its_address() -> None:
    with run_in_thread(create_app(IdpConfig.default())) as server, \
            httpx.Client(base_url=server.base_url) as http:
        assert http.get("/_mock/keys").status_code == 200  # Host: 127.0.0.1:<port>
        assert http.get("/_mock/keys", headers={"Host": "localhost"}).status_code == 200
        error_of(http.get("/_mock/keys", headers={"Host": f"evil.example:{server.port}"}),
                 403, "host")
        assert http.get(f"/{TENANT}/v2.0/.well-known/openid-configuration",
                        headers={"Host": "evil.example"}).status_code == 200
