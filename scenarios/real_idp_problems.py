"""What ``run --idp`` says when the provider in the ``--idp`` file cannot be used: one line per
problem, naming the file's key and the fix, from what the discovery URL answered (or why
nothing did) and from what the relying party refused in the connection made from the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from scenarios.doctor.probe import classify_error, expects_tls

__all__ = ["ENTRA_AUTHORITY", "discovery_answer_problem", "fetch_problem", "rp_refusal"]

ENTRA_AUTHORITY = "https://login.microsoftonline.com/<tenant>"
_ADVICE = {
    "authority": f'for Entra write authority = "{ENTRA_AUTHORITY}" (the Directory (tenant) '
                 "ID or a verified domain)",
    "discovery_url": "give the provider's full .well-known/openid-configuration URL",
    "issuer": "give the issuer the provider names (its discovery URL is the issuer + "
              "/.well-known/openid-configuration), or discovery_url",
}
_RP_FIELDS = {"client_id": "[provider].client_id", "client_secret": "[provider].client_secret_env",
              "client_auth_method": "[provider].client_auth_method",
              "support_contact": "[rp].support_contact", "ca_file": "[provider].ca_file"}
"""The relying party's connection fields that one ``--idp`` key gives (the provider's
endpoints come from the provider key)."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def fetch_problem(key: str, url: str, exc: Exception, *, ca_file: Path | None,
                  timeout: float) -> str:
    """Why ``url`` (from ``[provider].<key>``) gave no answer, and what to change."""
    failure = classify_error(exc, timeout=timeout)
    origin = _origin(url)
    where = f"[provider].{key}"
    if failure.kind == "tls-untrusted":
        if ca_file is None:
            return (f"[provider].ca_file: {origin}'s certificate is not signed by a public CA "
                    f"({failure.message}): set [provider] ca_file to the PEM file of the CA "
                    "that signed it")
        return (f"[provider].ca_file: {origin}'s certificate is not signed by {ca_file} "
                f"({failure.message}): give the PEM file of the CA that signed it")
    if failure.kind == "tls-hostname":
        return (f"{where}: {origin}'s certificate is for another host name "
                f"({failure.message}): use the host name the certificate names")
    if failure.kind == "tls-expired":
        return f"{where}: {origin}'s certificate has expired: the provider must renew it"
    if failure.kind == "tls-other":
        return (f"{where}: TLS with {origin} failed ({failure.message}): check the URL's "
                "scheme (http or https) and port")
    if failure.kind == "timeout":
        return (f"{where}: {url} gave {failure.message}: check that the provider is up and "
                "that the host is right")
    if expects_tls(url, failure):
        return (f"{where}: {origin} closed the connection without an answer "
                f"({failure.message}), as an HTTPS server does to plain HTTP: use https:// in "
                f"{key}")
    if failure.kind == "connect":
        return (f"{where}: cannot connect to {origin} ({failure.message}): check that the "
                f"provider is up and that the host and port in {key} are right")
    return (f"{where}: cannot fetch {url} ({failure.message}): check {key} (`python -m "
            "scenarios doctor` diagnoses further)")


def _provider_error(response: httpx.Response) -> str | None:
    """The OAuth error a provider answered with (Entra: for an unknown tenant), without the
    trace and correlation ids Entra appends."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    description = re.split(r"\s+Trace ID:", str(body.get("error_description") or ""))[0]
    first = re.split(r"(?<=\.)\s", description.strip(), maxsplit=1)[0]
    return first or str(body["error"])


def discovery_answer_problem(key: str, url: str, response: httpx.Response) -> str | None:
    """What is wrong with the answer to ``url``, or ``None`` for a discovery document."""
    where = f"[provider].{key}"
    if response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and {"authorization_endpoint", "token_endpoint"} <= set(body):
            return None
        return (f"{where}: {url} answered HTTP 200 but not with a discovery document (JSON "
                f"naming authorization_endpoint and token_endpoint): {_ADVICE[key]}")
    if (error := _provider_error(response)) is not None:
        fix = ("put your Directory (tenant) ID or a verified domain in authority"
               if "AADSTS90002" in error and key == "authority" else f"check {key}")
        return (f"{where}: {url} answered HTTP {response.status_code}: {error.rstrip('.')}: "
                f"{fix}")
    return (f"{where}: {url} answered HTTP {response.status_code}, not a discovery document: "
            f"{_ADVICE[key]}")


def rp_refusal(key: str, status: int, body: str) -> str:
    """What the relying party refused in the connection made from the ``--idp`` file (its
    400 answer names each field and why), under the key that gave it."""
    try:
        fields = json.loads(body).get("fields")
    except (ValueError, AttributeError):
        fields = None
    if not isinstance(fields, Mapping) or not fields:
        return f"the relying party refused the connection (HTTP {status}): {body[:300]}"
    refused: dict[tuple[str, str], list[str]] = {}
    for name, reason in fields.items():  # the endpoints refused for one reason: said once
        where = _RP_FIELDS.get(str(name), f"[provider].{key}")
        refused.setdefault((where, str(reason)), []).append(str(name))
    return "; ".join(f"{where}: the relying party refuses its {' and '.join(names)}: {reason}"
                     for (where, reason), names in refused.items())
