"""A terminal's control sequences, taken out of text an app wrote for a terminal.

Node's ``util.inspect``, Express's and Django's loggers, npm, pytest and most CLIs colour their
output when they think a terminal reads it (``FORCE_COLOR``, a CI's ``TERM``): each colour, each
cursor move is an escape sequence (ECMA-48: ``ESC [ … m`` and its kin). Kept in a log file, they
read as garbage in a browser and break the masking by name, which no longer sees
``clientSecret: \\x1b[32m'…'`` as a name and its value. :func:`without_sequences` takes them
out whole and keeps the text; a stray control character left over (a lone ``ESC``, a bell) is
for :func:`scenarios.protocol_view.tokens.printable` to escape, as every other report does.
"""

from __future__ import annotations

import re

__all__ = ["without_sequences"]

_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours (SGR), cursor moves, erasing a line
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC: a title, a hyperlink
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]")  # the rest: a charset (ESC ( B), keypad modes (ESC =), ESC 7, ESC c
"""A control sequence as ECMA-48 (ISO/IEC 6429) shapes them, in the 7-bit form terminals are
sent and the 8-bit one (``\\x9b`` for ``ESC [``)."""


def without_sequences(text: str) -> str:
    """``text`` without its terminal control sequences, a ``CR LF`` line end read as ``LF``;
    every other character kept."""
    return _SEQUENCE.sub("", text).replace("\r\n", "\n")
