"""Where ``conformance`` finds the app and the mock provider: an app profile (``--app``: the
harness starts both, as ``run --app`` does) or flags (``--rp`` and ``--idp``, or a mock the
command starts and whose settings it prints)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from scenarios.app.failure_probe import origin_of as where
from scenarios.app.port_reservation import held_listener
from scenarios.app_logs import AppOutput
from scenarios.ca_trust import public_trust
from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.trust import client_context
from scenarios.protocol_view.known import known_values, template_secrets

__all__ = ["Target", "from_flags", "from_profile", "other_site", "same_site"]

Say = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class Target:
    options: ConformanceOptions
    control: MockControl
    ca_file: Path | None = None
    """The CA the https provider's certificate chains to (``None`` under http)."""
    app: AppOutput | None = None
    """The app the profile started, whose output is kept for the rows that fail."""
    known: Callable[[], Mapping[str, str]] = dict
    """The secret values the run knows, each with what it is shown as, read as the rows run:
    masked wherever the results quote the app."""
    name: str | None = None
    """The app's name (its profile's), for the reports' titles: its URL's port lives as long
    as the run (``None``: an app given by ``--rp``, named by its URL)."""


def _person(user: str, password: str | None) -> tuple[str, str]:
    from mock_idp.config import DEFAULT_DOMAIN

    if "@" in user:
        return user, password or f"P@ssw0rd-{user.split('@')[0].lower()}"
    return f"{user.lower()}@{DEFAULT_DOMAIN}", password or f"P@ssw0rd-{user.lower()}"


def _common(args: argparse.Namespace) -> dict[str, object]:
    upn, password = _person(args.user, args.password)
    return {"upn": upn, "password": password, "headed": args.headed,
            "timeout_ms": args.timeout * 1000, "ws_endpoint": args.browser_ws_endpoint,
            "max_failures": args.max_failures}


def from_profile(args: argparse.Namespace, stack: contextlib.ExitStack, *,
                 say: Say) -> Target:
    """Start the mock provider (on ``--idp-port``; ``--https``: over https) and the app as its
    profile says; the URLs come from the profile unless given as flags."""
    from scenarios.app.calls import CallError
    from scenarios.app.interface import Unsupported
    from scenarios.app.servers import AppStartError
    from scenarios.app.validation import ProfileError
    from scenarios.live import StackError, StackOptions, live_stack, profile_for

    try:
        profile = profile_for(args.app)
    except ProfileError as exc:
        raise SetupError("the profile has problems:\n" + "\n".join(
            f"  {problem}" for problem in exc.problems)) from None
    signed_in = profile.signed_in
    by_page = not (args.check or signed_in.me_url)
    if by_page and not signed_in.page:
        raise SetupError(f"{profile.name}: conformance tells whether the browser is signed in by "
                         "a URL ([signed_in] me_url, or --check) or by a page that shows who is "
                         "and never starts a sign-in itself ([signed_in] page, with its selector "
                         "or text): the profile gives neither")
    try:
        live = stack.enter_context(live_stack(StackOptions(app=profile, idp_https=args.https),
                                              idp_port=args.idp_port))
    except (AppStartError, StackError, CallError) as exc:
        raise SetupError(str(exc)) from None
    except OSError as exc:
        if not args.idp_port or exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        raise _port_refused(args.idp_port, exc) from None
    app = live.app
    try:
        start = args.start or app.sign_in_url()
    except Unsupported as exc:  # a partner-only profile
        raise SetupError(f"{profile.name}: {exc}") from None
    options = ConformanceOptions(
        rp=app.base_url, idp=live.idp.base_url, start=start,
        start_control=None if args.start else profile.sign_in.control,
        check=args.check or app.url(signed_in.me_url or signed_in.page or ""),
        shown_signed_in=app.is_signed_in if by_page else None,
        backchannel=args.backchannel or app.backchannel_uri, started_app=True,
        tenant=live.tenant_id, client_id=live.client_id, **_common(args))  # type: ignore[arg-type]
    say(f"{profile.name} at {app.base_url}; mock provider at {live.idp.base_url} "
        f"(issuer {live.authority}/v2.0)")
    control = MockControl(live.idp.base_url, tenant=live.tenant_id, client_id=live.client_id,
                          http=live.http)
    return Target(options=options, control=control, ca_file=live.ca_file, app=live,
                  known=lambda: known_values(live), name=profile.name)


def _print_settings(control: MockControl, secret: str | None, ca_file: Path | None,
                    say: Say) -> None:
    app = control.app()
    lines = [f"Mock provider running at {control.base_url}",
             "Configure the relying party under test with:",
             f"  authority       {control.authority}",
             f"  issuer          {control.authority}/v2.0",
             f"  discovery       {control.authority}/v2.0/.well-known/openid-configuration",
             f"  client id       {control.client_id}"]
    if secret:
        lines.append(f"  client secret   {secret}")
    if ca_file is not None:
        lines.append(f"  CA file         {ca_file}")
    for uri in app.get("web", {}).get("redirectUris", []):
        lines.append(f"  redirect URI    {uri}")
    for uri in app.get("spa", {}).get("redirectUris", []):
        lines.append(f"  redirect URI    {uri} (single-page app)")
    say("\n".join(lines))


def _register_redirects(control: MockControl, uris: Sequence[str], *,
                        platform: Literal["web", "spa"]) -> None:
    """Add ``uris`` to the app's redirect URIs on ``platform`` (Graph's ``web`` or ``spa``),
    keeping those registered already."""
    if not uris:
        return
    existing = list(control.app().get(platform, {}).get("redirectUris", []))
    flag = "--redirect-uri" if platform == "web" else "--spa-redirect-uri"
    try:
        control.patch_app({platform: {"redirectUris": existing + [u for u in uris
                                                                  if u not in existing]}})
    except SetupError as exc:
        raise SetupError(f"the provider refused {flag}: {exc}") from None


def other_site(rp: str) -> str:
    """The host the mock this command starts is reached at: a site other than the RP's, as
    Entra's login.microsoftonline.com is for any app, so the browser treats a redirect from
    the provider to the app as cross-site, as in production (a login cookie the app set
    ``SameSite=Strict`` does not come back to its callback, and the preflight shows it).
    ``localhost`` for an RP on ``127.0.0.1``, ``127.0.0.1`` for any other (``localhost``
    too); the mock listens on ``127.0.0.1``, which both names reach."""
    return "localhost" if urlsplit(rp).hostname == "127.0.0.1" else "127.0.0.1"


def same_site(a: str, b: str) -> bool:
    """Whether the hosts of URLs ``a`` and ``b`` are one site to a browser (port and scheme
    aside): one IP address, or host names sharing their last two labels (the registrable
    domain, for a suffix of one label such as ``.test`` or ``.com``; a suffix of two labels,
    ``.co.uk``, makes hosts of two sites look like one)."""
    hosts = [urlsplit(url).hostname or "" for url in (a, b)]
    if hosts[0] == hosts[1]:
        return True
    if any(_is_address(host) for host in hosts):
        return False
    return hosts[0].split(".")[-2:] == hosts[1].split(".")[-2:]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port_refused(port: int, exc: OSError) -> SetupError:
    """The mock provider cannot listen on the port ``--idp-port`` asks for (``exc``: why;
    with no port asked for, on none)."""
    if not port:
        return SetupError(f"cannot start the mock provider: {exc.strerror or exc}")
    return SetupError(f"cannot start the mock provider on port {port} (--idp-port): "
                      f"{exc.strerror or exc}; stop what uses it, or give another port")


def _reached_at(url: str, host: str) -> str:
    """``url`` with its host name ``host``."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host).geturl()


def _wait_for_enter() -> None:
    """``--pause``: ask on stderr, beside the settings (stdout is for the results, JSON with
    ``--json``), and wait for Enter; a standard input that ends first (``< /dev/null``, a CI
    step) is a :class:`SetupError`, as nobody can answer there."""
    print("Press Enter when the RP is configured... ", end="", file=sys.stderr, flush=True)
    if not sys.stdin.readline():
        print(file=sys.stderr)
        raise SetupError("--pause waits for Enter, but the standard input ended first (closed "
                         "or empty): run the command where you can press Enter, or without "
                         "--pause once the RP is configured")


def from_flags(args: argparse.Namespace, stack: contextlib.ExitStack, *, say: Say) -> Target:
    """``--rp`` and ``--idp`` (a running mock), or a mock started here (``--https``: with a
    local CA) whose settings are printed for the RP."""
    from mock_idp import IdpConfig, MockIdp
    from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET

    idp_url = args.idp
    ca_file: Path | None = args.ca_file
    if idp_url is None:
        try:
            # As the harness's other listeners: on a port no other run of it has planned for
            # an app, reserved while it serves (--idp-port, when given, taken as it is).
            sock = stack.enter_context(held_listener("127.0.0.1", args.idp_port))
        except OSError as exc:
            raise _port_refused(args.idp_port, exc) from None
        mock = stack.enter_context(MockIdp(IdpConfig.default(), sock=sock, https=args.https))
        idp_url, ca_file = _reached_at(mock.url, other_site(args.rp)), mock.ca_file
    elif args.https:
        raise SetupError("--https starts the mock over https; for a running one give its "
                         "https URL with --idp and its CA with --ca-file")
    options = ConformanceOptions(
        rp=args.rp.rstrip("/"), idp=idp_url.rstrip("/"), start=args.start or "/login",
        check=args.check or "/api/me", backchannel=args.backchannel,
        tenant=args.tenant or DEFAULT_TENANT_ID, client_id=args.client_id or REFERENCE_RP_CLIENT_ID,
        **_common(args))  # type: ignore[arg-type]
    if args.idp is not None and same_site(options.rp, options.idp):
        say(f"warning: the RP ({where(options.rp)}) and the mock provider ({where(options.idp)}) "
            "are one site to the browser, which Entra (login.microsoftonline.com) never is for "
            "an app: a cookie the app sets SameSite=Strict as the sign-in starts comes back to "
            "its callback here, and not in production. Reach the mock by another host name "
            f"(--idp {_reached_at(options.idp, other_site(options.rp))})")
    if options.over_tls and ca_file is None:
        raise SetupError(f"the provider {options.idp} serves https: give --ca-file, the CA "
                         "certificate its server certificate chains to (python -m mock_idp "
                         "--https prints it)")
    verify = (client_context(ca_file) if options.over_tls and ca_file is not None
              else public_trust())
    http = stack.enter_context(httpx.Client(timeout=15, verify=verify))
    control = MockControl(options.idp, tenant=options.tenant, client_id=options.client_id,
                          http=http)
    _register_redirects(control, args.redirect_uri, platform="web")
    _register_redirects(control, args.spa_redirect_uri, platform="spa")
    secret = REFERENCE_RP_SECRET if options.client_id == REFERENCE_RP_CLIENT_ID else None
    if args.idp is None:
        _print_settings(control, secret, ca_file, say)
        if args.pause:
            _wait_for_enter()
    known = template_secrets({"client_secret": secret or ""})
    return Target(options=options, control=control, ca_file=ca_file, known=lambda: known)
