"""Time-based one-time passwords (RFC 6238), the codes an authenticator app shows.

A user with a TOTP secret (``totp_secret`` in ``idp.toml``, base32 as authenticator apps and
``pyotp`` take it) is asked for a code after their password, as Entra asks for the code of a
registered authenticator app: six digits, HMAC-SHA1, 30-second steps. A code is accepted for
the step the provider's clock is in and the one before or after it, for the skew between a phone
and a server; the provider's clock decides, so a test that moves it computes codes for that
time (``GET /_mock/clock``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from datetime import datetime

STEP_SECONDS = 30
DIGITS = 6
MIN_SECRET_BYTES = 10
"""80 bits: the 16 base32 characters of the shortest secrets authenticator apps are given."""
MAX_SECRET_CHARS = 128
BASE32_ONLY = "a TOTP secret must be base32 (A-Z and 2-7)"


def normalised(secret: str) -> str:
    """``secret`` without spaces, in capitals, as authenticator apps show it, once
    :func:`decode_secret` has taken it."""
    decode_secret(secret)
    return "".join(secret.split()).upper()


def decode_secret(secret: str) -> bytes:
    """The key a base32 secret spells (spaces and case ignored, padding optional);
    :class:`ValueError` for one that is not base32 or is shorter than 80 bits."""
    text = "".join(secret.split())
    if not text or len(text) > MAX_SECRET_CHARS:
        raise ValueError(f"a TOTP secret is 16 to {MAX_SECRET_CHARS} base32 characters")
    # ASCII before capitals: "ı".upper() is "I", and b32decode refuses other non-ASCII with
    # a message of its own ("string argument should contain only ASCII characters")
    if not text.isascii():
        raise ValueError(BASE32_ONLY)
    text = text.upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise ValueError(BASE32_ONLY) from exc
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError("a TOTP secret must be at least 16 base32 characters (80 bits)")
    return key


def code_for_counter(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """HOTP (RFC 4226 §5.3): the code for one counter value."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def code_at(secret: str, instant: datetime, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at ``instant`` (RFC 6238 §4)."""
    return code_for_counter(decode_secret(secret), int(instant.timestamp()) // STEP_SECONDS,
                            digits)


def verify(secret: str, code: str, now: datetime) -> bool:
    """Whether ``code`` is the code of the current 30-second step, or of the one before or
    after it."""
    return matching_step(secret, code, now) is not None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step (the current one, the one before or the one after) whose code ``code`` is."""
    code = code.strip()
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    key = decode_secret(secret)
    counter = int(now.timestamp()) // STEP_SECONDS
    return next((counter + drift for drift in (-1, 0, 1)
                 if hmac.compare_digest(code_for_counter(key, counter + drift), code)), None)
