"""``python -m scenarios doctor``: options and the handler of the ``doctor`` command row."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from scenarios.doctor.config import ENV_PREFIX, ConfigError, load_options
from scenarios.github import say

__all__ = ["EXIT_CONFIG", "configure", "handle"]

EXIT_CONFIG = 2


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        f"Every option can also come from the environment ({ENV_PREFIX}AUTHORIZATION_URI, ...) "
        "or a --config file; the command line wins. Exit code 1 when a check FAILs, 2 for bad "
        "options."
    )
    add = parser.add_argument
    add("--authorization-uri", metavar="URL", help="the provider's authorization endpoint")
    add("--token-url", metavar="URL", help="the provider's token endpoint")
    add("--client-id", metavar="ID", help="the application (client) ID")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--client-secret", metavar="SECRET",
        help="the client secret value (visible to other users in the process list: prefer "
        "--client-secret-env)")
    secret.add_argument("--client-secret-env", metavar="NAME",
                        help="read the client secret from this environment variable")
    secret.add_argument("--client-secret-file", metavar="FILE",
                        help="read the client secret from this file")
    add("--redirect-uri", metavar="URI", help="check that this redirect URI is registered")
    add("--discovery-url", metavar="URL",
        help="the discovery document, when it cannot be derived from the authorization URI; "
        "without --authorization-uri or --token-url, the endpoints it names are checked")
    add("--scope", help="scope of the client-credentials request (Entra default: "
        "https://graph.microsoft.com/.default; on Entra's v1 token endpoint, "
        "resource=https://graph.microsoft.com instead, and a --scope is sent as the resource "
        "it names: api://x/.default as resource=api://x)")
    add("--client-auth-method", choices=("post", "basic"),
        help="how the secret is sent (default: post for Entra, else per discovery)")
    add("--ca-file", metavar="PEM", help="also trust this CA (a provider with a private CA)")
    add("--timeout", metavar="SECONDS", help="per request (default: 10)")
    add("--config", type=Path, metavar="FILE", help="options from a TOML or JSON file")
    add("--json", action="store_true", help="print the result as JSON (for CI)")


def handle(args: argparse.Namespace) -> int:
    from scenarios.doctor.diagnose import diagnose
    from scenarios.doctor.probe import make_client
    from scenarios.doctor.report import format_table, to_json

    try:
        options = load_options(args)
        http = make_client(ca_file=options.ca_file, timeout=options.timeout)
    except ConfigError as exc:
        say(f"doctor: {exc}", sys.stderr)
        return EXIT_CONFIG
    with http:
        diagnosis = diagnose(options, http, clock=_SystemClock())
    if options.json:
        target = {"authorization_uri": diagnosis.authorization_uri or options.authorization_uri,
                  "token_url": diagnosis.token_url or options.token_url,
                  "client_id": options.client_id, "redirect_uri": options.redirect_uri,
                  "client_secret": options.client_secret.masked if options.client_secret
                  else None}
        say(to_json(diagnosis, secrets=options.secrets, target=target), json=True)
    else:
        secret = options.client_secret.masked if options.client_secret else "(none)"
        heading = (f"provider: {diagnosis.discovery_url}\n"
                   f"client:   {options.client_id}   secret: {secret}")
        # what the provider answered is quoted
        say(format_table(diagnosis, secrets=options.secrets, heading=heading))
    return diagnosis.exit_code
