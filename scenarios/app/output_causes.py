"""What an app's output says went wrong between it and the mock provider, in one line.

``app check`` quotes the last lines an app printed when it answered a probe with a 5xx or did
not start: a traceback, whose last line names the cause in the library's words. Three causes
keep coming back for apps built on MSAL, or on ``requests``, pointed at the mock, and their fix
is in the profile, not the app: :func:`known_cause` names the fix under the output. So does an
app that stops on the ``{tenantid}`` issuer of ``/common`` or ``/organizations``.

- MSAL takes only https authorities (MSAL Python's ``Authority`` refuses any other: "should
  consist of an https url"; MSAL.js and msal-node likewise), so the mock must be served on https.
- MSAL Python asks ``login.microsoftonline.com`` for instance discovery of any authority host
  it does not know (``/common/discovery/instance``), which the mock is not and which a CI machine
  may not reach: the app is built with ``instance_discovery=False`` (and
  ``validate_authority=False``) to skip it.
- The mock's https certificate comes from a local CA (``{ca_file}``). ``requests`` takes the
  ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` environment variables over a session's
  ``verify`` (``Session.merge_environment_settings``; psf/requests#3829), so in an environment
  that sets one (many CI images do) an app that hands its session the CA still fails to verify,
  until the profile sets that variable to ``{ca_file}`` in ``[app.env]``.

A Django app whose ``ALLOWED_HOSTS`` leaves out the host the harness reaches it by answers
every URL with HTTP 400 (:func:`disallowed_host`), which its readiness probe counts as ready.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scenarios.app.profile import AppProfile

__all__ = ["CA_BUNDLE_VARIABLES", "DJANGO_BAD_REQUEST", "allowed_hosts_hint", "disallowed_host",
           "explained", "known_cause"]

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""The environment variables ``requests`` prefers to a session's ``verify``, in its order."""

_NOT_HTTPS = "should consist of an https url"
_INSTANCE_DISCOVERY = "login.microsoftonline.com"
_UNTRUSTED = ("CERTIFICATE_VERIFY_FAILED", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
              "SELF_SIGNED_CERT_IN_CHAIN", "x509: certificate signed by unknown authority")
"""Python's ``ssl``, Node's and Go's names for a certificate chain the client does not trust
(Go's ``crypto/x509``, behind ``net/http`` and so go-oidc and ``x/oauth2``, prints the last, after
``tls: failed to verify certificate:`` from Go 1.20)."""
_TEMPLATE_ISSUER = "/{tenantid}/"
"""In the issuer of Entra's ``/common`` and ``/organizations`` discovery documents, which a
library that compares it with the URL it discovered from refuses as the app starts (go-oidc's
``NewProvider``: "issuer did not match the issuer returned by provider"; coreos/go-oidc#121,
MicrosoftDocs/azure-docs#38427; go-oidc v3 added ``InsecureIssuerURLContext`` for it, #315)."""
_V1_TEMPLATE_ISSUER = "sts.windows.net/{tenantid}/"
"""The v1 documents' template issuer. A tenant's own v1 document names its tenant on the same
host (``https://sts.windows.net/<tid>/``, ``mock_idp.protocol.claims.V1_ISSUER_BASE``), not
the URL it is served from, so the v2 advice (``{authority}/v2.0``) does not fit a v1 app."""

_DISALLOWED_HOST = re.compile(r"Invalid HTTP_HOST header: '([^']*)'\. You may need to add "
                              r"'([^']*)' to ALLOWED_HOSTS\.")
"""Django's words for a request whose Host header ``ALLOWED_HOSTS`` does not take
(``HttpRequest.get_host`` raises ``DisallowedHost`` with them, naming the header and the
domain to add: django/http/request.py, as of Django 5.2): logged by the
``django.security.DisallowedHost`` logger (``django.core.handlers.exception``), and shown on
the 400 page with ``DEBUG`` on."""
DJANGO_BAD_REQUEST = "Bad Request (400)"
"""The title and heading of Django's own 400 page (``django.views.defaults.bad_request``
without a ``400.html`` template), its answer to a disallowed host with ``DEBUG`` off."""


def allowed_hosts_hint(host: str, said: str) -> str:
    """The hint for a Django app that refuses ``host``, the harness's name for it; ``said``:
    what shows it."""
    return (f"hint: the app's Django ALLOWED_HOSTS leaves out {host}, the host the harness "
            f"reaches it by, so it answers every URL with HTTP 400: add {host!r} to "
            f"ALLOWED_HOSTS ({said})")


def disallowed_host(text: str) -> str | None:
    """:func:`allowed_hosts_hint` when ``text`` (an app's output, or a page, whose quotes
    Django's debug page escapes) holds Django's refusal of the Host header, quoting it; else
    ``None``."""
    match = _DISALLOWED_HOST.search(html.unescape(text))
    return None if match is None else allowed_hosts_hint(match[2], f"Django says: {match[0]}")


def known_cause(output: str, *, https: bool, app_env: Mapping[str, str],
                environ: Mapping[str, str]) -> str | None:
    """A line naming the cause in ``output`` (what the app printed) and its fix in the profile,
    or ``None`` for output that shows none of the known causes. ``https``: the profile serves
    the mock on https; ``app_env``: its ``[app.env]``, unrendered; ``environ``: the harness's
    environment, which the app inherits."""
    if (refused := disallowed_host(output)) is not None:
        return refused
    if _NOT_HTTPS in output and not https:
        return ("hint: MSAL takes only https authorities: set [provider] https = true, and "
                "hand the app {ca_file} (the mock's CA) in [app.env]")
    if _INSTANCE_DISCOVERY in output and "/common/discovery/instance" in output:
        return ("hint: MSAL asked login.microsoftonline.com for instance discovery of the "
                "mock's authority, which is not Microsoft's: build the app's MSAL client with "
                "instance_discovery=False and validate_authority=False")
    if (refused := _refused_template_issuer(output)) == "v1":
        return ("hint: the app compares the discovery document's issuer with the URL it was "
                "given, and Entra's v1 documents name an issuer on sts.windows.net, as Entra's "
                "do: /common and /organizations the {tenantid} template "
                "(https://sts.windows.net/{tenantid}/), the tenant's own ({authority}/.well-"
                "known/openid-configuration) https://sts.windows.net/<tenant id>/, never the "
                "URL given: an app for one organization takes its tenant's v1 document and "
                "expects that issuer (go-oidc v3: oidc.InsecureIssuerURLContext), or moves to "
                "the v2.0 endpoints, whose issuer is {authority}/v2.0")
    if refused == "v2":
        return ("hint: the app compares the discovery document's issuer with the URL it was "
                "given, and the /common and /organizations documents name Entra's {tenantid} "
                "template as their issuer, as Entra's do: an app for one organization takes its "
                "tenant's issuer ({authority}/v2.0); one for several skips that comparison and "
                "checks each ID token's iss against its tid (go-oidc v3: "
                "oidc.InsecureIssuerURLContext)")
    if not any(name in output for name in _UNTRUSTED):
        return None
    overriding = _bundle_in_use(app_env, environ)
    if overriding is not None and "requests" in output:
        return (f"hint: the app does not trust the mock's certificate: this environment sets "
                f"{overriding}, which the requests library uses instead of a session's "
                f"verify=, so set {overriding} = \"{{ca_file}}\" in [app.env]")
    if "{ca_file}" in app_env.values():
        return ("hint: the app does not trust the mock's certificate, though [app.env] hands "
                "it {ca_file}: check that its HTTP client is given that file (Node reads "
                "NODE_EXTRA_CA_CERTS only as it starts, Go SSL_CERT_FILE at its first TLS "
                "connection)")
    return ("hint: the app does not trust the mock's certificate: hand it {ca_file} (the "
            "mock's CA) in [app.env] and have its HTTP client trust that file (httpx and "
            "Python's ssl read SSL_CERT_FILE, requests REQUESTS_CA_BUNDLE, Node "
            "NODE_EXTRA_CA_CERTS, Go's net/http SSL_CERT_FILE on Linux)")


def _refused_template_issuer(output: str) -> Literal["v1", "v2"] | None:
    """Which ``{tenantid}`` issuer a line of ``output`` refuses: v1's when the line names
    :data:`_V1_TEMPLATE_ISSUER`, else v2's when it names the template at all, and in both an
    issuer that does not match ("did not match", "does not match", "mismatch"); ``None`` for
    none. A line that only quotes the discovery document (MSAL Python logs it at DEBUG) names
    the template and ``issuer`` too, and an app that stops after it for another cause must not
    be told this."""
    for line in output.splitlines():
        if _TEMPLATE_ISSUER in line and "issuer" in (low := line.lower()) and "match" in low:
            return "v1" if _V1_TEMPLATE_ISSUER in line else "v2"
    return None


def _bundle_in_use(app_env: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The variable of :data:`CA_BUNDLE_VARIABLES` ``requests`` reads in the app (the first
    set: ``REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE``), when the harness's environment sets it and
    ``[app.env]`` does not make it ``{ca_file}``; else ``None``. A ``CURL_CA_BUNDLE`` of the
    environment is not read when the profile sets ``REQUESTS_CA_BUNDLE``."""
    for name in CA_BUNDLE_VARIABLES:
        value = app_env[name] if name in app_env else environ.get(name)
        if value:
            return name if value != "{ca_file}" and environ.get(name) else None
    return None


def explained(message: str, output: str, profile: AppProfile | None,
              environ: Mapping[str, str] = os.environ) -> str:
    """``message``, which quotes ``output``, with :func:`known_cause`'s line under it when
    ``output`` shows a known cause (``profile``: the app's, ``None`` before it is read), unless
    ``message`` says it already (an app that did not start: :meth:`AppStartError.explained`)."""
    if profile is None:
        return message
    cause = known_cause(output, https=profile.provider.https, app_env=profile.app.env,
                        environ=environ)
    return message if cause is None or cause in message else f"{message}\n{cause}"
