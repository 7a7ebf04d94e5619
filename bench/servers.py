"""Starting each provider under test as its own process on a loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from . import competitors
from .flows import discovery_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_SCRIPT = HERE / "oauth2_mock_server.mjs"
START_TIMEOUT = 30.0


def child_env() -> dict[str, str]:
    """The environment for the Python processes the benchmark starts.

    Bytecode caches on, kept under ``bench/.cache/pycache``: an installed package or a normal
    checkout has them, and without them every start would also compile the provider's sources
    (some sandboxes set ``PYTHONDONTWRITEBYTECODE``).
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(HERE / ".cache" / "pycache")
    return env


class ServerError(RuntimeError):
    """A provider process that did not start or did not answer."""


@dataclass(frozen=True)
class Server:
    provider: str
    base_url: str
    pid: int


def free_port() -> int:
    """A loopback port that was free a moment ago (for CLIs that cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _drain(stream: IO[str]) -> None:
    for _ in stream:
        pass


def read_first_line(proc: subprocess.Popen[str], deadline: float) -> str:
    stdout = proc.stdout
    assert stdout is not None
    box: list[str] = []

    def read() -> None:
        box.append(stdout.readline())
        _drain(stdout)

    threading.Thread(target=read, daemon=True).start()
    while not box and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.002)
    if not box or not box[0].strip():
        raise ServerError("the provider printed no URL")
    return box[0].strip()


def wait_for_discovery(url: str, deadline: float, proc: subprocess.Popen[str]) -> None:
    with httpx.Client(timeout=2.0) as http:
        while True:
            if proc.poll() is not None:
                raise ServerError(f"the provider exited with {proc.returncode} before serving")
            try:
                if http.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"{url} was not served within {START_TIMEOUT} s")
            time.sleep(0.01)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _command(provider: str, port: int) -> tuple[Sequence[str], bool]:
    """(argv, prints its URL first) for ``provider``."""
    if provider == "mock_idp":
        return [sys.executable, "-m", "mock_idp", "--port", "0"], True
    if provider == "starlette-baseline":
        return [sys.executable, "-m", "bench.baseline_app"], True
    if provider == "oauth2-mock-server":
        install = competitors.oauth2_mock_server()
        return [install.executable, str(NODE_SCRIPT), str(install.root)], True
    if provider == "oidc-provider-mock":
        install = competitors.oidc_provider_mock()
        return [install.executable, "--port", str(port), "--host", "127.0.0.1"], False
    raise ValueError(f"unknown provider {provider!r}")


@contextlib.contextmanager
def running(provider: str) -> Iterator[Server]:
    """The provider in its own process, serving discovery; stopped afterwards."""
    port = free_port()
    argv, prints_url = _command(provider, port)
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True,
                                stdin=subprocess.DEVNULL, env=child_env(), cwd=ROOT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            if prints_url:
                base = read_first_line(proc, deadline).rstrip("/")
            else:
                assert proc.stdout is not None
                threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
                base = f"http://127.0.0.1:{port}"
            wait_for_discovery(discovery_url(provider, base), deadline, proc)
        except ServerError as exc:
            stop(proc)
            errors.seek(0)
            raise ServerError(f"{provider}: {exc}; stderr: {errors.read()[-800:]}") from exc
        try:
            yield Server(provider=provider, base_url=base, pid=proc.pid)
        finally:
            stop(proc)
