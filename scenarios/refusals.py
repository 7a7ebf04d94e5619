"""Why an app may have failed its sign-in: the first of its back-channel requests the mock
provider refused during the scenario.

An app that shows a bare 500 at its callback hides the cause the provider gave it (the token
endpoint's ``AADSTS7000215``, a key set answering 503, a dropped connection); the provider's
request log (``GET /_mock/requests``, cleared with each scenario's reset) still has it.
:func:`refusal_note` names it at the end of the first line of a failure message, once, unless
the message already names it (a scenario that injected the fault and says so). A sign-in that
failed with no refusal, after the app redeemed its code at Entra's v1 token endpoint, says
instead that the ID token it got there is unsigned (:func:`unsigned_v1_note`): an app that looks
for a signature or a signing key on it refuses every sign-in on the v1 endpoints, and its
failure page (python-social-auth's "missing a required field") rarely says so. One that did
so through ``/common`` or ``/organizations``, whose discovery documents name Entra's
``{tenantid}`` template as the issuer, says that instead (:func:`template_issuer_note`). An app
that shows the wrong name, or none, after asking the v2.0 endpoint for ``openid`` without
``profile`` is told the ID token then carries no ``name`` (:func:`profile_scope_note`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from scenarios.app.failure_page import ACCEPTED
from scenarios.app.output_causes import explained
from scenarios.graph_host import GRAPH_HOST_START, graph_host_note
from scenarios.masking import quoted
from scenarios.protocol_view.names import BROWSER_NAMES, provider_step_name
from scenarios.protocol_view.tokens import decode_jwt

if TYPE_CHECKING:
    from scenarios.app.profile import AppProfile

__all__ = ["GRAPH_HOST_START", "HELD_START", "NOTE_STARTS", "NOTE_START", "PROFILE_SCOPE_START",
           "TEMPLATE_START", "UNSIGNED_START", "any_organization_note", "first_refusal",
           "graph_host_note", "held_note", "profile_scope_note", "refusal_note",
           "template_issuer_note", "unsigned_v1_id_token", "unsigned_v1_note", "with_name_cause",
           "with_refusal", "with_sign_in_cause"]

NOTE_START = "; the provider had refused the app's "
"""How :func:`refusal_note` begins: the console shows the note on a line of its own."""
UNSIGNED_START = "; the app's ID token came unsigned from Entra's v1 token endpoint"
"""How :func:`unsigned_v1_note` begins; the console shows it on a line of its own too."""
HELD_START = "; the provider was still holding the app's "
"""How :func:`held_note` begins; the console shows it on a line of its own too."""
TEMPLATE_START = "; the app signs in through "
"""How :func:`template_issuer_note` begins; the console shows it on a line of its own too."""
PROFILE_SCOPE_START = "; the app asked the v2.0 authorize endpoint for scope "
"""How :func:`profile_scope_note` begins; the console shows it on a line of its own too."""
NOTE_STARTS = (NOTE_START, UNSIGNED_START, HELD_START, TEMPLATE_START, PROFILE_SCOPE_START,
               GRAPH_HOST_START)
_TEMPLATE_TENANTS = ("common", "organizations")
"""The tenants whose discovery documents name the ``{tenantid}`` template as their issuer."""
SHOWN_REFUSAL = 160
"""Characters of the provider's answer a message quotes."""
_WHAT = {"keys": "signing keys", "userinfo": "UserInfo", "graph": "Microsoft Graph"}
_NOT_REFUSALS = frozenset({"latency"})
"""Faults on the response that still answer: not a refusal."""
_AADSTS = re.compile(r"AADSTS\d+")


def _answer_words(entry: Mapping[str, Any]) -> str | None:
    """``error: first line of error_description`` of an OAuth error answer, or the code and
    message of a Graph-style error; ``None`` for an answer without one."""
    response = entry.get("response")
    body = response.get("json") if isinstance(response, Mapping) else None
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping):
        return f"{error.get('code', 'error')}: {error.get('message', '')}".strip(": ")
    if not isinstance(error, str):
        return None
    lines = str(body.get("error_description") or "").strip().splitlines()
    # The description's tail (Trace ID, Correlation ID, Timestamp: on the same line or the
    # next ones) differs with each request and says nothing of the cause.
    description = lines[0].split(" Trace ID: ")[0].strip() if lines else ""
    if description.startswith("AADSTS"):  # Entra's description starts with the code itself
        return description
    return f"{error}: {description}" if description else error


_NO_ROUTE = {"error": {"code": "NotFound", "message": "Not Found"}}
"""The mock's answer to a path none of its routes serves (:func:`mock_idp.app._http_error`)."""


def _unserved(entry: Mapping[str, Any]) -> str | None:
    """What to say of a request to a path the provider serves nothing at (an endpoint URL
    written by hand, e.g. UserInfo guessed as ``{authority}/oauth2/v2.0/userinfo``, which Entra
    does not have), else ``None``: its answer, "NotFound: Not Found", names neither the path
    nor where the endpoint is."""
    response = entry.get("response")
    if entry.get("status") != 404 or not isinstance(response, Mapping) \
            or response.get("json") != _NO_ROUTE:
        return None
    return (f"HTTP 404: the provider serves nothing at {str(entry.get('path', ''))[:120]} "
            "(take each endpoint from its discovery document)")


def _no_photo(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` is Graph's answer for a user without a profile photo (404
    ``ImageNotFound``: "If no photo exists, the operation returns 404 Not Found",
    https://learn.microsoft.com/graph/api/profilephoto-get): an answer apps read and go on
    without (Auth.js's Entra provider asks at every sign-in), not a refusal. Every user of the
    mock's is without one."""
    response = entry.get("response")
    body = response.get("json") if isinstance(response, Mapping) else None
    error = body.get("error") if isinstance(body, Mapping) else None
    return (entry.get("status") == 404 and isinstance(error, Mapping)
            and error.get("code") == "ImageNotFound")


def _fault_effects(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, effect) of each fault that replaced the answer to this request."""
    found = []
    for note in entry.get("notes") or ():
        fault = note.get("fault") if isinstance(note, Mapping) else None
        if (isinstance(fault, Mapping) and note.get("target") == "response"
                and note.get("effect") and fault.get("kind") not in _NOT_REFUSALS):
            found.append((str(fault.get("kind")), str(note["effect"])))
    return found


def _given_up(entry: Mapping[str, Any]) -> bool:
    """Whether the app closed this request while a ``hang`` fault held it (logged with status
    499 and the hold's ``ended`` ``client_left``, :mod:`mock_idp.faults.holds`)."""
    return any(isinstance(note, Mapping) and isinstance(note.get("held"), Mapping)
               and note["held"].get("ended") == "client_left"
               for note in entry.get("notes") or ())


def first_refusal(entries: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(what was asked, what the provider answered) of the first back-channel request of the
    app (token, keys, discovery, UserInfo, Graph...: any the provider's sign-in pages do not
    make) that got an error status or a fault that replaced its answer; ``None`` if none did.
    ``entries`` are the provider's request log's, oldest first; the calls the harness made
    itself (logged with a ``caller``) are not the app's."""
    for entry in entries:
        if entry.get("caller"):  # the harness's own call (a secret it checks), not the app's
            continue
        form = (entry.get("request") or {}).get("form")
        name = provider_step_name(str(entry.get("path", "")), str(entry.get("method", "")),
                                  form if isinstance(form, Mapping) else None)
        if name in BROWSER_NAMES or name in ("provider page", "provider call"):
            continue
        if _given_up(entry):  # the app closed it while a hang held it: nothing refused
            continue
        status = entry.get("status")
        faults = _fault_effects(entry)
        failed = isinstance(status, int) and status >= 400 and not _no_photo(entry)
        if not failed and not faults:
            continue
        words = (_unserved(entry) or _answer_words(entry)) if failed else None
        if words is None and faults:
            kind, effect = faults[0]
            words = f"{effect} (fault {kind})"
        elif words is None:
            words = f"HTTP {status}"
        return f"{_WHAT.get(name, name)} request", words
    return None


def refusal_note(entries: Iterable[Mapping[str, Any]], message: str) -> str:
    """``"; the provider had refused the app's token request: '...'"`` for the first refusal
    in ``entries`` (quoted, masked and cut as a page's text is), or ``""``: there was none,
    or ``message`` names it already (its AADSTS code, or its words)."""
    found = first_refusal(entries)
    if found is None:
        return ""
    what, words = found
    codes = _AADSTS.findall(words)
    named = all(code in message for code in codes) if codes else words in message
    if named:
        return ""
    return f"{NOTE_START}{what}: {quoted(words, SHOWN_REFUSAL)}"


def with_refusal(message: str, entries: Iterable[Mapping[str, Any]], output: str = "") -> str:
    """``message`` with :func:`refusal_note` at the end of its first line (the line reports
    and CI annotations show), or, when the provider refused nothing and the app accepted no
    one, :func:`graph_host_note` of ``output`` (what the app printed last): a failure page that
    never came because the app failed on Graph's own host first (better-auth's ``microsoft``
    provider fetches the person's photo there before it reads the ID token's claims)."""
    entries = list(entries)
    note = refusal_note(entries, message) or (
        "" if not output or GRAPH_HOST_START in message or ACCEPTED in message
        else graph_host_note(entries, output))
    if not note:
        return message
    first, newline, rest = message.partition("\n")
    return f"{first}{note}{newline}{rest}"


def unsigned_v1_id_token(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` is the app's answered request to a v1 token endpoint (no ``/v2.0/``)
    whose ID token came unsigned (``alg: none``)."""
    path = str(entry.get("path", ""))
    if (entry.get("caller") or "/v2.0/" in path
            or provider_step_name(path, str(entry.get("method", ""))) != "token"):
        return False
    status, response = entry.get("status"), entry.get("response")
    body = response.get("json") if isinstance(response, Mapping) else None
    token = body.get("id_token") if isinstance(body, Mapping) else None
    if not isinstance(status, int) or status >= 400 or not isinstance(token, str):
        return False
    decoded = decode_jwt(token)
    return decoded is not None and str(decoded[0].get("alg", "")).lower() == "none"


def unsigned_v1_note(entries: Iterable[Mapping[str, Any]], output: str = "") -> str:
    """Why an app on Entra's v1 endpoints may refuse every sign-in: ``"; the app's ID token came
    unsigned from Entra's v1 token endpoint ..."`` when one of its token requests there was
    answered with one, else ``""``. Entra's v1.0 token endpoint returns its ID tokens with
    ``alg: none`` and no ``kid`` (coreos/go-oidc #350; "by design" in
    AzureAD/azure-activedirectory-library-for-java #117: the TLS channel vouches for them, OpenID
    Connect Core 3.1.3.7 (6)); python-social-auth's ``AzureADOAuth2`` looks for a ``kid`` there
    (social-core #723) and so refuses everyone. When ``output`` (what the app printed last, or
    its page) names ``preferred_username``, the note says that claim is missing instead
    (:func:`_v2_claim_note`)."""
    entries = list(entries)
    if not any(unsigned_v1_id_token(entry) for entry in entries):
        return ""
    if "preferred_username" in output:
        return _v2_claim_note()
    note = (f"{UNSIGNED_START} (alg none, no kid, as Entra sends it there): an app that asks it "
            "for a signature or a signing key refuses every sign-in on the v1 endpoints, whose "
            "ID token the TLS connection vouches for; the v2.0 endpoints sign theirs")
    read = next((str(entry.get("path")) for entry in entries if _v1_discovery(entry)), None)
    if read is None:
        return note
    # flask-oidc 2.x appends /.well-known/openid-configuration to the issuer it is given, so
    # an issuer of {authority} (no /v2.0) leads it to the v1 document and endpoints.
    return (f"{note}; it found them in Entra's v1 discovery document ({read}), which an "
            "issuer or discovery URL without /v2.0 leads to: {authority}/v2.0 is the v2.0 "
            "issuer, {authority}/v2.0/.well-known/openid-configuration its document")


def _v2_claim_note() -> str:
    """Why an app whose output names ``preferred_username`` fails on Entra's v1 endpoints: v1
    ID tokens do not carry it (v2.0 only), and name the person in ``upn`` and ``unique_name``
    (v1.0 only) instead (Microsoft Learn, "ID token claims reference",
    learn.microsoft.com/entra/identity-platform/id-token-claims-reference). An app written
    for v2.0's claims that reads it unguarded fails every sign-in there with a bare 500."""
    return (f"{UNSIGNED_START} (ver 1.0) without preferred_username, which the app's output "
            "or page names: that claim is v2.0's, and Entra's v1 ID tokens name the person in "
            "upn and unique_name instead; an app on the v1 endpoints reads those (or moves to "
            "the v2.0 endpoints, whose ID tokens carry preferred_username)")


def _v1_discovery(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` is the app's own read of a v1 discovery document (no ``/v2.0/``)."""
    path = str(entry.get("path", ""))
    return (not entry.get("caller") and str(entry.get("method", "GET")) == "GET"
            and path.endswith("/.well-known/openid-configuration") and "/v2.0/" not in path)


def _template_tenant(entry: Mapping[str, Any]) -> str | None:
    """``common`` or ``organizations`` for the app's discovery request or the browser's
    authorization request at one of them, else ``None``."""
    path = str(entry.get("path", ""))
    tenant = path.lstrip("/").split("/", 1)[0].lower()
    if entry.get("caller") or tenant not in _TEMPLATE_TENANTS:
        return None
    name = provider_step_name(path, str(entry.get("method", "")))
    return tenant if name in ("discovery", "authorize") else None


def _first_template_tenant(entries: Iterable[Mapping[str, Any]]) -> str | None:
    """The first :func:`_template_tenant` of the logged requests ``entries``."""
    return next((found for entry in entries if (found := _template_tenant(entry))), None)


def template_issuer_note(entries: Iterable[Mapping[str, Any]], message: str = "") -> str:
    """Why an app on ``/common`` or ``/organizations`` may refuse every sign-in: ``"; the app
    signs in through /common, ..."`` when its discovery or the browser's authorization request
    went there, else ``""``. Those documents name ``https://<host>/{tenantid}/v2.0`` (v1:
    ``https://sts.windows.net/{tenantid}/``) as the issuer, on Entra as on the mock
    (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc, "Find your app's OpenID
    configuration document URI"; next-auth #13440, panva/openid-client #742): an app must put
    the ID token's ``tid`` in it before it compares. openid-client v6 does so only for a
    discovery URL on ``https://login.microsoftonline.com`` itself without ``/.well-known/``
    (its ``handleEntraId``; panva/openid-client #893), and refuses the document of any other
    host with "discovered metadata issuer does not match the expected issuer". openid-client 5
    does so only for an ``Issuer.discover`` URL under ``https://login.microsoftonline.com/``
    ``common``, ``organizations/v2.0`` or ``consumers/v2.0`` (its ``AAD_MULTITENANT_DISCOVERY``)
    and, on any other host, takes the document and refuses every ID token with "unexpected iss
    value, expected …/{tenantid}/v2.0".

    When ``message`` shows Entra's AADSTS50194, the sign-in ended at the authorization endpoint
    itself, before any discovery document or ID token mattered: Entra takes ``/common`` and
    ``/organizations`` only for an app registered as multi-tenant (the profile's
    ``sign_in_audience`` says single-tenant by default), so the note says that instead, as
    ``app check`` does (httpx-oauth's ``MicrosoftGraphOAuth2``, under fastapi-users, signs in
    through ``/common`` unless given a tenant)."""
    if (tenant := _first_template_tenant(entries)) is None:
        return ""
    if "AADSTS50194" in message:
        return (f"{TEMPLATE_START}/{tenant}, which Entra refuses for an app registered for one "
                "organization (AADSTS50194), as the profile registers it: give the app the "
                "tenant's authority ({authority}, or its tenant id, {tenant_id}), or set "
                '[provider] sign_in_audience = "AzureADMultipleOrgs" if the app is registered '
                "multi-tenant")
    return (f"{TEMPLATE_START}/{tenant}, whose discovery document's issuer is Entra's "
            "{tenantid} template, as on Entra: an app must put the ID token's tid in it before "
            "it compares (openid-client 5 and 6 do only on https://login.microsoftonline.com, "
            "so they refuse the mock's); an app for one organization signs in through its tenant "
            "instead (the profile's {authority} or {issuer})")


def any_organization_note(entries: Iterable[Mapping[str, Any]]) -> str:
    """Why a user of another organization got into the app, when its discovery or the
    browser's authorization request went to ``/common`` or ``/organizations``: there Entra
    signs in the users of every organization for an app registered as multi-tenant
    (learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant, "Update
    your code to handle multiple issuer values"), so the app must choose whom it takes; else
    ``""``. An OAuth 2.0 client reads no ``tid`` (@fastify/oauth2's Microsoft preset signs in
    through /common)."""
    if (tenant := _first_template_tenant(entries)) is None:
        return ""
    return (f"; the app signs in through /{tenant}, where Entra signs in the users of every "
            "organization for an app registered as multi-tenant: an app for one organization "
            "signs in through its tenant instead (the profile's {authority} or {issuer}), one "
            "for several compares the ID token's tid with the tenants it serves")


def with_sign_in_cause(message: str, entries: Iterable[Mapping[str, Any]],
                       output: str = "", profile: AppProfile | None = None) -> str:
    """``message`` of a sign-in that did not sign the person in, with :func:`refusal_note` at
    the end of its first line, or, when the provider refused nothing, :func:`unsigned_v1_note`,
    :func:`template_issuer_note` or else :func:`graph_host_note` (``output``: what the app
    printed last; ``message`` may quote its page). Given the app's ``profile``, a known cause
    in the output or on the page (a certificate the app does not trust: fastapi-users shows
    httpx's ``CERTIFICATE_VERIFY_FAILED`` in its callback's answer and prints nothing) adds
    ``app check``'s hint on a line of its own (:func:`~scenarios.app.output_causes.explained`)."""
    if profile is not None:
        return explained(with_sign_in_cause(message, entries, output), f"{message}\n{output}",
                         profile)
    entries = list(entries)
    note = refusal_note(entries, message) or (
        "" if any(start in message for start in (UNSIGNED_START, TEMPLATE_START,
                                                 GRAPH_HOST_START))
        else unsigned_v1_note(entries, f"{message}\n{output}")
        or template_issuer_note(entries, message)
        or graph_host_note(entries, f"{message}\n{output}"))
    if not note:
        return message
    first, newline, rest = message.partition("\n")
    return f"{first}{note}{newline}{rest}"


def held_note(what: str, seconds: float) -> str:
    """The note for a request the provider was still holding (a ``hang`` fault) when the app
    gave up on it, after ``seconds`` of it (as the provider timed the hold): no refusal of the
    provider's, so :func:`refusal_note` does not name it."""
    return (f"{HELD_START}{what} (this scenario's hang) when the app gave up on it after "
            f"{seconds:.1f} s: what the browser shows is the app's answer to its own timeout")


def _asked_scope(entry: Mapping[str, Any]) -> str | None:
    """The ``scope`` of the browser's request to a v2.0 authorize endpoint (its query, or the
    form it posted), else ``None``."""
    path = str(entry.get("path", ""))
    if (entry.get("caller") or "/v2.0/" not in path
            or provider_step_name(path, str(entry.get("method", ""))) != "authorize"):
        return None
    params = dict(parse_qsl(str(entry.get("query", ""))))
    form = (entry.get("request") or {}).get("form")
    if isinstance(form, Mapping):
        params.update({str(key): str(value) for key, value in form.items()})
    return params.get("scope")


def profile_scope_note(entries: Iterable[Mapping[str, Any]]) -> str:
    """Why an app shows no name for the person it signed in: ``"; the app asked the v2.0
    authorize endpoint for scope 'openid email' without profile ..."`` when the last sign-in
    it started there asked for ``openid`` and not ``profile``, else ``""``. A v2.0 ID token
    carries ``name``, ``preferred_username`` and ``oid`` only with the ``profile`` scope, on
    Entra as on the mock (learn.microsoft.com/entra/identity-platform/id-token-claims-reference:
    "Requires the profile scope"; :func:`mock_idp.protocol.claims.id_token_claims`); dash-auth
    2.3's ``OIDCAuth.register_provider`` asks for ``openid email`` unless ``client_kwargs``
    names a scope."""
    asked = [scope for entry in entries if (scope := _asked_scope(entry)) is not None]
    scopes = asked[-1].split() if asked else []
    if "openid" not in scopes or "profile" in scopes:
        return ""
    return (f"{PROFILE_SCOPE_START}{quoted(asked[-1], SHOWN_REFUSAL)} without profile: a v2.0 "
            "ID token carries name, preferred_username and oid only with the profile scope, "
            "on Entra as here; add profile to the scopes the app asks for")


def with_name_cause(message: str, entries: Iterable[Mapping[str, Any]]) -> str:
    """``message`` of a check that did not find the signed-in person's name, with
    :func:`profile_scope_note` at the end of its first line when it applies."""
    note = "" if PROFILE_SCOPE_START in message else profile_scope_note(entries)
    first, newline, rest = message.partition("\n")
    return f"{first}{note}{newline}{rest}"
