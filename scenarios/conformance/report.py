"""``conformance --report DIR``: the rows as an HTML page, each with its protocol exchange, and
the same facts as ``results.json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from scenarios.conformance.rows import RowResult, summary_counts, to_json
from scenarios.protocol_view import explanation
from scenarios.report import template_environment
from scenarios.report_files import write_atomically
from scenarios.shard import Shard

__all__ = ["format_explanations", "write_report"]


def write_report(results: Sequence[RowResult], report_dir: Path, *, rp: str, provider: str,
                 client_id: str, shard: Shard | None = None, others_run: bool = False,
                 app: str | None = None, generated: datetime | None = None,
                 interrupted: bool = False) -> Path:
    """``index.html`` and ``results.json`` in ``report_dir``; the path of the page, titled
    with ``app`` (its profile's name; default: ``rp``, the URL) and ``shard``.
    ``others_run``: as :func:`~scenarios.conformance.rows.passed` says; ``interrupted``: the
    run was stopped (``results.json`` says so)."""
    data = json.dumps(to_json(results, rp=rp, provider=provider, client_id=client_id,
                              shard=shard, others_run=others_run, interrupted=interrupted),
                      indent=2) + "\n"
    write_atomically(report_dir / "results.json",
                     lambda temporary: temporary.write_text(data, encoding="utf-8"))
    html = template_environment().get_template("conformance.html").render(
        results=results, counts=summary_counts(results), rp=rp, provider=provider,
        client_id=client_id, against=app or rp, shard=shard,
        generated=(generated or datetime.now(UTC)).isoformat(timespec="seconds"))
    return write_atomically(report_dir / "index.html",
                            lambda temporary: temporary.write_text(html, encoding="utf-8"))


def format_explanations(results: Sequence[RowResult]) -> str:
    """The exchange of each row that failed, as text diagrams (``--explain``)."""
    return "\n\n".join(
        explanation(r.protocol_text, f"{r.row.id}: {r.row.what}", f"FAIL: {r.verdict.reason}")
        for r in results if r.verdict.result == "FAIL")
