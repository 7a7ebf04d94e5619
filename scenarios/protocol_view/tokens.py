"""Tokens and values as the protocol view shows them: JWTs decoded without verifying (header
and claims, never the signature; an encrypted one's header), what a fault changed in them, and
every secret masked.

Pure functions over strings and the notes of the mock's log. Masking is the mock's own
(:mod:`mock_idp.redaction`) and can be applied twice: whatever the view shows is masked again
here, whether it came from the mock's (already masked) log or from the browser. Free text (a
failure message, an app's output) is masked by :func:`mask_text`: by name, in the spellings apps
print (``client_secret='…'``, ``clientSecret: …``, ``OIDC_CLIENT_SECRET=…``, ``Authorization:
Basic …``; a name escaped in nested JSON, HTML or a URL too:
:mod:`scenarios.protocol_view.named_values`), and by the values a run knows
(:mod:`scenarios.protocol_view.known`); :func:`printable` escapes its control characters.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from mock_idp.redaction import (
    BARE_JWT,
    MIN_HIDDEN,
    REDACTED,
    jwe_header,
    kind_of,
    mask_authorization,
    mask_form,
    mask_json,
    mask_jwt,
    mask_query,
    mask_url,
    mask_value,
    masked,
    plain_name,
)
from scenarios.protocol_view.base64_values import mask_in_base64
from scenarios.protocol_view.cookies import mask_cookie_lines, mask_cookies_json
from scenarios.protocol_view.model import Change, TokenView
from scenarios.protocol_view.named_values import COLOUR, mask_named, shown_by_name
from scenarios.protocol_view.value_forms import written_forms

__all__ = [
    "REDACTED",
    "TOKEN_NAMES",
    "as_text",
    "decode_jwt",
    "fault_changes",
    "mask_form",
    "mask_json",
    "mask_jwts",
    "mask_pairs",
    "mask_text",
    "mask_query",
    "masked_field",
    "mask_url",
    "printable",
    "token_view",
    "value_mask",
]

TOKEN_NAMES: dict[str, str] = {
    "id_token": "ID token",
    "access_token": "access token",
    "logout_token": "logout token",
    "id_token_hint": "ID token hint",
    "client_assertion": "client assertion",
}
"""Where a JWT travels (a parameter or member name) -> what the view calls it."""
MAX_VALUE = 300


_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef"
    "\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters (an ANSI colour's escape, a bidi override, a lone
    surrogate, a noncharacter) written as Python escapes (``\\x1b``), as a string's ``repr``
    shows them; line breaks and tabs are kept."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group(0))[1:-1], text)


def as_text(value: Any) -> str:
    """A claim or member as compact JSON text (strings quoted), at most 300 characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _segment(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """(header, claims, what the signature is) of a JWT, without verifying it; ``None`` when
    ``token`` is not one. The signature itself is never returned."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    header, claims = _segment(parts[0]), _segment(parts[1])
    if header is None or claims is None:
        return None
    signature = "none" if not parts[2] else REDACTED
    return header, mask_json(claims), signature


def fault_changes(notes: Iterable[Mapping[str, Any]], target: str
                  ) -> tuple[tuple[Change, ...], str | None, str | None]:
    """(the changes, the fault's kind, what it did to the signature) that notes of the mock's
    log record for the ``target`` token (``id_token``, ``logout_token``) or body."""
    changes: list[Change] = []
    kind = signature = None
    for note in notes:
        if note.get("target") != target or not isinstance(note.get("fault"), Mapping):
            continue
        kind = str(note["fault"].get("kind"))
        signature = note.get("signature") or signature
        for item in note.get("changes") or ():
            if not isinstance(item, Mapping):
                continue
            has_before, has_after = "before" in item, "after" in item
            how: Literal["changed", "added", "removed"] = (
                "changed" if has_before and has_after else "added" if has_after else "removed")
            name = str(item.get("name", ""))
            changes.append(Change(
                part=str(item.get("part", "")), name=name, how=how,
                before=as_text(mask_json(item["before"], name)) if has_before else None,
                after=as_text(mask_json(item["after"], name)) if has_after else None))
    return tuple(changes), kind, signature


def token_view(name: str, token: str, notes: Iterable[Mapping[str, Any]] = (),
               target: str | None = None) -> TokenView | None:
    """The view of the JWT ``token`` travelling as ``name`` (``id_token``...), with what the
    notes say a fault changed in it (notes for ``target``, by default ``name``)."""
    decoded = decode_jwt(mask_jwt(token))
    if decoded is None:
        encrypted = jwe_header(mask_jwt(token))
        if encrypted is None:
            return None
        return TokenView(name=TOKEN_NAMES.get(name, name),
                         header=tuple((k, as_text(v)) for k, v in encrypted.items()),
                         claims=(), signature=REDACTED, encrypted=True)
    header, claims, signature = decoded
    changes, kind, fault_signature = fault_changes(list(notes), target or name)
    return TokenView(
        name=TOKEN_NAMES.get(name, name), header=tuple((k, as_text(v)) for k, v in header.items()),
        claims=tuple((k, as_text(v)) for k, v in claims.items()),
        signature=fault_signature or signature, changes=changes, fault=kind)


def mask_pairs(pairs: Iterable[tuple[str, str]], *, decoded: str = "below"
               ) -> tuple[tuple[str, str], ...]:
    """Parameters as shown: masked, and a token one cut to its start when it is decoded beside
    the step (a JWT) or its header is (an encrypted one); ``decoded``: where (``above``: on an
    earlier step's, the provider's page that posted it)."""
    out = []
    for key, value in pairs:
        shown = mask_value(key, value)
        if key.lower() in TOKEN_NAMES and shown != REDACTED:
            if decode_jwt(shown) is not None:
                shown = f"{shown[:24]}... (decoded {decoded})"
            elif jwe_header(shown) is not None:
                shown = f"{shown[:24]}... (encrypted: its header {decoded})"
        out.append((key, shown[:MAX_VALUE]))
    return tuple(out)


_AUTHORIZATION = re.compile(
    rf"(?:(?P<colour>(?:{COLOUR}){{1,4}})|(?<![A-Za-z0-9]))"
    r"(?P<scheme>(?i:basic|bearer))(?P<space>[ \t]+)"
    r"(?P<value>(?![A-Za-z_]+=\")(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,})")
"""``Basic`` and ``Bearer`` credentials (an ``Authorization`` header's, also in a terminal's
colour), not a plain word nor a ``WWW-Authenticate`` challenge's parameter (``Bearer
authorization_uri="…"``)."""


def masked_field(name: str, value: str) -> str | None:
    """What the value of a form field, header or JSON member ``name`` is shown as when it is a
    secret, a code or a token (``passwd``, ``code``, ``csrfToken``, ``X-CSRF-Token``, as
    :func:`mask_text` finds them in free text) or an ``Authorization`` header's credentials
    (``Basic [redacted]``); ``None`` when it is shown as it is, or is a signed JWT
    (:func:`mask_jwts` takes its signature wherever it stands)."""
    if not value or masked(value) or BARE_JWT.fullmatch(value):
        return None
    if plain_name(name) in _AUTHORIZATIONS:
        credentials = value.strip().partition(" ")[2].strip()
        if not credentials or masked(credentials) or BARE_JWT.fullmatch(credentials):
            return None
        return mask_authorization(value.strip())
    if kind_of(name) is None:
        return None
    shown = shown_by_name(name, value)
    return shown if shown != value else None


_AUTHORIZATIONS = frozenset({"authorization", "proxyauthorization"})
"""Headers whose credentials (``Basic``, an opaque ``Bearer`` token) are masked after their
scheme, as the mock's log masks them (:func:`~mock_idp.redaction.mask_authorization`)."""


def mask_text(text: str, secrets: Iterable[str] | Mapping[str, str] = ()) -> str:
    """Free text (an error message, a traceback, an app's output) with secrets masked: the
    values of cookies (:mod:`scenarios.protocol_view.cookies`; names kept) and of sensitive
    names (:func:`~scenarios.protocol_view.named_values.mask_named`), ``Basic`` and ``Bearer``
    credentials, bare JWTs, and each of ``secrets`` wherever it stands, as it is or URL-encoded
    (a mapping gives what each is shown as, say a code's fingerprint; otherwise
    ``[redacted]``). Values shorter than six characters are not looked for."""
    masked = mask_named(mask_cookie_lines(mask_cookies_json(text)))
    masked = _AUTHORIZATION.sub(
        lambda m: f"{m['colour'] or ''}{m['scheme']}{m['space']}{mask_jwt(m['value'])}", masked)
    return value_mask(secrets)(mask_jwts(masked))


def mask_jwts(text: str) -> str:
    """``text`` with every signed JWT in it, wherever it stands (:data:`BARE_JWT`), without
    its signature: header and claims kept, as :func:`mask_jwt` shows one. A text with none is
    read once, fast (most of a Playwright trace)."""
    if "eyJ" not in text:
        return text
    out: list[str] = []
    copied = pos = 0
    while (start := _HEAD.search(text, pos)) is not None:
        # a run that is no JWT from its first eyJ is none from a later one either: the rest of
        # the run is skipped, so a long run of eyJ… is read once, not once for each eyJ in it
        if (jwt := BARE_JWT.match(text, start.start())) is None:
            pos = start.end()
            continue
        out += [text[copied:jwt.start()], mask_jwt(jwt.group(0))]
        copied = pos = jwt.end()
    out.append(text[copied:])
    return "".join(out)


_HEAD = re.compile(r"eyJ[A-Za-z0-9_-]*+")
"""Where a JWT may start: its header's run of token characters."""


def value_mask(secrets: Iterable[str] | Mapping[str, str]) -> Callable[[str], str]:
    """A function that masks each of ``secrets`` (at least six characters long) in a text, as
    it is or as a URL, a form, JSON or HTML writes it
    (:func:`~scenarios.protocol_view.value_forms.written_forms`): with what a mapping gives for
    it, otherwise ``[redacted]``; in base64 (a cookie's, an unsigned JWT's claims: the whole
    run, :func:`~scenarios.protocol_view.base64_values.mask_in_base64`); and the start of one
    cut short (:func:`_cut_short`). A signed JWT is left to :func:`mask_jwts`, which takes its
    signature wherever it stands. The text is read once, whatever the number of values: they
    make one pattern, shaped as a tree of their common starts (a run's log gives
    thousands)."""
    shown_as: dict[str, str] = {}
    for raw in secrets:
        if len(raw) < MIN_HIDDEN or BARE_JWT.fullmatch(raw):
            continue
        shown = secrets[raw] if isinstance(secrets, Mapping) else REDACTED
        for form in written_forms(raw):
            shown_as.setdefault(form, shown)
    if not shown_as:
        return lambda text: text
    pattern = _any_of(list(shown_as))
    starts = _Starts(shown_as)

    def in_base64(decoded: str) -> str | None:
        return shown_as[found.group(0)] if (found := pattern.search(decoded)) else None

    def hide(text: str) -> str:
        return _cut_short(mask_in_base64(pattern.sub(lambda m: shown_as[m.group(0)], text),
                                         in_base64), starts)

    return hide


MIN_CUT = 8
"""How many characters of a known value cut short are enough to mask it."""
_CUT_AT = re.compile(r"…|\.\.\.|\Z")


class _Starts:
    """The starts of known values (each at least :data:`MIN_CUT` characters long), and what
    one is shown as."""

    def __init__(self, shown_as: Mapping[str, str]) -> None:
        self.shown_as = shown_as
        self.values = sorted(shown_as)
        self.heads = {value[:MIN_CUT] for value in self.values if len(value) > MIN_CUT}
        self.longest = max(map(len, self.values))
        self.head_at = (re.compile(f"(?={_any_of(sorted(self.heads)).pattern})")
                        if self.heads else None)
        """Where one of ``heads`` begins (a lookahead: every place, overlapping ones too)."""

    def shown(self, start: str) -> str | None:
        """What ``start`` is shown as when it starts a known value (``[redacted]`` when it
        starts several shown differently, as codes are); ``None`` when it starts none."""
        if start[:MIN_CUT] not in self.heads:
            return None
        found = None
        for value in itertools.islice(self.values, bisect.bisect_left(self.values, start),
                                      None):
            if not value.startswith(start):
                break
            if found is not None and self.shown_as[value] != found:
                return REDACTED
            found = self.shown_as[value]
        return found


def _cut_short(text: str, starts: _Starts) -> str:
    """``text`` with the start of a known value masked where it ends at an ellipsis (``…``,
    ``...``) or at the end of the text: a failure message that quotes a page up to a length
    cuts a code or a token in two, and the part left is no longer the value."""
    if starts.head_at is None:
        return text
    out: list[str] = []
    copied = 0
    for mark in _CUT_AT.finditer(text):
        end = mark.start()
        # only where a known value's first characters stand (one pattern's search, not a
        # slice of the window at each place) is the start of one looked for: a mark then
        # costs a look as far back as the longest value, not its square (a JavaScript bundle
        # in a trace holds thousands of ``...``)
        for head in starts.head_at.finditer(text, max(copied, end - starts.longest + 1), end):
            begin = head.start()
            if (shown := starts.shown(text[begin:end])) is not None:
                out += [text[copied:begin], shown]
                copied = end
                break
    out.append(text[copied:])
    return "".join(out)


def _any_of(words: list[str]) -> re.Pattern[str]:
    """A pattern matching each of ``words`` (the longest one where several start alike)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    try:
        return re.compile(_branches(tree))
    except RecursionError:  # words that start with one another, hundreds deep
        return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def _branches(node: dict[str, Any]) -> str:
    branches = []
    for char in sorted(key for key in node if key):
        chain, child = re.escape(char), node[char]
        while len(child) == 1 and "" not in child:
            [(char, child)] = child.items()
            chain += re.escape(char)
        branches.append(chain + _branches(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body
