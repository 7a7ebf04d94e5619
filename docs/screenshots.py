"""Regenerate the README's screenshots in ``docs/img/`` with Playwright.

    python docs/screenshots.py            # all of them
    python docs/screenshots.py console    # only the console
    python docs/screenshots.py report     # only the report

``console.png``: the mock's console after a sign-in and a second one refused for a changed
nonce, with the partner app installed, a fault armed and the clock moved on 150 days (the
reference app's secret shows as expiring soon).

``report.png``: the protocol exchange of ``failure.nonce-mismatch`` in the HTML report of a run
of that scenario alone, its ID token open with the changed nonce highlighted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import subprocess  # noqa: E402
import tempfile  # noqa: E402

from scenarios import flows  # noqa: E402
from scenarios.browser import launch, resolve  # noqa: E402
from scenarios.live import live_stack  # noqa: E402

IMAGES = ROOT / "docs" / "img"
VIEWPORT = {"width": 1200, "height": 820}


def console(browser: Browser, out: Path) -> None:
    with live_stack() as stack:
        stack.install_partner_app()
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        flows.first_login(page, stack, stack.people["alice"])
        stack.arm_fault("wrong_nonce")
        page.goto(stack.sign_in_url("portal"))  # signed in already: the RP refuses the nonce
        stack.arm_fault("error", endpoint="token", code=50173, user=stack.people["bob"].upn,
                        times="until_cleared")
        stack.advance(days=150)
        page.goto(stack.idp_url("/_mock/console"))
        page.screenshot(path=str(out))
        context.close()


def report(browser: Browser, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="sso-report-") as workdir:
        # The run starts its own Playwright: in another process, as a user would run it.
        subprocess.run([sys.executable, "-m", "scenarios", "run", "--only",
                        "failure.nonce-mismatch", "--workers", "1", "--trace", "off",
                        "--report", workdir], cwd=ROOT, check=True, capture_output=True)
        page_path = Path(workdir) / "index.html"
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.goto(page_path.as_uri())
        page.locator("section.protocol").first.screenshot(path=str(out))
        context.close()


SHOTS: dict[str, Callable[[Browser, Path], None]] = {"console": console, "report": report}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        print(f"unknown screenshot(s): {', '.join(unknown)}; choose from {', '.join(SHOTS)}",
              file=sys.stderr)
        return 2
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright, resolve())
        try:
            for name in names or list(SHOTS):
                out = IMAGES / f"{name}.png"
                SHOTS[name](browser, out)
                print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
