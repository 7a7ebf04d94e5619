"""The exchange as plain text: a sequence diagram with three lifelines, for terminals, CI logs
and ``results.json``.

::

      browser       app           provider
    1    |----------->|               |    GET app /sso/c1/widget  302 -> provider /.../authorize
    2    |--------------------------->|    GET provider /.../authorize  200  [authorize]
           carries: client_id=..., state=..., nonce=...

Each step's details follow it, indented: what it carried, the answer, each token's header and
claims (a claim a fault changed is marked ``<- CHANGED``), errors, the app's failure reference
and how the step ties to earlier ones. A step that went wrong (an error, a failure reference,
an answer of 4xx or 5xx, or none: :attr:`Step.erred`, which the HTML marks too) ends with
``<- went wrong here``. A scenario that used several browsers says which each
browser's step was made in (``[callback, browser 2]``). Pure; the drawing is ASCII, and a
control character in a value (an ANSI colour from an app's error page) is written as an
escape (``\\x1b``).
"""

from __future__ import annotations

from scenarios.protocol_view.model import ACTORS, Exchange, Step, TokenView
from scenarios.protocol_view.tokens import printable

__all__ = ["WENT_WRONG", "explanation", "render_text", "text_of"]

LANE = {"browser": 6, "app": 20, "provider": 36}
WIDTH = 38
DETAIL_LIMIT = 400
WENT_WRONG = "<- went wrong here"
"""After a step that went wrong (:attr:`Step.erred`), as the HTML diagram marks it."""


def _lanes(step: Step | None) -> str:
    line = [" "] * WIDTH
    for actor in ACTORS:
        line[LANE[actor]] = "|"
    if step is not None and step.source != step.target:
        left, right = sorted((LANE[step.source], LANE[step.target]))
        for x in range(left + 1, right):
            line[x] = "-"
        if LANE[step.target] > LANE[step.source]:
            line[right - 1] = ">"
        else:
            line[left + 1] = "<"
    return "".join(line)


def _joined(pairs: tuple[tuple[str, str], ...]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in pairs)
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 3] + "..."


def _token_lines(token: TokenView) -> list[str]:
    lines = [f"{token.name}" + (f" (fault {token.fault})" if token.fault else "")]
    for part, members in (("header", token.header), ("claims", token.claims)):
        if part == "claims" and token.encrypted:
            lines.append("  claims: encrypted (a JWE): not shown")
            continue
        changed = token.changed(part)
        shown = []
        for name, value in members:
            change = changed.get(name)
            if change is not None:
                was = f" (was {change.before})" if change.before is not None else " (added)"
                shown.append(f"{name}={value} <- CHANGED{was}")
            else:
                shown.append(f"{name}={value}")
        shown += [f"{c.name} <- REMOVED (was {c.before})" for c in changed.values()
                  if c.how == "removed"]
        lines.append(f"  {part}: " + "; ".join(shown))
    lines.append(f"  signature: {token.signature}")
    return lines


def _details(step: Step) -> list[str]:
    lines = []
    if step.params:
        lines.append(f"carries: {_joined(step.params)}")
    if step.answer:
        lines.append(f"answer: {_joined(step.answer)}")
    for token in step.tokens:
        lines += _token_lines(token)
    if step.error:
        lines.append(f"error: {step.error}")
    if step.failure_ref:
        lines.append(f"failure reference: {step.failure_ref}")
    lines += [f"{fault}" for fault in step.faults]
    lines += [f"-> {link}" for link in step.links]
    return lines


def render_text(exchange: Exchange, *, title: str | None = None, details: bool = True) -> str:
    """The diagram; with ``details``, each step's details under it."""
    header = [" "] * WIDTH
    for actor in ACTORS:
        start = LANE[actor] - len(actor) // 2
        header[start:start + len(actor)] = actor
    lines = [title] if title else []
    lines.append(f"    {''.join(header).rstrip()}    ({exchange.covers})")
    several = exchange.several_browsers
    for step in exchange.steps:
        which = f", {step.browser_name}" if several and step.browser_name else ""
        label = f"{step.method} {step.target_url}  {step.outcome}  [{step.name}{which}]"
        if step.erred:  # the HTML's "went wrong here", decided by the same Step.erred
            label += f"  {WENT_WRONG}"
        lines.append(f"{step.n:>3} {_lanes(step)}  {label}")
        if details:
            lines += [f"    {_lanes(None)}    {text}" for text in _details(step)]
    if not exchange.steps:
        lines.append("    (nothing recorded)")
    if exchange.harness:
        lines.append("    the harness's own calls to the provider (not drawn):")
        lines += [f"      {call}" for call in exchange.harness]
    lines += [f"note: {problem}" for problem in exchange.problems]
    return "\n".join(printable(line).rstrip() for line in lines)


def text_of(exchange: Exchange | None, title: str) -> str | None:
    """:func:`render_text` of a result's exchange (``None`` when none was recorded)."""
    return None if exchange is None else render_text(exchange, title=title)


def explanation(text: str | None, title: str, result: str) -> str:
    """One ``--explain`` block: the diagram ``text`` (or a line saying there is none), then
    the result."""
    shown = text or f"{title}\n    (no exchange recorded)"
    return printable(f"{shown}\n\n    result: {result}").rstrip()
