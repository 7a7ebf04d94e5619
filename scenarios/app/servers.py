"""Starting the app under test the way its profile says: in-process ASGI, a command, or not at
all (an app already running at ``base_url``).

:func:`plan_address` fixes where the app will listen before anything starts (the provider must
know its redirect URIs first); :class:`AppServer` then starts, restarts and stops it. A worker
that runs many scenarios mounts each ``asgi`` app instance on one
:class:`~scenarios.app.host.AppHost` (:func:`hosted_address`) rather than serving each
instance from a server of its own.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import socket
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from mock_idp.testing import bind_socket, run_in_thread
from scenarios.app.host import AppHost, SlowStartup, StartupFailed
from scenarios.app.port_reservation import PortReservation, listening_socket, unreserved_port
from scenarios.app.process import (
    OUTPUT_TAIL_LINES,
    SLOW_ANSWER,
    AppProcess,
    AppStartError,
    answers,
    probe,
    start_command,
)
from scenarios.app.profile import AppProfile, where_written
from scenarios.app.templating import render
from scenarios.masking import masked_text
from scenarios.protocol_view.known import template_secrets
from scenarios.protocol_view.tokens import value_mask

__all__ = [
    "AppAddress",
    "AppLaunch",
    "AppServer",
    "AppStartError",
    "Clock",
    "hosted_address",
    "plan_address",
    "port_in_use",
]

LOOPBACK = "127.0.0.1"


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, kw_only=True)
class AppLaunch:
    """What an ``asgi`` factory receives."""

    base_url: str
    env: Mapping[str, str]
    """``[app.env]``, filled in."""
    workdir: Path
    clock: Clock | None = None
    """The mock provider's clock when the profile says ``clock = "shared"``."""


@dataclass(frozen=True, kw_only=True)
class AppAddress:
    base_url: str
    port: int
    sock: socket.socket | None = None
    """Bound already (in-process apps are served on it, so the port cannot be taken)."""
    reservation: PortReservation | None = None
    """The planned port's lock, held while the app may run (:func:`_free_port`)."""


def _stream_addresses(host: str, port: int) -> list[tuple[int, int, int, Any]]:
    """``host``'s TCP addresses (IPv4 first), each as (family, type, protocol, address to bind):
    an IPv6 host (``base_url = "http://[::1]:{port}"``) needs an ``AF_INET6`` socket, which
    ``bind`` with an ``AF_INET`` one refuses ("Address family for hostname not supported"), and
    ``localhost`` may name both loopbacks, ``::1`` first (Debian's hosts file), where an app
    that binds ``127.0.0.1`` listens."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    found.sort(key=lambda info: info[0] != socket.AF_INET)
    return list(dict.fromkeys((family, kind, proto, address)
                              for family, kind, proto, _, address in found))


def _free_port(host: str) -> tuple[int, PortReservation | None]:
    """A port free on ``host``'s first address (its IPv4 one, if it has one), reserved
    (:mod:`~scenarios.app.port_reservation`) so that no other worker of the harness is handed
    it while this one's app may run."""
    family, kind, proto, address = _stream_addresses(host, 0)[0]

    def probe() -> socket.socket:
        sock = socket.socket(family, kind, proto)
        try:
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        return sock

    sock, reservation = unreserved_port(probe)
    with contextlib.closing(sock):
        return int(sock.getsockname()[1]), reservation


def port_in_use(host: str, port: int) -> bool:
    """Whether something on this machine holds ``port`` on any of ``host``'s addresses (a
    listener, a bound socket, a connection's local end). Bound with ``SO_REUSEADDR``, as
    servers bind, so the connections an app that has just stopped left in TIME_WAIT do not
    count."""
    busy = False
    for family, kind, proto, address in _stream_addresses(host, port):
        with contextlib.closing(socket.socket(family, kind, proto)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError:
                busy = True
    return busy


def plan_address(profile: AppProfile, *, port: int = 0) -> AppAddress:
    """Where the app will be: for ``{port}``, a bound socket (``asgi``) or a free port."""
    template = profile.app.base_url
    if "{port}" not in template:
        parts = urlsplit(template)
        return AppAddress(base_url=template,
                          port=parts.port or (443 if parts.scheme == "https" else 80))
    host = urlsplit(template.replace("{port}", "0")).hostname or LOOPBACK
    sock = reservation = None
    if profile.app.mode == "asgi":
        sock, reservation = listening_socket(host, port)
        port = int(sock.getsockname()[1])
    elif not port:
        port, reservation = _free_port(host)
    return AppAddress(base_url=render(template, {"port": str(port)}), port=port, sock=sock,
                      reservation=reservation)


def hosted_address(profile: AppProfile, host: AppHost) -> AppAddress:
    """Where an ``asgi`` app mounted on ``host`` is reached: its base URL, the host's port."""
    return AppAddress(base_url=render(profile.app.base_url, {"port": str(host.port)}),
                      port=host.port)


def _factory(spec: str, directory: Path | None) -> Callable[[AppLaunch], object]:
    """The ``asgi`` factory ``module:function``. The module is imported from Python's import
    path (``python -m scenarios`` puts the current directory first), else from ``directory``
    (the profile's), which then stays at the end of the import path, so that the modules the
    app imports in turn, at once or later, are found beside it too."""
    module_name, _, name = spec.partition(":")
    looked = ""
    try:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if directory is None or exc.name != module_name.partition(".")[0]:
                raise  # a module the app's own module imports is missing
            looked = (f" (looked in Python's import path, then in the profile's directory "
                      f"{directory})")
            if str(directory) not in sys.path:
                sys.path.append(str(directory))
                importlib.invalidate_caches()
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AppStartError(f"cannot import {module_name} for asgi = {spec!r}: {exc}{looked}"
                            ) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise AppStartError(f"{spec!r}: {module_name} has no function {name}")
    try:
        inspect.signature(factory).bind(None)
    except TypeError:
        raise AppStartError(
            f"asgi = {spec!r} must name a factory called with one argument, the AppLaunch "
            f"(base_url, env, workdir, clock), that returns the app; {name} takes other "
            f"arguments{' (it is an ASGI app itself)' if _is_asgi_app(factory) else ''}: "
            f"write `def create_app(launch): return {name}` beside it and name that"
        ) from None
    except ValueError:
        pass  # a builtin without a signature: calling it will tell
    return factory  # type: ignore[no-any-return]


def _is_asgi_app(obj: object) -> bool:
    """Whether ``obj`` is called as an ASGI app is, ``app(scope, receive, send)``."""
    try:
        inspect.signature(obj).bind(None, None, None)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _built(spec: str, factory: Callable[[AppLaunch], object], launch: AppLaunch,
           hide: Callable[[str], str]) -> object:
    """What the factory returns; its exception as an :class:`AppStartError` naming where it
    was raised, with the run's secrets masked (the app's env holds its client secret)."""
    try:
        return factory(launch)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        raise AppStartError(hide(f"asgi = {spec!r}: the factory raised {type(exc).__name__}: "
                                 f"{exc}{where}")) from None


class AppServer:
    """The app under test, started (or found running) from its profile."""

    def __init__(self, profile: AppProfile, address: AppAddress, *, workdir: Path,
                 clock: Clock | None = None, host: AppHost | None = None) -> None:
        self.profile = profile
        self.host = host
        """Where an ``asgi`` app is mounted instead of getting a server of its own (the
        address is then the host's, see :func:`hosted_address`)."""
        self.address = address
        self.workdir = workdir
        self.clock = clock
        self.asgi_app: object | None = None
        """The in-process app (``asgi`` profiles), for tests that look inside it."""
        self.process: AppProcess | None = None
        self.reused = False
        self._running = contextlib.ExitStack()
        self._exit_watchers: list[Callable[[int], None]] = []

    @property
    def base_url(self) -> str:
        return self.address.base_url

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def output(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last ``lines`` lines a started command printed (``""`` for other apps)."""
        return self.process.output(lines) if self.process is not None else ""

    def exit_code(self) -> int | None:
        """The exit code of a started command that is no longer running (``None``: it runs,
        or the app is not a command the harness started)."""
        return self.process.exit_code() if self.process is not None else None

    def watch_exit(self, exited: Callable[[int], None]) -> Callable[[], None]:
        """Have ``exited(code)`` called, from a thread of its own, when the command the harness
        started exits of itself (:meth:`AppProcess.watch`), the one started by a
        :meth:`restart` too; never for an app it did not start as a command. Returns what
        ends the watch."""
        self._exit_watchers.append(exited)
        if self.process is not None:
            self.process.watch(self._exited)

        def unwatch() -> None:
            with contextlib.suppress(ValueError):
                self._exit_watchers.remove(exited)

        return unwatch

    def _exited(self, code: int) -> None:
        for exited in tuple(self._exit_watchers):
            exited(code)

    @property
    def own_values(self) -> dict[str, str]:
        """The template names the server itself fills: base_url, port, workdir, python."""
        return {"base_url": self.base_url, "port": str(self.address.port),
                "workdir": str(self.workdir), "python": sys.executable}

    def start(self, values: Mapping[str, str]) -> None:
        """Start the app with the template ``values`` (provider settings, admin_token, ...)."""
        app = self.profile.app
        values = {**values, **self.own_values}
        ready_url = self._url(render(app.ready_url, values))
        slow = SLOW_ANSWER  # a running app that answers in seconds is slow, not down
        if app.mode == "running" or (app.reuse_existing and answers(
                ready_url, verify=False, answer_within=slow)):
            if not answers(ready_url, verify=False, answer_within=slow):
                status = probe(ready_url, verify=False, answer_within=slow)
                said = f"answered HTTP {status}" if isinstance(status, int) else status
                raise AppStartError(f"the app at {self.base_url} is down: {ready_url}: {said}")
            self.reused = True
            return
        env = {name: render(value, values) for name, value in app.env.items()}
        if app.mode == "asgi":
            assert app.asgi is not None
            launch = AppLaunch(base_url=self.base_url, env=env, workdir=self.workdir,
                               clock=self.clock if app.shared_clock else None)
            profile_dir = self.profile.path.parent if self.profile.path is not None else None
            self.asgi_app = _built(app.asgi, _factory(app.asgi, profile_dir), launch,
                                   self._masking(values))
            try:
                if self.host is not None:
                    self._running.enter_context(self.host.mounted(
                        self.asgi_app, timeout=app.timeout))  # type: ignore[arg-type]
                    return
                sock = self.address.sock
                if sock is None or sock.fileno() == -1:
                    sock = bind_socket(urlsplit(self.base_url).hostname or LOOPBACK,
                                       self.address.port)
                self._running.enter_context(run_in_thread(
                    self.asgi_app, sock=sock, startup_timeout=app.timeout))  # type: ignore[arg-type]
            except (TimeoutError, RuntimeError) as exc:  # its lifespan startup failed, or
                if self.host is not None and not isinstance(exc, StartupFailed):
                    raise  # a fault of the host (an app mounted already), not of the app
                slow = isinstance(exc, (TimeoutError, SlowStartup))  # outlasted [app] timeout
                raise AppStartError(f"asgi = {app.asgi!r}: {exc}" + (
                    f"; {self._timeout_hint('the app may only be slow to start')}"
                    if slow else "")) from None
            return
        assert app.command is not None
        if answers(ready_url, verify=False):
            raise AppStartError(self._port_taken(ready_url))
        command: str | tuple[str, ...] = (
            render(app.command, values) if isinstance(app.command, str)
            else tuple(render(part, values) for part in app.command))
        try:
            self.process = start_command(
                command, env=env, cwd=app.cwd, log=self.workdir / "app-output.log",
                ready_url=ready_url, timeout=app.timeout, verify=False,
                own_port=self.address.port if app.picks_port else None)
        except AppStartError as exc:
            raise exc.masked(self._masking(values)).hinted(
                self._port_hint() or (self._timeout_hint() if exc.still_starting else None)
            ).explained(self.profile) from None
        self._running.callback(self.process.stop)
        if self._exit_watchers:
            self.process.watch(self._exited)

    def _port_hint(self) -> str | None:
        """Why a started app may never answer: the harness picks its port, but neither the
        command nor ``[app.env]`` hands the app that port."""
        app = self.profile.app
        given = (app.command,) if isinstance(app.command, str) else tuple(app.command or ())
        if not app.picks_port or any("{port}" in text or "{base_url}" in text
                                     for text in (*given, *app.env.values())):
            return None
        return ("the command and [app.env] never name {port} or {base_url}, so the app cannot "
                "know the port the harness picked for it: pass it (e.g. --port {port}, or "
                "PORT = \"{port}\" in [app.env]), or give [app] base_url the app's own port")

    def _timeout_hint(self, why: str = "its command was still running, so the app may only "
                      "be slow to start") -> str:
        """Where to give an app that is only slow to start more time: its command still ran
        when the wait for its ready URL was up, or its lifespan startup had not finished (two
        workers starting apps at once, or a loaded CI machine, make a start slower than on a
        developer's machine)."""
        where = where_written(self.profile, "app", "timeout").rstrip(": ")
        return (f"{why}: give it more time with [app] timeout (now "
                f"{self.profile.app.timeout:g} s{'; ' + where if where else ''})")

    @staticmethod
    def _masking(values: Mapping[str, str]) -> Callable[[str], str]:
        """What the app printed or raised may quote what it was given (its client secret, the
        admin token): masked as a run masks its results, for every caller (app check too)."""
        hide = value_mask(template_secrets(values))
        return lambda text: masked_text(text, hide) or ""

    def stop(self) -> None:
        """Stop the app and let its port's reservation go."""
        self._halt()
        if self.address.reservation is not None:
            self.address.reservation.release()

    def _halt(self) -> None:
        self._running.close()
        self._running = contextlib.ExitStack()
        if self.address.sock is not None:
            # Bound for an app that may never have been served on it (its factory failed, or
            # it was mounted on a host); a restart binds the port again.
            self.address.sock.close()

    def restart(self, values: Mapping[str, str]) -> None:
        """Stop and start again with new values (a renewed secret), on the same address."""
        if self.reused:
            raise AppStartError("the app was already running, so the harness cannot restart it")
        self._halt()  # the port stays reserved: the app is started on it again
        self.start(values)

    def _port_taken(self, ready_url: str) -> str:
        """Why a command is not started when its ready URL answers already (as Playwright's
        ``webServer`` refuses without ``reuseExistingServer``)."""
        where = where_written(self.profile, "app", "base_url")
        return (f"{where}[app] base_url: {ready_url} answers before the app's command has "
                f"started: something else is serving port {self.address.port}. "
                "Stop it, or set [app] reuse_existing = true to test the app running there")

    def _url(self, url: str) -> str:
        return url if url.startswith(("http://", "https://")) else self.base_url + url
