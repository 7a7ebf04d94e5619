"""``python -m mock_idp``: serve the mock provider.

The first line printed is the base URL (flushed at once, so scripts can read it with ``--port 0``);
with ``--https`` the next line names the CA certificate to trust. A bad config is one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .cli_version import VersionAction
from .config import ConfigError, IdpConfig
from .config_fields import base_url
from .control_hosts import allowed_entry, listening_names
from .serving import DrainingServer, bind_socket, server_config, url_host
from .tls import TlsFiles, tls_files_with

if TYPE_CHECKING:
    from starlette.applications import Starlette

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mock_idp",
                                     description="An Entra ID-faithful mock identity provider.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8400, help="port; 0 picks a free one")
    parser.add_argument("--config", metavar="IDP_TOML", help="tenants, apps and users "
                        "(default: the embedded Contoso directory)")
    parser.add_argument("--https", action="store_true",
                        help="serve TLS with a locally generated CA and server certificate")
    parser.add_argument("--tls-dir", metavar="DIR",
                        help="where the CA and server certificate live (reused while valid; "
                        "default: a temporary directory, removed on exit)")
    parser.add_argument("--public-url", metavar="URL",
                        help="issuer/base URL when the mock sits behind a proxy or container name")
    parser.add_argument("--control-host", metavar="NAME", action="append", default=[],
                        help="a host name the test-control API and console also answer to "
                        "(repeatable; .example.test: that name and the names under it); they "
                        "answer localhost, IP addresses, the --host name and the public URL's "
                        "host without it")
    parser.add_argument("--log-level", default="warning", choices=LOG_LEVELS)
    parser.add_argument("--version", action=VersionAction)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.tls_dir is not None and not args.https:
        parser.exit(2, f"{parser.prog}: error: --tls-dir applies only with --https\n")
    # An empty value (an unset variable in a script) would start the embedded directory, issue
    # tokens for the listening address rather than the proxy's, or keep the TLS files nowhere.
    if args.config is not None and not args.config.strip():
        parser.error("--config needs the path of an idp.toml file")
    if args.public_url is not None and not args.public_url.strip():
        parser.exit(2, f"{parser.prog}: error: --public-url needs the URL the mock is reached "
                    f"at, got {args.public_url!r}\n")
    if args.tls_dir is not None and not args.tls_dir.strip():
        parser.exit(2, f"{parser.prog}: error: --tls-dir needs a directory, got {args.tls_dir!r}\n")
    try:
        if args.public_url:
            args.public_url = base_url(args.public_url, "--public-url")
        args.control_host = [allowed_entry(name, "--control-host")
                             for name in args.control_host]
    except ConfigError as exc:
        parser.error(str(exc))
    return args


def load_config(args: argparse.Namespace) -> IdpConfig:
    """The config the arguments name; ``--control-host`` adds to the file's ``control_hosts``,
    and so does the ``--host`` name listened on (an address is taken anyway)."""
    overrides = {"public_url": args.public_url} if args.public_url else {}
    if args.config is not None:
        config = IdpConfig.from_toml(args.config, **overrides)
    else:
        config = IdpConfig.default(**overrides)
    added = [*args.control_host, *listening_names(args.host)]
    return replace(config, control_hosts=(*config.control_hosts, *added)) if added else config


def summary(config: IdpConfig, base: str) -> list[str]:
    lines = []
    for tenant in config.tenants:
        lines.append(f"Tenant {tenant.name}: {tenant.id} ({tenant.domain})")
        authority = f"{(config.public_url or base)}/{tenant.id}"
        lines.append(f"  authority {authority}")
        lines.append(f"  issuer    {authority}/v2.0")
        lines.append(f"  discovery {authority}/v2.0/.well-known/openid-configuration")
        for app in tenant.apps:
            note = ", assignment required" if app.assignment_required else ""
            lines.append(f"  app  {app.client_id}  {app.name} ({len(app.secrets)} secret(s)"
                         f"{note})")
        for user in tenant.users:
            note = "" if user.enabled else "  (disabled)"
            lines.append(f"  user {user.upn}  {user.name}{note}")
    return lines


def _fail(message: str) -> int:
    print(f"mock_idp: error: {message}", file=sys.stderr, flush=True)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args)
        from .app import create_app

        app = create_app(config)
    except (ConfigError, OSError, TypeError, ValueError, AttributeError, KeyError) as exc:
        return _fail(f"invalid config {args.config or '(embedded default)'}: {exc}")
    with ExitStack() as stack:
        return _serve(args, config, app, stack)


def _serve(args: argparse.Namespace, config: IdpConfig, app: Starlette, stack: ExitStack) -> int:
    """Listen until stopped; TLS files made in a temporary directory go when ``stack`` closes."""
    tls: TlsFiles | None = None
    if args.https:
        hosts = [args.host]
        if config.public_url:  # --public-url, else idp.toml's public_url
            hosts.append(urlsplit(config.public_url).hostname or "")
        try:
            tls = tls_files_with(stack, args.tls_dir, hosts)
        except (OSError, ValueError) as exc:
            return _fail(f"cannot prepare TLS files in {args.tls_dir or 'a temporary dir'}: "
                         f"{exc}")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    port = sock.getsockname()[1]
    base = f"{'https' if tls else 'http'}://{url_host(args.host)}:{port}"
    access_log = args.log_level in ("info", "debug", "trace")
    server = DrainingServer(server_config(app, ssl=tls, log_level=args.log_level,
                                          access_log=access_log))

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn takes SIGINT and SIGTERM over while it serves, shuts down cleanly on either, then
    # raises it again with the handler it found. That handler, and any signal before uvicorn
    # takes over (from the URL printed to the loop started), only asks the server to stop:
    # uvicorn (0.41 on) then starts, skips its loop and shuts down, and the process returns
    # normally, so ``stack`` removes its files. (Raised as an exception, an early signal left
    # uvicorn's coroutine never awaited; SIGTERM's default ended the process before the
    # clean-up.)
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(base, flush=True)
        if tls is not None:
            print(f"CA certificate: {tls.ca_cert}", flush=True)
        if config.public_url:
            print(f"Public URL: {config.public_url}")
        print("\n".join(summary(config, base)), flush=True)
        # What exists now (modules, the app, keys, the directory) lives as long as the
        # process: left out of the collector's full passes, which took about 26 ms each under
        # load.
        gc.freeze()
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
