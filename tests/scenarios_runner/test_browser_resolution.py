from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scenarios import browser
from scenarios.browser import (
    CHROMIUM_ENV,
    SYSTEM_CHROMIUM_ARGS,
    WS_ENDPOINT_ENV,
    BrowserChoice,
    BrowserUnavailable,
    ensure,
    resolve,
)

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

REPO = Path(__file__).resolve().parents[2]

REQUIRED_FLAGS = {
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
}


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "browser.json"


@pytest.fixture
def environ(cache_file: Path) -> dict[str, str]:
    return {"SSO_HARNESS_BROWSER_CACHE": str(cache_file)}


def _which(paths: dict[str, str]) -> Callable[[str], str | None]:
    return paths.get


def _probe(working: set[str | None]) -> Callable[[BrowserChoice], str | None]:
    """A probe that 'launches' only the executables in ``working`` (None = Playwright's own)."""

    def probe(choice: BrowserChoice) -> str | None:
        launched = choice.executable(headed=False)  # probes launch headless
        if launched in working:
            return launched or "/pw/chromium-1/chrome"
        return None

    return probe


def _fail_probe(choice: BrowserChoice) -> str | None:
    raise AssertionError(f"no probe expected, got {choice}")


def test_remote_endpoint_argument_wins(environ: dict[str, str]) -> None:
    environ[CHROMIUM_ENV] = "/opt/chrome"
    choice = resolve(ws_endpoint="ws://grid:3000/", environ=environ, probe_fn=_fail_probe)
    assert choice == BrowserChoice(kind="remote", ws_endpoint="ws://grid:3000/")


def test_remote_endpoint_from_the_environment_wins_over_an_executable(
    environ: dict[str, str],
) -> None:
    environ[CHROMIUM_ENV] = "/opt/chrome"
    environ[WS_ENDPOINT_ENV] = "ws://grid:3000/"
    assert resolve(environ=environ, probe_fn=_fail_probe).kind == "remote"


def test_executable_from_the_environment_overrides_everything_local(
    environ: dict[str, str], cache_file: Path
) -> None:
    cache_file.write_text("{}", encoding="utf-8")
    environ[CHROMIUM_ENV] = "/opt/chrome"
    choice = resolve(environ=environ, which=_which({}), probe_fn=_fail_probe)
    assert choice.kind == "env"
    assert choice.executable_path == "/opt/chrome"
    assert REQUIRED_FLAGS <= set(choice.args)


def test_playwrights_own_chromium_comes_before_the_system_one(environ: dict[str, str]) -> None:
    which = _which({"chromium": "/usr/bin/chromium"})
    choice = resolve(environ=environ, which=which, probe_fn=_probe({None, "/usr/bin/chromium"}))
    assert choice == BrowserChoice(kind="playwright")


def test_system_chromium_when_playwrights_does_not_launch(environ: dict[str, str]) -> None:
    which = _which({"chromium": "/usr/bin/chromium"})
    choice = resolve(environ=environ, which=which, probe_fn=_probe({"/usr/bin/chromium"}))
    assert choice.kind == "system"
    assert choice.executable_path == "/usr/bin/chromium"
    assert choice.args == SYSTEM_CHROMIUM_ARGS
    assert REQUIRED_FLAGS <= set(choice.args)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({"chromium": "/a/chromium", "google-chrome": "/c/chrome"}, "/a/chromium"),
        (
            {"chromium-browser": "/b/chromium-browser", "google-chrome": "/c/chrome"},
            "/b/chromium-browser",
        ),
        ({"google-chrome": "/c/chrome"}, "/c/chrome"),
    ],
)
def test_system_candidates_in_order(
    environ: dict[str, str], found: dict[str, str], expected: str
) -> None:
    choice = resolve(environ=environ, which=_which(found), probe_fn=_probe(set(found.values())))
    assert choice.executable_path == expected


def test_nothing_found_explains_what_to_do(environ: dict[str, str]) -> None:
    with pytest.raises(BrowserUnavailable) as info:
        resolve(environ=environ, which=_which({}), probe_fn=_probe(set()))
    assert CHROMIUM_ENV in str(info.value)
    # the interpreter the harness runs on: a project's own environment is not always ./.venv
    assert f"{shlex.quote(sys.executable)} -m playwright install" in str(info.value)


def test_the_decision_is_cached_and_reused(environ: dict[str, str], cache_file: Path) -> None:
    executable = cache_file.parent / "chromium"
    executable.write_text("", encoding="utf-8")
    which = _which({"chromium": str(executable)})
    first = resolve(environ=environ, which=which, probe_fn=_probe({str(executable)}))
    assert json.loads(cache_file.read_text(encoding="utf-8"))["kind"] == "system"
    again = resolve(environ=environ, which=_which({}), probe_fn=_fail_probe)
    assert again == first


def test_a_cache_pointing_at_a_removed_browser_is_ignored(
    environ: dict[str, str], cache_file: Path
) -> None:
    executable = cache_file.parent / "chromium"
    executable.write_text("", encoding="utf-8")
    which = _which({"chromium": str(executable)})
    resolve(environ=environ, which=which, probe_fn=_probe({str(executable)}))
    executable.unlink()
    other = _which({"google-chrome": "/c/chrome"})
    choice = resolve(environ=environ, which=other, probe_fn=_probe({"/c/chrome"}))
    assert choice.executable_path == "/c/chrome"


def test_a_cache_from_another_playwright_version_is_ignored(
    environ: dict[str, str], cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = cache_file.parent / "chromium"
    executable.write_text("", encoding="utf-8")
    which = _which({"chromium": str(executable)})
    resolve(environ=environ, which=which, probe_fn=_probe({str(executable)}))
    monkeypatch.setattr(browser, "_playwright_version", lambda: "0.0.1")
    with pytest.raises(BrowserUnavailable):
        resolve(environ=environ, which=_which({}), probe_fn=_probe(set()))


def test_ensure_tries_downloading_playwrights_chromium_before_the_system_one(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed: list[float] = []
    working: set[str | None] = set()

    def install(timeout: float) -> bool:
        installed.append(timeout)
        working.add(None)
        return True

    monkeypatch.setattr(browser, "_install_playwright_chromium", install)
    said: list[str] = []
    which = _which({"chromium": "/usr/bin/chromium"})
    choice = ensure(environ=environ, which=which, probe_fn=_probe(working), say=said.append)
    assert choice.kind == "playwright"
    assert installed
    assert said == ["browser: Playwright's own Chromium"]


def test_ensure_falls_back_to_the_system_browser_when_the_download_fails(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "_install_playwright_chromium", lambda timeout: False)
    monkeypatch.setattr(browser, "_apt_prefix", lambda: pytest.fail("apt-get not needed"))
    said: list[str] = []
    which = _which({"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/shell"})
    working = {"/usr/bin/chromium", "/usr/bin/shell"}
    choice = ensure(environ=environ, which=which, probe_fn=_probe(working), say=said.append)
    assert choice.executable_path == "/usr/bin/chromium"
    assert said == ["browser: system Chromium at /usr/bin/chromium (headless: /usr/bin/shell)"]


def test_headless_runs_use_the_system_headless_shell(environ: dict[str, str]) -> None:
    which = _which({"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/shell"})
    choice = resolve(environ=environ, which=which,
                     probe_fn=_probe({"/usr/bin/chromium", "/usr/bin/shell"}))
    assert choice.executable(headed=False) == "/usr/bin/shell"
    assert choice.executable(headed=True) == "/usr/bin/chromium"


def test_a_headless_shell_that_does_not_launch_is_left_out(environ: dict[str, str]) -> None:
    which = _which({"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/shell"})
    choice = resolve(environ=environ, which=which, probe_fn=_probe({"/usr/bin/chromium"}))
    assert choice.headless_shell is None
    assert choice.executable(headed=False) == "/usr/bin/chromium"


def test_a_cache_from_before_the_headless_shell_is_looked_at_again(
    environ: dict[str, str], cache_file: Path
) -> None:
    executable = cache_file.parent / "chromium"
    executable.write_text("", encoding="utf-8")
    resolve(environ=environ, which=_which({"chromium": str(executable)}),
            probe_fn=_probe({str(executable)}))
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    del data["headless_shell"]
    cache_file.write_text(json.dumps(data), encoding="utf-8")
    shell = cache_file.parent / "shell"
    shell.write_text("", encoding="utf-8")
    which = _which({"chromium": str(executable), "chromium-headless-shell": str(shell)})
    choice = resolve(environ=environ, which=which, probe_fn=_probe({str(executable), str(shell)}))
    assert choice.headless_shell == str(shell)


@pytest.mark.parametrize("installs", [True, False])
def test_ensure_adds_the_headless_shell_beside_a_system_chromium(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, installs: bool
) -> None:
    found = {"chromium": "/usr/bin/chromium"}

    def apt_install(prefix: list[str]) -> bool:
        if installs:
            found["chromium-headless-shell"] = "/usr/bin/shell"
        return installs

    monkeypatch.setattr(browser, "_install_playwright_chromium", lambda timeout: False)
    monkeypatch.setattr(browser, "_apt_prefix", lambda: [])
    monkeypatch.setattr(browser, "_apt_install_headless_shell", apt_install)
    choice = ensure(environ=environ, which=found.get,
                    probe_fn=_probe({"/usr/bin/chromium", "/usr/bin/shell"}), say=print)
    assert choice.executable_path == "/usr/bin/chromium"
    assert choice.headless_shell == ("/usr/bin/shell" if installs else None)


def test_ensure_installs_the_system_package_as_a_last_resort(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    found: dict[str, str] = {}

    def apt_install(prefix: list[str]) -> bool:
        assert prefix == ["sudo", "-n"]
        found["chromium"] = "/usr/bin/chromium"
        return True

    monkeypatch.setattr(browser, "_install_playwright_chromium", lambda timeout: False)
    monkeypatch.setattr(browser, "_apt_prefix", lambda: ["sudo", "-n"])
    monkeypatch.setattr(browser, "_apt_install_chromium", apt_install)
    choice = ensure(
        environ=environ, which=found.get, probe_fn=_probe({"/usr/bin/chromium"}), say=print
    )
    assert choice.executable_path == "/usr/bin/chromium"


def test_ensure_fails_clearly_when_nothing_works(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "_install_playwright_chromium", lambda timeout: False)
    monkeypatch.setattr(browser, "_apt_prefix", lambda: None)
    with pytest.raises(BrowserUnavailable, match="No usable Chromium"):
        ensure(environ=environ, which=_which({}), probe_fn=_probe(set()), say=print)


def test_ensure_rejects_an_override_that_does_not_launch(environ: dict[str, str]) -> None:
    environ[CHROMIUM_ENV] = "/nowhere/chrome"
    with pytest.raises(BrowserUnavailable, match="/nowhere/chrome"):
        ensure(environ=environ, probe_fn=_probe(set()), say=print)


def test_main_reports_failure_with_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unavailable(**_: object) -> BrowserChoice:
        raise BrowserUnavailable("nothing here")

    monkeypatch.setattr(browser, "ensure", unavailable)
    assert browser.main(["ensure"]) == 1
    assert "nothing here" in capsys.readouterr().err


def test_installers_are_bounded_by_their_timeout() -> None:
    started = time.monotonic()
    assert browser._run_quiet(["sh", "-c", "sleep 30 & wait"], 0.3) is False
    assert time.monotonic() - started < 5
    assert browser._run_quiet(["sh", "-c", "exit 0"], 5) is True
    assert browser._run_quiet(["sh", "-c", "exit 1"], 5) is False


def test_what_counts_as_playwrights_own_chromium(tmp_path: Path) -> None:
    executable = tmp_path / "chromium-1255" / "chrome-linux64" / "chrome"
    assert not browser._playwright_chromium_installed(executable)
    (tmp_path / "chromium_headless_shell-1255").mkdir()  # `install --only-shell`
    assert browser._playwright_chromium_installed(executable)
    (tmp_path / "chromium_headless_shell-1255").rmdir()
    executable.parent.mkdir(parents=True)
    executable.touch()
    assert browser._playwright_chromium_installed(executable)


def test_the_probe_does_not_launch_a_playwright_chromium_that_is_not_installed(
        playwright_session: Playwright, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next test's decision in-process, with the worker's driver: the probe asks whether
    the driver's Chromium is installed and, told it is not, launches nothing."""
    asked: list[Path] = []

    def installed(executable: Path) -> bool:
        asked.append(executable)
        return False

    def launch(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe launched a Chromium that is not installed")

    monkeypatch.setattr(browser, "_playwright_chromium_installed", installed)
    monkeypatch.setattr(browser, "launch", launch)
    assert browser.probe(BrowserChoice(kind="playwright")) is None
    assert asked == [Path(playwright_session.chromium.executable_path)]


@pytest.mark.slow  # a Python and a Playwright driver of its own: about 1.1 s of CPU
def test_probing_a_missing_playwright_chromium_leaves_nothing_behind(tmp_path: Path) -> None:
    """Playwright makes a profile directory before it finds its Chromium missing, and leaves it
    in the temporary directory; the probe does not launch what is not installed."""
    temp, browsers = tmp_path / "tmp", tmp_path / "browsers"
    temp.mkdir()
    browsers.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PLAYWRIGHT_BROWSERS_PATH": str(browsers)}
    code = ("from scenarios.browser import BrowserChoice, probe; "
            "print(probe(BrowserChoice(kind='playwright')))")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.stdout.strip() == "None", result.stderr
    assert list(temp.iterdir()) == []


def test_a_headed_browser_without_a_display_is_said_so() -> None:
    """Playwright's first line then only says the browser closed; its logs say why."""
    error = ("BrowserType.launch: Target page, context or browser has been closed\n"
             "Browser logs:\n║ Looks like you launched a headed browser without having a "
             "XServer running. ║\nCall log:\n  - [err] Missing X server or $DISPLAY\n")
    system = BrowserChoice(kind="system", executable_path="/usr/bin/chromium")
    said = browser.launch_failure(system, error, {}, headed=True)
    assert said.startswith("the system Chromium at /usr/bin/chromium did not start: no X server "
                           "or $DISPLAY for a headed browser\n"), said
    assert "xvfb-run" in said, said
    assert "forget" in browser.launch_failure(system, error, {}), "headless: another cause"


def test_a_run_whose_browser_does_not_start_names_it_and_the_fix(tmp_path: Path) -> None:
    """Each scenario's error says which browser did not start and what fixes it, not
    Playwright's error with the browser's whole command line."""
    env = {**os.environ, "SSO_HARNESS_CHROMIUM": "/bin/false"}
    env.pop("SSO_HARNESS_BROWSER_WS", None)
    result = subprocess.run(
        [sys.executable, "-m", "scenarios", "run", "--only", "auto-login.first-login",
         "--report", str(tmp_path / "report")], env=env, cwd=REPO, capture_output=True,
        text=True, timeout=120, check=False)
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert ("worker 0 could not start: the $SSO_HARNESS_CHROMIUM at /bin/false did not start: "
            in said), said
    assert "set SSO_HARNESS_CHROMIUM to a Chromium executable that runs here" in said, said
    assert "<launching>" not in said, said
