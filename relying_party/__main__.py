"""Run the relying party: ``python -m relying_party --host 127.0.0.1 --port 8500 [--db PATH]``.

The first line printed is the base URL (useful with ``--port 0``, which binds a free port).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence

import uvicorn

from .app import create_app
from .settings import Settings


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m relying_party", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8500, help="0 binds a free port")
    parser.add_argument("--db", default="relying_party.db", help="SQLite file (created if absent)")
    parser.add_argument(
        "--public-url",
        help="base URL browsers use (default: http://HOST:PORT with the bound port)",
    )
    parser.add_argument("--event-keys-url", help="platform key set trusted for POST /events")
    parser.add_argument(
        "--allow-http-idp",
        action="store_true",
        help="accept plain-http provider URLs on non-loopback hosts (test setups only)",
    )
    parser.add_argument(
        "--ca-file",
        help="CA certificate (PEM) to trust for https providers, besides the system's",
    )
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio only turns on TCP_NODELAY for such sockets, and
    # without it keep-alive responses wait for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    public_url = (args.public_url or f"http://{host}:{port}").rstrip("/")
    settings = Settings(
        db_path=args.db,
        public_url=public_url,
        event_keys_url=args.event_keys_url,
        allow_http_idp=args.allow_http_idp,
        ca_file=args.ca_file,
    )
    print(public_url, flush=True)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    config = uvicorn.Config(
        create_app(settings), lifespan="on", log_level=args.log_level, access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
