"""Ports the harness has planned for its apps, reserved across its own processes.

A free port is found by binding port 0, reading the port and closing the socket; the app binds
it later. Two workers of one run (processes of their own) can each be handed the same port in
between, and the second app's readiness probe is then answered by the first app. So each
planned port is also reserved, for as long as the app may run, and :func:`reserve` refuses a
port another process (or another reservation in this one) holds: the planner takes another.

On Linux a reservation is a Unix socket bound to a name of the abstract namespace
(``\\0sso-harness-port-PORT``, unix(7)): binding it takes some 15 µs and no file (creating a
lock file took about 1 ms on ext4, on the hot path of every app's start), the name is freed
when the socket closes or its process dies however it dies, and the namespace belongs to the
network namespace, as the ports do. Elsewhere it is an advisory ``flock`` on an empty file
named after the port in a directory of the temp directory (``flock`` locks belong to an open
file description, so two reservations in one process exclude each other too). The files are
left in place: removing one another process has just opened would let two processes lock two
different files for one port. Where neither can be had, a port is planned unreserved.

The harness's own listeners (the mock provider, the app host, an in-process app's server) take
their ports the same way (:func:`listening_socket`): a port the system hands them that another
process of the harness has planned for its app is skipped (that app would find its port taken,
or, on another address of the port, its browser would reach the wrong server), and the port
they get is reserved while they listen.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mock_idp.serving import LISTEN_BACKLOG, bind_socket

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["PLAN_ATTEMPTS", "PortReservation", "held_listener", "listening_socket",
           "reservation_dir", "reserve", "unreserved_port"]

ABSTRACT_PREFIX = "\0sso-harness-port-"
_HELD = (errno.EADDRINUSE, errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)

PLAN_ATTEMPTS = 32
"""How many ports :func:`unreserved_port` looks at before it takes one unreserved."""


def reservation_dir() -> Path:
    """Where the lock files are, where there is no abstract namespace: one directory per user,
    so that another user's directory in a shared temp directory is never in the way."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"sso-harness-ports-{user}"


@dataclass(eq=False)
class PortReservation:
    """A port reserved for an app; :meth:`release` lets it go (again: nothing)."""

    port: int
    _release: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def held(self) -> bool:
        """Whether the port is reserved (``False`` once released, or where it could not be)."""
        return self._release is not None

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


def reserve(port: int, *, directory: Path | None = None) -> PortReservation | None:
    """``port`` reserved for this process, or ``None`` when another process of the harness (or
    another reservation in this one) holds it. ``directory`` asks for a lock file there (the
    way of systems without an abstract namespace). A reservation that cannot be had for
    another reason is an unreserved one."""
    if directory is None and sys.platform == "linux":
        return _abstract_name(port)
    if fcntl is None:
        return PortReservation(port)
    return _lock_file(port, directory or reservation_dir())


def _abstract_name(port: int) -> PortReservation | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(f"{ABSTRACT_PREFIX}{port}")
    except OSError as exc:
        sock.close()
        return None if exc.errno in _HELD else PortReservation(port)
    fd = sock.detach()  # a plain descriptor: one never released warns of nothing at exit
    return PortReservation(port, lambda: os.close(fd))


def _lock_file(port: int, folder: Path) -> PortReservation | None:
    path = folder / f"{port}.lock"
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(path, flags, 0o600)
        except FileNotFoundError:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, flags, 0o600)
    except OSError:
        return PortReservation(port)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        return None if exc.errno in _HELD else PortReservation(port)  # ENOLCK: unreserved
    return PortReservation(port, lambda: os.close(fd))  # the only descriptor: its lock goes


def unreserved_port(bind: Callable[[], socket.socket]
                    ) -> tuple[socket.socket, PortReservation | None]:
    """A socket ``bind`` bound to a port the system picked (port 0), with that port reserved.
    The sockets of the ports another process holds stay bound until one is found, so the
    system never hands the same one back, and are closed then. After :data:`PLAN_ATTEMPTS`
    held ports, the last one, unreserved."""
    with contextlib.ExitStack() as skipped:
        for _ in range(PLAN_ATTEMPTS - 1):
            sock = bind()
            if (reservation := reserve(int(sock.getsockname()[1]))) is not None:
                return sock, reservation
            skipped.enter_context(contextlib.closing(sock))
        sock = bind()
        return sock, reserve(int(sock.getsockname()[1]))


def listening_socket(host: str, port: int = 0) -> tuple[socket.socket, PortReservation | None]:
    """A socket listening on ``host`` (:func:`mock_idp.serving.bind_socket`) for a server of
    the harness's own, with its port's reservation: with port 0, on a port no other process
    of the harness holds. The ports skipped are bound without listening, with
    ``SO_REUSEADDR``, so an app starting on one in the meantime can bind it as well. A given
    port is taken as it is (someone asked for it), reserved if it can be."""
    if port:
        sock = bind_socket(host, port)
        return sock, reserve(port)
    sock, reservation = unreserved_port(lambda: bind_socket(host, 0, listen=False))
    try:
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        if reservation is not None:
            reservation.release()
        raise
    return sock, reservation


@contextlib.contextmanager
def held_listener(host: str, port: int = 0) -> Iterator[socket.socket]:
    """:func:`listening_socket` for a block: the socket is closed as it ends (a server
    served on it may close it before), then its port's reservation is let go."""
    sock, reservation = listening_socket(host, port)
    try:
        with contextlib.closing(sock):
            yield sock
    finally:
        if reservation is not None:
            reservation.release()
