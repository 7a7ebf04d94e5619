"""Graph ``keyCredentials``: certificates registered on an application, as Graph takes them.

``PATCH applications/{id}`` (and the create body) carries the whole collection, each entry a
``keyCredential``: ``type`` ``AsymmetricX509Cert``, ``usage`` ``Verify``, ``key`` the
base64 DER certificate, optional ``displayName``, ``startDateTime``/``endDateTime`` (default: the
certificate's validity) and ``keyId``. ``customKeyIdentifier`` is the certificate's SHA-1
thumbprint (the portal's and ``Get-AzADAppCredential``'s default: Azure/azure-powershell
#12091; it reads back as upper-case hex, microsoftgraph/msgraph-sdk-java #1823). Reads never
return ``key`` (it comes back ``null``: microsoftgraph/msgraph-sdk-java #1878). An entry that
names the ``keyId`` of a registered certificate without a ``key`` keeps that certificate, so a
client can send back what it read plus a new entry.

Graph reference: https://learn.microsoft.com/graph/api/resources/keycredential
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ..credential_config import default_date_problems, key_problem
from ..store import KeyCredential, new_guid
from .payload import BadInput, check_known, get_datetime, get_guid, get_str

KEY_CREDENTIAL_PROPERTIES = {"customKeyIdentifier", "displayName", "endDateTime", "key", "keyId",
                             "startDateTime", "type", "usage"}
MAX_KEY_CREDENTIALS = 50
MAX_KEY_CHARS = 16384


def key_credentials(value: Any, registered: list[KeyCredential]) -> list[KeyCredential]:
    """A ``keyCredentials`` collection -> the app's new certificate list (it replaces the old)."""
    if not isinstance(value, list):
        raise BadInput("'keyCredentials' must be an array of keyCredential objects",
                       field="keyCredentials")
    if len(value) > MAX_KEY_CREDENTIALS:
        raise BadInput(f"'keyCredentials' has more than {MAX_KEY_CREDENTIALS} entries",
                       field="keyCredentials")
    by_id = {c.key_id: c for c in registered}
    out: list[KeyCredential] = []
    for i, item in enumerate(value):
        where = f"keyCredentials[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where!r} must be an object", field=where)
        credential = _key_credential(item, where, by_id)
        if any(c.key_id == credential.key_id for c in out):
            raise BadInput(f"'{where}.keyId' repeats another entry's keyId",
                           field=f"{where}.keyId")
        out.append(credential)
    return out


def _key_credential(item: dict[str, Any], where: str, by_id: dict[str, KeyCredential]
                    ) -> KeyCredential:
    check_known(item, KEY_CREDENTIAL_PROPERTIES, where)
    key_id = get_guid(item, "keyId", where)
    key = get_str(item, "key", where, nullable=True, max_len=MAX_KEY_CHARS)
    if key is None:
        if key_id is None or key_id not in by_id:
            raise BadInput(f"'{where}.key' is required: the base64 DER certificate (only an "
                           f"entry naming a registered keyId may leave it out)",
                           field=f"{where}.key")
        return by_id[key_id]
    for name, allowed in (("type", "AsymmetricX509Cert"), ("usage", "Verify")):
        given = get_str(item, name, where, required=True, max_len=64)
        if given != allowed:
            raise BadInput(f"'{where}.{name}' must be {allowed!r} (a certificate that verifies "
                           f"client assertions), got {str(given)[:64]!r}",
                           field=f"{where}.{name}")
    cert = _certificate(key, f"{where}.key")
    _check_identifier(get_str(item, "customKeyIdentifier", where, nullable=True, max_len=128),
                      cert, f"{where}.customKeyIdentifier")
    dates = {"start": get_datetime(item, "startDateTime", where),
             "end": get_datetime(item, "endDateTime", where)}
    for which, problem in default_date_problems(cert).items():
        if dates[which] is None:
            raise BadInput(f"'{where}.{which}DateTime' {problem}",
                           field=f"{where}.{which}DateTime")
    start = dates["start"] or cert.not_valid_before_utc
    end = dates["end"] or cert.not_valid_after_utc
    if start < cert.not_valid_before_utc:
        raise BadInput(f"'{where}.startDateTime' is before the certificate's notBefore "
                       f"({cert.not_valid_before_utc.isoformat()})",
                       field=f"{where}.startDateTime")
    if end > cert.not_valid_after_utc:
        raise BadInput(f"'{where}.endDateTime' is after the certificate's notAfter "
                       f"({cert.not_valid_after_utc.isoformat()})", field=f"{where}.endDateTime")
    if end <= start:
        raise BadInput(f"'{where}.endDateTime' must be after startDateTime",
                       field=f"{where}.endDateTime")
    display_name = get_str(item, "displayName", where, nullable=True, max_len=256)
    return KeyCredential(key_id=key_id or new_guid(), display_name=display_name or _subject(cert),
                         certificate=cert, start=start, end=end)


def _certificate(key: str, field: str) -> x509.Certificate:
    try:
        data = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadInput(f"{field!r} must be base64 (the DER-encoded certificate)",
                       field=field) from exc
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise BadInput(f"{field!r} is not a DER-encoded X.509 certificate", field=field) from exc
    problem = key_problem(cert)
    if problem:
        raise BadInput(f"{field!r} {problem}", field=field)
    return cert


def _check_identifier(value: str | None, cert: x509.Certificate, field: str) -> None:
    """``customKeyIdentifier`` is the thumbprint: hex, or base64 of its bytes."""
    if value is None:
        return
    digest = hashlib.sha1(cert.public_bytes(Encoding.DER)).digest()
    accepted = {digest.hex().upper(), base64.b64encode(digest).decode()}
    if value.upper() not in accepted and value not in accepted:
        raise BadInput(f"{field!r} must be the certificate's SHA-1 thumbprint "
                       f"({digest.hex().upper()})", field=field)


def _subject(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={names[0].value!s}" if names else cert.subject.rfc4514_string()[:256]
