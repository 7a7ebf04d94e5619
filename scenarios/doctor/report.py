"""Render a diagnosis: a table for people, JSON for CI. Secrets are masked in both."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace

from scenarios.doctor.checks import CheckResult
from scenarios.doctor.diagnose import Diagnosis
from scenarios.protocol_view.named_values import mask_named

__all__ = ["MASK", "format_table", "mask", "to_json"]

MASK = "********"
WIDTH = 100


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret value (4+ characters) with :data:`MASK`."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def _by_name(result: CheckResult) -> CheckResult:
    """``result`` with the values of secret-named parameters masked in its texts: a URL as
    given may carry one that is not the secret tested (an old ``client_secret`` pasted into the
    authorization URI's query), which masking by value would miss."""
    return replace(result, detail=mask_named(result.detail),
                   fix=mask_named(result.fix) if result.fix else result.fix)


def _wrap(text: str, width: int, *, initial_indent: str = "", subsequent_indent: str = ""
          ) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False,
                         initial_indent=initial_indent, subsequent_indent=subsequent_indent)


def _summary(diagnosis: Diagnosis) -> str:
    counts = Counter(r.status for r in diagnosis.results)
    parts = [f"{counts.get(s, 0)} {s}" for s in ("PASS", "WARN", "FAIL", "SKIP") if counts.get(s)]
    verdict = "problems found" if diagnosis.failed else "no blocking problem"
    return f"{', '.join(parts)}: {verdict}"


def format_table(diagnosis: Diagnosis, *, secrets: Iterable[str] = (), heading: str = "") -> str:
    """One row per check; under each FAIL or WARN its fix (and Entra admin-center place)."""
    width = max(len("check"), *(len(r.name) for r in diagnosis.results))
    indent = " " * (width + 10)
    lines = []
    if heading:
        lines += [heading, ""]
    lines += [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  {'-' * 40}"]
    for result in map(_by_name, diagnosis.results):
        detail = _wrap(result.detail, WIDTH - len(indent)) or [""]
        lines.append(f"{result.name:<{width}}  {result.status:<6}  {detail[0]}")
        lines += [indent + more for more in detail[1:]]
        if result.status in ("FAIL", "WARN") and result.fix:
            lines += _wrap(f"fix: {result.fix}", WIDTH, initial_indent=indent,
                           subsequent_indent=indent + "     ")
        if result.status == "FAIL" and result.portal:
            lines += _wrap(f"where: {result.portal}", WIDTH, initial_indent=indent,
                           subsequent_indent=indent + "       ")
    lines += ["", _summary(diagnosis)]
    return mask("\n".join(lines), secrets)


def to_json(diagnosis: Diagnosis, *, secrets: Iterable[str] = (), target: Mapping[str, object]
            ) -> str:
    counts = Counter(r.status for r in diagnosis.results)
    document = {
        "ok": not diagnosis.failed,
        "provider": {"flavour": diagnosis.flavour, "discovery_url": diagnosis.discovery_url,
                     **{key: mask_named(value) if isinstance(value, str) and key != "client_secret"
                        else value for key, value in target.items()}},
        "summary": {s: counts.get(s, 0) for s in ("PASS", "WARN", "FAIL", "SKIP")},
        "checks": [asdict(_by_name(r)) for r in diagnosis.results],
    }
    escaped = [form for s in secrets for form in (s, json.dumps(s, ensure_ascii=False)[1:-1])]
    return mask(json.dumps(document, indent=2, ensure_ascii=False), escaped)
