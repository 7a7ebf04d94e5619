"""Tokens and values as the protocol view shows them: JWTs decoded without verifying (header
and claims, never the signature), what a fault changed in them, and every secret masked.

Pure functions over strings and the notes of the mock's log. Masking is the mock's own
(:mod:`mock_idp.redaction`) and can be applied twice: whatever the view shows is masked again
here, whether it came from the mock's (already masked) log or from the browser.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from mock_idp.redaction import (
    REDACTED,
    mask_form,
    mask_json,
    mask_jwt,
    mask_query,
    mask_url,
    mask_value,
)
from scenarios.protocol_view.model import Change, TokenView

__all__ = [
    "REDACTED",
    "TOKEN_NAMES",
    "as_text",
    "decode_jwt",
    "fault_changes",
    "mask_form",
    "mask_json",
    "mask_pairs",
    "mask_text",
    "mask_query",
    "mask_url",
    "token_view",
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
        return None
    header, claims, signature = decoded
    changes, kind, fault_signature = fault_changes(list(notes), target or name)
    return TokenView(
        name=TOKEN_NAMES.get(name, name), header=tuple((k, as_text(v)) for k, v in header.items()),
        claims=tuple((k, as_text(v)) for k, v in claims.items()),
        signature=fault_signature or signature, changes=changes, fault=kind)


def mask_pairs(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Parameters as shown: masked, and a JWT-valued one cut to its start (it is decoded
    beside the step)."""
    out = []
    for key, value in pairs:
        shown = mask_value(key, value)
        if key.lower() in TOKEN_NAMES and shown.endswith(REDACTED) and shown != REDACTED:
            shown = f"{shown[:24]}... (decoded below)"
        out.append((key, shown[:MAX_VALUE]))
    return tuple(out)


_NAMED = re.compile(
    r"(?P<name>\b(?:client_secret|password|passwd|code_verifier|refresh_token|code|device_code|"
    r"access_token|id_token|id_token_hint|logout_token|client_assertion))"
    r"(?P<sep>=|%3D|[\"']?\s*:\s*[\"'])(?P<value>[^&\s\"'#,;)]+)")
_BARE_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text (an error message, a traceback) with secrets masked: ``name=value`` and
    ``"name": "value"`` pairs of sensitive names, bare JWTs, and each of ``secrets``."""
    masked = _NAMED.sub(lambda m: f"{m['name']}{m['sep']}{mask_value(m['name'], m['value'])}",
                        text)
    masked = _BARE_JWT.sub(lambda m: mask_jwt(m.group(0)), masked)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, REDACTED)
    return masked
