"""Run the relying party: ``python -m relying_party --host 127.0.0.1 --port 8500 [--db PATH]``.

The first line printed is the base URL (useful with ``--port 0``, which binds a free port). On
the first start with a new database, the next line is the admin token, shown this once. With
``--public-url``, a last line names the address actually listened on. The admin token can
instead be given in ``RP_ADMIN_TOKEN`` or a file (``--admin-token-file``). Everything is
checked before anything is printed: a bad option or file is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import uvicorn
from starlette.applications import Starlette

from .admin_auth import provision_admin_token, replace_admin_token
from .app import check_urls, create_app, graph_url_problem, public_url_problem, tls_verify
from .db import Database
from .inputs import InputError, display_name, text, url_problem
from .settings import Settings

ADMIN_TOKEN_ENV = "RP_ADMIN_TOKEN"
CONTACT_OPTION = "--partner-support-contact"
SUPPORT_OPTION = "--support-contact"
MAX_CONTACT_LENGTH = 200
KEEP_ALIVE_SECONDS = 120
"""How long the server keeps an idle connection: longer than an HTTP client's pool keeps one
(httpx's 5 s), so the client closes it first and never sends a request as the server closes."""
"""As for a connection's support contact (:mod:`relying_party.connections`)."""
SCOPE_OPTION = "--platform-api-scope"
MAX_SCOPE_LENGTH = 1000


TRACE = 5
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
PROG = "python -m relying_party"


def _version() -> str:
    """The installed sso-harness version (this app does not import the mock's helper)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sso-harness")
    except PackageNotFoundError:
        return "(not installed: running from a source tree)"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help="show the installed version and exit")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8500, help="0 binds a free port")
    parser.add_argument("--db", default="relying_party.db", help="SQLite file (created if absent)")
    parser.add_argument(
        "--public-url",
        help="base URL browsers use (default: http://HOST:PORT with the bound port)",
    )
    parser.add_argument("--event-keys-url", help="platform key set trusted for POST /events")
    parser.add_argument(
        "--partner-app-id",
        help="this app's id on the platform: POST /events applies only events for it",
    )
    parser.add_argument(
        "--partner-support-contact", metavar="CONTACT",
        help="shown on the failure page of a partner-app (platform) sign-in (default: "
        f"{Settings.partner_support_contact})",
    )
    parser.add_argument(
        SUPPORT_OPTION, metavar="CONTACT",
        help="shown on the failure page of a sign-in that names no connection there is (an "
        "unknown or deleted sign-in link, a callback without a sign-in) (default: "
        f"{Settings.default_support_contact})",
    )
    parser.add_argument(
        SCOPE_OPTION, metavar="SCOPE",
        help="scope of the client-credentials token the app calls the platform's Apps API with, "
        f"to approve installations and acknowledge rotated credentials (default: "
        f"{Settings.platform_api_scope})",
    )
    parser.add_argument(
        "--graph-url", metavar="URL",
        help="Microsoft Graph's base URL, where the groups of a user in too many groups for a "
        "token are looked up: a national cloud's, or a test provider's Graph-shaped API "
        f"(default: {Settings.graph_url})",
    )
    parser.add_argument(
        "--allow-http-idp",
        action="store_true",
        help="accept plain-http provider URLs on non-loopback hosts (test setups only)",
    )
    parser.add_argument(
        "--admin-token-file",
        help=f"file holding the admin token (else ${ADMIN_TOKEN_ENV}, else the one created on "
        "the first start)",
    )
    parser.add_argument(
        "--new-admin-token",
        action="store_true",
        help="replace the stored admin token with a new one, print it and exit (a running "
        "RP on the same --db takes it within seconds)",
    )
    parser.add_argument(
        "--ca-file",
        help="CA certificate (PEM) to trust for https providers, besides the system's",
    )
    parser.add_argument(
        "--forwarded-allow-ips", metavar="IPS",
        help="behind a reverse proxy: its addresses or networks, comma-separated ('*': any); "
        "their X-Forwarded-For then names the client (the admin-token throttle counts per "
        "client). Without it X-Forwarded-* headers are ignored",
    )
    parser.add_argument("--log-level", default="info", type=str.lower, choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if not args.db.strip():  # an unset variable ("$RP_DB"): not a database lost at exit
        parser.error(f"--db needs the path of a SQLite file, got {args.db!r}")
    if args.event_keys_url is not None and (
            problem := url_problem(args.event_keys_url, allow_http=args.allow_http_idp)):
        parser.error(f"--event-keys-url {args.event_keys_url!r} {problem}")
    if args.graph_url is not None and (
            problem := graph_url_problem(args.graph_url, allow_http=args.allow_http_idp)):
        parser.error(f"--graph-url {args.graph_url!r} {problem}")
    if args.public_url is not None:
        args.public_url = args.public_url.rstrip("/")
        if problem := public_url_problem(args.public_url):
            parser.error(f"--public-url {args.public_url!r} {problem}")
    for option in (CONTACT_OPTION, SUPPORT_OPTION):
        dest = option.removeprefix("--").replace("-", "_")
        if getattr(args, dest) is not None:
            try:
                setattr(args, dest, display_name(getattr(args, dest), option,
                                                 max_length=MAX_CONTACT_LENGTH))
            except InputError as exc:
                parser.error(f"{option} {exc.errors[option]}")
    if args.platform_api_scope is not None:
        try:
            args.platform_api_scope = text(args.platform_api_scope, SCOPE_OPTION,
                                           max_length=MAX_SCOPE_LENGTH)
        except InputError as exc:
            parser.error(f"{SCOPE_OPTION} {exc.errors[SCOPE_OPTION]}")
    if args.forwarded_allow_ips is not None:
        if problem := _proxies_problem(args.forwarded_allow_ips):
            parser.error(f"--forwarded-allow-ips {problem}")
    return args


def _proxies_problem(value: str) -> str | None:
    for item in value.split(","):
        try:
            if item.strip() != "*":
                ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            return f"{item.strip()!r} is not an IP address or network (or '*')"
    return None


def server_config(app: Starlette, args: argparse.Namespace) -> uvicorn.Config:
    """uvicorn's settings. Forwarded headers are trusted only from ``--forwarded-allow-ips``
    (uvicorn itself trusts them from 127.0.0.1 by default): else any client on the machine
    could name its own address, and so escape the admin-token throttle."""
    return uvicorn.Config(
        app, lifespan="on", log_level=args.log_level, access_log=False,
        proxy_headers=args.forwarded_allow_ips is not None,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def given_admin_token(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The admin token from ``--admin-token-file`` or the environment, if either gives one."""
    if args.admin_token_file:
        return Path(args.admin_token_file).read_text(encoding="utf-8").strip()
    return environ.get(ADMIN_TOKEN_ENV) or None


def admin_token_notice(db_path: str, given: str | None, *, renew: bool) -> str | None:
    """The line announcing a token created now (shown once), or None."""
    db = Database(db_path)
    try:
        if renew:
            created: str | None = replace_admin_token(db)
        else:
            _, created = provision_admin_token(db, given)
    finally:
        db.close()
    if created is None:
        return None
    return f"Admin token (shown once; the admin page and API need it): {created}"


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening before the URL is printed. IPPROTO_TCP is
    named explicitly: asyncio only turns on TCP_NODELAY for such sockets, and without it
    kept-alive responses wait for the client's delayed ACK (about 40 ms each)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def wildcard_host(host: str) -> bool:
    """Whether ``host`` means every address (``0.0.0.0``, ``::``): no browser names it in
    ``Host``, so it cannot be the public URL's host."""
    try:
        return host == "" or ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _settings(args: argparse.Namespace, public_url: str) -> Settings:
    try:
        admin_token = given_admin_token(args, os.environ)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read --admin-token-file {args.admin_token_file}: {exc}")
    settings = Settings(
        db_path=args.db,
        public_url=public_url,
        event_keys_url=args.event_keys_url,
        partner_app_id=args.partner_app_id,
        allow_http_idp=args.allow_http_idp,
        admin_token=admin_token,
        ca_file=args.ca_file,
        **({"partner_support_contact": args.partner_support_contact}
           if args.partner_support_contact is not None else {}),
        **({"default_support_contact": args.support_contact}
           if args.support_contact is not None else {}),
        **({"platform_api_scope": args.platform_api_scope}
           if args.platform_api_scope is not None else {}),
        **({"graph_url": args.graph_url} if args.graph_url is not None else {}),
    )
    try:
        check_urls(settings)
    except ValueError as exc:
        _fail(str(exc))
    if args.ca_file:
        try:
            tls_verify(settings)
        except OSError as exc:  # ssl.SSLError included: not a PEM certificate
            _fail(f"cannot use --ca-file {args.ca_file}: {exc}")
    return settings


def _app(args: argparse.Namespace, settings: Settings) -> tuple[Starlette, str | None]:
    """The app and the admin token notice; the database is opened (and made) here."""
    try:
        notice = admin_token_notice(args.db, settings.admin_token, renew=False)
        return create_app(settings), notice
    except ValueError as exc:
        _fail(str(exc))
    except (sqlite3.Error, OSError) as exc:
        _fail(f"cannot open the database --db {args.db}: {exc}")


def renew_admin_token(db_path: str) -> None:
    """``--new-admin-token``: replace the stored token, print the new one and return, serving
    nothing, so it runs beside the RP serving the same database (whose workers read the
    credential afresh, :class:`relying_party.admin_auth.AdminCredential`)."""
    try:
        notice = admin_token_notice(db_path, None, renew=True)
    except (sqlite3.Error, OSError) as exc:
        _fail(f"cannot open the database --db {db_path}: {exc}")
    print(notice, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.new_admin_token:
        renew_admin_token(args.db)
        return
    if args.public_url is None and wildcard_host(args.host):
        _fail(f"--host {args.host} listens on every address, but requests are answered only "
              "for the public URL's host; give --public-url with the URL browsers use (e.g. "
              "--public-url https://rp.example.com)")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:  # socket.gaierror for a host that does not resolve
        _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    bound = f"http://{host}:{port}"
    try:
        settings = _settings(args, args.public_url or bound)
        app, notice = _app(args, settings)
    except SystemExit:
        sock.close()
        raise
    print(settings.public_url, flush=True)
    if notice is not None:
        print(notice, flush=True)
    if args.public_url is not None:
        print(f"Listening on {bound}", flush=True)
    logging.addLevelName(TRACE, "TRACE")  # uvicorn's level below DEBUG, as --log-level names it
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    uvicorn.Server(server_config(app, args)).run(sockets=[sock])


if __name__ == "__main__":
    main()
