"""Whose listener answered an app's readiness probe (Linux, read from ``/proc``).

A command app is ready when its ready URL answers while its command still runs. That is not
proof: when something else took the planned port just before the app bound it, the other
server answers the probe at once, and the app, still loading, exits a moment later with
"address already in use". :func:`other_listener` tells that case apart: the port's listening
socket (found by the kernel's sock_diag interface) is looked for among the open
files (``/proc/PID/fd``) of the command's own processes, then of the others.

Only a process known to be another's is named: one that holds the socket, is not of the
command's session (the harness starts each command in a session of its own) and was started
before the command, so the command cannot have started it. A listener the command's processes
hold, or whose holder cannot be seen (another user's, such as ``docker-proxy``, which forwards
a container's port) or was started after the command (a server it daemonised, in a session of
its own), is taken as the app's. Even a named one may forward the port to the app (a rootless
Docker's forwarder is older than the command), so the caller waits a while for the command to
exit before it takes the answer for the app's. Elsewhere than on Linux nothing is named.
See proc(5) and sock_diag(7): https://man7.org/linux/man-pages/man5/proc.5.html,
https://man7.org/linux/man-pages/man7/sock_diag.7.html
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["other_listener"]

_PROC = Path("/proc")

# sock_diag(7): a dump of one address family's TCP sockets in the LISTEN state.
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_TCP_LISTEN = 10
_DUMP_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_DIAG_REQUEST = struct.Struct("=BBBxI48s")  # inet_diag_req_v2, its socket id all zeros
_DIAG_MESSAGE = struct.Struct("=BBBB48sIIIII")  # inet_diag_msg: ..., expires, queues, uid, inode


@dataclass(frozen=True)
class _Process:
    pid: int
    name: str
    session: int
    started: int
    """Clock ticks after boot (``/proc/PID/stat``'s field 22)."""


def _listening_inodes(port: int) -> set[str]:
    """The inodes of the sockets listening on TCP ``port`` (IPv4 and IPv6), asked of the
    kernel's sock_diag netlink interface, as ``ss -ltn`` does (sock_diag(7)): it walks the
    listening sockets only, where reading ``/proc/net/tcp`` walks every connection's table
    too and took 15-100 ms. Empty where it cannot be asked (not Linux)."""
    inodes: set[str] = set()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as sock:
                sock.settimeout(1.0)
                sock.send(_DUMP_HEADER.pack(_DUMP_HEADER.size + _DIAG_REQUEST.size,
                                            _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST | _NLM_F_DUMP,
                                            1, 0)
                          + _DIAG_REQUEST.pack(family, socket.IPPROTO_TCP, 0,
                                               1 << _TCP_LISTEN, b"\0" * 48))
                inodes.update(str(inode) for inode in _dumped(sock, port))
        except (OSError, AttributeError):  # AttributeError: no AF_NETLINK (not Linux)
            continue
    return inodes


def _dumped(sock: socket.socket, port: int) -> Iterator[int]:
    """The inodes of the dump's sockets whose local port is ``port``."""
    while True:
        data = sock.recv(65536)
        offset = 0
        while offset + _DUMP_HEADER.size <= len(data):
            length, kind, _, _, _ = _DUMP_HEADER.unpack_from(data, offset)
            if kind in (_NLMSG_DONE, _NLMSG_ERROR) or length < _DUMP_HEADER.size:
                return
            body = offset + _DUMP_HEADER.size
            # inet_diag_msg: family, state, timer, retrans, then the socket id (sport first,
            # big-endian), ..., and the inode last.
            if int.from_bytes(data[body + 4:body + 6], "big") == port:
                yield _DIAG_MESSAGE.unpack_from(data, body)[-1]
            offset += (length + 3) & ~3


def _process(pid: int) -> _Process | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # "pid (name) state ppid pgrp session ...": the name may hold spaces and parentheses.
    name = stat[stat.find("(") + 1:stat.rfind(")")]
    rest = stat[stat.rfind(")") + 2:].split()
    try:
        return _Process(pid=pid, name=name, session=int(rest[3]), started=int(rest[19]))
    except (IndexError, ValueError):
        return None


def _processes() -> Iterator[_Process]:
    try:
        entries = [entry.name for entry in os.scandir(_PROC) if entry.name.isdigit()]
    except OSError:
        return
    for name in entries:
        if (found := _process(int(name))) is not None:
            yield found


def _holds(pid: int, inodes: set[str]) -> bool:
    """Whether process ``pid`` has one of the sockets ``inodes`` open (``False`` when its
    files cannot be read: it is gone, or another user's)."""
    folder = _PROC / str(pid) / "fd"
    try:
        fds = os.listdir(folder)
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink(folder / fd)
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


def _tree(pid: int) -> Iterator[int]:
    """``pid`` and its descendants, by ``/proc/PID/task/TID/children``."""
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        yield current
        try:
            tasks = os.listdir(_PROC / str(current) / "task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = (_PROC / str(current) / "task" / task / "children").read_text()
            except OSError:
                continue
            waiting.extend(int(child) for child in children.split())


def _held_by_any(pids: Iterable[int], inodes: set[str]) -> bool:
    return any(_holds(pid, inodes) for pid in pids)


def other_listener(port: int, session: int) -> str | None:
    """The process, not the command's, that listens on ``port`` (``pid 123 (python3)``), or
    ``None`` when the command's processes do, or none is known to be another's (see the
    module's notes). ``session`` is the command's pid: it leads a session of its own."""
    inodes = _listening_inodes(port)
    if not inodes or _held_by_any(_tree(session), inodes):
        return None
    leader = _process(session)
    if leader is None:
        return None  # it has exited: the caller sees that itself
    others: list[_Process] = []
    for process in _processes():
        if process.session == session:
            if _holds(process.pid, inodes):
                return None  # the command's, reparented out of its tree
        elif process.started < leader.started:
            others.append(process)
    holder = next((process for process in others if _holds(process.pid, inodes)), None)
    return None if holder is None else f"pid {holder.pid} ({holder.name})"
