"""The other mock providers, installed only for the benchmark under ``bench/.cache/``.

``oauth2-mock-server`` comes from npm into ``bench/.cache/npm``; ``oidc-provider-mock`` from
PyPI into its own virtualenv ``bench/.cache/oidc-provider-mock-venv``, so neither touches the
project's dependencies. Each is installed on first use and reused afterwards; when one cannot be
installed, :class:`Unavailable` says why and the benchmark skips it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
NPM_DIR = CACHE / "npm"
VENV_DIR = CACHE / "oidc-provider-mock-venv"
INSTALL_TIMEOUT = 600.0
NODE_MIN = (20, 19)


class Unavailable(RuntimeError):
    """A competitor that cannot be installed or run here; the message says why."""


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    executable: str
    root: Path


def _run(argv: list[str], cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{' '.join(argv[:3])} failed: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{' '.join(argv[:3])} exited {done.returncode}: {' | '.join(tail)}")


def _node_version(node: str) -> tuple[int, ...]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    return tuple(int(p) for p in out.stdout.strip().lstrip("v").split(".")[:2] if p.isdigit())


@functools.cache
def oauth2_mock_server() -> Installed:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("node and npm are not on PATH")
    if _node_version(node) < NODE_MIN:
        raise Unavailable(f"oauth2-mock-server needs Node.js {'.'.join(map(str, NODE_MIN))}+")
    package = NPM_DIR / "node_modules" / "oauth2-mock-server" / "package.json"
    if not package.exists():
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        manifest = NPM_DIR / "package.json"
        if not manifest.exists():  # keeps npm from walking up to a parent project
            manifest.write_text('{"private": true}\n')
        _run([npm, "install", "--no-audit", "--no-fund", "oauth2-mock-server"], cwd=NPM_DIR)
    if not package.exists():
        raise Unavailable("npm install finished but oauth2-mock-server is not there")
    version = json.loads(package.read_text())["version"]
    return Installed("oauth2-mock-server", version, node, NPM_DIR)


@functools.cache
def oidc_provider_mock() -> Installed:
    bindir = VENV_DIR / ("Scripts" if os.name == "nt" else "bin")
    cli = bindir / "oidc-provider-mock"
    python = bindir / "python"
    if not cli.exists():
        _run([sys.executable, "-m", "venv", "--clear", str(VENV_DIR)])
        _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "oidc-provider-mock"])
    if not cli.exists():
        raise Unavailable("pip install finished but the oidc-provider-mock CLI is not there")
    out = subprocess.run([str(python), "-c", "from importlib.metadata import version; "
                          "print(version('oidc-provider-mock'))"],
                         capture_output=True, text=True, timeout=60)
    return Installed("oidc-provider-mock", out.stdout.strip() or "?", str(cli), VENV_DIR)


def install(provider: str) -> Installed:
    if provider == "oauth2-mock-server":
        return oauth2_mock_server()
    if provider == "oidc-provider-mock":
        return oidc_provider_mock()
    raise ValueError(f"{provider!r} is not a competitor")
