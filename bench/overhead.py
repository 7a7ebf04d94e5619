"""What a scenario pays outside its steps, piece by piece, with a warm browser.

Each piece is measured in alternating rounds against its alternatives, so a change in the
machine falls on all of them; the figure is the median per piece.

- stack: a live stack per scenario started and stopped (``live_stack()``), against one reset
  on servers a worker started once (``live_stack(shared=...)``);
- context: ``browser.new_context()`` and ``new_page()``, then ``close()``;
- trace: ``tracing.start`` then ``tracing.stop`` (nothing saved) around one page load, by
  what is recorded;
- screenshot: one step's screenshot of the reference relying party's signed-in page, by kind,
  each of a new document (the page is reloaded, untimed, before each): the first picture of a
  document is the one a step pays for, and costs more than a second one;
- page state: reading whether a page changed since its last picture (and whether a typed
  password shows), through Playwright's ``wait_for_function`` or the page's DevTools session,
  of a new document too;
- driver wait: a wait on a new document that a locator has already looked at (as the Entra
  driver's waits come after its fills and clicks), through ``wait_for_function`` (which
  injects Playwright's main-world script) or ``scenarios.devtools.wait_until``.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .stats import load_average, median

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from scenarios.live import LiveStack


@dataclass(frozen=True)
class Piece:
    name: str
    variant: str
    median_ms: float
    runs: int
    load: float


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _alternate(variants: dict[str, Callable[[], None]], runs: int, *,
               prepare: Callable[[], object] | None = None) -> dict[str, list[float]]:
    """Each variant ``runs`` times, the variants taking turns; ``prepare`` (not timed) runs
    before each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(runs + 1):
        for name, action in variants.items():
            if prepare is not None:
                prepare()
            elapsed = _timed(action)
            if index:  # the first round warms up
                times[name].append(elapsed)
    return times


def _stack_variants(workdir: Path, shared: Any) -> dict[str, Callable[[], None]]:
    from scenarios.live import live_stack

    def fresh() -> None:
        with live_stack(workdir=Path(tempfile.mkdtemp(dir=workdir))):
            pass

    def reset() -> None:
        with live_stack(workdir=Path(tempfile.mkdtemp(dir=workdir)), shared=shared):
            pass

    return {"started and stopped per scenario": fresh, "shared, reset per scenario": reset}


def _context_variants(browser: Browser) -> dict[str, Callable[[], None]]:
    def context_and_page() -> None:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.new_page()
        context.close()

    return {"new context + page, closed": context_and_page}


def _trace_variants(browser: Browser, url: str) -> dict[str, Callable[[], None]]:
    def traced(*, screenshots: bool | None = None, snapshots: bool = False,
               sources: bool = False) -> Callable[[], None]:
        def run() -> None:
            context = browser.new_context()
            try:
                page = context.new_page()
                if screenshots is not None:
                    context.tracing.start(screenshots=screenshots, snapshots=snapshots,
                                          sources=sources)
                page.goto(url)
                if screenshots is not None:
                    context.tracing.stop()
            finally:
                context.close()
        return run

    return {"no trace (context + one page load)": traced(),
            "screenshots + snapshots": traced(screenshots=True, snapshots=True, sources=False),
            "snapshots only": traced(screenshots=False, snapshots=True, sources=False)}


def _screenshot_variants(page: Page, directory: Path) -> dict[str, Callable[[], None]]:
    from scenarios.screenshots import MASKED_SELECTOR, Photographer, screenshot

    def shoot(**options: Any) -> Callable[[], None]:
        suffix = "jpeg" if options.get("type") == "jpeg" else "png"

        def run() -> None:
            page.screenshot(path=str(directory / f"shot.{suffix}"), **options)
        return run

    photographer = Photographer()

    def masked_step() -> None:
        screenshot(page, directory / "masked.png")

    def step() -> None:
        photographer.take(page, directory / "step.png", secret=False)

    masked = {"mask": [page.locator(MASKED_SELECTOR)]}
    return {
        "full page PNG, masked": shoot(full_page=True, **masked),
        "viewport PNG, masked": shoot(**masked),
        "viewport JPEG q60, masked": shoot(type="jpeg", quality=60, **masked),
        "viewport JPEG q60, unmasked": shoot(type="jpeg", quality=60),
        "a failure's (or a typed password's) masked full page": masked_step,
        "the runner's step screenshot (DevTools full page)": step,
    }


def _state_variants(page: Page) -> dict[str, Callable[[], None]]:
    from scenarios.screenshots import Photographer, page_state

    photographer = Photographer()

    def playwright() -> None:
        assert page_state(page) is not None

    def devtools() -> None:
        assert photographer.state(page) is not None

    return {"Playwright's wait_for_function": playwright, "DevTools Runtime.evaluate": devtools}


def _wait_variants(page: Page) -> dict[str, Callable[[], None]]:
    from scenarios.devtools import wait_until

    shown = "() => document.body !== null"

    def playwright() -> None:
        page.wait_for_function(shown, timeout=5000)

    def devtools() -> None:
        wait_until(page, shown, None, 5000)

    return {"Playwright's wait_for_function": playwright,
            "scenarios.devtools.wait_until": devtools}


def _reload_and_look(page: Page) -> Callable[[], None]:
    def prepare() -> None:
        page.reload()
        page.locator("body").is_visible()  # Playwright's utility-world script, as an action's

    return prepare


def measure(runs: int = 20) -> list[Piece]:
    from scenarios.browser import launched
    from scenarios.flows import first_login
    from scenarios.live import profile_for
    from scenarios.screenshots import watch_page_versions
    from scenarios.shared_servers import shared_servers

    pieces: list[Piece] = []

    def keep(name: str, times: dict[str, list[float]]) -> None:
        load = load_average()
        pieces.extend(Piece(name, variant, median(values), len(values), load)
                      for variant, values in times.items())

    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as temp, launched() as browser, \
            shared_servers(profile_for(None)) as shared:
        workdir = Path(temp)
        keep("stack", _alternate(_stack_variants(workdir, shared), runs))
        keep("context", _alternate(_context_variants(browser), runs))
        stack: LiveStack
        with _live(workdir, shared) as stack:
            keep("trace", _alternate(_trace_variants(browser, stack.app.url("/")), runs))
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            watch_page_versions(context)
            page = context.new_page()
            first_login(page, stack, stack.people["alice"], "portal")
            keep("screenshot", _alternate(_screenshot_variants(page, workdir), runs,
                                          prepare=page.reload))
            keep("page state", _alternate(_state_variants(page), runs, prepare=page.reload))
            keep("driver wait", _alternate(_wait_variants(page), runs,
                                           prepare=_reload_and_look(page)))
            context.close()
    return pieces


@contextlib.contextmanager
def _live(workdir: Path, shared: Any) -> Iterator[LiveStack]:
    from scenarios.live import live_stack

    with live_stack(workdir=Path(tempfile.mkdtemp(dir=workdir)), shared=shared) as stack:
        yield stack
