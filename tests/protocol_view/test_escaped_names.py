"""A secret's name escaped as nested JSON, a page or a URL writes it still masks the value it
holds, a value the run does not know (an app's own secret, another app's); names that hold no
secret, and prose that only mentions one, stay as they are."""

from __future__ import annotations

import pytest

from mock_idp.redaction import fingerprint
from scenarios.masking import masked_text
from scenarios.protocol_view.tokens import mask_text

SECRET = "pfc3Q~_e9W73NALCf-uRm_XcWj-dCG5m32VdP6h3"
TOKEN = "0.AXYAabcdefghijklmnopqrstuvwxyz0123456789"
CODE = "1.AXYA-Ok-code-ZmFrZS1hdXRob3JpemF0aW9uLWNvZGUtdmFsdWU"


@pytest.mark.parametrize(("text", "kept"), [
    # JSON inside a JSON string, twice.
    (f'{{\\\\\\"client_secret\\\\\\":\\\\\\"{SECRET}\\\\\\"}}',
     '{\\\\\\"client_secret\\\\\\":\\\\\\"[redacted]\\\\\\"}'),
    # JSON with its quotes escaped as JavaScript or an HTML-safe JSON writer escapes them.
    (f"\\u0022client_secret\\u0022: \\u0022{SECRET}\\u0022, \\u0022x\\u0022: 1",
     "\\u0022client_secret\\u0022: \\u0022[redacted]\\u0022, \\u0022x\\u0022: 1"),
    # JSON a page prints, HTML-escaped.
    (f"&quot;clientSecret&quot;: &quot;{SECRET}&quot;, &quot;a&quot;: 1",
     "&quot;clientSecret&quot;: &quot;[redacted]&quot;, &quot;a&quot;: 1"),
    (f"&#34;client_secret&#34;:&#34;{SECRET}&#34;", "&#34;client_secret&#34;:&#34;[redacted]&#34;"),
    (f"&#x22;refresh_token&#x22;:&#x22;{TOKEN}&#x22;",
     "&#x22;refresh_token&#x22;:&#x22;[redacted]&#x22;"),
    (f"{{&#39;password&#39;: &#39;{SECRET}&#39;}}", "{&#39;password&#39;: &#39;[redacted]&#39;}"),
    # A query inside another parameter, encoded once or twice; URL-encoded JSON.
    (f"/cb?state=st-1%26client_secret%3D{SECRET}%26next%3D%2Fhome&x=1",
     "/cb?state=st-1%26client_secret%3D[redacted]%26next%3D%2Fhome&x=1"),
    (f"/cb?state=st-1%2526client_secret%253D{SECRET}%2526next",
     "/cb?state=st-1%2526client_secret%253D[redacted]%2526next"),
    (f"next=https%3A%2F%2Fapp%2Fcb%3Fcode%3D{CODE}%26state%3Ds",
     f"next=https%3A%2F%2Fapp%2Fcb%3Fcode%3D{fingerprint(CODE)}%26state%3Ds"),
    (f"state=%7B%22client_secret%22%3A%20%22{SECRET}%22%7D",
     "state=%7B%22client_secret%22%3A%20%22[redacted]%22%7D"),
])
def test_a_value_under_an_escaped_name_is_masked(text: str, kept: str) -> None:
    assert mask_text(text) == kept
    assert mask_text(kept) == kept


@pytest.mark.parametrize(("text", "kept"), [
    (f'{{"client_secret": "{SECRET[:9]}\\"{SECRET[9:]}", "x": 1}}',
     '{"client_secret": "[redacted]", "x": 1}'),
    (f'{{\\"client_secret\\": \\"{SECRET[:9]}\\\\\\"{SECRET[9:]}\\", \\"x\\": 1}}',
     '{\\"client_secret\\": \\"[redacted]\\", \\"x\\": 1}'),
    (f"'password': '{SECRET[:9]}\\'{SECRET[9:]}', 'x': 1", "'password': '[redacted]', 'x': 1"),
    ('{"client_secret": "abc\\\\", "x": "kept"}', '{"client_secret": "[redacted]", "x": "kept"}'),
])
def test_a_quote_escaped_inside_a_value_does_not_end_it(text: str, kept: str) -> None:
    """The value ran to the first quote, escaped or not: the rest of it was shown."""
    assert mask_text(text) == kept


@pytest.mark.parametrize("text", [
    "&quot;token_type&quot;: &quot;Bearer&quot;, \\u0022token_type\\u0022:\\u0022Bearer\\u0022",
    "next=%2Fusers%3F%24skiptoken%3DRFNwdAIAAQAAAB86YWxpY2VAY29udG9zby5vbm1pY3Jvc29mdC5jb20",
    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request "
    "is the client secret value, not the client secret ID.",
    "&quot;error_description&quot;:&quot;the client secret has expired&quot;",
    "state=st-1%26lang%3Den%26theme%3Ddark",
    "&quot;password&quot;: &quot;&quot;, %26client_secret%3D%26x%3D1",
])
def test_names_that_hold_no_secret_and_prose_stay_as_they_are(text: str) -> None:
    assert mask_text(text) == text
    assert masked_text(text) == text


@pytest.mark.parametrize(("text", "kept"), [
    # URL-encoded JSON: a quote inside the value is escaped by a URL-encoded backslash.
    ('data=%7B%22password%22%3A%22pa%5C%22ss%20word%22%2C%22x%22%3A1%7D',
     'data=%7B%22password%22%3A%22[redacted]%22%2C%22x%22%3A1%7D'),
    ('data%3D%257B%2522password%2522%253A%2522pa%255c%2522ss%2522%257D',
     'data%3D%257B%2522password%2522%253A%2522[redacted]%2522%257D'),
])
def test_a_url_encoded_quote_escaped_inside_a_value_does_not_end_it(text: str,
                                                                    kept: str) -> None:
    assert mask_text(text) == kept
