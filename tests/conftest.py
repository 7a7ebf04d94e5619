"""Fixtures shared by every test directory: npm packages that Node.js-based tests run. This
file's directory (``tests/``) is on ``sys.path`` while pytest runs (its rootdir conftest), so
helpers such as ``sample_apps`` import by name.

``node_package(source_dir, module=...)`` copies ``package.json`` and the scripts of
``source_dir`` into a cache directory named after their content (``$SSO_HARNESS_CACHE`` or
``~/.cache/sso-harness``), runs ``npm install`` there once (a file lock keeps parallel workers
out of each other's way) and returns that directory. Without Node.js, with one older than
``min_node``, or when the install fails, the test is skipped with the reason.

The mock's signing keys come from the ``sso_harness`` plugin's pool (``--sso-key-pool``): a
fresh RSA-2048 key for every provider took about a third of the in-process tests' CPU.

``playwright_session`` is the worker's one Playwright driver and ``browser`` its one
Chromium, from the first test that asks for them to the session's end: each test module
started its own driver and browser, about 0.4 s of Node's CPU and 0.1 s of Chromium's apiece.
A test takes a context of its own. While the driver lives, its event loop counts as running in
the main thread: tests run their coroutines with ``loops`` (``loops.run``, ``LoopThread``), not
``asyncio.run``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

pytest_plugins = ("pytester", "hang_guard")
"""``pytester`` runs pytest in-process, for the plugin's tests; ``hang_guard`` ends a test
that hangs (``hang_timeout``)."""

# The runs these tests make (many failing on purpose) are not the CI job's own: they must not
# annotate it or write to its summary (scenarios.github), nor must the CLIs they start.
for _name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
    os.environ.pop(_name, None)

INSTALL_TIMEOUT = 300


class NodePackage(Protocol):
    def __call__(self, source: Path, *, module: str, min_node: int = 0) -> Path: ...


def _node_major() -> int | None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return None
    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    major = done.stdout.strip().lstrip("v").split(".")[0]
    return int(major) if major.isdigit() else 0


def install_node_package(source: Path, *, module: str, min_node: int = 0) -> Path:
    """``npm install`` the package in ``source`` into the cache once; ``module`` (a path under
    ``node_modules``) tells whether it is installed already."""
    major = _node_major()
    if major is None:
        pytest.skip(f"Node.js (node and npm) is not installed: {source.name} needs it")
    if major < min_node:
        pytest.skip(f"{source.name} needs Node.js {min_node} or later, found {major}")
    files = sorted(p for p in source.iterdir() if p.is_file())
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in files))
    root = Path(os.environ.get("SSO_HARNESS_CACHE") or Path.home() / ".cache" / "sso-harness")
    target = root / f"{source.name}-{digest.hexdigest()[:12]}"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for path in files:
            shutil.copy(path, target / path.name)
        if not (target / "node_modules" / module / "package.json").is_file():
            try:
                done = subprocess.run(
                    ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"],
                    cwd=target, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                    stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                pytest.skip(f"npm install of {module} took over {INSTALL_TIMEOUT} s")
            if done.returncode != 0:
                pytest.skip(f"npm install of {module} failed: {done.stderr.strip()[-500:]}")
    return target


@pytest.fixture(scope="session")
def node_package() -> NodePackage:
    return install_node_package


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    """This worker's Playwright driver (``scenarios.playwright_driver``), held to the end of
    the session: every block that asks for a driver in the main thread gets this one."""
    from scenarios.playwright_driver import playwright_driver

    with playwright_driver() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """This worker's Chromium (``scenarios.browser``) for the browser tests' own pages
    (``pytest.mark.browser``)."""
    from scenarios.browser import launched

    with launched() as browser:
        yield browser
