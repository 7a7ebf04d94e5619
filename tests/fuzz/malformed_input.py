"""A seeded generator of malformed input: odd strings, numbers, URLs, JSON bodies, forms.

Shared by the fuzz tests of both apps; each test adds its routes and the plausible values of
their fields. A plain ``random.Random`` with a fixed seed rather than Hypothesis strategies,
because here it is clearly better: it spreads thousands of requests evenly over every route
(Hypothesis leans towards the simplest example of each choice, so most requests went to the
first route with an empty body) and it makes a request in tens of microseconds (Hypothesis
spent about 4 ms of CPU drawing each one, more than the whole time budget). Failures still
reproduce: the seed is fixed, or set with ``FUZZ_SEED``, and every failure names its request.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

SEED = int(os.environ.get("FUZZ_SEED", "20261201"))

ODD_TEXT = [
    "", " ", "\x00", "\n", "\r\n", "\t", "\u2028", "\ufeff", "☃", "𝔘", "%00", "%ED%A0%80",
    "../..", "' OR 1=1 --", "<script>alert(1)</script>", "{}", "[]", "null", "true", "NaN",
    "-0", "1e400", "0x10", "٣", "²", "１２", "\u202e", "A" * 5000, "é" * 300, "\\ud800",
    "http://[::1/cb", "http://localhost:80:80/a", "http://localhost:99999/",
    "http://localhost/a\x00b", "javascript:alert(1)", "//evil.test/", "http:///x",
    "https://[fe80::1%25eth0]/", "http://user@:80/", "1.A", "1.A" + "A" * 60, "a@b", "@",
    "9" * 30, "-1", "2147483648",
]
"""Strings with no lone surrogates: they can travel in a URL or a form."""
SURROGATES = ["\ud800", "\udfff", "a\ud800b", "\udc80\ud800"]
"""Lone surrogates: JSON can spell them (``"\\ud800"``), UTF-8 cannot carry them."""
ODD_NUMBERS: list[Any] = [
    10**400, -(10**400), 2**63, 2**63 - 1, 9223372036854775808, 2147483648, -1, -2**31, 0.5,
    1e308, -1e308, 1e-300, 1.5, 0, 10**20,
]
RAW_BODIES = [
    b"", b"{", b"[", b"null", b"[]", b'"x"', b"1", b"{}", b"\xff\xfe\x00", b"\x00" * 8,
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e400}', b'{"\\ud800": 1}', b'{"a": "\\udfff"}',
    b'{"a": 1, "a": 2}', b"[" * 100_000, b'{"a":' * 5000, b"[" * 2000 + b"]" * 2000,
    b"1" * 5001, b'{"a": ' + b"9" * 5001 + b"}", b"\xef\xbb\xbf{}", b"a" * (300 * 1024),
    b'{"a": "' + b"x" * 300_000 + b'"}',
]
"""Bodies that are not, or only barely, JSON."""
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz", "multipart/form-data", "text/plain", "", "*/*",
    "application/merge-patch+json", "application/json; charset=latin-1",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class Malformed(random.Random):
    """``random.Random`` that also draws odd values; seed it for a reproducible run."""

    def maybe(self, chance: float = 0.5) -> bool:
        return self.random() < chance

    def text(self) -> str:
        """A short odd string (no lone surrogates)."""
        roll = self.random()
        if roll < 0.5:
            return self.choice(ODD_TEXT)
        if roll < 0.8:
            alphabet = "aZ09-._~%/?#[]@!$&'()*+,;= \x00\x7f\u00e9\u2603\U0001d518"
            return "".join(self.choice(alphabet) for _ in range(self.randrange(0, 16)))
        return "".join(chr(self.choice([self.randrange(0x20, 0x7f), self.randrange(0xa0,
                       0xd7ff), self.randrange(0xe000, 0x10ffff)]))
                       for _ in range(self.randrange(1, 8)))

    def json_text(self) -> str:
        """An odd string for JSON, lone surrogates included."""
        return self.choice(SURROGATES) if self.maybe(0.15) else self.text()

    def segment(self, real: Sequence[str] = ()) -> str:
        """A path segment, percent-encoded: one of ``real`` or an odd one."""
        value = self.choice(real) if real and self.maybe(0.6) else self.text()
        return quote(value, safe="") or "x"

    def number(self) -> Any:
        return self.choice(ODD_NUMBERS) if self.maybe(0.7) else self.randrange(-10**6, 10**6)

    def value(self, depth: int = 0) -> Any:
        """Any JSON value, biased to what a field does not expect."""
        roll = self.random()
        if roll < 0.35:
            return self.json_text()
        if roll < 0.6:
            return self.number()
        if roll < 0.7:
            return self.choice([True, False, None])
        if depth >= 3 or roll < 0.85:
            return [self.value(depth + 1) for _ in range(self.randrange(0, 3))]
        return {self.json_text(): self.value(depth + 1) for _ in range(self.randrange(0, 3))}

    def json_body(self, fields: Mapping[str, Sequence[Any]]) -> bytes:
        """An object whose members are plausible (from ``fields``) or odd, sometimes with
        members nobody asked for; or, one time in five, a body that is barely JSON."""
        if self.maybe(0.2):
            return self.choice(RAW_BODIES)
        body: dict[str, Any] = {}
        for name, samples in fields.items():
            if self.maybe(0.6):
                body[name] = self.choice(samples) if samples and self.maybe(0.6) \
                    else self.value()
        for _ in range(self.choice([0, 0, 0, 1, 2])):
            body[self.json_text()] = self.value()
        return json.dumps(body).encode()

    def params(self, names: Sequence[str], samples: Sequence[str]) -> dict[str, str]:
        """Query or form fields: mostly known names, plausible or odd values."""
        out: dict[str, str] = {}
        for _ in range(self.randrange(0, 8)):
            name = self.choice(names) if self.maybe(0.85) else self.text()
            out[name] = self.choice(samples) if samples and self.maybe(0.5) else self.text()
        return out

    def form(self, fields: Mapping[str, str]) -> tuple[bytes, str]:
        """``fields`` as a body and its content type: urlencoded, multipart (well formed,
        broken, or in an odd charset) or a body that is no form at all."""
        roll = self.random()
        if roll < 0.6:
            return urlencode(fields).encode(), "application/x-www-form-urlencoded"
        if roll < 0.85:
            parts = b"".join(
                b'--xyz\r\nContent-Disposition: form-data; name="' + quote(k).encode()
                + b'"\r\n\r\n' + v.encode() + b"\r\n" for k, v in fields.items())
            end = self.choice([b"--xyz--\r\n", b"", b"--xyz"])
            charset = self.choice(["", "", "; charset=unicode_escape", "; charset=utf-16",
                                   "; charset=nope"])
            escaped = b'--xyz\r\nContent-Disposition: form-data; name="state"\r\n\r\n\\ud800\r\n'
            extra = escaped if charset == "; charset=unicode_escape" else b""
            return parts + extra + end, f"multipart/form-data; boundary=xyz{charset}"
        return self.choice(RAW_BODIES), self.choice(CONTENT_TYPES)
