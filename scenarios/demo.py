"""``python -m scenarios demo`` (``make demo``): the stack to click through by hand.

Starts the mock provider and the reference relying party wired together (the same
:func:`~scenarios.live.live_stack` the scenarios use, on fixed ports by default), creates the
customer-SSO connection, installs the partner app, prints where to go and who to sign in as, and
stays up until Ctrl-C. A reset of the provider (the console's Reset, ``POST /_mock/reset``)
drops what it arranged there, so it arranges it again right after (:func:`set_up_after_reset`,
a :class:`~mock_idp.set_ups.SetUp`) and prints the new launch URL, unless the reset leaves it
out.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

from mock_idp.serving import bind_socket
from mock_idp.set_ups import SetUp
from scenarios.app.servers import LOOPBACK
from scenarios.live import CUSTOMER_APPS, LiveStack, StackOptions, live_stack
from scenarios.options import port_option
from scenarios.profiles.reference_rp import reuse_connection
from scenarios.report import directory_problem
from scenarios.stack_reset import wire_again

__all__ = ["HELP", "DemoInfo", "configure", "describe", "handle", "prepare",
           "set_up_after_reset"]

HELP = "start the mock provider and the relying party wired together, to click through by hand"
EXIT_PORT = 1
DEFAULT_IDP_PORT = 8400
DEFAULT_RP_PORT = 8500
READY_LINE = "Press Ctrl-C to stop."

USER_NOTES = {
    "alice": "signs in",
    "bob": "signs in",
    "carol": "account disabled: the provider refuses her (AADSTS50057)",
    "dave": "not assigned to the app: the provider refuses him (AADSTS50105)",
}


@dataclass(frozen=True, kw_only=True)
class DemoInfo:
    stack: LiveStack
    connection_id: str
    installation_id: str | None
    launch_user: str
    launch_url: str | None
    delivery_problem: str | None = None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--idp-port", type=port_option, default=DEFAULT_IDP_PORT, metavar="PORT",
                        help=f"mock provider port (default {DEFAULT_IDP_PORT}; 0: any free port)")
    parser.add_argument("--rp-port", type=port_option, default=DEFAULT_RP_PORT, metavar="PORT",
                        help=f"relying party port (default {DEFAULT_RP_PORT}; 0: any free port)")
    parser.add_argument("--workdir", type=Path, metavar="DIR",
                        help="keep the relying party's database here between runs "
                        "(default: a temporary directory)")
    parser.epilog = ("Exit status: 0 once stopped (Ctrl-C or SIGTERM); 1 when a port cannot be "
                     "listened on (the line names it and the OS's reason); 2 when --workdir "
                     "cannot be used.")


def _connection(stack: LiveStack) -> str:
    """The customer-SSO connection: one kept in the relying party's database (pointed at this
    run's provider), else one made by the profile's configure call."""
    if not reuse_connection(stack.app):
        stack.app.configure()
    return str(stack.connection_id)


def prepare(stack: LiveStack, *, launch_user: str = "alice") -> DemoInfo:
    """Create (or reuse) the connection and install the partner app for the tenant."""
    connection_id = _connection(stack)
    stack.register_app()
    return _install(stack, connection_id, launch_user)


def _partner_lines(info: DemoInfo) -> list[str]:
    """The partner app's launch URL and installation, or why it could not be installed."""
    lines = []
    if info.launch_url:
        lines.append(f"  Partner launch      {info.launch_url}")
        lines.append(f"                      (installation {info.installation_id}, "
                     f"user id of {info.launch_user})")
    if info.delivery_problem:
        lines.append(f"  Warning: {info.delivery_problem}")
    return lines


def _install(stack: LiveStack, connection_id: str, launch_user: str) -> DemoInfo:
    installed = stack.install_partner_app()
    delivery = installed.get("delivery") or {}
    installation = installed.get("installation") or {}
    installation_id = installation.get("installation_id")
    problem = None
    if delivery.get("status") != 200:
        problem = f"the relying party did not accept app.installed: {delivery}"
    launch = None
    if installation_id:
        launch = stack.app.launch_url(str(installation_id), stack.user_id(launch_user))
    return DemoInfo(stack=stack, connection_id=connection_id,
                    installation_id=str(installation_id) if installation_id else None,
                    launch_user=launch_user, launch_url=launch, delivery_problem=problem)


def describe(info: DemoInfo) -> str:
    """What to click through, and who to sign in as."""
    stack = info.stack
    width = max(len(p.upn) for p in stack.people.values())
    lines = [
        "sso-harness demo: the mock provider and the reference relying party, wired together.",
        "",
        f"Relying party         {stack.rp.base_url}",
        f"  Admin page          {stack.rp_url('/admin')}",
        f"  Admin token         {stack.app.values['admin_token']}",
        "                      (sign in to the admin page with it; the admin API takes it as",
        "                      'Authorization: Bearer <token>'; a new one each run)",
        f"  Customer sign-in URLs (connection {info.connection_id}):",
        *(f"    {app:<17} {stack.sign_in_url(app)}" for app in CUSTOMER_APPS),
    ]
    lines += _partner_lines(info)
    lines += [
        "",
        f"Mock provider         {stack.idp.base_url}",
        f"  Tenant              {stack.tenant_id}",
        f"  Authority (v2)      {stack.authority}/v2.0",
        f"  Console             {stack.idp_url('/_mock/console')}",
        f"  Control API         {stack.idp_url('/_mock/')}",
        f"    clock             {stack.idp_url('/_mock/clock')}",
        f"    faults            {stack.idp_url('/_mock/faults')}",
        "  Test users (user / password):",
        *(f"    {p.upn:<{width}}  {p.password:<16}  {USER_NOTES.get(first, '')}".rstrip()
          for first, p in stack.people.items()),
        "",
        "Move the clock a day forward:",
        f"  curl -X POST -H 'Content-Type: application/json' -d '{{\"advance_seconds\": 86400}}' "
        f"{stack.idp_url('/_mock/clock')}",
    ]
    if info.installation_id:
        upn = stack.people[info.launch_user].upn
        removing = json.dumps({"users": {"removing": [upn]}})
        lines += [
            f"Take {info.launch_user}'s licence for the partner app (app.updated), then open the "
            "launch URL again:",
            f"  curl -X POST -H 'Content-Type: application/json' -d '{removing}' "
            f"{stack.idp_url(f'/_mock/installations/{info.installation_id}/update')}",
            "  ('adding' instead of 'removing' gives it back)",
        ]
    lines += [
        "A reset of the provider (the console's Reset, POST /_mock/reset) drops what the demo",
        "set up there; the demo makes it again right after and prints the new launch URL here.",
    ]
    lines += ["", READY_LINE]
    return "\n".join(lines)


SET_UP = ("make demo's relying party: its client secret, redirect and logout URIs, and the "
          "partner app's installation")
SET_UP_AGAIN = ("make demo gave its relying party its secret back and installed the partner app "
                "again (its terminal prints the new launch URL)")


def set_up_after_reset(info: DemoInfo, out: TextIO) -> None:
    """Have the provider of ``info``'s stack make what :func:`prepare` arranged there again
    after each reset: the app's client secret and registration (as a scenario's stack is wired
    again) and the partner app's installation, whose new launch URL is printed to ``out``. The
    relying party keeps its connection, which the reset does not touch."""
    stack = info.stack

    def again() -> str:
        wire_again(stack)
        made = _install(stack, info.connection_id, info.launch_user)
        lines = ["", "demo: the provider was reset; its set-up is made again.",
                 *_partner_lines(made)]
        print("\n".join(lines), file=out, flush=True)
        return SET_UP_AGAIN

    stack.idp_app.state.idp.set_ups.append(SetUp(name=SET_UP, again=again))


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the demo like Ctrl-C does (a clean shutdown)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _port_problem(idp_port: int, rp_port: int) -> str | None:
    """The first fixed port the demo cannot listen on (taken, the same one twice, or one the
    OS keeps from this user, as a port below 1024 without the right to it), named with its
    option and the OS's reason; ``None`` when each is free or 0. Both servers listen on
    loopback, so the check binds there, each socket kept until both are checked."""
    with contextlib.ExitStack() as held:
        for option, port in (("--idp-port", idp_port), ("--rp-port", rp_port)):
            if not port:
                continue
            try:
                held.enter_context(contextlib.closing(bind_socket(LOOPBACK, port)))
            except OSError as exc:
                return f"port {port} ({option}): {exc.strerror or exc}"
    return None


def _wait_forever() -> None:
    stopped = threading.Event()
    while not stopped.wait(1.0):
        pass


_CHOOSE = "choose others with --idp-port/--rp-port (0: any free port)"


def handle(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    stream = out if out is not None else sys.stdout
    workdir: Path | None = args.workdir
    if workdir is not None and (problem := directory_problem(workdir)) is not None:
        print(f"demo: --workdir {workdir}: {problem}", file=sys.stderr)
        return 2
    if (problem := _port_problem(args.idp_port, args.rp_port)) is not None:
        print(f"demo: cannot listen on {problem}; {_CHOOSE}", file=sys.stderr)
        return EXIT_PORT
    try:
        with _sigterm_as_interrupt():
            try:
                with live_stack(StackOptions(connection=False), workdir=workdir,
                                idp_port=args.idp_port, rp_port=args.rp_port) as stack:
                    info = prepare(stack)
                    set_up_after_reset(info, stream)
                    print(describe(info), file=stream, flush=True)
                    _wait_forever()
            except OSError as exc:
                # taken between the check and the start: only a fixed port can be
                fixed = [f"{port} ({option})" for option, port in
                         (("--idp-port", args.idp_port), ("--rp-port", args.rp_port)) if port]
                if exc.errno != errno.EADDRINUSE or not fixed:
                    raise
                print(f"demo: {exc.strerror}: port {' or '.join(fixed)} is taken; {_CHOOSE}",
                      file=sys.stderr)
                return EXIT_PORT
    except KeyboardInterrupt:
        print("\ndemo: stopped.", file=stream, flush=True)
    return 0
