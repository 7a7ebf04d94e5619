"""The protocol view: each scenario's exchange between the browser, the app and the provider,
as a sequence diagram with every token decoded beside its step.

* :mod:`.collect` gathers it: the browser's documents, the mock's logs over HTTP;
* :mod:`.correlate` orders and ties it together (pure);
* :mod:`.tokens` decodes JWTs, masks secrets and reads what a fault changed (pure);
* :mod:`.known` gathers the secret values a run knows, to mask them by value too;
* :mod:`.render_text` draws it as text; ``scenarios/templates/protocol.html`` as HTML.

Nothing secret is kept: values are masked as they are collected, and again as they are shown.
"""

from __future__ import annotations

from scenarios.protocol_view.collect import (
    BrowserLog,
    Observable,
    ProtocolSources,
    collect,
    fetch_activity,
)
from scenarios.protocol_view.correlate import correlate, exchange_of
from scenarios.protocol_view.model import (
    BrowserHit,
    Change,
    Collected,
    Exchange,
    Step,
    TokenView,
)
from scenarios.protocol_view.render_text import explanation, render_text, text_of

__all__ = [
    "BrowserHit",
    "BrowserLog",
    "Change",
    "Collected",
    "Exchange",
    "Observable",
    "ProtocolSources",
    "Step",
    "TokenView",
    "collect",
    "correlate",
    "exchange_of",
    "explanation",
    "fetch_activity",
    "render_text",
    "text_of",
]
