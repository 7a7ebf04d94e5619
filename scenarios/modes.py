"""What a run records: its trace and screenshot modes, named once for the options and the CLI.

Kept apart from :mod:`scenarios.worker` (which loads Playwright) so the command line can offer
the choices without importing a browser driver.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["SCREENSHOT_MODES", "TRACE_MODES", "ScreenshotMode", "TraceMode"]

TraceMode = Literal["rerun-on-failure", "retain-on-failure", "on", "off"]
TRACE_MODES: tuple[TraceMode, ...] = get_args(TraceMode)

ScreenshotMode = Literal["steps", "failure"]
SCREENSHOT_MODES: tuple[ScreenshotMode, ...] = get_args(ScreenshotMode)
