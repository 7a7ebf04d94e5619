"""A scenario's result as the reports may show it, whatever the app under test put in it.

A failure message or traceback quotes URLs (a callback URL carries a code), an app's output (its
start-up settings) and a page's whole text (a refresh token an app shows, a 3 MB error page, an
ANSI colour). Before a result leaves its worker, every text in it is masked by name
(:func:`~scenarios.protocol_view.tokens.mask_text`) and by the values the run knows
(:func:`~scenarios.protocol_view.known.known_values`), so are the values of its protocol
exchange; a long text keeps its start and end, and control characters are escaped.

A Playwright trace (:func:`mask_trace`) is masked by those values too, in every part of it but
its pictures: the actions' parameters (a typed password), the network log and the bodies it
keeps, the DOM snapshots, the console. It is not masked by name: its parts are JSON and pages,
which masking by name would break; but a value it holds under a name that says it is a
secret (a CSRF token in a hidden form field or posted with it, a password posted to an app's
own form) is found there, then masked by value wherever it stands; the values of every cookie
in its ``Cookie`` and ``Set-Cookie`` headers and its lists of cookies are masked, names kept
(:func:`~scenarios.protocol_view.cookies.mask_cookies_json`): an app's own session cookie is a
credential the run does not know; and every signed JWT loses its signature wherever it stands
(:func:`~scenarios.protocol_view.tokens.mask_jwts`), as in the reports: the run does not know
the tokens the provider issued (an ID token hint in a logout URL, the tokens a form_post page
or an app's page shows), and one with its signature is one an app would take.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from scenarios.protocol_view.cookies import mask_cookies_json
from scenarios.protocol_view.known import mask_exchange
from scenarios.protocol_view.tokens import (
    mask_jwts,
    mask_text,
    masked_field,
    printable,
    value_mask,
)
from scenarios.report_files import write_atomically
from scenarios.results import ScenarioResult

__all__ = ["MAX_TEXT_HEAD", "MAX_TEXT_TAIL", "mask_trace", "masked_result", "masked_text",
           "quoted"]

MAX_TEXT_HEAD = 12_000
MAX_TEXT_TAIL = 4_000
"""How much of a longer failure message or traceback the reports keep: its start (the frames,
the assertion) and its end (Playwright's call log). An expectation quotes the page's whole
text, twice, however long: a 3 MB error page made 9 MB reports."""


def masked_text(text: str | None, hide: Callable[[str], str] | None = None) -> str | None:
    """``text`` masked by name and by ``hide`` (a
    :func:`~scenarios.protocol_view.tokens.value_mask`), cut to :data:`MAX_TEXT_HEAD` and
    :data:`MAX_TEXT_TAIL` characters, control characters escaped."""
    if text is None:
        return None
    masked = mask_text(text)
    return printable(_cut(hide(masked) if hide is not None else masked))


def quoted(text: str, limit: int) -> str:
    """What a page says, quoted in a failure message: masked by name (:func:`mask_text`),
    then cut to ``limit`` characters and an ellipsis. Masked after the cut, a secret cut in
    two would no longer be found by its name, nor by its value."""
    text = mask_text(text)
    return repr(text if len(text) <= limit else text[:limit].rstrip() + "…")


def _cut(text: str) -> str:
    """``text``, or its start and end with how much was cut between them."""
    cut = len(text) - MAX_TEXT_HEAD - MAX_TEXT_TAIL
    if cut <= 0:
        return text
    return (f"{text[:MAX_TEXT_HEAD]}\n[... {cut:,} characters cut ...]\n"
            f"{text[-MAX_TEXT_TAIL:]}")


def masked_result(result: ScenarioResult, known: Mapping[str, str]) -> ScenarioResult:
    """``result`` with its message, traceback, step errors and exchange masked, ``known``
    (raw value -> what it is shown as) wherever it stands."""
    hide = value_mask(known)
    return replace(result, message=masked_text(result.message, hide),
                   details=masked_text(result.details, hide),
                   steps=tuple(replace(s, error=masked_text(s.error, hide))
                               for s in result.steps),
                   protocol=mask_exchange(result.protocol, hide))


PICTURES = (".jpeg", ".jpg", ".png", ".webp", ".gif")
"""A trace's screencast frames and images: nothing in them reads as text."""


def mask_trace(path: Path, known: Mapping[str, str]) -> bool:
    """Mask ``known`` (raw value -> what it is shown as) in the Playwright trace at ``path``:
    as it is, URL-encoded or escaped in JSON or HTML, in each of its parts but the pictures;
    and its cookies' values and the signature of every JWT in it. The trace is replaced whole, and
    only when something was masked; whether it was."""
    with zipfile.ZipFile(path) as trace:
        parts = [(info, trace.read(info)) for info in trace.infolist()]
    # surrogateescape: any bytes round-trip, so a part that is not UTF-8 is kept as it is
    texts = {index: data.decode("utf-8", "surrogateescape")
             for index, (info, data) in enumerate(parts)
             if not info.filename.lower().endswith(PICTURES)}
    found = dict(known)
    for text in texts.values():
        for raw, shown in _named_fields(mask_cookies_json(text)).items():
            found.setdefault(raw, shown)
    hide = value_mask(found)
    masked = False
    for index, text in texts.items():
        if (hidden := mask_jwts(mask_cookies_json(hide(text)))) != text:
            parts[index] = (parts[index][0], hidden.encode("utf-8", "surrogateescape"))
            masked = True
    if masked:
        def write(temporary: Path) -> None:
            with zipfile.ZipFile(temporary, "w") as out:
                for info, data in parts:
                    out.writestr(info, data)

        write_atomically(path, write)
    return masked


_NAME_MEMBER = r'"name":\s*"(?P<name>[^"\\]{1,80})"'
_VALUE_MEMBER = r'"value":\s*"(?P<value>(?:[^"\\]|\\.){1,4096})"'
_JSON_FIELDS = (re.compile(rf"{_NAME_MEMBER},\s*{_VALUE_MEMBER}"),
                re.compile(rf"{_VALUE_MEMBER},\s*{_NAME_MEMBER}"))
"""A named value in a trace's JSON: a posted form field or a query parameter in the network
log (``{"name": "csrfToken", "value": "…"}``), an ``INPUT`` of a DOM snapshot (its attributes
in the page's order), a header."""
_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\b(?P<key>name|value)\s*=\s*(?:"(?P<d>[^"]*)"|'(?P<s>[^']*)')""",
                        re.IGNORECASE)


def _named_fields(text: str) -> dict[str, str]:
    """The secret values ``text`` (a part of a trace) holds under a name that says so (a
    CSRF token in a hidden form field, a password posted to an app's own form), each with
    what it is shown as (:func:`~scenarios.protocol_view.tokens.masked_field`). The run does
    not know them; found here, they are masked in every part of the trace, wherever the
    same value stands (the form's page, its posted body)."""
    found: dict[str, str] = {}
    for match in (m for pattern in _JSON_FIELDS for m in pattern.finditer(text)):
        try:
            name, value = json.loads(f'["{match["name"]}", "{match["value"]}"]')
        except ValueError:
            continue
        if (shown := masked_field(name, value)) is not None:
            found[value] = shown
    for tag in _INPUT.finditer(text):
        attributes = {m["key"].lower(): html.unescape(m["d"] if m["d"] is not None else m["s"])
                      for m in _ATTRIBUTE.finditer(tag.group(0))}
        if (shown := masked_field(attributes.get("name", ""),
                                  attributes.get("value", ""))) is not None:
            found[attributes["value"]] = shown
    return found
