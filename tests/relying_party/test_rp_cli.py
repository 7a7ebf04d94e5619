from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from leaks import unclosed
from rp_support import START
from starlette.applications import Starlette

import relying_party
from relying_party import Settings, create_app
from relying_party.__main__ import PROG, parse_args


def test_public_names() -> None:
    assert relying_party.__all__ == ["Settings", "create_app"]
    assert relying_party.create_app is create_app and relying_party.Settings is Settings


def test_cli_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.db) == ("127.0.0.1", 8500, "relying_party.db")
    assert args.public_url is None and args.event_keys_url is None


def _start(db: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relying_party", "--host", "127.0.0.1", "--port", "0",
         "--db", str(db), "--log-level", "warning", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(relying_party.__file__).parent.parent,
        env=env,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop the process; what it printed that was not read yet (its output is closed)."""
    process.terminate()
    process.wait(timeout=10)
    assert process.stdout is not None
    with process.stdout:
        return process.stdout.read()


def test_cli_prints_the_admin_token_once_and_the_api_takes_it(served: Served) -> None:
    """``served`` printed the token of its new database; a second process on that database
    keeps the token and does not show it again."""
    notice = served.notice
    assert notice.startswith("Admin token (shown once"), notice
    token = notice.rsplit(" ", 1)[1]
    assert len(token) >= 43
    api = f"{served.url}/api/admin/connections"
    assert httpx.get(api, timeout=10).status_code == 401
    wrong = httpx.get(api, headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    ok = httpx.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200 and ok.json() == []
    again = _start(served.db)  # the same database: the token is kept and not shown again
    try:
        assert again.stdout is not None
        url = again.stdout.readline().strip()
        assert url != served.url
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/admin/errors", headers=headers, timeout=10).status_code == 200
    finally:
        assert "Admin token" not in _stop(again)


@pytest.mark.slow
def test_cli_takes_the_admin_token_from_a_file_or_the_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file-0123456789\n")
    for extra, env in (
        (("--admin-token-file", str(token_file)), None),
        ((), {**os.environ, "RP_ADMIN_TOKEN": "from-the-env-0123456789"}),
    ):
        process = _start(tmp_path / "given.db", *extra, env=env)
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            token = "from-a-file-0123456789" if extra else "from-the-env-0123456789"
            response = httpx.get(f"{url}/api/admin/installations",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200
        finally:
            assert "Admin token" not in _stop(process)


def test_cli_refuses_a_short_admin_token(tmp_path: Path) -> None:
    process = _start(tmp_path / "short.db", env={**os.environ, "RP_ADMIN_TOKEN": "short"})
    assert process.wait(timeout=30) != 0
    assert _stop(process) == ""


@dataclass(frozen=True)
class Served:
    db: Path
    url: str
    """The first line it printed."""
    notice: str
    """The second: the admin token of its new database, shown once."""
    first_status: int | None
    """The status of a request sent the moment that line was read (None: none was answered)."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One ``python -m relying_party`` on port 0, with ``--log-level trace`` and
    ``--partner-support-contact help@partner.test``, for the tests that only read from it (each
    started its own: about 0.6 s of CPU apiece; none sends a wrong admin token more than once,
    which the admin API would throttle). A process that fails fails each of them."""
    db = tmp_path_factory.mktemp("rp-cli") / "cli.db"
    process = _start(db, "--log-level", "trace", "--partner-support-contact",
                     "help@partner.test")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        try:
            first: int | None = httpx.get(f"{url}/api/me", timeout=10.0).status_code
        except (httpx.HTTPError, ValueError):  # not listening, or no URL: the tests say which
            first = None
        notice = process.stdout.readline().strip()
        yield Served(db, url, notice, first)
    finally:
        _stop(process)


def test_cli_port_zero_prints_url_first_and_serves(served: Served) -> None:
    url = served.url
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    # the socket listens before the URL is printed: no polling needed
    assert served.first_status == 401
    assert served.db.exists()
    with httpx.Client(timeout=10.0) as client:  # kept alive
        assert [client.get(f"{url}/api/me").status_code for _ in range(3)] == [401] * 3


def test_the_listening_socket_is_tcp_so_asyncio_turns_nagle_off() -> None:
    """Kept-alive requests must not wait for the client's delayed ACK: asyncio sets
    TCP_NODELAY on accepted connections only when the listening socket's protocol is TCP
    (the latency itself is measured by ``make bench``, not here)."""
    from relying_party.__main__ import listening_socket

    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_a_host_it_cannot_listen_on_leaves_no_socket_open() -> None:
    from relying_party.__main__ import listening_socket

    with unclosed() as left:
        with pytest.raises(OSError):
            listening_socket("no.such.invalid", 0)
    assert left == []


def test_a_new_admin_token_replaces_the_old_and_ends_admin_sessions(tmp_path: Path) -> None:
    from relying_party.__main__ import admin_token_notice
    from relying_party.db import Database

    db_path = str(tmp_path / "renew.db")
    first = admin_token_notice(db_path, None, renew=False)
    assert first is not None and admin_token_notice(db_path, None, renew=False) is None
    db = Database(db_path)
    db.admin_sessions.create("open-session", START, START + timedelta(hours=1))
    db.close()
    renewed = admin_token_notice(db_path, None, renew=True)
    assert renewed is not None and renewed.rsplit(" ", 1)[1] != first.rsplit(" ", 1)[1]
    db = Database(db_path)
    assert not db.admin_sessions.live("open-session", START)
    db.close()


def test_new_admin_token_replaces_prints_and_returns_beside_a_running_rp(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It serves nothing: the running RP's port stays its own, and the command comes back."""
    from relying_party.__main__ import admin_token_notice, listening_socket, main
    from relying_party.admin_auth import ADMIN_TOKEN_KEY
    from relying_party.db import Database, digest

    db_path = str(tmp_path / "renew.db")
    first = admin_token_notice(db_path, None, renew=False)
    assert first is not None
    with listening_socket("127.0.0.1", 0) as running:  # the RP serving this database
        port = running.getsockname()[1]
        main(["--db", db_path, "--port", str(port), "--new-admin-token"])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("Admin token (shown once")
    new = out[0].rsplit(" ", 1)[1]
    assert new != first.rsplit(" ", 1)[1]
    db = Database(db_path)
    assert db.keys.get(ADMIN_TOKEN_KEY) == digest(new)
    db.close()


@pytest.mark.parametrize("bad", [
    ["--log-level", "nonsense"], ["--port", "70000"], ["--port", "-1"],
    ["--host", "no.such.invalid"], ["--admin-token-file", "/nonexistent"],
    ["--db", "/nonexistent/dir/x.db"], ["--ca-file", "/nonexistent.pem"],
    ["--ca-file", "{not_pem}"], ["--public-url", "ftp://x"],
    ["--public-url", "http://exa mple.com"], ["--public-url", "https://rp.example/app?x=1"],
    ["--public-url", "https://rp.example/#x"], ["--public-url", "https://u:p@rp.example"],
    ["--public-url", "https://rp.example:99999"], ["--host", "0.0.0.0"],
    ["--forwarded-allow-ips", "10.0.0.1,proxy.example"],
    ["--partner-support-contact", ""], ["--partner-support-contact", "  "],
    ["--partner-support-contact", "help@partner.test\nFake: line"],
    ["--partner-support-contact", "x" * 201],
    ["--support-contact", ""], ["--support-contact", "help@helpdesk.example\u202e"],
    ["--db", "{tmp}"], ["--db", "{not_pem}"],
], ids=lambda bad: " ".join(bad))
def test_a_bad_option_is_one_line_and_exit_2_before_anything_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    from relying_party.__main__ import main

    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    args = [arg.format(not_pem=not_pem, tmp=tmp_path) for arg in bad]
    with pytest.raises(SystemExit) as stopped:
        main(["--port", "0", "--db", str(tmp_path / "rp.db"), *args])
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith("python -m relying_party: error: ")
    assert "Traceback" not in err
    assert not (tmp_path / "rp.db").exists()  # checked before anything is made


@pytest.mark.parametrize("bad", [
    ["--db", ""], ["--db", " "],
    ["--event-keys-url", "keys.example/jwks"], ["--event-keys-url", "http://keys.example/k"],
    ["--event-keys-url", "https://keys.example/k#x"], ["--event-keys-url", ""],
], ids=lambda bad: " ".join(bad))
def test_an_empty_db_or_a_bad_event_keys_url_is_a_usage_error(
        capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    """``--db ""`` (an unset variable) would be an in-memory database lost at exit, and an
    event key set URL that is no https URL would refuse every platform event once serving."""
    with pytest.raises(SystemExit) as stopped:
        parse_args(bad)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"{PROG}: error: {bad[0]} "), err


def test_an_http_event_keys_url_is_taken_on_loopback_or_with_allow_http_idp() -> None:
    local = "http://127.0.0.1:8400/.well-known/platform-event-keys.json"
    assert parse_args(["--event-keys-url", local]).event_keys_url == local
    remote = "http://mock-idp:8400/.well-known/platform-event-keys.json"
    allowed = parse_args(["--event-keys-url", remote, "--allow-http-idp"])
    assert allowed.event_keys_url == remote


def test_forwarded_headers_are_trusted_only_from_the_proxies_named() -> None:
    from relying_party.__main__ import server_config

    app = Starlette()
    default = server_config(app, parse_args([]))
    assert default.proxy_headers is False
    behind = server_config(app, parse_args(["--forwarded-allow-ips", "10.0.0.0/8"]))
    assert behind.proxy_headers is True and behind.forwarded_allow_ips == "10.0.0.0/8"


def test_an_idle_connection_outlives_an_http_clients_pooled_one() -> None:
    """A client's pooled connection is closed by the client, never by the server at the
    instant the client sends on it (a read error instead of an answer)."""
    from relying_party.__main__ import server_config

    pooled = httpx.Limits().keepalive_expiry  # httpx's default pool
    assert pooled is not None
    assert server_config(Starlette(), parse_args([])).timeout_keep_alive > pooled


def test_cli_names_the_address_it_listens_on_and_ignores_forwarded_for(tmp_path: Path) -> None:
    """With a public URL of another host, the bound address is printed last; a client cannot
    escape the admin-token throttle by naming another address in X-Forwarded-For."""
    process = _start(tmp_path / "bound.db", "--public-url", "https://rp.example.test")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        assert lines[0] == "https://rp.example.test"
        assert lines[1].startswith("Admin token (shown once")
        assert lines[2].startswith("Listening on http://127.0.0.1:")
        bound = lines[2].rsplit(" ", 1)[1]
        statuses = [
            httpx.get(f"{bound}/api/admin/connections", timeout=10, headers={
                "Host": "rp.example.test", "Authorization": f"Bearer wrong-{i}",
                "X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(7)
        ]
        assert statuses[:5] == [401] * 5 and 429 in statuses[5:]
    finally:
        _stop(process)


def test_the_trace_log_level_serves(served: Served) -> None:
    """``--log-level trace`` (uvicorn's level below debug, ``served``'s) is one of the
    choices: the process must know the level's name before it configures logging, or it fails
    after printing."""
    assert httpx.get(f"{served.url}/api/me", timeout=10.0).status_code == 401


def test_the_support_contact_of_a_sign_in_of_no_connection_is_an_option(tmp_path: Path) -> None:
    from relying_party.__main__ import _settings

    default = _settings(parse_args(["--db", str(tmp_path / "a.db")]), "http://127.0.0.1:8500")
    assert default.default_support_contact == "your administrator"
    args = parse_args(["--db", str(tmp_path / "b.db"),
                       "--support-contact", " SSO help: help@helpdesk.example "])
    settings = _settings(args, "http://127.0.0.1:8500")
    assert settings.default_support_contact == "SSO help: help@helpdesk.example"
    assert settings.partner_support_contact == "support@partner-app.example"


def test_the_partner_support_contact_is_an_option(tmp_path: Path, served: Served) -> None:
    """A deployment's partner failure page shows its own contact, not the placeholder."""
    from relying_party.__main__ import _settings

    assert parse_args([]).partner_support_contact is None
    default = _settings(parse_args(["--db", str(tmp_path / "a.db")]), "http://127.0.0.1:8500")
    assert default.partner_support_contact == "support@partner-app.example"
    args = parse_args(["--db", str(tmp_path / "b.db"),
                       "--partner-support-contact", " Partner help: help@partner.test "])
    assert args.partner_support_contact == "Partner help: help@partner.test"
    settings = _settings(args, "http://127.0.0.1:8500")
    assert settings.partner_support_contact == "Partner help: help@partner.test"
    # ``served`` runs with --partner-support-contact help@partner.test
    page = httpx.get(f"{served.url}/launch?installation_id=unknown", timeout=10.0)
    assert page.status_code == 404
    assert "help@partner.test" in page.text
    assert "support@partner-app.example" not in page.text
