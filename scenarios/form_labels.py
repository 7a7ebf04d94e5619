"""The labels of the text fields a page shows: what a form driver names when the field it was
configured with is not among them.

A form driver waits for its ``username_field`` (a label or placeholder text). On a page that
has loaded, stayed unchanged for :data:`FORM_SETTLED_MS` and gone quiet on the network (as
:mod:`scenarios.settled_error` takes an error page that stays), a form whose visible text
fields carry other labels will not grow the one configured: the wait ends there, naming the
labels the page shows, instead of waiting out its timeout. A form that renders late (a
single-page app's, after its fetches) changes the page as it comes, so it is still waited for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scenarios import devtools
from scenarios.app.page_summary import READ_MS

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["FORM_SETTLED_MS", "LABELS_SHOWN", "field_labels", "named", "settled_other_labels"]

FORM_SETTLED_MS = 2000
"""How long a loaded page must stay unchanged before its fields' labels are taken as final."""
LABELS_SHOWN = 6
"""At most this many labels are named."""

_LABELS_JS = """(a) => {
  const now = performance.now();
  let quiet = window.__ssoHarnessFormQuiet;
  if (!quiet) {  // the first look: changes are counted from here
    quiet = { since: now };
    Object.defineProperty(window, "__ssoHarnessFormQuiet", { value: quiet });
    new MutationObserver(() => { quiet.since = performance.now(); }).observe(document,
      { subtree: true, childList: true, attributes: true, characterData: true });
  }
  const settled = document.readyState === "complete" && now - quiet.since >= a.settled;
  if (!settled && a.settled > 0) return ["changing"];
  const text = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const typed = ["", "text", "email", "tel", "password", "number", "search", "url"];
  const labels = [];
  for (const field of document.querySelectorAll("input, textarea")) {
    if (field.tagName === "INPUT" && !typed.includes((field.getAttribute("type") || "")
        .toLowerCase())) continue;
    const visible = field.checkVisibility ? field.checkVisibility({ visibilityProperty: true })
      : field.getClientRects().length > 0;
    if (!visible) continue;
    const by = (field.getAttribute("aria-labelledby") || "").split(/\\s+/)
      .map((id) => document.getElementById(id)).filter(Boolean).map((e) => e.innerText);
    const label = text([...(field.labels || [])].map((l) => l.innerText).join(" "))
      || text(field.getAttribute("aria-label")) || text(by.join(" "))
      || text(field.getAttribute("placeholder"));
    if (label && !labels.includes(label)) labels.push(label);
  }
  return ["read", labels];
}"""


def _read(page: Page, settled_ms: float) -> list[str] | None:
    """The labels, or ``None`` while the page changes (or when it cannot be read)."""
    from playwright.sync_api import Error

    try:
        found = devtools.wait_until(page, _LABELS_JS, {"settled": settled_ms}, READ_MS)
    except Error:
        return None
    if not (isinstance(found, list) and found and found[0] == "read"):
        return None
    return [str(label) for label in found[1]] if isinstance(found[1], list) else None


def field_labels(page: Page) -> list[str]:
    """The labels (or, for a field without one, the placeholders) of the visible text fields
    the page shows now, in page order; empty when there are none or the page cannot be read.
    Never raises."""
    return _read(page, 0) or []


def settled_other_labels(page: Page, wanted: str, idle_ms: float) -> list[str] | None:
    """The labels of the visible text fields of a page that has settled (loaded, unchanged for
    :data:`FORM_SETTLED_MS`, no network for 500 ms, waited for up to ``idle_ms``) when there
    are some and none is ``wanted``; ``None`` otherwise, the page still to be waited on.
    Never raises."""
    from playwright.sync_api import Error

    labels = _read(page, FORM_SETTLED_MS)
    if not labels or wanted.strip() in labels:
        return None
    try:
        page.wait_for_load_state("networkidle", timeout=max(1.0, idle_ms))
    except Error:
        return None  # still fetching: a script may yet render the field
    again = _read(page, FORM_SETTLED_MS)  # the same document still, settled as well
    return again if again and wanted.strip() not in again else None


def named(labels: list[str]) -> str:
    """``'Email', 'Password'`` (the first :data:`LABELS_SHOWN`, and how many more)."""
    shown = ", ".join(repr(label[:60]) for label in labels[:LABELS_SHOWN])
    more = len(labels) - LABELS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
