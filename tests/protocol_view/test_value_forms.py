"""A known value is masked however a URL, a form, JSON or HTML writes it: a browser's form and
URLSearchParams (``~`` as ``%7E``), encodeURIComponent, lower-case hex, HTML-safe JSON, HTML
entities; in free text and in a Playwright trace alike."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from scenarios.masking import mask_trace
from scenarios.protocol_view.tokens import value_mask
from scenarios.protocol_view.value_forms import written_forms

# An Entra-shaped client secret (always a "~"), and a password with what each writer encodes.
SECRET = "xK81Q~Ab.cd_ef-GhIjKlMnOpQrStUvWxYz0123"
PASSWORD = "Tr0ub4dor~3*x(y) &<z>'\"/w"


@pytest.mark.parametrize("written", [
    # A browser's form and URLSearchParams (WHATWG application/x-www-form-urlencoded).
    "passwd=Tr0ub4dor%7E3*x%28y%29+%26%3Cz%3E%27%22%2Fw",
    # encodeURIComponent.
    "?p=Tr0ub4dor~3*x(y)%20%26%3Cz%3E'%22%2Fw",
    # Lower-case hex (.NET's HttpUtility.UrlEncode).
    "p=Tr0ub4dor%7e3%2ax%28y%29+%26%3cz%3e%27%22%2fw",
    # HTML-safe JSON (Go, Django's json_script), "/" escaped.
    '{"p": "Tr0ub4dor~3*x(y) \\u0026\\u003cz\\u003e\\u0027\\"\\/w"}',
    '{"p": "Tr0ub4dor~3*x(y) \\u0026\\u003Cz\\u003E\\u0027\\"\\u002fw"}',
    # HTML entities (Jinja, EJS; Django, html.escape).
    '<input value="Tr0ub4dor~3*x(y) &amp;&lt;z&gt;&#39;&#34;/w">',
    '<input value="Tr0ub4dor~3*x(y) &amp;&lt;z&gt;&#x27;&quot;/w">',
])
def test_a_known_value_is_masked_however_it_was_written(written: str) -> None:
    shown = value_mask({PASSWORD: "[redacted]"})(written)
    assert "Tr0ub4dor" not in shown and "[redacted]" in shown


def test_an_entra_client_secret_posted_by_a_browser_is_masked_in_the_trace(
        tmp_path: Path) -> None:
    body = f"client_id=2b8e4f61&client_secret={SECRET.replace('~', '%7E')}&x=1"
    network = {"snapshot": {"request": {"postData": {"text": body}}}}
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as trace:
        trace.writestr("trace.network", json.dumps(network))
    assert mask_trace(path, {SECRET: "[redacted]"}) is True
    with zipfile.ZipFile(path) as trace:
        text = trace.read("trace.network").decode()
    assert "Ab.cd_ef" not in text
    assert "client_secret=[redacted]&x=1" in text


def test_a_value_every_writer_writes_alike_is_looked_for_once() -> None:
    assert written_forms("1.AbcDEF_ghi-jkl") == {"1.AbcDEF_ghi-jkl"}
