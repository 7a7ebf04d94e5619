"""Where the scenarios get their Chromium from: the one place that decides.

Order of preference:

1. ``SSO_HARNESS_BROWSER_WS`` (or ``--browser-ws-endpoint``): connect to a remote Playwright
   browser server instead of launching anything locally.
2. ``SSO_HARNESS_CHROMIUM``: the path of a Chromium executable to launch.
3. Playwright's own Chromium, when it is installed and launches.
4. A system Chromium (``chromium``, ``chromium-browser``, ``google-chrome``...) launched with
   flags that keep it quiet and working as root in containers. Headless runs use the
   distribution's ``chromium-headless-shell`` when it is there (``ensure`` installs it beside
   ``chromium`` where it may), as Playwright does with its own browser: the old headless shell
   opens a page in about half the time of full Chromium in headless mode and makes a whole
   sign-in about a quarter faster (``bench/browser.py``).

``python -m scenarios.browser ensure`` makes one of these available (downloading Playwright's
browser, or installing the distribution package when it may) and caches the decision, so later
runs read a small JSON file instead of probing again. ``python -m scenarios.browser which``
prints the current choice.

Long because: finding, probing, caching, launching and installing the browser are one decision
taken in the order above; kept together, that order reads in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = [
    "BrowserChoice",
    "BrowserUnavailable",
    "CHROMIUM_ENV",
    "SYSTEM_CANDIDATES",
    "SYSTEM_CHROMIUM_ARGS",
    "WS_ENDPOINT_ENV",
    "cache_path",
    "ensure",
    "launch",
    "launch_failure",
    "launch_or_explain",
    "launched",
    "main",
    "resolve",
]

CHROMIUM_ENV = "SSO_HARNESS_CHROMIUM"
WS_ENDPOINT_ENV = "SSO_HARNESS_BROWSER_WS"
CACHE_ENV = "SSO_HARNESS_BROWSER_CACHE"
INSTALL_TIMEOUT_ENV = "SSO_HARNESS_INSTALL_TIMEOUT"

SYSTEM_CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-quic",
)
HEADLESS_SHELL = "chromium-headless-shell"
SYSTEM_CANDIDATES: tuple[str, ...] = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
DEFAULT_INSTALL_TIMEOUT = 180.0
APT_LOCK_TIMEOUT_SECONDS = 300

Kind = Literal["remote", "env", "playwright", "system"]
Which = Callable[[str], "str | None"]
Probe = Callable[["BrowserChoice"], "str | None"]


class BrowserUnavailable(RuntimeError):
    """No usable browser: the message says what to do about it."""


@dataclass(frozen=True, kw_only=True)
class BrowserChoice:
    """How to obtain a browser: launch an executable, or connect to a browser server."""

    kind: Kind
    executable_path: str | None = None
    args: tuple[str, ...] = ()
    ws_endpoint: str | None = None
    headless_shell: str | None = None
    """A system ``chromium-headless-shell`` for headless runs (headed ones use
    ``executable_path``)."""

    def executable(self, *, headed: bool) -> str | None:
        """The executable to launch (``None``: Playwright's own)."""
        if not headed and self.headless_shell:
            return self.headless_shell
        return self.executable_path

    def describe(self) -> str:
        if self.kind == "remote":
            return f"remote Playwright browser server at {self.ws_endpoint}"
        if self.kind == "playwright":
            return "Playwright's own Chromium"
        source = f"${CHROMIUM_ENV}" if self.kind == "env" else "system Chromium"
        shell = f" (headless: {self.headless_shell})" if self.headless_shell else ""
        return f"{source} at {self.executable_path}{shell}"


def _playwright_version() -> str:
    try:
        return metadata.version("playwright")
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """The cache file: inside the active virtualenv, else in the user's cache directory."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "sso-harness-browser.json"
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sso-harness" / "browser.json"


def _read_cache(path: Path) -> BrowserChoice | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("playwright_version") != _playwright_version():
        return None
    kind = data.get("kind")
    executable = data.get("executable_path")
    if kind not in ("playwright", "system") or not isinstance(executable, str):
        return None
    if not Path(executable).exists():
        return None
    args = data.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return None
    if kind == "system" and "headless_shell" not in data:
        return None  # written before the headless shell was looked for: look again
    shell = data.get("headless_shell")
    if shell is not None and (not isinstance(shell, str) or not Path(shell).exists()):
        return None
    # Playwright picks its own binary (the headless shell when headless); the path recorded
    # for it is only there to notice when the browser has been removed.
    return BrowserChoice(
        kind=kind,
        executable_path=executable if kind == "system" else None,
        args=tuple(args),
        headless_shell=shell if kind == "system" else None,
    )


def _write_cache(path: Path, choice: BrowserChoice, probed_executable: str) -> None:
    data = asdict(choice)
    data["args"] = list(choice.args)
    data["executable_path"] = probed_executable
    data["playwright_version"] = _playwright_version()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # an unwritable cache only costs a probe next time


def system_choice(which: Which = shutil.which) -> BrowserChoice | None:
    """The first system Chromium found on PATH, with the flags it needs."""
    for name in SYSTEM_CANDIDATES:
        found = which(name)
        if found:
            return BrowserChoice(kind="system", executable_path=found, args=SYSTEM_CHROMIUM_ARGS,
                                 headless_shell=which(HEADLESS_SHELL))
    return None


def env_choice(environ: Mapping[str, str], ws_endpoint: str | None = None) -> BrowserChoice | None:
    """A choice forced by an argument or the environment, or None."""
    endpoint = ws_endpoint or environ.get(WS_ENDPOINT_ENV)
    if endpoint:
        return BrowserChoice(kind="remote", ws_endpoint=endpoint)
    executable = environ.get(CHROMIUM_ENV)
    if executable:
        return BrowserChoice(kind="env", executable_path=executable, args=SYSTEM_CHROMIUM_ARGS)
    return None


def probe(choice: BrowserChoice) -> str | None:
    """Launch the choice headless once; return the executable used, or None if it fails."""
    from playwright.sync_api import Error

    from scenarios.playwright_driver import playwright_driver

    try:
        with playwright_driver() as playwright:
            if choice.kind == "playwright" and not _playwright_chromium_installed(
                    Path(playwright.chromium.executable_path)):
                return None
            browser = launch(playwright, choice, timeout_ms=30_000)
            browser.close()
            return choice.executable_path or playwright.chromium.executable_path
    except Error:
        return None


def _playwright_chromium_installed(executable: Path) -> bool:
    """Whether ``playwright install`` put a Chromium here: the full browser at ``executable``
    (``<browsers>/chromium-<n>/<dir>/chrome``) or the headless shell beside it. Launching one
    that is not there fails only after Playwright has made a profile directory in the temporary
    directory, which it leaves behind."""
    if executable.exists():
        return True
    parents = executable.parents
    return len(parents) > 2 and any(parents[2].glob("chromium_headless_shell-*"))


def resolve(
    *,
    ws_endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Which = shutil.which,
    probe_fn: Probe = probe,
) -> BrowserChoice:
    """Decide which browser to use, without installing anything.

    Forced choices (remote endpoint, ``$SSO_HARNESS_CHROMIUM``) win; then the cached decision of
    ``ensure``; then Playwright's own Chromium if it launches; then a system Chromium.
    """
    env = os.environ if environ is None else environ
    forced = env_choice(env, ws_endpoint)
    if forced is not None:
        return forced
    cached = _read_cache(cache_path(env))
    if cached is not None:
        return cached
    found = _detect(env, which, probe_fn)
    if found is None:
        raise BrowserUnavailable(_HELP)
    return found


def _detect(env: Mapping[str, str], which: Which, probe_fn: Probe) -> BrowserChoice | None:
    return _try_playwright(env, probe_fn) or _try_system(env, which, probe_fn)


def _try_playwright(env: Mapping[str, str], probe_fn: Probe) -> BrowserChoice | None:
    own = BrowserChoice(kind="playwright")
    executable = probe_fn(own)
    if executable is None:
        return None
    _write_cache(cache_path(env), own, executable)
    return own


def _try_system(env: Mapping[str, str], which: Which, probe_fn: Probe) -> BrowserChoice | None:
    system = system_choice(which)
    if system is None or system.executable_path is None:
        return None
    executable = system.executable_path
    if not (system.headless_shell and probe_fn(system) is not None):
        system = replace(system, headless_shell=None)  # a shell that does not launch is skipped
        if probe_fn(system) is None:
            return None
    _write_cache(cache_path(env), system, executable)
    return system


def launch(
    playwright: Playwright,
    choice: BrowserChoice,
    *,
    headed: bool = False,
    timeout_ms: float = 60_000,
) -> Browser:
    """Launch (or connect to) the chosen browser."""
    if choice.kind == "remote":
        assert choice.ws_endpoint is not None
        return playwright.chromium.connect(choice.ws_endpoint, timeout=timeout_ms)
    return playwright.chromium.launch(
        headless=not headed,
        executable_path=choice.executable(headed=headed),
        args=list(choice.args),
        timeout=timeout_ms,
    )


def launch_or_explain(playwright: Playwright, choice: BrowserChoice, *,
                      headed: bool = False) -> Browser:
    """:func:`launch`; a browser that does not start (or a server that does not answer) is
    :class:`BrowserUnavailable` naming the choice and its fix (:func:`launch_failure`), not
    Playwright's error with the browser's whole command line."""
    from playwright.sync_api import Error

    try:
        return launch(playwright, choice, headed=headed)
    except Error as exc:
        raise BrowserUnavailable(launch_failure(choice, exc.message, headed=headed)) from None


@contextlib.contextmanager
def launched(*, headed: bool = False) -> Iterator[Browser]:
    """The resolved browser, launched for the block and closed after it (with this thread's
    Playwright driver, ``scenarios.playwright_driver``): for benchmarks, tests and scripts that
    need one browser and nothing else."""
    from scenarios.playwright_driver import playwright_driver

    with playwright_driver() as playwright:
        browser = launch(playwright, resolve(), headed=headed)
        try:
            yield browser
        finally:
            browser.close()


_HELP = (
    "No usable Chromium found. Any one of these fixes it:\n"
    # the interpreter running the harness, wherever its environment is (not always ./.venv)
    f"  - {shlex.quote(sys.executable)} -m playwright install --with-deps chromium"
    "   (downloads Playwright's)\n"
    "  - sudo apt-get install chromium   (Debian/Ubuntu system browser)\n"
    f"  - export {CHROMIUM_ENV}=/path/to/chrome   (any Chromium-based browser)\n"
    f"  - export {WS_ENDPOINT_ENV}=ws://host:port/   (a remote Playwright browser server)"
)


def launch_failure(choice: BrowserChoice, error: str,
                   environ: Mapping[str, str] | None = None, *, headed: bool = False) -> str:
    """What to say when the chosen browser does not start (or its server does not answer):
    the choice, the first line of Playwright's error, and what fixes it."""
    lines = error.strip().splitlines()
    reason = lines[0] if lines else "no reason given"
    if headed and ("XServer" in error or "$DISPLAY" in error):
        # Playwright's first line then only says the browser closed; its logs say why
        reason = "no X server or $DISPLAY for a headed browser"
        fix = "set DISPLAY, run under xvfb-run, or run headless (without the headed option)"
    elif choice.kind == "remote":
        fix = (f"start that server, or unset {WS_ENDPOINT_ENV} (and the option naming it) "
               "to launch a local Chromium")
    elif choice.kind == "env":
        fix = (f"set {CHROMIUM_ENV} to a Chromium executable that runs here, or unset it to "
               "let the harness find one")
    else:
        fix = ("`python -m scenarios.browser forget` drops the choice cached in "
               f"{cache_path(environ)}; `python -m scenarios.browser ensure` finds or installs "
               "another")
    return f"the {choice.describe()} did not start: {reason}\n{fix}"


def _run_quiet(
    cmd: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    *,
    show_failure: bool = False,
) -> bool:
    """Run ``cmd`` without its output; on failure optionally show the output's last lines."""
    try:
        process = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            start_new_session=True,  # so a timeout can stop the whole process group
        )
    except OSError as exc:
        if show_failure:
            print(f"browser: {' '.join(cmd)}: {exc}", file=sys.stderr)
        return False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        if show_failure:
            print(f"browser: {' '.join(cmd)} took over {timeout:g}s", file=sys.stderr)
        return False
    if process.returncode != 0 and show_failure:
        tail = output.decode(errors="replace").splitlines()[-15:]
        print(f"browser: {' '.join(cmd)} failed:", *tail, sep="\n  ", file=sys.stderr)
    return process.returncode == 0


def _install_playwright_chromium(timeout: float) -> bool:
    return _run_quiet([sys.executable, "-m", "playwright", "install", "chromium"], timeout)


def _apt_prefix() -> list[str] | None:
    """How to run apt-get as root here: directly, through passwordless sudo, or not at all."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and _run_quiet(["sudo", "-n", "true"], 10):
        return ["sudo", "-n"]
    return None


def _apt_install(prefix: list[str], package: str, *, show_failure: bool = True) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_SECONDS}"
    update = [*prefix, "apt-get", "-o", lock, "update"]
    install = [*prefix, "apt-get", "-o", lock, "install", "-y", "--no-install-recommends"]
    install.append(package)
    return _run_quiet(update, 600, env, show_failure=show_failure) and _run_quiet(
        install, 900, env, show_failure=show_failure
    )


def _apt_install_chromium(prefix: list[str]) -> bool:
    if not _apt_install(prefix, "chromium"):
        return False
    _apt_install(prefix, HEADLESS_SHELL, show_failure=False)  # older releases lack it
    return True


def _apt_install_headless_shell(prefix: list[str]) -> bool:
    return _apt_install(prefix, HEADLESS_SHELL, show_failure=False)


def ensure(
    *,
    environ: Mapping[str, str] | None = None,
    which: Which = shutil.which,
    probe_fn: Probe = probe,
    say: Callable[[str], None] = print,
) -> BrowserChoice:
    """Make a browser available, installing one if needed and allowed; cache the decision."""
    env = os.environ if environ is None else environ
    forced = env_choice(env)
    if forced is not None:
        if forced.kind == "env" and probe_fn(forced) is None:
            raise BrowserUnavailable(
                f"${CHROMIUM_ENV}={forced.executable_path} does not launch as Chromium."
            )
        say(f"browser: {forced.describe()} (from the environment)")
        return forced
    cached = _read_cache(cache_path(env))
    if cached is not None:
        say(f"browser: {cached.describe()} (cached in {cache_path(env)})")
        return cached

    found = _try_playwright(env, probe_fn)
    if found is None:
        timeout = float(env.get(INSTALL_TIMEOUT_ENV) or DEFAULT_INSTALL_TIMEOUT)
        if _install_playwright_chromium(timeout):
            found = _try_playwright(env, probe_fn)
    if found is None:
        found = _try_system(env, which, probe_fn)
    if found is None:
        prefix = _apt_prefix()
        if prefix is not None:
            say("browser: no Chromium found; installing the system package with apt-get...")
            if _apt_install_chromium(prefix):
                found = _try_system(env, which, probe_fn)
    if found is not None and found.kind == "system" and found.headless_shell is None:
        prefix = _apt_prefix()
        if prefix is not None:
            say(f"browser: installing {HEADLESS_SHELL} with apt-get (faster headless runs)...")
            if _apt_install_headless_shell(prefix):
                found = _try_system(env, which, probe_fn) or found
    if found is None:
        raise BrowserUnavailable(_HELP)
    say(f"browser: {found.describe()}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.browser", description="Find or install the scenarios' browser.",
        allow_abbrev=False,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ensure", help="make a browser available (may install one) and cache it")
    sub.add_parser("which", help="print which browser the scenarios will use")
    sub.add_parser("forget", help="drop the cached decision")
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure":
            ensure()
        elif args.command == "which":
            print(resolve().describe())
        else:
            cache_path().unlink(missing_ok=True)
    except BrowserUnavailable as exc:
        print(f"browser: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
