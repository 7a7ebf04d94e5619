"""What GitHub's runner would read as a workflow command in a step's output, and texts that hold
some, for the tests that what the harness quotes holds none inside GitHub Actions."""

from __future__ import annotations

__all__ = ["APP_OUTPUT", "QUOTED", "commands_in"]

APP_OUTPUT = ("starting\n::stop-commands::abcdef\n    ::add-mask::Alice\r::error::fake\n"
              "the page said ##[warning]legacy\n:\u200b:error::hidden\n::notice::last")
"""An app's output with commands of every form the runner reads."""

QUOTED = "refused\n::stop-commands::x\n##[error]y"
"""A short text (an app's, a page's or a provider's) that holds two commands."""


def commands_in(text: str) -> list[str]:
    """The lines GitHub's runner would read as a command: ``::`` once leading whitespace is
    trimmed (a line ending at CR as at LF), or ``##[`` anywhere; invisible format characters
    skipped, as a culture-aware comparison skips them."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    seen = [line.replace("\u200b", "") for line in lines]
    return [line for line in seen if line.lstrip().startswith("::") or "##[" in line]
